"""The failure paths around the alerts: Oracle errors classified once for every step and callback, the farm
database's refused login not tried again, a lost alert recorded in the job log, and the deadline read from
the run's current attempt only."""

from __future__ import annotations

import json
import sqlite3

import oracledb
import pytest
from airflow.sdk.definitions.retry_policy import RetryAction
from oracledb import errors as oracledb_errors

from include.ins_report import joblog
from include.ins_report.airflow_edge import callbacks
from include.ins_report.airflow_edge.callbacks import FarmDbRetryPolicy
from include.ins_report.airflow_edge.failures import run_facts
from include.ins_report.alerts import channels
from include.ins_report.alerts import notifier as notifier_module
from include.ins_report.alerts.deadline import current_attempt, should_send
from include.ins_report.alerts.notifier import ALERT_STEP, InsAlertNotifier
from include.ins_report.joblog.registry import JOB_NAME
from include.ins_report.store import oracle_errors
from include.ins_report.store.oracle_errors import ACCESS, OTHER, TRANSIENT
from tests.support.task_instance import FakeTaskInstance
from tests.unit.test_alerts import (
    RUN,
    await_deadline_notifier,
    capture_channels,
    context,
    deadline_context,
    ora_error,
    run_log,
    write,
)
from tests.unit.test_oracle_contract import FARM_DB, RecordingOracle


@pytest.fixture
def oracle_db(monkeypatch) -> RecordingOracle:
    """farm_db on Oracle, python-oracledb's connect recorded (test_oracle_contract.py's ``oracle``)."""
    recorder = RecordingOracle()
    monkeypatch.setattr(oracledb, "connect", recorder.connect)
    monkeypatch.setenv("AIRFLOW_CONN_FARM_DB", json.dumps(FARM_DB))
    return recorder


def driver_error(name: str, **kwargs) -> Exception:
    """A python-oracledb error as the driver raises it (its own DPY- code and message)."""
    error = oracledb_errors._create_err(getattr(oracledb_errors, name), **kwargs)
    return error.exc_type(error)


def caused(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


# --- one catalogue ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ora_error("ORA-01017: invalid credential or not authorized; logon denied", 1017), ACCESS),
        (ora_error("ORA-28000: The account is locked.", 28000), ACCESS),
        (ora_error("ORA-28001: the password has expired", 28001), ACCESS),
        (ora_error("ORA-01031: insufficient privileges", 1031), ACCESS),
        (ora_error("ORA-00942: table or view does not exist", 942), ACCESS),
        (caused(RuntimeError("the step failed"), ora_error("ORA-01017: logon denied", 1017)), ACCESS),
        (ora_error("ORA-03113: end-of-file on communication channel", 3113), TRANSIENT),
        ("ORA-03114: not connected to ORACLE", TRANSIENT),
        ("ORA-12170: TNS:Connect timeout occurred", TRANSIENT),
        ("ORA-12541: TNS:no listener", TRANSIENT),
        (driver_error("ERR_CONNECTION_CLOSED"), TRANSIENT),  # DPY-4011
        (
            "DPY-6005: cannot connect to database (CONNECTION_ID=x).\n[Errno 111] Connection refused",
            TRANSIENT,
        ),
        (ora_error("ORA-20001: SP_INS_WEEK_MAIN: no TM_WEATHER rows", 20001), OTHER),
        (ora_error("ORA-00054: resource busy", 54), OTHER),
        (sqlite3.OperationalError("database is locked"), OTHER),
        (ValueError("no code"), OTHER),
        (None, OTHER),
    ],
)
def test_every_oracle_error_has_one_kind(error, kind):
    assert oracle_errors.error_kind(error) == kind


