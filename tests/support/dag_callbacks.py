"""DAG callbacks under ``dag.test()`` as the dag-processor runs them: with the supervisor channel through
which their ``ti`` reads XComs and the run's task states. ``dag.test()`` runs a DAG's callbacks in its own
process without one, and the failure alert reads the failed tasks' XComs
(include/ins_report/airflow_edge/failures.py)."""

from __future__ import annotations

import os
from typing import Any


def with_supervisor_channel(callback: Any) -> Any:
    """``callback`` (a DAG callback or a list of them) run inside an in-process supervisor channel, the one
    Airflow's ``dag.test()`` gives its tasks (``InProcessTestSupervisor``)."""
    if callback is None:
        return None
    if isinstance(callback, list):
        return [with_supervisor_channel(each) for each in callback]

    def run(context: dict) -> Any:
        import psutil
        import structlog
        from airflow.sdk.execution_time.supervisor import (
            InProcessSupervisorComms,
            InProcessTestSupervisor,
            set_supervisor_comms,
        )

        ti = context.get("ti")
        if ti is None:
            return callback(context)
        supervisor = InProcessTestSupervisor(
            id=ti.id,
            pid=os.getpid(),
            process=psutil.Process(),
            process_log=structlog.get_logger(logger_name="task").bind(),
            client=InProcessTestSupervisor._api_client(),
        )
        supervisor.comms = InProcessSupervisorComms(supervisor=supervisor)
        with set_supervisor_comms(supervisor.comms):
            return callback(context)

    return run


def dag_test(dag: Any, **kwargs: Any) -> Any:
    """``dag.test(**kwargs)`` with the DAG's failure and success callbacks given the supervisor channel."""
    dag.on_failure_callback = with_supervisor_channel(dag.on_failure_callback)
    dag.on_success_callback = with_supervisor_channel(dag.on_success_callback)
    return dag.test(**kwargs)
