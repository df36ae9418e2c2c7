"""The FAILED / RETRY row's contract: its MESSAGE, byte for byte as the DB-side monitoring reads it
(docs/operations.md), and the failed task's XCom written from the same ``FailureDetail``, from which the
failure alert names the task, map index, label, farms, error and try."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import pytest

from include.ins_report.airflow_edge import callbacks
from include.ins_report.airflow_edge.failures import FAILURE_XCOM, run_facts
from include.ins_report.alerts.messages.failure import build_failure_alert
from include.ins_report.config.settings import Settings
from include.ins_report.joblog import MESSAGE_BYTES, FailureDetail, RunLog
from include.ins_report.model import clock
from tests.support.task_instance import FakeTaskInstance

RUN = "manual__2026-11-24T01:00:00+00:00"
WEATHER_TASK = "collect_weather.collect_station_weather"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the MESSAGE, byte for byte ---------------------------------------------------------------------


def test_a_mapped_station_with_its_farms():
    detail = FailureDetail(
        error="PermanentApiError: KMA ASOS [30] SERVICE_KEY_IS_NOT_REGISTERED_ERROR: fix the key",
        task_id=WEATHER_TASK,
        map_index=7,
        label="203 이천 (3 farms)",
        farms=("F0001", "F0004", "F0007"),
        try_number=4,
        tries=4,
    )
    assert detail.message() == (
        "203 이천 (3 farms) [farms F0001, F0004, F0007]: PermanentApiError: KMA ASOS [30] "
        "SERVICE_KEY_IS_NOT_REGISTERED_ERROR: fix the key (task collect_weather.collect_station_weather, "
        "map 7, try 4 of 4)"
    )
    assert detail.error_class == "PermanentApiError"


def test_a_mapped_instance_without_label_or_farms_and_a_retry_without_tries():
    assert FailureDetail("E: x", "t", 5, try_number=1).message() == "5: E: x (task t, map 5, try 1)"
    assert FailureDetail("E: x", "k").message() == "E: x (task k, try 0)"


def test_an_unmapped_task_with_a_multi_line_oracle_error():
    detail = FailureDetail(
        error='oracledb.DatabaseError: ORA-20001: no rows\nORA-06512: at "INS.SP_INS_WEEK_MAIN", line 57',
        task_id="run_weekly_report",
        try_number=1,
        tries=4,
    )
    assert detail.message() == (
        'oracledb.DatabaseError: ORA-20001: no rows\nORA-06512: at "INS.SP_INS_WEEK_MAIN", line 57 '
        "(task run_weekly_report, try 1 of 4)"
    )
    assert detail.error_class == "oracledb.DatabaseError"


def test_a_long_error_and_farm_list_are_clipped_to_message_bytes():
    detail = FailureDetail(
        error="TransientApiError: " + "x" * 10_000,
        task_id=WEATHER_TASK,
        map_index=0,
        label="108 서울 (40001 farms)",
        farms=tuple(f"S{n:05d}" for n in range(40_001)),
        try_number=2,
        tries=2,
    )
    message = detail.message()
    farms = ", ".join(f"S{n:05d}" for n in range(30))
    head = f"108 서울 (40001 farms) [farms {farms}, … 39971 more]: "
    suffix = " (task collect_weather.collect_station_weather, map 0, try 2 of 2)"
    assert len(message.encode("utf-8")) == MESSAGE_BYTES
    assert message.startswith(head + "TransientApiError: xxx")
    assert message.endswith("x …" + suffix)
    assert (
        message
        == head + "TransientApiError: " + "x" * (len(message) - len(head + suffix) - 21) + " …" + suffix
    )
    assert digest(message) == "c79c1d928ac1195d8e9a8a0b7faa1f8a613a6a491320cc4db45a8878b3f39a71"


def test_a_korean_label_and_error_are_clipped_in_bytes_on_a_character_boundary():
    # Oracle's MESSAGE is VARCHAR2(4000 BYTE): Hangul takes 3 bytes, so a cut in characters is not enough.
    detail = FailureDetail(
        error="DatabaseError: ORA-20001: " + "주간 보고서 생성 실패 " * 500,
        task_id=WEATHER_TASK,
        map_index=3,
        label="203 이천 (2 farms)",
        farms=("F0001", "F0007"),
        try_number=4,
        tries=4,
    )
    message = detail.message()
    assert len(message.encode("utf-8")) == MESSAGE_BYTES
    assert len(message) == 1710
    assert message.startswith(
        "203 이천 (2 farms) [farms F0001, F0007]: DatabaseError: ORA-20001: 주간 보고서"
    )
    assert message.endswith(
        "생성 실패 주간 보 … (task collect_weather.collect_station_weather, map 3, try 4 of 4)"
    )
    assert digest(message) == "52ce247ccce727dc10b3532e3c87c614d949b995011a09b540bc6bee70c250de"


def test_the_detail_round_trips_through_its_xcom():
    detail = FailureDetail("E: boom", WEATHER_TASK, 3, "203 이천 (3 farms)", ("F1",), 2, 4)
    assert FailureDetail.from_dict(json.loads(json.dumps(detail.as_dict()))) == detail


# --- one detail, the row and the XCom; the alert from the XCom -----------------------------------------


def mapped_failure(farm_db, monkeypatch, status: str) -> tuple[FakeTaskInstance, dict]:
    """A mapped weather instance's failed try through the task callback (its location planned inline)."""
    monkeypatch.setenv("INS_AIRFLOW_BASE_URL", "http://airflow.example:8080")
    ti = FakeTaskInstance(WEATHER_TASK, 3, try_number=2, max_tries=3)
    ti.rendered_map_index = "203 이천 (2 farms)"
    location = {
        "point_id": "203",
        "name": "이천",
        "label": "203 이천 (2 farms)",
        "farm_nos": ["F0001", "F0007"],
    }
    context = {
        "run_id": RUN,
        "params": {"week": "2026-11-16"},
        "data_interval_end": clock.now(),
        "ti": ti,
        "task": SimpleNamespace(op_kwargs={"location": location}),
        "exception": RuntimeError("주간 보고서: station answered 500"),
    }
    if status == "FAILED":
        callbacks.record_task_failure(context)
    else:
        callbacks.record_task_retry(context)
    return ti, context


