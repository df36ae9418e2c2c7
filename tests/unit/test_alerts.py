"""The alerts' content and the job-log contract, without Airflow runs: error classes and ORA codes, the
failure / deadline / digest texts built from a real SQLite job log and the failed tasks' XComs, the deadline
setting, and the last-weeks query of docs/operations.md. The FAILED / RETRY row itself:
test_joblog_failure_contract.py."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3

import oracledb
import pytest
from oracledb.errors import _Error as OracleErrorDetail

from include.ins_report import joblog
from include.ins_report.airflow_edge import secrets
from include.ins_report.airflow_edge.failures import run_facts, store_failure
from include.ins_report.alerts import channels
from include.ins_report.alerts.channels import parse_channels
from include.ins_report.alerts.deadline import build_deadline_alert, deadline_interval, report_deadline
from include.ins_report.alerts.messages.alert import Alert
from include.ins_report.alerts.messages.digest import build_digest
from include.ins_report.alerts.messages.failure import build_failure_alert
from include.ins_report.alerts.notifier import InsAlertNotifier
from include.ins_report.config.settings import SQL_DIR, Settings
from include.ins_report.joblog import FailureDetail, RunLog
from include.ins_report.joblog.registry import JOB_NAME
from include.ins_report.model import clock
from include.ins_report.store import oracle_errors
from include.ins_report.store.farm_db import FarmDatabase
from tests.conftest import ROOT
from tests.support.task_instance import FakeTaskInstance

RUN = "manual__2026-11-24T01:00:00+00:00"
WEEK = "20261116"


def ora_error(message: str, code: int) -> oracledb.DatabaseError:
    return oracledb.DatabaseError(OracleErrorDetail(message, code=code))


# --- error classes and ORA codes -----------------------------------------------------------------


def test_error_class_names_the_library():
    assert oracle_errors.error_class(ora_error("ORA-20001: x", 20001)) == "oracledb.DatabaseError"
    assert oracle_errors.error_class(sqlite3.OperationalError("locked")) == "sqlite3.OperationalError"
    assert oracle_errors.error_class(ValueError("x")) == "ValueError"
    assert oracle_errors.describe_error(None).startswith("no exception reported")
    assert oracle_errors.describe_error(ValueError()) == "ValueError: ValueError()"


def test_oracle_code_from_the_driver_error_its_causes_or_a_message():
    error = ora_error('ORA-20001: SP_INS_WEEK_MAIN failed\nORA-06512: at "INS.SP_INS_WEEK_MAIN"', 20001)
    assert oracle_errors.oracle_code(error) == "ORA-20001"
    wrapped = RuntimeError("the report call failed")
    wrapped.__cause__ = error
    assert oracle_errors.oracle_code(wrapped) == "ORA-20001"
    assert oracle_errors.oracle_code("DatabaseError: ORA-06550: line 1, column 7:\nPLS-00201") == "ORA-06550"
    assert oracle_errors.oracle_code("DPY-6005: cannot connect to database") == "DPY-6005"
    assert oracle_errors.oracle_code(ValueError("no code")) is None
    assert oracle_errors.oracle_code("ORA-1") is None


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("ORA-20001", "raised by the procedure itself (RAISE_APPLICATION_ERROR)"),
        ("ORA-20999", "raised by the procedure itself"),
        ("ORA-01017", "invalid user name or password: fix the farm_db connection"),
        ("ORA-06550", "PL/SQL compilation error"),
        ("ORA-99999", "see the Oracle error reference"),
        ("DPY-6005", "python-oracledb driver error"),
        (None, ""),
    ],
)
def test_oracle_hints(code, hint):
    assert hint in oracle_errors.oracle_hint(code)


# --- the deadline setting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "interval"),
    [
        ("12:30", dt.timedelta(hours=10, minutes=30)),  # 02:00 trigger + 10 h 30 = Monday 12:30 KST
        ("23:59", dt.timedelta(hours=21, minutes=59)),
        ("45s", dt.timedelta(seconds=45)),
        ("30m", dt.timedelta(minutes=30)),
        (" 10h ", dt.timedelta(hours=10)),
        ("off", None),
        ("", None),
    ],
)
def test_deadline_interval(value, interval):
    assert deadline_interval(value) == interval


@pytest.mark.parametrize("value", ["01:30", "02:00", "24:00", "12:75", "soon", "0s", "-5m", "12h30"])
def test_deadline_interval_rejects_with_a_message(value):
    with pytest.raises(ValueError, match="INS_REPORT_DEADLINE"):
        deadline_interval(value)


def test_the_default_deadline_is_an_async_callback_12_30_kst_after_queueing():
    from airflow.sdk import AsyncCallback, DeadlineReference

    alert = report_deadline(Settings())
    assert alert.reference == DeadlineReference.DAGRUN_QUEUED_AT
    assert alert.interval == dt.timedelta(hours=10, minutes=30)
    assert isinstance(alert.callback, AsyncCallback)  # the triggerer runs it: no worker slot needed
    # The callback is the alerts' notifier, awaited in the triggerer (BaseNotifier.__await__).
    assert alert.callback.path == "include.ins_report.alerts.notifier.InsAlertNotifier"
    assert alert.callback.kwargs == {"kind": "deadline", "deadline": "12:30"}
    assert report_deadline(Settings(report_deadline="off")) is None


def test_channels(monkeypatch):
    assert parse_channels(["email", " Slack", "webhook", "email"]) == ["email", "slack", "webhook"]
    with pytest.raises(ValueError, match="unknown alert channel 'sms'; known: email, slack, webhook"):
        parse_channels(["sms"])
    monkeypatch.setenv("INS_DIGEST_CHANNELS", "email, webhook")
    assert Settings.from_env().digest_channels == ["email", "webhook"]
    monkeypatch.delenv("INS_DIGEST_CHANNELS")
    assert Settings.from_env().digest_channels == []  # the digest is off by default


def test_alert_rendering():
    alert = Alert(
        subject="[INS] FAILED <week>",
        text="Link: http://h:8080/dags/x/runs/manual__1%2B2\n<b>not html</b>\n" + "y" * 4000,
        payload={"nested": [{"key": "dev-secret-key"}], "n": 3},
        url="http://h:8080/dags/x/runs/manual__1%2B2",
    )
    assert "<a href='http://h:8080/dags/x/runs/manual__1%2B2'>" in alert.html
    assert "&lt;b&gt;not html&lt;/b&gt;" in alert.html
    slack = alert.slack_message()
    assert slack["text"] == "[INS] FAILED <week>"
    assert (
        "<http://h:8080/dags/x/runs/manual__1%2B2|Open the run in Airflow>"
        in slack["blocks"][0]["text"]["text"]
    )
    assert len(slack["blocks"][1]["text"]["text"]) <= 3000
    redacted = alert.redacted(lambda text: secrets.redact(text, {"dev-secret-key"}))
    assert redacted.payload == {"nested": [{"key": "***"}], "n": 3}


# --- alerts built from a real job log ------------------------------------------------------------


@pytest.fixture
def farm_db(farm_db, monkeypatch) -> FarmDatabase:
    """The kit's farm database (tests/conftest.py), with the Airflow UI address the alerts link to."""
    monkeypatch.setenv("INS_AIRFLOW_BASE_URL", "http://airflow.example:8080")
    return farm_db


