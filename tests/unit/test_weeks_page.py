"""The INS weeks page's rows (include/ins_report/weeks/): built from a farm database that holds weeks as
runs leave them (tests/support/weeks.py), the week-over-week changes and their outlier rule, a week's
farms and stations, and the charts (PNG, with a Korean font)."""

from __future__ import annotations

import datetime as dt

import pytest

from include.ins_report.config.settings import Settings
from include.ins_report.model.week import ReportWeek
from include.ins_report.weeks import charts, queries, render
from include.ins_report.weeks.model import Figures, changes, is_outlier
from tests.support.farm_db import query
from tests.support.weeks import seed_week

WEEKS = [ReportWeek(dt.date(2026, 11, 2) + dt.timedelta(weeks=i)) for i in range(3)]  # 11-02, 11-09, 11-16
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def history(farm_db):
    seed_week(farm_db, WEEKS[0], temperature=12.0, price=5000.0)
    seed_week(farm_db, WEEKS[1], temperature=11.0, price=5100.0)
    seed_week(
        farm_db,
        WEEKS[2],
        temperature=3.0,
        price=5900.0,
        missing_days=1,
        decision="gaps accepted by kim (운영팀): 관측소 점검, 1일 결측 허용",
    )
    return farm_db


def test_one_row_per_week_newest_first_with_the_run_and_its_link(history):
    page = queries.weeks_page(history, Settings(), page=1, page_size=2)
    assert [row.week_key for row in page.rows] == ["20261116", "20261109"]
    assert (page.page, page.pages, page.weeks) == (1, 2, 3)
    newest = page.rows[0]
    assert newest.state == "SUCCESS"
    assert newest.run_id == "manual__2026-11-16T00:00:00+00:00"
    assert newest.grid_path == "/dags/ins_weekly_report/runs/manual__2026-11-16T00%3A00%3A00%2B00%3A00"
    reported = query(history, "SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = '20261116'")[0][0]
    assert newest.report_rows == reported
    assert newest.gate_status == "WARNING"
    assert newest.gate_counts["missing_day"] > 0
    # The decision on the gaps is shown as its MESSAGE says, never parsed.
    assert newest.decision == "gaps accepted by kim (운영팀): 관측소 점검, 1일 결측 허용"
    assert newest.diff is None
    assert newest.excluded_total == 4
    assert any("duplicate farm number" in item for item in newest.excluded)
    kma = next(line for line in newest.sources if line.label == "KMA")
    weather_rows = query(
        history, "SELECT COUNT(*) FROM TM_WEATHER WHERE WEATHER_DATE BETWEEN '2026-11-16' AND '2026-11-22'"
    )[0][0]
    assert kma.rows == weather_rows
    assert kma.calls == len(
        {
            row[0]
            for row in query(history, "SELECT POINT_ID FROM TS_INS_WEEK_FARM WHERE REPORT_WEEK = '20261116'")
        }
    )
    ekape = next(line for line in newest.sources if line.label == "EKAPE")
    assert ekape.periods == "20261116..20261122"
    older = queries.weeks_page(history, Settings(), page=2, page_size=2)
    assert [row.week_key for row in older.rows] == ["20261102"]


def test_week_over_week_changes_against_the_farm_database_with_outliers_marked(history):
    newest, middle, oldest = queries.weeks_page(history, Settings()).rows
    price = query(
        history,
        "SELECT AVG(s.VALUE) FROM TS_INS_WEEK_INPUT m JOIN TA_STATS_DATA s ON s.SOURCE = m.SOURCE "
        "AND s.SERIES_ID = m.SERIES_ID AND s.ITEM_ID = m.ITEM_ID AND s.CATEGORY_ID = m.CATEGORY_ID "
        "AND s.PERIOD_TYPE = m.PERIOD_TYPE AND s.PERIOD = m.PERIOD "
        "WHERE m.REPORT_WEEK = '20261116' AND m.REPORT_COLUMN = 'PIG_PRICE_AVG'",
    )[0][0]
    assert newest.figures.price == pytest.approx(price)
    temperature = query(history, "SELECT AVG(AVG_TA) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = '20261116'")
    assert newest.figures.temperature == pytest.approx(temperature[0][0])
    by_figure = {change.figure: change for change in newest.changes}
    assert by_figure["price"].delta == pytest.approx(800.0)
    assert by_figure["price"].outlier
    assert by_figure["temperature"].outlier  # -8 °C
    assert not by_figure["rain"].outlier
    assert {c.figure for c in middle.changes if c.outlier} == set()
    assert all(change.delta is None for change in oldest.changes)  # no week before it