def test_the_row_and_the_xcom_are_written_from_one_detail(farm_db, monkeypatch):
    ti, _ = mapped_failure(farm_db, monkeypatch, "FAILED")
    (row,) = farm_db.job_log(RUN)
    stored = ti.xcoms[(WEATHER_TASK, 3, FAILURE_XCOM)]
    assert stored["job_log_error"] == ""
    detail = FailureDetail.from_dict({key: value for key, value in stored.items() if key != "job_log_error"})
    assert row["message"] == detail.message()
    assert row["message"] == (
        "203 이천 (2 farms) [farms F0001, F0007]: RuntimeError: 주간 보고서: station answered 500 "
        "(task collect_weather.collect_station_weather, map 3, try 2 of 4)"
    )


def test_a_retry_writes_its_row_only(farm_db, monkeypatch):
    ti, _ = mapped_failure(farm_db, monkeypatch, "RETRY")
    (row,) = farm_db.job_log(RUN)
    assert (row["step"], row["status"]) == ("COLLECT_STATION_WEATHER", "RETRY")
    assert row["message"].endswith("(task collect_weather.collect_station_weather, map 3, try 2 of 4)")
    assert ti.pushed == []  # Airflow clears the XComs when the next try starts; the alert reads failed tasks


def test_the_alert_from_the_xcom_names_what_the_row_says(farm_db, monkeypatch):
    ti, context = mapped_failure(farm_db, monkeypatch, "FAILED")
    ti.failed()
    run_log = RunLog.from_dicts(farm_db.job_log(RUN))
    alert = build_failure_alert(
        run_facts({**context, "reason": "task_failure"}), run_log, Settings.from_env()
    )
    (failure,) = alert.payload["failures"]
    assert {
        key: failure[key] for key in ("task_id", "map_index", "label", "farms", "try_number", "tries")
    } == {
        "task_id": WEATHER_TASK,
        "map_index": 3,
        "label": "203 이천 (2 farms)",
        "farms": ["F0001", "F0007"],
        "try_number": 2,
        "tries": 4,
    }
    assert failure["error"] == "RuntimeError: 주간 보고서: station answered 500"
    assert failure["url"].endswith(f"/tasks/{WEATHER_TASK}/mapped/3")
    assert failure["failed_at"] == run_log.rows[0].ended_at
    assert alert.payload["errors"] == [f"COLLECT_STATION_WEATHER: {run_log.rows[0].message}"]
    assert "Weather station “203 이천 (2 farms)”: fix what the error says" in alert.text
    assert "Job log: could not be written" not in alert.text


@pytest.mark.parametrize("reason", ["task_failure", "timed_out"])
def test_without_an_xcom_the_alert_shows_the_rows_message_as_text(farm_db, monkeypatch, reason):
    """A callback whose context has no task instance (or whose XComs cannot be read) cannot know more than
    the row says: the MESSAGE as it stands, never parsed."""
    _, context = mapped_failure(farm_db, monkeypatch, "FAILED")
    bare = {key: value for key, value in context.items() if key not in ("ti", "task", "exception")}
    run_log = RunLog.from_dicts(farm_db.job_log(RUN))
    alert = build_failure_alert(run_facts({**bare, "reason": reason}), run_log, Settings.from_env())
    (failure,) = alert.payload["failures"]
    (row,) = run_log.rows
    assert failure["error"] == row.message
    assert (failure["label"], failure["farms"], failure["map_index"], failure["try_number"]) == (
        "",
        [],
        -1,
        None,
    )
    assert failure["url"].endswith(f"/tasks/{WEATHER_TASK}")
    assert f"      error: {row.message}" in alert.text