def write(farm_db, step, status, rows=None, message="", *, run_id=RUN, week=WEEK, at="2026-11-24 02:00:00",
          seconds=5):  # fmt: skip
    start = dt.datetime.strptime(at, joblog.TIME_FORMAT)
    farm_db.write_many(
        "insert_job_log",
        [
            {
                "job_nm": JOB_NAME,
                "run_id": run_id,
                "report_week": week,
                "step_nm": step,
                "status": status,
                "started_at": at,
                "ended_at": (start + dt.timedelta(seconds=seconds)).strftime(joblog.TIME_FORMAT),
                "row_count": rows,
                "message": message,
            }
        ],
    )


def context(run_id=RUN) -> dict:
    return {"run_id": run_id, "params": {"week": "2026-11-16"}, "data_interval_end": clock.now()}


def run_log(farm_db, run_id=RUN) -> RunLog:
    return RunLog.from_dicts(farm_db.job_log(run_id))


def failure_alert(farm_db, ctx: dict | None = None) -> Alert:
    return build_failure_alert(run_facts(ctx or context()), run_log(farm_db), Settings.from_env())


def station_failure(label, farms, map_index, error, try_number=1, tries=1) -> FailureDetail:
    return FailureDetail(
        error=error,
        task_id="collect_weather.collect_station_weather",
        map_index=map_index,
        label=label,
        farms=farms,
        try_number=try_number,
        tries=tries,
    )


