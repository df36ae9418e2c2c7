"""The completeness gate reads the database: strict by default, or gaps accepted by a coverage policy."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3

import pytest

from include.ins_report.localdev import init_farm_db
from include.ins_report.settings import Settings
from include.ins_report.sources import kosis
from include.ins_report.steps import CollectionIncompleteError, StepContext, check_collection, select_farms
from include.ins_report.warehouse import Warehouse
from include.ins_report.week import ReportWeek

WEEK = ReportWeek(dt.date(2026, 11, 16))


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "farm.db"
    init_farm_db(path)
    monkeypatch.setenv("AIRFLOW_CONN_FARM_DB", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_ALERTS", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_ALERT_WEBHOOK", raising=False)
    return path


@pytest.fixture
def ctx(db):
    return StepContext(run_id="gate-test", week=WEEK, settings=Settings())


def fill(ctx, skip_days: int = 0, skip_stats: bool = False) -> int:
    warehouse = Warehouse("farm_db")
    farms = select_farms(warehouse).valid
    rows = [
        {
            "farm_no": farm.farm_no,
            "weather_date": day.isoformat(),
            "point_id": "108",
            "avg_ta": 1.0,
            "min_ta": 0.0,
            "max_ta": 2.0,
            "avg_rhm": 50.0,
            "sum_rn": 0.0,
            "thi": 40.0,
            "source": "KMA_ASOS",
            "collected_at": "2026-11-23 03:00:00",
            "run_id": "gate-test",
        }
        for index, farm in enumerate(farms)
        for day in WEEK.days
        if not (index == 0 and day in WEEK.days[:skip_days])
    ]
    warehouse.upsert_weather(rows)
    for series in kosis.load_series(Settings().kosis_series_file):
        for period in kosis.periods_for_week(series, WEEK)[: 0 if skip_stats else None]:
            warehouse.upsert_stats(
                [
                    {
                        "source": "KOSIS",
                        "series_id": series.series_id,
                        "item_id": "T",
                        "item_nm": "",
                        "category_id": "00",
                        "category_nm": "",
                        "period_type": series.prd_se,
                        "period": period,
                        "value": 1.0,
                        "unit": "",
                        "collected_at": "x",
                        "run_id": "gate-test",
                    }
                ]
            )
    return len(farms)


def job_log(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT STEP_NM, STATUS, ROW_COUNT, MESSAGE FROM TS_INS_JOB_LOG").fetchall()


def test_complete_week_passes(ctx, db):
    farms = fill(ctx)
    assert check_collection(ctx) == {"farms": farms, "weather_rows": farms * 7, "stats_periods": 2, "gaps": 0}
    assert job_log(db)[-1][:3] == ("CHECK_COLLECTION", "SUCCESS", farms * 7)


def test_strict_gate_lists_what_is_missing(ctx):
    fill(ctx, skip_days=2, skip_stats=True)
    with pytest.raises(CollectionIncompleteError) as raised:
        check_collection(ctx)
    message = str(raised.value)
    assert "missing weather (2): F0001 2026-11-16, F0001 2026-11-17" in message
    assert "missing stats (2): 101/DT_1EO311 202603, 101/DT_1J22003 202610" in message
    assert "minimum coverage: weather 100%" in message


def test_gaps_within_the_coverage_policy_are_accepted_and_logged(ctx, db):
    farms = fill(ctx, skip_days=1)
    outcome = check_collection(dataclasses.replace(ctx, settings=Settings(min_weather_coverage=0.99)))
    assert outcome["gaps"] == 1
    assert outcome["weather_rows"] == farms * 7 - 1
    step, status, rows, message = job_log(db)[-1]
    assert (step, status, rows) == ("CHECK_COLLECTION", "WARNING", farms * 7 - 1)
    assert "gaps accepted by the coverage policy" in message
    assert "missing weather (1): F0001 2026-11-16" in message


def test_gaps_below_the_coverage_policy_fail(ctx):
    fill(ctx, skip_days=7)
    strict_enough = dataclasses.replace(ctx, settings=Settings(min_weather_coverage=0.99))
    with pytest.raises(CollectionIncompleteError, match="missing weather \\(7\\)"):
        check_collection(strict_enough)


def test_coverage_must_be_a_share(monkeypatch):
    monkeypatch.setenv("INS_MIN_WEATHER_COVERAGE", "95")
    with pytest.raises(ValueError, match="between 0 and 1"):
        Settings.from_env()
