"""The legacy-job guard: the Oracle scheduler job and the DAG never both build the report.

Runs against the recording fake of python-oracledb (test_oracle_contract.py) behind a real ``oracle``
connection, so the statement and binds are the ones the guard really sends.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from include.ins_report.airflow_edge.connections import farm_database
from include.ins_report.config.settings import Settings
from include.ins_report.model.errors import PermanentError
from include.ins_report.model.week import ReportWeek
from include.ins_report.steps import cutover
from include.ins_report.steps.context import StepContext
from include.ins_report.steps.cutover import DISABLE_SCRIPT, LegacyJobEnabledError, check_legacy_job
from include.ins_report.steps.report import run_weekly_report
from include.ins_report.store.sqlfiles import load_sql
from tests.support.steps import step_context
from tests.unit.test_oracle_contract import FakeDatabaseError, RecordingOracle, oracle  # noqa: F401  (fixture)

STATE_SQL = load_sql("oracle", "legacy_job_state")
SESSIONS_SQL = load_sql("oracle", "report_sessions")  # the report step's check for a call still running
BEGIN = "BEGIN SP_INS_WEEK_MAIN(:1,:2); END;"
OWN = ("INS_APP", "JOB_INS_WEEKLY_REPORT", "TRUE", "SCHEDULED")
OWN_DISABLED = ("INS_APP", "JOB_INS_WEEKLY_REPORT", "FALSE", "DISABLED")
OTHER = ("INSOWNER", "JOB_INS_WEEKLY_REPORT", "TRUE", "SCHEDULED")


@pytest.fixture
def guarded(oracle: RecordingOracle, monkeypatch) -> RecordingOracle:  # noqa: F811
    monkeypatch.delenv("INS_LEGACY_JOB_GUARD", raising=False)  # the default: fail
    monkeypatch.delenv("INS_LEGACY_JOB_NAME", raising=False)
    # The fake answers (0,) to every other query: no report table to reconcile (tested in test_gate.py).
    monkeypatch.setenv("INS_RECONCILE_REPORT", "off")
    return oracle


def answer(recorder: RecordingOracle, rows: list[tuple]) -> None:
    def respond(sql: str, params: Any) -> list[tuple]:
        return rows if sql == STATE_SQL else [(0,)]

    recorder.responder = respond


def state_queries(recorder: RecordingOracle) -> list[tuple]:
    return [(sql, params) for _, sql, params in recorder.statements() if sql == STATE_SQL]


def test_fail_mode_is_the_default_and_says_how_to_disable_the_job(guarded):
    answer(guarded, [OWN])
    with pytest.raises(LegacyJobEnabledError) as raised:
        check_legacy_job(farm_database("farm_db"))
    assert isinstance(raised.value, PermanentError)  # no retry: retrying cannot change it
    message = str(raised.value)
    assert "INS_APP.JOB_INS_WEEKLY_REPORT (state SCHEDULED) is still enabled" in message
    assert "BEGIN DBMS_SCHEDULER.DISABLE('INS_APP.JOB_INS_WEEKLY_REPORT'); END;" in message
    assert DISABLE_SCRIPT in message
    assert "INS_LEGACY_JOB_GUARD=warn" in message
    assert state_queries(guarded) == [(STATE_SQL, {"job_name": "JOB_INS_WEEKLY_REPORT"})]
    assert [event[0] for event in guarded.events] == ["connect", "cursor", "execute", "commit", "close"]


def test_warn_mode_returns_the_warning_and_logs_it(guarded, caplog):
    answer(guarded, [OWN])
    with caplog.at_level(logging.WARNING, logger=cutover.__name__):
        message = check_legacy_job(farm_database("farm_db"), "warn")
    assert message
    assert "is still enabled" in message
    assert "called anyway" in message
    assert message in caplog.text


def test_off_mode_does_not_query(guarded):
    answer(guarded, [OWN])
    assert check_legacy_job(farm_database("farm_db"), "off") is None
    assert guarded.events == []  # not even a connection


@pytest.mark.parametrize("mode", ["fail", "warn"])
@pytest.mark.parametrize("rows", [[OWN_DISABLED], []], ids=["disabled", "absent"])
def test_disabled_or_absent_job_passes(guarded, mode, rows):
    answer(guarded, rows)
    assert check_legacy_job(farm_database("farm_db"), mode) is None
    assert len(state_queries(guarded)) == 1


def test_a_job_of_another_schema_is_named_with_its_owner(guarded):
    answer(guarded, [OWN_DISABLED, OTHER])
    with pytest.raises(LegacyJobEnabledError, match=r"DISABLE\('INSOWNER.JOB_INS_WEEKLY_REPORT'\)") as raised:
        check_legacy_job(farm_database("farm_db"))
    assert "INS_APP.JOB_INS_WEEKLY_REPORT" not in str(raised.value)  # the disabled one is not blamed


def test_mode_and_job_name_from_the_environment(guarded, monkeypatch):
    monkeypatch.setenv("INS_LEGACY_JOB_GUARD", " Warn ")
    monkeypatch.setenv("INS_LEGACY_JOB_NAME", "job_ins_weekly_legacy")
    answer(guarded, [("INS_APP", "JOB_INS_WEEKLY_LEGACY", "TRUE", "SCHEDULED")])
    assert "JOB_INS_WEEKLY_LEGACY" in check_legacy_job(farm_database("farm_db"))
    assert state_queries(guarded) == [(STATE_SQL, {"job_name": "JOB_INS_WEEKLY_LEGACY"})]


def test_an_unknown_mode_is_refused(guarded, monkeypatch):
    # From the environment: when the settings are read (the DAG's import), not at the report step.
    monkeypatch.setenv("INS_LEGACY_JOB_GUARD", "maybe")
    with pytest.raises(ValueError, match="INS_LEGACY_JOB_GUARD must be one of fail, warn, off, got 'maybe'"):
        Settings.from_env()
    monkeypatch.delenv("INS_LEGACY_JOB_GUARD")
    # Passed by a caller: at the step, before any query.
    with pytest.raises(PermanentError, match="INS_LEGACY_JOB_GUARD='maybe' is not one of fail, warn, off"):
        check_legacy_job(farm_database("farm_db"), "maybe")
    assert guarded.events == []


def test_a_failed_check_raises_in_fail_mode_and_warns_in_warn_mode(guarded):
    guarded.failure = lambda method, sql, params: FakeDatabaseError("ORA-00942: table or view does not exist")
    with pytest.raises(FakeDatabaseError, match="ORA-00942"):
        check_legacy_job(farm_database("farm_db"), "fail")
    assert "not checked (ORA-00942" in check_legacy_job(farm_database("farm_db"), "warn")


def test_sqlite_has_no_scheduler_job(farm_db, monkeypatch):
    monkeypatch.delenv("INS_LEGACY_JOB_GUARD", raising=False)
    assert check_legacy_job(farm_db) is None


# --- wired into the report step --------------------------------------------------------------------------


def report_context() -> StepContext:
    return step_context(ReportWeek(dt.date(2026, 11, 16)), Settings.from_env(), run_id="r1")


def test_an_enabled_job_stops_the_report_before_the_procedure(guarded):
    answer(guarded, [OWN])
    with pytest.raises(LegacyJobEnabledError):
        run_weekly_report(report_context())
    assert [sql for _, sql, _ in guarded.statements()] == [STATE_SQL]  # no BEGIN SP_INS_WEEK_MAIN, no log row


def test_warn_mode_calls_the_procedure_and_keeps_the_warning_in_the_job_log(guarded, monkeypatch):
    monkeypatch.setenv("INS_LEGACY_JOB_GUARD", "warn")
    answer(guarded, [OWN])
    run_weekly_report(report_context())
    sqls = [sql for _, sql, _ in guarded.statements()]
    assert sqls[:4] == [STATE_SQL, load_sql("oracle", "manifest_farms"), SESSIONS_SQL, BEGIN]
    (row,) = guarded.statements()[-1][2]
    assert row["step_nm"] == "RUN_WEEKLY_REPORT"
    assert "is still enabled" in row["message"]


def test_a_disabled_job_lets_the_report_run(guarded):
    answer(guarded, [OWN_DISABLED])
    run_weekly_report(report_context())
    sqls = [sql for _, sql, _ in guarded.statements()]
    assert sqls[:4] == [STATE_SQL, load_sql("oracle", "manifest_farms"), SESSIONS_SQL, BEGIN]