def failed(farm_db, ti: FakeTaskInstance, detail: FailureDetail, status: str = "FAILED") -> None:
    """A try as its task callback records it, from the one detail: the row and, for a FAILED try, the task
    instance's XCom, the instance failed in the run's states."""
    write(farm_db, joblog.step_for_task(detail.task_id).name, status, None, detail.message())
    if status == "FAILED":
        store_failure({"ti": ti.instance(detail.task_id, detail.map_index).failed()}, detail)


def test_failure_alert_counts_the_latest_outcome_of_each_station(farm_db):
    write(farm_db, "START_JOB", "SUCCESS")
    write(farm_db, "COLLECT_KOSIS_SERIES", "SUCCESS", 42, "pigs: 40 rows")
    write(farm_db, "PLAN_WEATHER_LOCATIONS", "SUCCESS", 44, joblog.PlanMessage(44, 34, 1).text())
    write(farm_db, "COLLECT_STATION_WEATHER", "SUCCESS", 14, "108 서울 (2 farms): 7 days, 14 rows")
    boom = "TransientApiError: KMA ASOS [500] server busy or failing"
    ti = FakeTaskInstance("finish_job")
    failed(farm_db, ti, station_failure("203 이천 (3 farms)", ("F0001",), 3, boom, 1, 2), "RETRY")
    failed(farm_db, ti, station_failure("203 이천 (3 farms)", ("F0001",), 3, boom, 2, 2))
    # 232 failed, was cleared and then succeeded: it is not a failure of the run any more (clearing it
    # removed its XCom, and its instance is no longer failed).
    write(
        farm_db,
        "COLLECT_STATION_WEATHER",
        "FAILED",
        None,
        station_failure("232 천안 (5 farms)", (), 4, boom).message(),
    )
    write(farm_db, "COLLECT_STATION_WEATHER", "SUCCESS", 35, "232 천안 (5 farms): 7 days, 35 rows")
    write(farm_db, "FINISH_JOB", "FAILED", None, "report not built")

    alert = failure_alert(farm_db, {**context(), "ti": ti.failed()})
    payload = alert.payload
    assert payload["failed_steps"] == ["COLLECT_STATION_WEATHER"]
    (failure,) = payload["failures"]
    assert failure["label"] == "203 이천 (3 farms)"
    assert (failure["try_number"], failure["tries"]) == (2, 2)
    assert failure["url"] == (
        "http://airflow.example:8080/dags/ins_weekly_report/runs/manual__2026-11-24T01%3A00%3A00%2B00%3A00"
        "/tasks/collect_weather.collect_station_weather/mapped/3"
    )
    assert payload["written"] == {
        "TA_STATS_DATA": {"rows": 42, "parts": 1},
        "TM_WEATHER": {"rows": 49, "parts": 2},
    }
    assert "TM_WEATHER: 49 rows from 2 of 34 weather locations" in alert.text
    assert "try 2 of 2, failed at 2026-11-24 02:00:05 KST" in alert.text
    assert "Weather station “203 이천 (3 farms)”: fix what the error says" in alert.text
    assert "select the instance and clear it" in alert.text
    assert alert.subject.startswith(
        "[INS weekly report] FAILED week 2026-11-16..2026-11-22: COLLECT_STATION_WEATHER"
    )