def test_a_refused_login_and_an_answered_call():
    assert oracle_errors.login_refused(ora_error("ORA-28000: The account is locked.", 28000))
    assert not oracle_errors.login_refused(ora_error("ORA-00942: table or view does not exist", 942))
    # The database answered the call with its error: the call has ended on the server.
    assert oracle_errors.server_answered(ora_error("ORA-20001: p_week is NULL", 20001))
    # The client gave up, or the connection was lost: the call may still run there.
    assert not oracle_errors.server_answered(driver_error("ERR_CALL_TIMEOUT_EXCEEDED", timeout=5000))
    assert not oracle_errors.server_answered(driver_error("ERR_CONNECTION_CLOSED"))
    assert not oracle_errors.server_answered(TimeoutError("Timeout, PID: 1"))


def test_the_access_note_names_the_connection():
    note = oracle_errors.access_note(ora_error("ORA-01017: logon denied", 1017), "ins_farm")
    assert note == (
        "ORA-01017 on connection ins_farm: invalid user name or password: fix the ins_farm connection; not "
        "retried (another login would count towards locking the account)"
    )
    grant = oracle_errors.access_note("ORA-01031: insufficient privileges", "farm_db")
    assert grant.endswith("not retried (a retry cannot grant it)")
    assert oracle_errors.access_note(ora_error("ORA-20001: x", 20001)) == ""


@pytest.mark.parametrize(
    ("error", "action"),
    [
        (ora_error("ORA-01017: invalid credential or not authorized; logon denied", 1017), RetryAction.FAIL),
        (ora_error("ORA-00942: table or view does not exist", 942), RetryAction.FAIL),
        (driver_error("ERR_CONNECTION_CLOSED"), RetryAction.RETRY),
        (ora_error("ORA-20001: x", 20001), RetryAction.DEFAULT),
        (ValueError("x"), RetryAction.DEFAULT),
    ],
)
def test_every_task_decides_its_retry_from_the_catalogue(error, action):
    """The DAG's default_args carry FarmDbRetryPolicy (tests/dags): Airflow asks it in the worker."""
    decision = FarmDbRetryPolicy("farm_db").evaluate(error, try_number=1, max_tries=4)
    assert decision.action == action
    if action == RetryAction.FAIL:
        assert "on connection farm_db" in decision.reason


# --- the task callbacks and the failure alert ----------------------------------------------------------


def test_a_refused_login_is_not_tried_again_by_the_callback_or_the_alert(farm_db, monkeypatch):
    """ORA-01017 at start_job: the FAILED row is not attempted (another failed login on the account), the
    failure is kept with the task instance, and the failure alert names farm_db without a job-log read."""
    ti = FakeTaskInstance("start_job")
    error = ora_error("ORA-01017: invalid credential or not authorized; logon denied", 1017)
    callbacks.record_task_failure({**context(), "ti": ti, "exception": error})
    assert run_log(farm_db).rows == []  # SQLite would have taken it: not even tried
    (kept,) = ti.xcoms.values()
    assert kept["job_log_error"].startswith(
        "LoginRefused: not attempted: farm_db refused the login (ORA-01017)"
    )
    assert "[ORA-01017 on connection farm_db: invalid user name or password: fix the farm_db" in kept["error"]

    def no_login(*args):
        raise AssertionError("the job log must not be read: the login was refused")

    monkeypatch.setattr(notifier_module, "read_run_log", no_login)
    ti.get_task_states = lambda dag_id, run_ids: {run_ids[0]: {"start_job": "failed"}}
    sent = capture_channels(monkeypatch)
    InsAlertNotifier("failure")({**context(), "ti": ti, "reason": "task_failure"})
    (alert,) = sent
    (failure,) = alert.payload["failures"]
    assert failure["connection"] == "farm_db"
    assert failure["oracle_code"] == "ORA-01017"
    assert "Oracle error ORA-01017: invalid user name or password: fix the farm_db connection" in alert.text
    assert (
        "Job log: could not be written or read (not read: farm_db refused the login (ORA-01017))"
        in alert.text
    )


