"""The SQLite reference report's PIG_PRICE_AVG: the week's mean EKAPE national price (등외 excluded) over
its auction days; NULL without EKAPE data."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from devtools.embedded import init_farm_db
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import ekape
from include.ins_report.sources import ekape_answers as answers
from include.ins_report.store.farm_db import FarmDatabase
from tests.support.farm_db import write_manifest


@pytest.fixture(autouse=True)
def week_planned(farm_db):
    """The farm database of every test here: two farms planned on one station, a full week of weather."""
    days = [f"2026-11-{day}" for day in range(16, 23)]
    farm_db.upsert_weather(
        [
            {
                "farm_no": farm,
                "weather_date": day,
                "point_id": "108",
                "avg_ta": 5.0,
                "min_ta": 1.0,
                "max_ta": 9.0,
                "avg_rhm": 60.0,
                "sum_rn": 0.0,
                "thi": 45.0,
                "source": "KMA_ASOS",
                "collected_at": "2026-11-23 09:00:00",
                "run_id": "r1",
            }
            for farm in ("F0001", "F0002")
            for day in days
        ]
    )
    write_manifest(farm_db, ReportWeek(dt.date(2026, 11, 16)), {"F0001": "108", "F0002": "108"})
    return farm_db


def auction(day: dt.date, price: float | None, *, grade_out: float = 3500.0) -> answers.AuctionDay:
    if price is None:
        return answers.AuctionDay(
            day, False, answers.Price(None, 0), {g: answers.Price(None, 0) for g in ekape.GRADES}
        )
    grades = {"1+": answers.Price(price + 170, 900), "1": answers.Price(price + 120, 1000),
              "2": answers.Price(price - 250, 800), "OUT": answers.Price(grade_out, 150)}  # fmt: skip
    return answers.AuctionDay(day, True, answers.Price(price, 2700), grades)


def store(farm_db: FarmDatabase, days: list[answers.AuctionDay], run_id: str = "r1") -> None:
    farm_db.upsert_stats(ekape.stats_rows(days, run_id=run_id, collected_at="2026-11-30 10:05:00"))


def prices(farm_db: FarmDatabase, week: str = "20261116") -> list[tuple]:
    with sqlite3.connect(farm_db.path) as conn:
        return conn.execute(
            "SELECT FARM_NO, PIG_PRICE_AVG FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ? ORDER BY FARM_NO",
            (week,),
        ).fetchall()


WEEK_PRICES = [5512.4, 5530.0, 5498.25, 5601.5, 5575.0, 5420.75, None]  # Monday .. Saturday, Sunday closed


def test_the_price_is_the_mean_over_the_weeks_auction_days(farm_db):
    days = [auction(dt.date(2026, 11, 16) + dt.timedelta(days=i), p) for i, p in enumerate(WEEK_PRICES)]
    store(farm_db, days)
    # Outside the week (the Sunday before, the Monday after) and other categories: not in the mean.
    store(farm_db, [auction(dt.date(2026, 11, 15), 9000.0), auction(dt.date(2026, 11, 23), 100.0)])
    farm_db.run_report("SP_INS_WEEK_MAIN", "WEEK", "20261116")
    expected = round(sum(p for p in WEEK_PRICES if p) / 6, 1)
    assert prices(farm_db) == [("F0001", expected), ("F0002", expected)]


def test_a_week_with_holidays_averages_the_open_days_only(farm_db):
    week = [5500.0, None, None, None, 5600.0, 5700.0, None]  # a long holiday closure
    store(farm_db, [auction(dt.date(2026, 11, 16) + dt.timedelta(days=i), p) for i, p in enumerate(week)])
    farm_db.run_report("SP_INS_WEEK_MAIN", "WEEK", "20261116")
    assert prices(farm_db) == [("F0001", 5600.0), ("F0002", 5600.0)]


def test_without_ekape_data_the_report_builds_with_null(farm_db):
    farm_db.run_report("SP_INS_WEEK_MAIN", "WEEK", "20261116")
    assert prices(farm_db) == [("F0001", None), ("F0002", None)]
    # A week of closed days only: still NULL, never 0.
    store(farm_db, [auction(dt.date(2026, 11, 16) + dt.timedelta(days=i), None) for i in range(7)])
    farm_db.run_report("SP_INS_WEEK_MAIN", "WEEK", "20261116")
    assert prices(farm_db) == [("F0001", None), ("F0002", None)]


def test_a_refetched_day_replaces_its_price(farm_db):
    store(farm_db, [auction(dt.date(2026, 11, 16), 5000.0), auction(dt.date(2026, 11, 17), 6000.0)])
    store(farm_db, [auction(dt.date(2026, 11, 17), 5800.0)], run_id="r2")
    farm_db.run_report("SP_INS_WEEK_MAIN", "WEEK", "20261116")
    farm_db.run_report("SP_INS_WEEK_MAIN", "WEEK", "20261116")
    assert prices(farm_db) == [("F0001", 5400.0), ("F0002", 5400.0)]


def test_an_existing_database_gains_the_column(tmp_path):
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE TR_INS_WEEK_REPORT (REPORT_WEEK TEXT, FARM_NO TEXT, CREATED_AT TEXT)")
    init_farm_db(db)
    init_farm_db(db)  # idempotent
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(TR_INS_WEEK_REPORT)")]
    assert columns.count("PIG_PRICE_AVG") == 1