def test_procedure_failure_alert_names_the_ora_code_and_the_next_step(farm_db):
    error = ora_error("ORA-01017: invalid credential or not authorized; logon denied", 1017)
    detail = FailureDetail(oracle_errors.describe_error(error), "run_weekly_report", try_number=4, tries=4)
    write(farm_db, "CHECK_COLLECTION", "SUCCESS", 308, "complete")
    ti = FakeTaskInstance("finish_job")
    failed(farm_db, ti, detail)
    alert = failure_alert(farm_db, {**context(), "ti": ti})
    assert "error: oracledb.DatabaseError: ORA-01017: invalid credential" in alert.text
    assert "Oracle error ORA-01017: invalid user name or password: fix the farm_db connection" in alert.text
    assert "The report procedure failed with ORA-01017 (invalid user name or password" in alert.text
    assert "TR_INS_WEEK_REPORT: not rebuilt for this week (the procedure failed)" in alert.text
    assert alert.payload["failures"][0]["oracle_code"] == "ORA-01017"


def test_a_failed_run_without_a_failed_step_still_alerts(farm_db):
    alert = failure_alert(farm_db, {**context(), "reason": "timed_out"})
    assert "(no failed step recorded: see the run in the UI)" in alert.text
    assert "No failed step was recorded (reason: timed_out)" in alert.text
    assert alert.payload["failed_steps"] == []


