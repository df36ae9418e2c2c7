"""Task callbacks: the FAILED and RETRY rows of TS_INS_JOB_LOG, in ``joblog.FailureDetail``'s format.

They run in the task's process (or in the dag-processor when a task died without reporting) and never raise.
When the farm database cannot take the row, the failure is kept with the task instance instead
(``airflow_context.keep_failure``), so that the run's failure alert (alerts/notifier.py) still names the
task and its error and says the job log could not be written. The admins' alerts are the notifier's.
"""

from __future__ import annotations

import datetime as dt
import logging

import pendulum

from include.ins_report import airflow_context, joblog
from include.ins_report.alerts.failure import next_action
from include.ins_report.joblog import FAILED, RETRY
from include.ins_report.secrets import api_secrets, redact
from include.ins_report.settings import TIMEZONE, Settings
from include.ins_report.warehouse import Warehouse

log = logging.getLogger(__name__)


def _farms(context: dict) -> tuple[str, ...]:
    """The farm numbers of a mapped weather task's location; () when they cannot be read."""
    location = airflow_context.mapped_location(context)
    if not location:
        return ()
    try:
        return airflow_context.planned_location(context, location).farm_nos
    except Exception as exc:
        log.warning("farms of %s not found for the job log: %s", location.get("label"), exc)
        return ()


def _record(context: dict, status: str) -> None:
    try:
        settings = Settings.from_env()
        ti = context["ti"]
        detail = airflow_context.failure_detail(context, _farms(context) if ti.map_index >= 0 else ())
        secrets = api_secrets(settings)
        detail = joblog.FailureDetail(**{**detail.as_dict(), "error": redact(detail.error, secrets)})
        step = airflow_context.step_of(ti.task_id)
        message = detail.message()
    except Exception:
        log.exception("the %s row for TS_INS_JOB_LOG could not be built", status)
        return
    try:
        started = getattr(ti, "start_date", None)
        Warehouse(settings.farm_db_conn_id).log_step(
            run_id=context["run_id"],
            report_week=airflow_context.week_key(context),
            step=step,
            status=status,
            started_at=pendulum.instance(started).in_timezone(TIMEZONE).strftime(joblog.TIME_FORMAT)
            if started
            else None,
            message=message,
        )
    except Exception as exc:
        why = redact(f"{type(exc).__name__}: {exc}", secrets)
        log.error("could not write the %s row to TS_INS_JOB_LOG: %s", status, why)
        if status == FAILED:
            try:
                airflow_context.keep_failure(context, detail, why)
            except Exception as keep_exc:
                log.error("the failure could not be kept for the alert either: %s", keep_exc)
    if status == FAILED:
        # The operator reading this task's log in the UI gets the same advice as the alert.
        row = joblog.LogRow(0, step, status, None, None, None, message)
        advice = next_action(row, [detail.label] if detail.label else []).replace(" (links above)", "")
        log.error("What to do: %s", advice)


def record_task_failure(context: dict) -> None:
    """Task on_failure_callback: the task failed for good (its retries, if any, are used up)."""
    _record(context, FAILED)


def record_task_retry(context: dict) -> None:
    """Task on_retry_callback: a RETRY row only; the admins hear of it only if the run fails."""
    _record(context, RETRY)


def task_defaults(settings: Settings) -> dict:
    """Every task's retries, timeout and job-log callbacks, for the DAG's ``default_args`` (the product's DAG
    and the benchmark's baseline read the same ones)."""
    return {
        "owner": "ins-data-platform",
        "retries": settings.task_retries,
        "retry_delay": dt.timedelta(seconds=settings.retry_delay_seconds),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": dt.timedelta(hours=1),
        "execution_timeout": dt.timedelta(hours=1),
        "on_failure_callback": record_task_failure,
        "on_retry_callback": record_task_retry,
    }
