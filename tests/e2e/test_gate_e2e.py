"""The completeness gate end to end through Airflow, one case per kind: the run stops before the report
procedure and the alert names the kind, the station or series and the farms.

The data comes through the emulated APIs (faults: a station without data, a station outage with every value
""). Where no API shape can produce the case, a first clean run writes the week and the test then changes
what the next run cannot overwrite: the farm's coordinates in TA_FARM (stale station), or rows of a station
(series) that answers "no data" on the re-run (implausible values, statistics), as an earlier run or another
writer can leave them in production.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from include.ins_report.config.settings import Settings
from include.ins_report.joblog import GATE_KINDS, parse_gate_counts
from include.ins_report.model.farms import classify_farms, weather_locations
from include.ins_report.model.stations import load_stations

pytestmark = pytest.mark.e2e

PIG = "101/DT_1EO311"
CPI = "101/DT_1J22003"


def write(stack, sql: str, params: tuple = ()) -> int:
    with closing(sqlite3.connect(stack.farm_db)) as conn, conn:
        return conn.execute(sql, params).rowcount


def station_farms(stack, point_id: str) -> list[str]:
    """The farms the plan maps to ``point_id`` with TA_FARM as it is now."""
    farms = classify_farms(stack.sql("SELECT FARM_NO, FARM_NM, LAT, LON, USE_YN FROM TA_FARM")).valid
    locations = weather_locations(farms, load_stations(Settings.from_env().stations_file))  # as the plan
    return next(list(location.farm_nos) for location in locations if location.point_id == point_id)


def fault(stack, api: str, scenario: str, **options) -> None:
    stack.emulator("POST", "faults", {"api": api, "scenario": scenario, "count": None, **options})


def stopped_at_the_gate(stack, dag_run, week_key: str) -> str:
    """The run failed at the gate, the procedure did not run, one alert went out; the gate's error."""
    assert dag_run.state == "failed"
    log = stack.job_log(dag_run.run_id)
    steps = [(row.step, row.status) for row in log]
    assert ("CHECK_COLLECTION", "FAILED") in steps
    assert ("FINISH_JOB", "FAILED") in steps
    assert not [step for step, _ in steps if step == "RUN_WEEKLY_REPORT"]
    assert {row.report_week for row in log} == {week_key}
    (failure,) = [row.message for row in log if row.step == "CHECK_COLLECTION"]
    assert failure.startswith("CollectionIncompleteError: collection incomplete")
    payload = stack.webhook.requests[-1]["json"]
    assert payload["run_id"] == dag_run.run_id
    assert payload["failed_steps"] == ["CHECK_COLLECTION"]
    assert payload["report_built"] is False
    (error,) = payload["errors"]
    mail = stack.smtp.messages[-1]
    assert dag_run.run_id in mail["Subject"]
    assert "The report procedure did not run" in mail.get_body().get_content()
    return error


def nonzero(message: str) -> dict[str, int]:
    counts = parse_gate_counts(message)
    assert counts is not None, message
    return {kind: count for kind, count in counts.items() if count}


def test_a_station_without_data_stops_the_run_as_missing_days(stack):
    stack.emulator("POST", "reset")
    fault(stack, "kma", "nodata", match={"stnIds": "203"})
    farms = station_farms(stack, "203")
    dag_run = stack.run_week("2026-11-02")
    stack.emulator("POST", "reset")
    error = stopped_at_the_gate(stack, dag_run, "20261102")
    assert nonzero(error) == {"missing_day": 7 * len(farms)}
    assert f"missing weather ({7 * len(farms)}): 203 이천 [farms {', '.join(farms)}]: 2026-11-02, " in error
    assert stack.sql("SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = '20261102'") == [(0,)]


def test_a_station_outage_with_empty_values_stops_the_run_as_null_core_values(stack):
    stack.emulator("POST", "reset")
    fault(stack, "kma", "empty_values", match={"stnIds": "203"})
    farms = station_farms(stack, "203")
    dag_run = stack.run_week("2026-10-26")
    stack.emulator("POST", "reset")
    error = stopped_at_the_gate(stack, dag_run, "20261026")
    # The rows were written (the station answered) with NULL values: neither 0 °C nor a dry day.
    rows = stack.sql(
        "SELECT COUNT(*), COUNT(AVG_TA), COUNT(SUM_RN) FROM TM_WEATHER "
        "WHERE POINT_ID = '203' AND WEATHER_DATE BETWEEN '2026-10-26' AND '2026-11-01'"
    )
    assert rows == [(7 * len(farms), 0, 0)]
    assert nonzero(error) == {"core_null": 7 * len(farms), "rain_unknown": 7 * len(farms)}
    assert (
        f"core values NULL ({7 * len(farms)}): 203 이천 [farms {', '.join(farms)}]: "
        "2026-10-26 AVG_TA NULL MIN_TA NULL MAX_TA NULL AVG_RHM NULL" in error
    )
    assert f"rain unknown (SUM_RN NULL) ({7 * len(farms)}): 203 이천 [farms {', '.join(farms)}]" in error
    assert stack.sql("SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = '20261026'") == [(0,)]