def capture_channels(monkeypatch) -> list[Alert]:
    """The webhook channel configured, and what it is given captured instead of posted."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": "http://hooks.example/x"})
    )
    sent: list[Alert] = []
    monkeypatch.setitem(channels.SENDERS, "webhook", lambda alert, settings, conn, budget: sent.append(alert))
    return sent


def test_failure_alert_never_holds_an_api_key(farm_db, monkeypatch):
    key = "Kma+Key/SECRET=1"
    monkeypatch.setenv(
        "AIRFLOW_CONN_KMA_API", json.dumps({"conn_type": "http", "host": "h", "password": key})
    )
    detail = FailureDetail(
        f"PermanentApiError: bad key {key} / Kma%2BKey%2FSECRET%3D1", "x.y", 0, "108 서울 (1 farm)"
    )
    write(farm_db, "COLLECT_STATION_WEATHER", "FAILED", None, detail.message())
    sent = capture_channels(monkeypatch)
    InsAlertNotifier("failure")(context())
    (alert,) = sent
    dumped = alert.subject + alert.text + json.dumps(alert.payload, ensure_ascii=False)
    assert "SECRET" not in dumped
    assert "bad key *** / ***" in alert.text


def test_deadline_alert_from_the_triggerer_context(farm_db):
    write(farm_db, "START_JOB", "SUCCESS", at="2026-11-23 02:00:03")
    write(farm_db, "COLLECT_KOSIS_SERIES", "SUCCESS", 42, at="2026-11-23 02:00:05")
    write(
        farm_db,
        "PLAN_WEATHER_LOCATIONS",
        "SUCCESS",
        44,
        joblog.PlanMessage(44, 34, 0).text(),
        at="2026-11-23 02:00:05",
    )
    write(farm_db, "COLLECT_STATION_WEATHER", "SUCCESS", 14, "108 서울 (2 farms): 7 days, 14 rows")
    # What Deadline.handle_miss gives the callback (DAGRunResponse dumped as JSON, plus the deadline).
    ctx = {
        "dag_run": {
            "dag_run_id": RUN,
            "state": "running",
            "queued_at": "2026-11-22T17:00:00.5Z",
            "start_date": "2026-11-22T17:00:01Z",
            "data_interval_end": "2026-11-22T17:00:00Z",
            "run_after": "2026-11-22T17:00:00Z",
            "conf": {},
        },
        "deadline": {"id": "x", "deadline_time": "2026-11-23 03:30:00.500000+00:00"},
    }
    alert = build_deadline_alert(run_facts(ctx), run_log(farm_db), Settings.from_env(), "12:30")
    assert alert.subject == (
        f"[INS weekly report] NOT FINISHED by the deadline: week 2026-11-16..2026-11-22, run running ({RUN})"
    )
    for expected in (
        "was NOT FINISHED by its deadline (12:30, 2026-11-23 12:30 KST)",
        "The run is still running: the report is not built yet.",
        "Queued: 2026-11-23 02:00 KST",
        "Fetch KOSIS series into TA_STATS_DATA: SUCCESS at 2026-11-23 02:00:10 KST",
        "Fetch station week into TM_WEATHER: 1 of 34 weather locations written",
        "Check the week's data is complete: not done yet",
        "Run SP_INS_WEEK_MAIN for the week: not done yet",
    ):
        assert expected in alert.text, expected
    assert alert.payload["week_start"] == "2026-11-16"
    assert alert.payload["steps_done"] == [
        "COLLECT_KOSIS_SERIES",
        "COLLECT_STATION_WEATHER",
        "PLAN_WEATHER_LOCATIONS",
        "START_JOB",
    ]


def deadline_context(state: str) -> dict:
    return {
        "dag_run": {
            "dag_run_id": RUN,
            "state": state,
            "queued_at": "2026-11-22T17:00:00.5Z",
            "data_interval_end": "2026-11-22T17:00:00Z",
            "conf": {},
        },
        "deadline": {"id": "x", "deadline_time": "2026-11-23 03:30:00.500000+00:00"},
    }


def await_deadline_notifier(context: dict) -> str:
    """As the triggerer runs the DeadlineAlert's AsyncCallback (airflow.triggers.callback.CallbackTrigger):
    the class from its path, built with the kwargs and the context, then awaited."""
    import asyncio

    from airflow._shared.module_loading import accepts_context, import_string

    alert = report_deadline(Settings())
    notifier_class = import_string(alert.callback.path)
    assert accepts_context(notifier_class)

    async def run() -> str:
        return await notifier_class(**alert.callback.kwargs, context=context)

    return asyncio.run(run())


def test_a_run_that_failed_gets_no_deadline_alert(farm_db, monkeypatch):
    """One alert per failed run: Airflow keeps a failed run's deadline, the notifier does not send it."""
    sent = capture_channels(monkeypatch)
    write(farm_db, "START_JOB", "SUCCESS")
    assert "deadline alert sent via webhook" in await_deadline_notifier(deadline_context("running"))
    assert len(sent) == 1
    result = await_deadline_notifier(deadline_context("failed"))
    assert result == "deadline alert not sent: the run failed and had its failure alert"
    # Airflow's state of the run may lag: the run's own FINISH_JOB FAILED row says it too.
    write(farm_db, "FINISH_JOB", "FAILED", None, joblog.FinishMessage(False, ("check_collection",)).text())
    assert "not sent" in await_deadline_notifier(deadline_context("running"))
    assert len(sent) == 1


