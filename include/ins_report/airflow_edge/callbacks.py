"""Task callbacks: the FAILED and RETRY rows of TS_INS_JOB_LOG, and the failed try's XCom, both written from
one ``joblog.FailureDetail``; and every task's retry decision for the farm database's errors
(``FarmDbRetryPolicy``).

They run in the task's process (or in the dag-processor when a task died without reporting) and never raise.
A FAILED try's detail is kept with the task instance as data (``failures.store_failure``), with why the row
is missing when the farm database could not take it, so that the run's failure alert (alerts/notifier.py)
reads the failure itself and says when the job log could not be written. A RETRY gets its row only: Airflow
clears a task instance's XComs when its next try starts, and the alert reads failed tasks only. The admins'
alerts are the notifier's.

An Oracle error is classified once (include/ins_report/store/oracle_errors.py): a credential or privilege
error fails the task at once, and its row names the connection to fix; a refused login is not followed by
another login to write the row (it would count towards locking the account); a report task that died or
timed out without its own word gets the query that shows whether its call still runs (report_call.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import pendulum
from airflow.sdk.definitions.retry_policy import RetryDecision, RetryPolicy
from airflow.sdk.exceptions import AirflowFailException

from include.ins_report import joblog
from include.ins_report.airflow_edge import context as airflow_context
from include.ins_report.airflow_edge.connections import farm_database
from include.ins_report.airflow_edge.failures import failure_detail, mapped_location, store_failure, week_key
from include.ins_report.airflow_edge.secrets import api_secrets, redact
from include.ins_report.config.settings import TIMEZONE, Settings
from include.ins_report.joblog import FAILED, REPORT, RETRY
from include.ins_report.model.errors import PermanentError
from include.ins_report.steps.report_call import client_identifier, may_still_run_note
from include.ins_report.store.oracle_errors import (
    ACCESS,
    TRANSIENT,
    access_note,
    error_kind,
    login_refused,
    oracle_code,
    oracle_codes,
    oracle_hint,
)

log = logging.getLogger(__name__)


def _farms(context: dict) -> tuple[str, ...]:
    """The farm numbers of a mapped weather task's location; () when they cannot be read."""
    location = mapped_location(context)
    if not location:
        return ()
    try:
        return airflow_context.planned_location(context, location).farm_nos
    except Exception as exc:
        log.warning("farms of %s not found for the job log: %s", location.get("label"), exc)
        return ()


def _note(context: dict, settings: Settings) -> str:
    """What the row adds to the task's own error: the connection of a credential or privilege error; for a
    report task that failed without its step's own word (killed, lost, timed out), the query that shows
    whether its call may still run (Oracle)."""
    exception = context.get("exception")
    access = access_note(exception, settings.farm_db_conn_id)
    if access:
        return f" [{access}]"
    if context["ti"].task_id != REPORT.task_id or isinstance(
        exception, (AirflowFailException, PermanentError)
    ):
        return ""
    try:
        server_side = farm_database(settings.farm_db_conn_id).dialect.report_is_procedure
    except Exception:
        server_side = True
    if not server_side:
        return ""
    return f" [{may_still_run_note(client_identifier(context['run_id']), sent=False)}]"


def _record_failed_try(context: dict, status: str) -> None:
    try:
        settings = Settings.from_env()
        ti = context["ti"]
        detail = failure_detail(context, _farms(context) if ti.map_index >= 0 else ())
        secrets = api_secrets(settings)
        detail = dataclasses.replace(detail, error=redact(detail.error + _note(context, settings), secrets))
        step = airflow_context.step_of(ti.task_id)
        message = detail.message()
    except Exception:
        log.exception("the %s row for TS_INS_JOB_LOG could not be built", status)
        return
    job_log_error = ""
    try:
        refused = context.get("exception")
        if login_refused(refused):
            codes = ", ".join(code for code in oracle_codes(refused) if code.startswith("ORA-"))
            raise LoginRefused(
                f"not attempted: {settings.farm_db_conn_id} refused the login ({codes}), and another "
                "login would count towards locking the account"
            )
        started = getattr(ti, "start_date", None)
        farm_database(settings.farm_db_conn_id).log_step(
            run_id=context["run_id"],
            report_week=week_key(context),
            step=step,
            status=status,
            started_at=pendulum.instance(started).in_timezone(TIMEZONE).strftime(joblog.TIME_FORMAT)
            if started
            else None,
            message=message,
        )
    except Exception as exc:
        job_log_error = redact(f"{type(exc).__name__}: {exc}", secrets)
        log.error("could not write the %s row to TS_INS_JOB_LOG: %s", status, job_log_error)
    if status == FAILED:
        try:
            store_failure(context, detail, job_log_error)
        except Exception as keep_exc:
            log.error("the failure could not be kept with the task instance for the alert: %s", keep_exc)
        # The operator reading this task's log in the UI gets the same advice as the alert.
        code = oracle_code(detail.error)
        advice = joblog.next_action(
            joblog.step_for_task(ti.task_id),
            [detail.label] if detail.label else [],
            code,
            oracle_hint(code, settings.farm_db_conn_id),
        )
        log.error("What to do: %s", advice.replace(" (links above)", ""))


class LoginRefused(Exception):
    """The farm database refused the task's login: the callback does not try another one."""


def record_task_failure(context: dict) -> None:
    """Task on_failure_callback: the task failed for good (its retries, if any, are used up)."""
    _record_failed_try(context, FAILED)


def record_task_retry(context: dict) -> None:
    """Task on_retry_callback: a RETRY row only; the admins hear of it only if the run fails."""
    _record_failed_try(context, RETRY)


class FarmDbRetryPolicy(RetryPolicy):
    """Airflow's retry decision for the farm database's errors (Airflow 3.3 ``retry_policy``, evaluated in
    the worker), from the one catalogue: a credential or privilege error fails the task at once (a retry
    cannot fix it, and each login counts towards locking the account); a lost connection is retried; any
    other error as the task's ``retries`` say. Airflow never consults it for an AirflowFailException."""

    def __init__(self, conn_id: str = "farm_db") -> None:
        self.conn_id = conn_id

    def evaluate(self, exception, try_number, max_tries, context=None) -> RetryDecision:
        kind = error_kind(exception)
        if kind == ACCESS:
            return RetryDecision.fail(reason=access_note(exception, self.conn_id))
        if kind == TRANSIENT:
            codes = ", ".join(oracle_codes(exception))
            return RetryDecision.retry(reason=f"the connection {self.conn_id} was lost or refused ({codes})")
        return RetryDecision.default()

    def serialize(self) -> dict:
        return {"__type": type(self).__name__, "conn_id": self.conn_id}

    @classmethod
    def deserialize(cls, data: dict) -> FarmDbRetryPolicy:
        return cls(data.get("conn_id", "farm_db"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FarmDbRetryPolicy) and other.conn_id == self.conn_id

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.conn_id))


def task_defaults(settings: Settings) -> dict:
    """Every task's retries, retry decision, timeout and job-log callbacks, for the DAG's ``default_args``
    (the product's DAG and the benchmark's baseline read the same ones)."""
    return {
        "owner": "ins-data-platform",
        "retries": settings.task_retries,
        "retry_delay": dt.timedelta(seconds=settings.retry_delay_seconds),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": dt.timedelta(hours=1),
        "retry_policy": FarmDbRetryPolicy(settings.farm_db_conn_id),
        "execution_timeout": dt.timedelta(hours=1),
        "on_failure_callback": record_task_failure,
        "on_retry_callback": record_task_retry,
    }
