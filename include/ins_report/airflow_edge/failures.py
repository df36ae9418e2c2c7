"""A failed task and its run, read from Airflow contexts: the task callbacks' ``FailureDetail`` and its
XCom (``store_failure``), and the ``RunFacts`` of a DAG or deadline callback, with the run's failed tasks
read back from their XComs (``run_facts``). The alert messages get plain data
(include/ins_report/alerts/messages/run.py) and never see a context.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pendulum

from include.ins_report.airflow_edge.context import report_week_of, task_states
from include.ins_report.alerts.messages.run import FailedTask, RunFacts
from include.ins_report.joblog import FailureDetail
from include.ins_report.model.week import ReportWeek
from include.ins_report.store.oracle_errors import describe_error

log = logging.getLogger(__name__)

FAILURE_XCOM = "ins_failure"  # a failed task's FailureDetail (as_dict) and why its job-log row is missing


# --- a failed task (task callbacks) ------------------------------------------------------------------


def failure_detail(context: dict, farms: tuple[str, ...] = ()) -> FailureDetail:
    """The failed (or retried) task instance and its own exception, as the job log records it."""
    ti = context["ti"]
    map_index = getattr(ti, "map_index", -1)
    map_index = -1 if map_index is None else int(map_index)
    label = ""
    if map_index >= 0:
        location = mapped_location(context)
        label = getattr(ti, "rendered_map_index", None) or location.get("label") or str(map_index)
    max_tries = getattr(ti, "max_tries", None)
    return FailureDetail(
        error=describe_error(context.get("exception")),
        task_id=ti.task_id,
        map_index=map_index,
        label=str(label),
        farms=farms,
        try_number=getattr(ti, "try_number", None),
        tries=max_tries + 1 if isinstance(max_tries, int) and max_tries >= 0 else None,
    )


def mapped_location(context: dict) -> dict:
    """The weather location a mapped instance was given (its op_kwargs), or {}."""
    try:
        location = context["task"].op_kwargs.get("location")
    except (KeyError, AttributeError, TypeError):
        return {}
    return location if isinstance(location, dict) else {}


def store_failure(context: dict, detail: FailureDetail, job_log_error: str = "") -> None:
    """Keep the failed try's detail with the task instance (an XCom), the data its job-log row was written
    from, so that the run's failure alert reads it; ``job_log_error``: why the row could not be written."""
    context["ti"].xcom_push(key=FAILURE_XCOM, value={**detail.as_dict(), "job_log_error": job_log_error})


# --- the run (DAG callbacks and the deadline) --------------------------------------------------------


def _instant(value: Any) -> pendulum.DateTime | None:
    if not value:
        return None
    try:
        return pendulum.instance(value) if isinstance(value, dt.datetime) else pendulum.parse(str(value))
    except (ValueError, TypeError):
        return None


def _week(context: dict) -> ReportWeek | None:
    try:
        return report_week_of(context)
    except (ValueError, TypeError):
        return None


def week_key(context: dict) -> str:
    """TS_INS_JOB_LOG.REPORT_WEEK of the context's run, or what the run was given when it names no week."""
    week = _week(context)
    if week:
        return week.key
    return str((context.get("params") or {}).get("week") or "UNKNOWN")[:32]


def failed_tasks(context: dict) -> tuple[FailedTask, ...]:
    """The run's failed task instances as their task callbacks stored them (``FAILURE_XCOM``); () when the
    context has no task instance or its XComs cannot be read (dag.test() runs DAG callbacks without the
    supervisor channel XComs are read through)."""
    ti = context.get("ti")
    if ti is None or not hasattr(ti, "xcom_pull"):
        return ()
    try:
        failed = [task for task, state in task_states(context).items() if state == "failed"]
    except Exception:  # e.g. dag.test's in-process callbacks: fall back to the run's last task
        failed = [ti.task_id]
    found = []
    for task_id in failed:
        try:
            values = ti.xcom_pull(task_ids=task_id, key=FAILURE_XCOM)  # every map index of the task
        except Exception as exc:
            log.warning("failure of %s not readable from XCom: %s", task_id, exc)
            continue
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, dict):
                data = dict(value)
                why = str(data.pop("job_log_error", "") or "")
                found.append(FailedTask(FailureDetail.from_dict(data), why))
    return tuple(found)


def run_facts(context: dict | None) -> RunFacts:
    """The run of a DAG callback's context, or of a deadline callback's (its ``dag_run`` is a dict)."""
    context = dict(context or {})
    dag_run = context.get("dag_run")
    if isinstance(dag_run, dict):  # the deadline callback (triggerer)
        week_context = {
            "data_interval_end": _instant(dag_run.get("data_interval_end")),
            "params": dag_run.get("conf") or {},
        }
        return RunFacts(
            run_id=str(dag_run.get("dag_run_id") or dag_run.get("run_id") or "?"),
            week=_week(week_context),
            week_key=week_key(week_context),
            state=str(dag_run.get("state") or "?"),
            queued_at=_instant(dag_run.get("queued_at")),
            started_at=_instant(dag_run.get("start_date")),
            deadline_time=str((context.get("deadline") or {}).get("deadline_time") or "") or None,
        )
    return RunFacts(
        run_id=str(context.get("run_id")),
        week=_week(context),
        week_key=week_key(context),
        reason=str(context.get("reason") or ""),
        state=str(getattr(dag_run, "state", "") or ""),
        failed_tasks=failed_tasks(context),
    )