def test_the_deadline_notifier_never_raises(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FARM_DB", json.dumps({"conn_type": "nonsense"}))
    assert await_deadline_notifier({"dag_run": {"dag_run_id": "r"}}) == "deadline alert sent via no channel"


def test_digest_durations_and_the_previous_week(farm_db):
    previous = "scheduled__2026-11-15T17:00:00+00:00"
    write(
        farm_db,
        "START_JOB",
        "SUCCESS",
        run_id=previous,
        week="20261109",
        at="2026-11-16 02:00:00",
        seconds=1,
    )
    write(
        farm_db,
        "FINISH_JOB",
        "SUCCESS",
        run_id=previous,
        week="20261109",
        at="2026-11-16 02:04:00",
        seconds=1,
    )
    write(farm_db, "START_JOB", "SUCCESS", at="2026-11-23 02:00:00", seconds=1)
    retry = FailureDetail("E: x", "k", try_number=1, tries=2).message()
    write(farm_db, "COLLECT_KOSIS_SERIES", "RETRY", None, retry, at="2026-11-23 02:00:00", seconds=1)
    write(farm_db, "COLLECT_KOSIS_SERIES", "SUCCESS", 42, "", at="2026-11-23 02:00:01", seconds=3)
    write(
        farm_db,
        "PLAN_WEATHER_LOCATIONS",
        "SUCCESS",
        44,
        "44 farms at 2 weather locations; 0 inactive; 4 excluded (…)",
        at="2026-11-23 02:00:01",
        seconds=1,
    )
    write(
        farm_db,
        "COLLECT_STATION_WEATHER",
        "SUCCESS",
        14,
        "108 서울 (2 farms): 7 days, 14 rows",
        at="2026-11-23 02:00:10",
        seconds=4,
    )
    write(
        farm_db,
        "COLLECT_STATION_WEATHER",
        "SUCCESS",
        21,
        "203 이천 (3 farms): 7 days, 21 rows",
        at="2026-11-23 02:00:11",
        seconds=9,
    )
    write(
        farm_db,
        "CHECK_COLLECTION",
        "WARNING",
        35,
        joblog.GateMessage("35 farm-days", {"missing_day": 1}, "missing weather (1): …").text(),
        at="2026-11-23 02:00:21",
        seconds=1,
    )
    write(farm_db, "RUN_WEEKLY_REPORT", "SUCCESS", 44, "done", at="2026-11-23 02:00:22", seconds=8)
    write(farm_db, "FINISH_JOB", "SUCCESS", None, "report built", at="2026-11-23 02:00:30", seconds=0)
    recent = joblog.recent_runs(farm_db, weeks=12)
    alert = build_digest(run_facts(context()), run_log(farm_db), recent, Settings.from_env())
    payload = alert.payload
    assert payload["farms_reported"] == 44
    assert payload["gaps_accepted"] == [
        "35 farm-days; by kind: missing_day=1 stale_station=0 core_null=0 rain_unknown=0 implausible=0 "
        "stats_missing=0 stats_null=0; missing weather (1): …"
    ]
    assert payload["retries"] == {"COLLECT_KOSIS_SERIES": 1}
    assert payload["run_seconds"] == 30
    assert payload["previous_week"]["run_id"] == previous
    assert payload["previous_week"]["minutes"] == 4.0
    steps = {item["step"]: item for item in payload["step_seconds"]}
    assert steps["COLLECT_STATION_WEATHER"]["seconds"] == 10  # first start 02:00:10 .. last end 02:00:20
    assert steps["COLLECT_STATION_WEATHER"]["detail"] == "2 locations, slowest 203 이천 (3 farms) (9 s)"
    assert steps["CHECK_COLLECTION"]["detail"] == "WARNING"
    assert "Run time:        30 s; previous week 20261109: 4 min 00 s (-3 min 30 s)" in alert.text
    assert "Farms reported:  44 of 44 usable farms; 4 excluded" in alert.text
    assert alert.subject.startswith("[INS weekly report] OK week 2026-11-16..2026-11-22: 44 farms")


# --- the last weeks at a glance -------------------------------------------------------------------


def docs_queries(document: str) -> dict[str, str]:
    text = (ROOT / document).read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- last-weeks:(\w+) -->\s*```sql\n(.*?)```", text, flags=re.S)
    return dict(blocks)


@pytest.mark.parametrize(
    ("document", "dialect"),
    [("docs/operations.md", "sqlite"), ("docs/operations.md", "oracle"), ("docs/operating.md", "sqlite")],
)
def test_the_documented_query_is_the_shipped_one(document, dialect):
    shipped = (SQL_DIR / dialect / "job_log_last_weeks.sql").read_text(encoding="utf-8")
    documented = docs_queries(document)[dialect]
    expected = shipped.replace(":job_nm", f"'{JOB_NAME}'").replace(":week_count", "8")
    assert documented.strip() == expected.strip()


def test_the_last_weeks_query(farm_db):
    # Ten weeks, one run each; week 20261109 also has a failed run that a later run fixed.
    weeks = [(dt.date(2026, 9, 14) + dt.timedelta(weeks=n)).strftime("%Y%m%d") for n in range(10)]
    for number, week in enumerate(weeks):
        run = f"scheduled__{week}"
        at = f"2026-11-{10 + number:02d} 02:00:00"
        write(farm_db, "START_JOB", "SUCCESS", run_id=run, week=week, at=at, seconds=1)
        write(farm_db, "CHECK_COLLECTION", "SUCCESS", 308, run_id=run, week=week, at=at, seconds=1)
        write(farm_db, "RUN_WEEKLY_REPORT", "SUCCESS", 44, run_id=run, week=week, at=at, seconds=1)
        write(
            farm_db,
            "FINISH_JOB",
            "SUCCESS",
            run_id=run,
            week=week,
            at=at.replace("02:00", "02:06"),
            seconds=0,
        )
    write(farm_db, "START_JOB", "SUCCESS", run_id="manual__a", week="20261109", at="2026-11-25 09:00:00")
    write(
        farm_db,
        "COLLECT_KOSIS_SERIES",
        "RETRY",
        run_id="manual__a",
        week="20261109",
        at="2026-11-25 09:00:00",
    )
    write(
        farm_db,
        "COLLECT_KOSIS_SERIES",
        "FAILED",
        run_id="manual__a",
        week="20261109",
        at="2026-11-25 09:00:10",
    )
    write(farm_db, "FINISH_JOB", "FAILED", run_id="manual__a", week="20261109", at="2026-11-25 09:00:20")
    write(farm_db, "START_JOB", "SUCCESS", run_id="manual__b", week="20261116", at="2026-11-26 09:00:00")
    # The reference procedure's own row (Oracle) is not a run of the batch.
    write(farm_db, "SP_INS_WEEK_MAIN", "SUCCESS", 44, run_id="PROC:20261116", week="20261116")
    runs = joblog.recent_runs(farm_db, weeks=8)
    assert [run["report_week"] for run in runs][:3] == ["20261116", "20261116", "20261109"]
    assert {run["report_week"] for run in runs} == set(weeks[-8:])  # eight weeks, not eight runs
    assert "PROC:20261116" not in {run["run_id"] for run in runs}
    unfinished = runs[0]
    assert unfinished["run_id"] == "manual__b"
    assert unfinished["outcome"] == "UNFINISHED"
    by_run = {run["run_id"]: run for run in runs}
    assert by_run["manual__a"]["outcome"] == "FAILED"
    assert (by_run["manual__a"]["retries"], by_run["manual__a"]["failures"]) == (1, 1)
    ok = by_run["scheduled__20261116"]
    assert (ok["outcome"], ok["weather_rows"], ok["report_rows"]) == ("SUCCESS", 308, 44)
    assert ok["minutes"] == 6.0
    assert ok["started_at"] == "2026-11-19 02:00:00"
    # The documented query gives the same rows.
    with sqlite3.connect(farm_db.path) as conn:
        assert [row[:3] for row in conn.execute(docs_queries("docs/operating.md")["sqlite"])] == [
            (run["report_week"], run["run_id"], run["outcome"]) for run in runs
        ]


# --- the DAG wiring -------------------------------------------------------------------------------


def test_the_dag_wires_the_alerts_and_the_step_titles_match(dagbag):
    dag = dagbag.dags["ins_weekly_report"]
    # The failure, success and deadline callbacks are instances of the one notifier class.
    assert isinstance(dag.on_failure_callback, InsAlertNotifier)
    assert dag.on_failure_callback.kind == "failure"
    assert isinstance(dag.on_success_callback, InsAlertNotifier)
    assert dag.on_success_callback.kind == "success"
    (deadline,) = dag.deadline
    assert deadline.interval == dt.timedelta(hours=10, minutes=30)
    assert deadline.callback.path == "include.ins_report.alerts.notifier.InsAlertNotifier"
    for step in joblog.STEPS.values():
        task = dag.get_task(step.task_id)
        assert task.task_display_name == step.title, step
    retrying = [task for task in dag.tasks if task.task_id != "finish_job"]
    assert all(task.on_retry_callback for task in retrying)


# --- the farm database down when a task fails -------------------------------------------------------


def test_with_the_farm_db_down_the_alert_still_names_the_task_and_its_error(monkeypatch):
    from include.ins_report.airflow_edge import callbacks

    monkeypatch.setenv(
        "AIRFLOW_CONN_FARM_DB", json.dumps({"conn_type": "sqlite", "host": "/nonexistent/x.db"})
    )
    ti = FakeTaskInstance("check_collection", states={"run_weekly_report": "upstream_failed"}).failed()
    error = sqlite3.OperationalError("unable to open database file")
    callbacks.record_task_failure({**context(), "ti": ti, "exception": error})
    # The FAILED row could not be written: the failure is kept with the task instance instead.
    (kept,) = ti.xcoms.values()
    assert kept["task_id"] == "check_collection"
    assert kept["error"] == "sqlite3.OperationalError: unable to open database file"
    assert "OperationalError" in kept["job_log_error"]

    sent = capture_channels(monkeypatch)
    InsAlertNotifier("failure")({**context(), "ti": ti, "reason": "task_failure"})
    (alert,) = sent
    assert alert.payload["failed_steps"] == ["CHECK_COLLECTION"]
    (failure,) = alert.payload["failures"]
    assert failure["error"] == "sqlite3.OperationalError: unable to open database file"
    assert failure["task_id"] == "check_collection"
    assert "Job log: could not be written or read (OperationalError" in alert.text
    assert "The job log (TS_INS_JOB_LOG) could not be written or read" in alert.text
    assert "No failed step was recorded" not in alert.text
    assert alert.payload["job_log_error"]


def test_farms_not_in_the_weeks_plan_are_named_in_their_own_warning_and_the_digest(farm_db):
    """A RUN_WEEKLY_REPORT WARNING row (farms that appeared after the plan): a warning of its own, and the
    digest's line; a SUCCESS report row makes neither, and accepted gaps are a different message."""
    from include.ins_report.alerts.messages.gaps import build_plan_warning_alert, not_in_plan

    note = (
        "44 report rows = the farms of the week's plan; 1 farms not in this week's plan (in TA_FARM since "
        "the plan; clear the whole run to include them): F0950"
    )
    message = joblog.ReportMessage("SP_INS_WEEK_MAIN('WEEK', '20261116')", note).text()
    write(farm_db, "START_JOB", "SUCCESS")
    write(farm_db, "RUN_WEEKLY_REPORT", "SUCCESS", 44, joblog.ReportMessage("SP()", "44 report rows").text())
    assert not_in_plan(run_log(farm_db)) is None
    write(farm_db, "RUN_WEEKLY_REPORT", "WARNING", 44, message)
    report = not_in_plan(run_log(farm_db))
    assert report is not None
    alert = build_plan_warning_alert(run_facts(context()), report, Settings.from_env())
    assert "farms not in the week's plan" in alert.subject
    assert "F0950" in alert.text
    assert alert.payload["text"] == note
    digest = build_digest(run_facts(context()), run_log(farm_db), [], Settings.from_env())
    assert f"Not in the plan: {note}" in digest.text
    assert digest.payload["not_in_plan"] == note
