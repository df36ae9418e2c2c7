"""The SQLite dialect: schema, idempotent upserts, the job log and the reference report script."""

import json
import sqlite3

import pytest

from devtools.embedded import init_farm_db
from include.ins_report.airflow_edge.connections import farm_database
from include.ins_report.model.manifest import PlannedFarm
from include.ins_report.store.sqlfiles import split_statements


def weather(farm_no: str, day: str, avg_ta: float, run_id: str = "run-1") -> dict:
    return {
        "farm_no": farm_no, "weather_date": day, "point_id": "108", "avg_ta": avg_ta, "min_ta": avg_ta - 3,
        "max_ta": avg_ta + 4, "avg_rhm": 60.0, "sum_rn": 0.0, "thi": 50.1, "source": "KMA_ASOS",
        "collected_at": "2026-11-23 09:00:00", "run_id": run_id,
    }  # fmt: skip


def table(path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_seeded_farms(farm_db):
    rows = farm_db.read_farms()
    assert len(rows) == 49
    assert init_farm_db(farm_db.path) == 0  # a second init seeds nothing and keeps the data
    assert len(farm_db.read_farms()) == 49


def test_weather_upsert_is_idempotent(farm_db):
    rows = [
        weather("F1", "2026-11-16", 3.0),
        weather("F1", "2026-11-17", 4.0),
        weather("F2", "2026-11-16", 5.0),
    ]
    assert farm_db.upsert_weather(rows) == 3
    first = table(farm_db.path, "SELECT * FROM TM_WEATHER ORDER BY FARM_NO, WEATHER_DATE")
    farm_db.upsert_weather(rows)
    assert table(farm_db.path, "SELECT * FROM TM_WEATHER ORDER BY FARM_NO, WEATHER_DATE") == first
    farm_db.upsert_weather([weather("F1", "2026-11-16", 9.5, run_id="run-2")])
    assert table(farm_db.path, "SELECT COUNT(*) FROM TM_WEATHER") == [(3,)]
    assert table(
        farm_db.path,
        "SELECT AVG_TA, RUN_ID FROM TM_WEATHER WHERE FARM_NO='F1' AND WEATHER_DATE='2026-11-16'",
    ) == [(9.5, "run-2")]
    # F1 has Monday and Tuesday (bits 0 and 1), F2 Monday.
    assert farm_db.weather_day_masks([f"2026-11-{day}" for day in range(16, 23)]) == {"F1": 0b11, "F2": 0b1}


def test_stats_upsert_is_idempotent(farm_db):
    row = {
        "source": "KOSIS", "series_id": "101/DT_1EO311", "item_id": "T002", "item_nm": "사육마릿수",
        "category_id": "00/00", "category_nm": "전국/합계", "period_type": "Q", "period": "202603",
        "value": 11000000.0, "unit": "마리", "collected_at": "2026-11-23 02:00:00", "run_id": "r1",
    }  # fmt: skip
    farm_db.upsert_stats([row, {**row, "category_id": "41/00"}])
    farm_db.upsert_stats([{**row, "value": 11000001.0, "run_id": "r2"}])
    assert table(farm_db.path, "SELECT CATEGORY_ID, VALUE, RUN_ID FROM TA_STATS_DATA ORDER BY 1") == [
        ("00/00", 11000001.0, "r2"),
        ("41/00", 11000000.0, "r1"),
    ]
    assert farm_db.stats_periods("KOSIS", "Q", "202603", "202603") == {("101/DT_1EO311", "202603"): 2}


def test_a_failed_batch_is_rolled_back(farm_db):
    good = weather("F1", "2026-11-16", 3.0)
    bad = {**weather("F2", "2026-11-16", 3.0), "point_id": None}  # violates NOT NULL
    with pytest.raises(sqlite3.IntegrityError):
        farm_db.upsert_weather([good, bad])
    assert table(farm_db.path, "SELECT COUNT(*) FROM TM_WEATHER") == [(0,)]


def test_job_log_appends(farm_db):
    for status in ("SUCCESS", "FAILED"):
        farm_db.log_step(
            run_id="r1", report_week="20261116", step="START_JOB", status=status, started_at=None
        )
    log = farm_db.job_log("r1")
    assert [(row["step"], row["status"]) for row in log] == [
        ("START_JOB", "SUCCESS"),
        ("START_JOB", "FAILED"),
    ]
    assert log[0]["log_id"] < log[1]["log_id"]


def plan(farm_db, week_key: str, farms: list[str], point_id: str = "108") -> None:
    """The farm part of the week's manifest, as the plan step writes it."""
    planned = [PlannedFarm(farm, f"농장 {farm}", point_id, "서울") for farm in farms]
    farm_db.replace_manifest_farms(week_key, "run-1", planned)


def test_reference_report_is_idempotent(farm_db):
    plan(farm_db, "20261116", ["F0001", "F0002"])
    days = [f"2026-11-{day}" for day in range(16, 23)]
    farm_db.upsert_weather(
        [weather(farm, day, 20.0 + i) for farm in ("F0001", "F0002") for i, day in enumerate(days)]
    )
    farm_db.upsert_weather([weather("F0001", "2026-11-23", 99.0)])  # next week: not in this report
    farm_db.run_report("SP_INS_WEEK_MAIN", "WEEK", "20261116")
    query = "SELECT FARM_NO, DAYS_OBSERVED, AVG_TA, MIN_TA, MAX_TA FROM TR_INS_WEEK_REPORT ORDER BY FARM_NO"
    first = table(farm_db.path, query)
    assert first == [("F0001", 7, 23.0, 17.0, 30.0), ("F0002", 7, 23.0, 17.0, 30.0)]
    farm_db.run_report("SP_INS_WEEK_MAIN", "WEEK", "20261116")
    assert table(farm_db.path, query) == first
    assert farm_db.report_row_count("20261116") == 2
    with pytest.raises(ValueError, match="'WEEK' only"):
        farm_db.run_report("SP_INS_WEEK_MAIN", "MONTH", "20261116")


def test_the_reference_report_reports_the_planned_farms_from_their_planned_station(farm_db):
    """One farm identity: the report's farms are the week's plan (TS_INS_WEEK_FARM), never a fresh read of
    TA_FARM; a planned farm's rows from another station are not read."""
    plan(farm_db, "20261116", ["F0001", "F0002", "F0003"])
    days = [f"2026-11-{day}" for day in range(16, 23)]
    rows = [weather(farm, day, 10.0) for farm in ("F0001", "F0002", "F0003", "F0099") for day in days]
    rows = [{**row, "point_id": "999"} if row["farm_no"] == "F0003" else row for row in rows]
    farm_db.upsert_weather(rows)
    farm_db.run_report("SP_INS_WEEK_MAIN", "WEEK", "20261116")
    assert sorted(farm_db.report_farms("20261116")) == ["F0001", "F0002"]
    assert table(farm_db.path, "SELECT DISTINCT FARM_NM, POINT_ID FROM TR_INS_WEEK_REPORT ORDER BY 1") == [
        ("농장 F0001", "108"),
        ("농장 F0002", "108"),
    ]


def test_replanning_a_week_replaces_its_manifest_and_leaves_other_weeks(farm_db):
    plan(farm_db, "20261116", ["F0001", "F0002"])
    plan(farm_db, "20261123", ["F0001"])
    plan(farm_db, "20261116", ["F0003"])
    assert [farm.farm_no for farm in farm_db.manifest_farms("20261116")] == ["F0003"]
    assert [farm.farm_no for farm in farm_db.manifest_farms("20261123")] == ["F0001"]


def test_wrong_connection_type_is_refused(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_PG_FARM_DB", json.dumps({"conn_type": "postgres", "host": "x"}))
    with pytest.raises(ValueError, match="must be one of oracle, sqlite"):
        farm_database("pg_farm_db")


def test_split_statements():
    script = "-- header\nDELETE FROM T WHERE A = :a;\n\n-- next\nINSERT INTO T VALUES (';');\n"
    assert split_statements(script) == ["DELETE FROM T WHERE A = :a", "INSERT INTO T VALUES (';')"]