def test_rows_of_the_old_station_after_a_farm_moved_stop_the_run_as_stale(stack):
    stack.emulator("POST", "reset")
    assert stack.run_week("2026-11-09").state == "success"
    assert stack.sql("SELECT DISTINCT POINT_ID FROM TM_WEATHER WHERE FARM_NO = 'F0001'") == [("203",)]
    (coordinates,) = stack.sql("SELECT LAT, LON FROM TA_FARM WHERE FARM_NO = 'F0001'")
    # The farm's coordinates are corrected: it now belongs to ASOS 184 제주, which has no data on the re-run.
    write(stack, "UPDATE TA_FARM SET LAT = 33.5, LON = 126.53 WHERE FARM_NO = 'F0001'")
    try:
        assert "F0001" in station_farms(stack, "184")
        fault(stack, "kma", "nodata", match={"stnIds": "184"})
        dag_run = stack.run_week("2026-11-09")
    finally:
        write(stack, "UPDATE TA_FARM SET LAT = ?, LON = ? WHERE FARM_NO = 'F0001'", coordinates)
        stack.emulator("POST", "reset")
    error = stopped_at_the_gate(stack, dag_run, "20261109")
    assert nonzero(error) == {"stale_station": 7}
    assert "stale station (7): 184 제주 [farms F0001]: 2026-11-09 from station 203, 2026-11-10 from" in error


def test_implausible_values_left_in_the_database_stop_the_run(stack):
    stack.emulator("POST", "reset")
    assert stack.run_week("2026-11-16").state == "success"
    farms = station_farms(stack, "203")
    changed = write(
        stack,
        "UPDATE TM_WEATHER SET MAX_TA = 47.5 WHERE POINT_ID = '203' AND WEATHER_DATE = '2026-11-18'",
    )
    assert changed == len(farms)
    fault(stack, "kma", "nodata", match={"stnIds": "203"})  # the re-run cannot overwrite them
    dag_run = stack.run_week("2026-11-16")
    stack.emulator("POST", "reset")
    error = stopped_at_the_gate(stack, dag_run, "20261116")
    assert nonzero(error) == {"implausible": len(farms)}
    assert (
        f"implausible weather ({len(farms)}): 203 이천 [farms {', '.join(farms)}]: "
        "2026-11-18 MAX_TA 47.5 not -45..45 °C" in error
    )


def test_rows_the_farm_rule_cannot_use_are_excluded_and_the_report_has_the_farms_of_the_week(
    stack, valid_farm_nos
):
    """One farm identity: a 'y' flag and a padded farm number are excluded with their reasons; the report's
    rows are exactly the farms of the week (reconciled after the procedure)."""
    added = [
        ("F0901", "소문자 플래그", 37.27, 127.43, "y"),
        (" F0902", "공백 농장번호", 37.27, 127.43, "Y"),
    ]
    with closing(sqlite3.connect(stack.farm_db)) as conn, conn:
        conn.executemany(
            "INSERT INTO TA_FARM (FARM_NO, FARM_NM, LAT, LON, USE_YN) VALUES (?, ?, ?, ?, ?)", added
        )
    try:
        stack.emulator("POST", "reset")
        dag_run = stack.run_week("2026-10-19")
    finally:
        write(stack, "DELETE FROM TA_FARM WHERE FARM_NO IN ('F0901', ' F0902')")
    assert dag_run.state == "success"
    report = stack.sql("SELECT FARM_NO FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = '20261019' ORDER BY 1")
    assert [farm for (farm,) in report] == valid_farm_nos
    log = stack.job_log(dag_run.run_id)
    (plan,) = [row.message for row in log if row.step == "PLAN_WEATHER_LOCATIONS"]
    assert "F0901 소문자 플래그: USE_YN 'y' is neither 'Y' nor 'N'" in plan
    assert "F0902 공백 농장번호: farm number ' F0902' has leading or trailing spaces" in plan
    (report_row,) = [row for row in log if row.step == "RUN_WEEKLY_REPORT"]
    assert report_row.status == "SUCCESS"
    assert report_row.row_count == len(valid_farm_nos)
    assert f"{len(valid_farm_nos)} report rows = the farms of the week" in report_row.message
    (gate_row,) = [row for row in log if row.step == "CHECK_COLLECTION"]
    assert parse_gate_counts(gate_row.message) == dict.fromkeys(GATE_KINDS, 0)
