"""What the alert messages know of a run besides its job log, as plain data: the Airflow layer builds it from
a DAG or deadline callback's context (include/ins_report/airflow_edge/failures.py ``run_facts``), the messages
only read it, so that they stay below the Airflow layer."""

from __future__ import annotations

from dataclasses import dataclass

import pendulum

from include.ins_report.joblog import FailureDetail
from include.ins_report.model.week import ReportWeek


@dataclass(frozen=True)
class FailedTask:
    """A failed task instance as its task callback stored it (its XCom), and why its job-log row is missing
    ("" when the row was written)."""

    detail: FailureDetail
    job_log_error: str = ""


@dataclass(frozen=True)
class RunFacts:
    """The run an alert is about."""

    run_id: str
    week: ReportWeek | None
    week_key: str  # the week as the job log keys it, or what the run was given
    reason: str = ""
    state: str = ""
    queued_at: pendulum.DateTime | None = None
    started_at: pendulum.DateTime | None = None
    deadline_time: str | None = None
    # The run's failed task instances, read from their XComs; () where none can be read (the deadline
    # callback, a callback without a task instance): the failure alert then shows the job log's rows as text.
    failed_tasks: tuple[FailedTask, ...] = ()