def test_outlier_rule():
    assert is_outlier("price", 5000, 5500)
    assert not is_outlier("price", 5000, 5300)
    assert is_outlier("temperature", 10, 4.9)
    assert not is_outlier("temperature", 10, 5.5)
    assert not is_outlier("price", 0, 10)
    assert [c.delta for c in changes(Figures(price=1.0), None)] == [None] * 4


def test_a_week_page_maps_farms_and_stations_by_status(history):
    detail = queries.week_detail(history, Settings(), "20261116")
    statuses = {farm.status for farm in detail.farms}
    assert statuses >= {"complete", "gap", "excluded"}
    planned = query(history, "SELECT COUNT(*) FROM TS_INS_WEEK_FARM WHERE REPORT_WEEK = '20261116'")[0][0]
    assert sum(1 for f in detail.farms if f.status != "excluded") == planned
    active = query(history, "SELECT COUNT(*) FROM TA_FARM WHERE USE_YN = 'Y'")[0][0]
    assert len(detail.farms) == active  # inactive farms are neither the week's nor excluded
    assert any(station.status == "gap" for station in detail.stations)
    assert {day.stn_id for day in detail.days} == {station.stn_id for station in detail.stations}
    assert len(detail.prices) == 3 * 7  # three seeded weeks of daily prices within the 12 weeks
    assert detail.diff_rows == []
    html = render.week_page(detail, "20261116", "/ins-weeks", "")
    assert "농장과 ASOS 관측소" in html
    assert "/ins-weeks/week/20261116/map.png" in html


def test_a_week_without_a_run_renders(farm_db):
    detail = queries.week_detail(farm_db, Settings(), "20261116")
    assert detail.row is None
    assert "작업 로그가 없습니다" in render.week_page(detail, "20261116", "/ins-weeks", "")
    assert "기록된 주가 없습니다" in render.index_page(
        queries.weeks_page(farm_db, Settings()), "/ins-weeks", ""
    )


def test_charts_are_png_with_a_korean_font(history):
    assert charts.korean_font() is not None, "fonts-noto-cjk (make system-deps) gives the charts Hangul"
    detail = queries.week_detail(history, Settings(), "20261116")
    for png in (
        charts.farm_map(detail.farms, detail.stations, "2026-11-16 농장·관측소"),
        charts.station_multiples(detail.days, "관측소별 일별 기온·THI·강수"),
        charts.price_chart(detail.prices, WEEKS[2].start, "EKAPE 전국 지육가격"),
        charts.price_chart([], WEEKS[2].start, "가격 없음"),
        charts.station_multiples([], "없음"),
    ):
        assert png.startswith(PNG)
        assert len(png) > 2000


def test_the_report_diff_of_the_latest_run_as_a_table_and_its_message_as_it_stands(history):
    run_id = "manual__2026-11-16T00:00:00+00:00"
    message = "compared with the previous report: 1 farm changed (AVG_TA)"
    history.log_step(
        run_id=run_id,
        report_week="20261116",
        step="COMPARE_REPORT",
        status="SUCCESS",
        started_at=None,
        message=message,
    )
    history.write_many(
        "insert_report_diff",
        [
            {
                "report_week": "20261116",
                "run_id": run_id,
                "try_no": 1,
                "farm_no": "F0001",
                "col_nm": "AVG_TA",
                "change_kind": "CHANGED",
                "old_value": "3.3",
                "new_value": "4.3",
                "delta": 1.0,
                "created_at": "2026-11-23 10:00:00",
            }
        ],
    )
    detail = queries.week_detail(history, Settings(), "20261116")
    assert detail.row.diff == message
    assert [row[1:4] for row in detail.diff_rows] == [("F0001", "AVG_TA", "CHANGED")]
    html = render.week_page(detail, "20261116", "/ins-weeks", "")
    assert "<td>F0001</td><td>AVG_TA</td><td>CHANGED</td><td>3.3</td><td>4.3</td>" in html


def test_a_start_that_was_given_no_week_is_listed_bare_and_the_page_still_renders(history):
    """A run triggered with a Wednesday fails at its start and leaves the date it was given as REPORT_WEEK
    (`2026-11-11`); the page lists it without figures instead of answering 500 (seen in the browser tier)."""
    history.log_step(
        run_id="manual__wednesday",
        report_week="2026-11-11",
        step="START_JOB",
        status="FAILED",
        started_at="2026-11-23 10:00:00",
        message="InvalidWeekError: 2026-11-11 is a Wednesday",
    )
    page = queries.weeks_page(history, Settings(), page=1, page_size=12)
    assert [row.week_key for row in page.rows] == ["20261116", "20261109", "20261102", "2026-11-11"]
    bare = page.rows[-1]
    assert bare.week_label == "2026-11-11"
    assert all(change.value is None for change in bare.changes)
    assert "2026-11-11" in render.index_page(page, "/ins-weeks", "")