def test_a_privilege_error_is_written_with_the_connection_to_fix(farm_db):
    ti = FakeTaskInstance("check_collection")
    error = ora_error("ORA-00942: table or view does not exist", 942)
    callbacks.record_task_failure({**context(), "ti": ti, "exception": error})
    (row,) = run_log(farm_db).rows
    assert (row.step, row.status) == ("CHECK_COLLECTION", "FAILED")
    (kept,) = ti.xcoms.values()  # the detail the row was written from
    assert kept["error"].startswith("oracledb.DatabaseError: ORA-00942: table or view does not exist")
    assert row.message == f"{kept['error']} (task check_collection, try 1 of 1)"
    assert "ORA-00942 on connection farm_db:" in row.message
    assert "not retried (a retry cannot grant it)" in row.message


def test_a_report_task_lost_without_its_own_word_gets_the_query_to_check(oracle_db):
    """Killed, lost or timed out (the dag-processor's callback has no exception): on Oracle the FAILED row
    says how to see whether the call still runs; a failure the step explained itself gets no such guess."""
    from include.ins_report.steps.report_call import ReportNotCalled, client_identifier

    ti = FakeTaskInstance("run_weekly_report")
    callbacks.record_task_failure({**context(), "ti": ti, "exception": None})
    ((_, _, (row,)),) = oracle_db.statements()
    assert row["step_nm"] == "RUN_WEEKLY_REPORT"
    assert row["message"].startswith(
        "no exception reported: the task was killed, timed out or lost its heartbeat [the call may have been "
        "sent and may still be running on the database. Check with: SELECT SID, SERIAL#, STATUS, "
        f"LAST_CALL_ET, ACTION FROM V$SESSION WHERE CLIENT_IDENTIFIER = '{client_identifier(RUN)}'"
    )
    oracle_db.events.clear()
    explained = ReportNotCalled("the report procedure was not called: ...")
    callbacks.record_task_failure({**context(), "ti": ti, "exception": explained})
    ((_, _, (row,)),) = oracle_db.statements()
    assert "V$SESSION" not in row["message"]


def test_on_sqlite_a_lost_report_task_needs_no_check(farm_db):
    ti = FakeTaskInstance("run_weekly_report")
    callbacks.record_task_failure({**context(), "ti": ti, "exception": None})
    (row,) = run_log(farm_db).rows
    (kept,) = ti.xcoms.values()
    assert kept["error"] == "no exception reported: the task was killed, timed out or lost its heartbeat"
    assert row.message == f"{kept['error']} (task run_weekly_report, try 1 of 1)"


# --- a lost alert in the job log ----------------------------------------------------------------------


def test_an_alert_no_channel_took_is_recorded_where_the_db_monitoring_looks(farm_db, monkeypatch):
    token = "hook-SECRET-b41c"
    monkeypatch.setenv(
        "AIRFLOW_CONN_ALERT_WEBHOOK",
        json.dumps({"conn_type": "http", "host": f"http://hooks.example/x?t={token}"}),
    )

    def down(alert, settings, conn, budget):
        raise ConnectionError(f"cannot reach {conn.host}")

    monkeypatch.setitem(channels.SENDERS, "webhook", down)
    write(farm_db, "CHECK_COLLECTION", "FAILED", None, "x (task check_collection, try 4 of 4)")
    InsAlertNotifier("failure")({**context(), "reason": "task_failure"})
    (row,) = [row for row in farm_db.job_log(RUN) if row["step"] == ALERT_STEP]
    assert row["status"] == "FAILED"
    assert row["message"].startswith(
        "failure alert not delivered on any channel: webhook via alert_webhook ("
    )
    assert "ConnectionError: cannot reach" in row["message"]
    assert token not in row["message"]  # the webhook's URL is a credential
    with sqlite3.connect(farm_db.path) as conn:
        (week,) = conn.execute("SELECT REPORT_WEEK FROM TS_INS_JOB_LOG WHERE STEP_NM = 'ALERT'").fetchone()
        (job,) = conn.execute("SELECT JOB_NM FROM TS_INS_JOB_LOG WHERE STEP_NM = 'ALERT'").fetchone()
    assert (week, job) == ("20261116", JOB_NAME)

    # The next alert of the run reads its steps, not the lost alert.
    sent = capture_channels(monkeypatch)
    InsAlertNotifier("failure")({**context(), "reason": "task_failure"})
    (alert,) = sent
    assert alert.payload["failed_steps"] == ["CHECK_COLLECTION"]
    assert len([row for row in farm_db.job_log(RUN) if row["step"] == ALERT_STEP]) == 1


