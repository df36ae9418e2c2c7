"""Benchmark-only Airflow plugin: each task process records what it used when it ends.

A listener runs inside the task process at its end and appends one JSON line to ``INS_BENCH_METRICS_FILE``:
the task instance, the process's peak resident memory (``ru_maxrss``) and the farm database statements and
rows it sent (``include.ins_report.store.farm_db.METRICS``). Loaded only by the benchmark's Airflow (its
plugins folder is bench/plugins); does nothing when the variable is unset. It also records each start
(``running``), for the waits' worker starts (bench/time_to_report.py).
"""

from __future__ import annotations

import json
import os
import resource
import sys
from typing import ClassVar

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin


def _record(task_instance, state: str) -> None:
    path = os.environ.get("INS_BENCH_METRICS_FILE")
    # Only task processes: the API server calls the same hooks for state changes made through the API.
    if not path or type(task_instance).__name__ != "RuntimeTaskInstance":
        return
    farm_db = sys.modules.get("include.ins_report.store.farm_db")
    db = farm_db.METRICS.as_dict() if farm_db is not None else {}
    line = {
        "dag_id": task_instance.dag_id,
        "run_id": task_instance.run_id,
        "task_id": task_instance.task_id,
        "map_index": task_instance.map_index,
        "try_number": task_instance.try_number,
        "state": state,
        "pid": os.getpid(),
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "db_statements": db.get("statements", 0),
        "db_rows_written": db.get("rows_written", 0),
    }
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")


class _TaskMetrics:
    @hookimpl
    def on_task_instance_running(self, previous_state, task_instance):
        # Every start of a task process: a reschedule's poke and a deferred task's resumption too
        # (bench/time_to_report.py counts the waits' starts).
        _record(task_instance, "running")

    @hookimpl
    def on_task_instance_success(self, previous_state, task_instance):
        _record(task_instance, "success")

    @hookimpl
    def on_task_instance_failed(self, previous_state, task_instance, error):
        _record(task_instance, "failed")


class BenchMetricsPlugin(AirflowPlugin):
    name = "ins_bench_metrics"
    listeners: ClassVar[list] = [_TaskMetrics()]