def test_no_channel_configured_is_not_a_lost_alert(farm_db, monkeypatch):
    for name in ("AIRFLOW_CONN_SMTP_ALERTS", "AIRFLOW_CONN_SLACK_ALERTS", "AIRFLOW_CONN_ALERT_WEBHOOK"):
        monkeypatch.delenv(name, raising=False)
    InsAlertNotifier("failure")({**context(), "reason": "task_failure"})
    assert farm_db.job_log(RUN) == []


# --- the deadline reads the current attempt ------------------------------------------------------------


def failed_first_attempt(farm_db) -> None:
    """The run's first attempt: started 02:00 KST, failed at a station, FINISH_JOB FAILED at 02:40."""
    write(farm_db, "START_JOB", "SUCCESS", at="2026-11-23 02:00:03")
    write(
        farm_db,
        "COLLECT_STATION_WEATHER",
        "FAILED",
        None,
        "x (task t, map 1, try 4 of 4)",
        at="2026-11-23 02:30:00",
    )
    write(
        farm_db,
        "FINISH_JOB",
        "FAILED",
        None,
        joblog.FinishMessage(False, ("t",)).text(),
        at="2026-11-23 02:40:00",
    )


def cleared_at(state: str, queued_at: str | None = "2026-11-22T19:00:00Z") -> dict:
    """The deadline callback's context after the run was cleared and queued again (04:00 KST)."""
    ctx = deadline_context(state)
    ctx["dag_run"] = {**ctx["dag_run"], "queued_at": queued_at, "start_date": queued_at}
    return ctx


def test_a_cleared_run_that_runs_again_past_its_deadline_gets_its_deadline_alert(farm_db, monkeypatch):
    failed_first_attempt(farm_db)
    write(
        farm_db,
        "COLLECT_STATION_WEATHER",
        "SUCCESS",
        14,
        "203 이천 (2 farms): 7 days, 14 rows",
        at="2026-11-23 04:05:00",
    )
    sent = capture_channels(monkeypatch)
    assert "deadline alert sent via webhook" in await_deadline_notifier(cleared_at("running"))
    (alert,) = sent
    assert "Finish: record the outcome: not done yet" in alert.text  # the first attempt's FAILED is history
    assert alert.payload["steps_done"] == ["COLLECT_STATION_WEATHER"]

    # The current attempt fails too (its own FINISH_JOB FAILED): no deadline alert, the failure alert is due.
    write(
        farm_db,
        "FINISH_JOB",
        "FAILED",
        None,
        joblog.FinishMessage(False, ("t",)).text(),
        at="2026-11-23 05:00:00",
    )
    assert "not sent" in await_deadline_notifier(cleared_at("running"))
    assert len(sent) == 1


def test_the_current_attempt_is_read_from_the_queued_time_or_else_the_last_start(farm_db):
    failed_first_attempt(farm_db)
    write(farm_db, "START_JOB", "SUCCESS", at="2026-11-23 04:00:10")  # the whole run cleared
    full = run_log(farm_db)
    assert not should_send(run_facts(deadline_context("running")), full)  # what the whole log says
    by_time = current_attempt(run_facts(cleared_at("running")), full)
    assert [row.step for row in by_time.rows] == ["START_JOB"]
    no_times = run_facts(cleared_at("running", queued_at=None))
    by_start = current_attempt(no_times, full)
    assert [(row.step, row.started_at) for row in by_start.rows] == [("START_JOB", "2026-11-23 04:00:10")]
    assert should_send(no_times, by_start)
