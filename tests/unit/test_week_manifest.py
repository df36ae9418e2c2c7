"""The week's manifest at the step level: written once by the start and plan steps, the collections fetch
it and wait for what is not published yet, the report reads it (a week's report depends on its manifest
only) and the reconciliation compares with it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3

import pendulum
import pytest
from airflow.sdk.exceptions import AirflowRescheduleException

from include.ins_report.airflow_edge import context as airflow_context
from include.ins_report.airflow_edge.connections import farm_database
from include.ins_report.config.settings import Settings
from include.ins_report.model.farms import WeatherLocation
from include.ins_report.model.manifest import InputCell, by_series, periods_used
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import catalog
from include.ins_report.sources.errors import NotYetPublishedError, PermanentApiError
from include.ins_report.sources.kma_asos import AsosWeatherProvider, DailyObservation
from include.ins_report.steps.gate import check_collection
from include.ins_report.steps.job import collect_statistics, start_job
from include.ins_report.steps.report import run_weekly_report
from include.ins_report.steps.weather import collect_station_weather, plan_weather_locations
from tests.support.steps import step_context

WEEK = ReportWeek(dt.date(2026, 11, 16))
KEY = "20261116"
CPI = "101/DT_1J22003"
PIG = "101/DT_1EO311"
INSIDE_WINDOW = pendulum.datetime(2026, 11, 23, 3, 30, tz="Asia/Seoul")
AFTER_WINDOW = pendulum.datetime(2026, 11, 23, 12, 0, tz="Asia/Seoul")


@pytest.fixture
def ctx(farm_db):
    return step_context(WEEK, Settings(sources=["kosis", "kma"]), run_id="manifest-test")


def rows(farm_db, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(farm_db) as conn:
        return conn.execute(sql, params).fetchall()


def kosis_row(series_id: str, item: str, category: str, period: str, value: float | None) -> dict:
    return {
        "source": "KOSIS", "series_id": series_id, "item_id": item, "item_nm": "", "category_id": category,
        "category_nm": "", "period_type": "Q" if series_id == PIG else "M", "period": period, "value": value,
        "unit": "", "collected_at": "2026-11-23 03:00:00", "run_id": "manifest-test",
    }  # fmt: skip


def kosis_answering(answer):
    """The KOSIS source with its fetch replaced: ``answer(series)`` gives the rows of one manifest series."""

    class Answering(catalog.KosisSource):
        def fetch(self, client, week, inputs, run_id, collected_at):
            rows = [
                catalog.SeriesRows(series.series_name, series.periods, answer(series)) for series in inputs
            ]
            return rows

    return Answering()


def full_answer(series) -> list[dict]:
    (period,) = series.periods
    if series.series_id == PIG:
        return [
            kosis_row(PIG, item, f"{code}/00", period, 1.0)
            for item in ("T001", "T002")
            for code in ("00", "11")
        ]
    return [kosis_row(CPI, "T", code, period, 120.0) for code in ("A01114", "A01113")]


def test_start_writes_the_statistics_part_once_per_run_and_replaces_it(ctx, farm_db):
    result = start_job(ctx)
    assert result["periods"] == {
        "pig_farms_and_heads_by_sido": ["202603"],
        "consumer_price_index_meat": ["202610"],
    }
    cells = farm_database("farm_db").manifest_inputs(KEY)
    assert {(c.series_id, c.label(), c.report_column) for c in cells} == {
        (PIG, "T002 00/00 202603", "NATIONAL_PIG_HEADS"),
        (CPI, "T A01114 202610", "PORK_CPI"),
    }
    start_job(dataclasses.replace(ctx, run_id="again"))
    assert rows(farm_db, "SELECT DISTINCT RUN_ID FROM TS_INS_WEEK_INPUT") == [("again",)]


def test_the_plan_writes_the_farm_part_with_each_farms_station(ctx):
    plan_weather_locations(ctx)
    farms = farm_database("farm_db").manifest_farms(KEY)
    assert len(farms) == 44  # the sample farms the farm rule accepts
    assert {farm.point_id for farm in farms if farm.farm_no == "F0001"} == {"203"}
    assert all(farm.farm_name and farm.station_name for farm in farms)


def test_the_collection_fetches_the_manifests_periods_and_warns_of_unread_gaps(ctx, farm_db):
    start_job(ctx)

    def answer(series):
        found = full_answer(series)
        return [{**row, "value": None} if row["category_id"] == "11/00" else row for row in found]

    result = collect_statistics(ctx, kosis_answering(answer))
    assert result["warnings"] == [
        "pig_farms_and_heads_by_sido T001 11/00 202603: no value, not read",
        "pig_farms_and_heads_by_sido T002 11/00 202603: no value, not read",
    ]
    query = "SELECT STATUS, MESSAGE FROM TS_INS_JOB_LOG WHERE STEP_NM = 'COLLECT_KOSIS_SERIES'"
    ((status, message),) = rows(farm_db, query)
    assert status == "WARNING"
    assert message.endswith(
        "| warnings: pig_farms_and_heads_by_sido T001 11/00 202603: no value, not read; "
        "pig_farms_and_heads_by_sido T002 11/00 202603: no value, not read"
    )


def test_a_period_not_published_yet_is_waited_for_then_named(ctx, farm_db, monkeypatch):
    """KOSIS's err 30 for the manifest's period (no row of it at all): inside the waiting window the task
    is rescheduled (no retry spent), after it the collection fails naming the series and the period."""
    start_job(ctx)
    cpi_missing = kosis_answering(lambda series: [] if series.series_id == CPI else full_answer(series))
    monkeypatch.setenv("INS_NOW", INSIDE_WINDOW.isoformat())
    with pytest.raises(NotYetPublishedError) as waiting:
        collect_statistics(ctx, cpi_missing)
    assert waiting.value.retry_at == INSIDE_WINDOW.add(seconds=ctx.settings.publication_poke_seconds)
    assert "KOSIS 101/DT_1J22003 consumer_price_index_meat period 202610 not published yet" in str(
        waiting.value
    )
    assert rows(farm_db, "SELECT COUNT(*) FROM TA_STATS_DATA") == [(0,)]  # nothing written while waiting
    with (
        pytest.raises(AirflowRescheduleException) as rescheduled,
        airflow_context.waiting_for_the_source(ctx),
    ):
        collect_statistics(ctx, cpi_missing)
    assert rescheduled.value.reschedule_date == waiting.value.retry_at
    monkeypatch.setenv("INS_NOW", AFTER_WINDOW.isoformat())
    with pytest.raises(PermanentApiError, match="period 202610 was not published by 2026-11-23 12:00 KST"):
        collect_statistics(ctx, cpi_missing)


def test_the_last_try_is_at_the_window_end():
    from include.ins_report.steps.waiting import not_published

    late = pendulum.datetime(2026, 11, 23, 11, 55, tz="Asia/Seoul")
    with pytest.raises(NotYetPublishedError) as waiting:
        not_published("KOSIS", "30", "x", WEEK, Settings(), late)
    assert waiting.value.retry_at == pendulum.datetime(2026, 11, 23, 12, 0, tz="Asia/Seoul")


def test_a_station_later_than_the_probe_keeps_waiting_until_the_window_ends(ctx, monkeypatch):
    """Sunday missing for one station after the probe found it: the station waits (rescheduled) until the
    window ends, as its message says, and only then is written with the gap for the gate to judge."""
    location = WeatherLocation("203", "이천", ("F0001",))
    days = [DailyObservation("203", day, 1.0, 0.0, 2.0, 50.0, 0.0) for day in WEEK.days[:-1]]
    monkeypatch.setattr(AsosWeatherProvider, "fetch_week", lambda self, location, week: days)
    with pytest.raises(NotYetPublishedError, match="203 이천 \\(1 farm\\): 2026-11-22 not published yet"):
        collect_station_weather(ctx, location, now=INSIDE_WINDOW)
    result = collect_station_weather(ctx, location, now=AFTER_WINDOW)
    assert (result["rows"], result["missing"]) == (6, ["2026-11-22"])


def fill_week(ctx, cpi: float) -> None:
    warehouse = farm_database("farm_db")
    start_job(ctx)
    plan_weather_locations(ctx)
    farms = warehouse.manifest_farms(KEY)
    warehouse.upsert_weather(
        [
            {
                "farm_no": farm.farm_no,
                "weather_date": day.isoformat(),
                "point_id": farm.point_id,
                "avg_ta": 1.0,
                "min_ta": 0.0,
                "max_ta": 2.0,
                "avg_rhm": 50.0,
                "sum_rn": 0.0,
                "thi": 40.0,
                "source": "KMA_ASOS",
                "collected_at": "2026-11-23 03:00:00",
                "run_id": ctx.run_id,
            }
            for farm in farms
            for day in WEEK.days
        ]
    )
    warehouse.upsert_stats(
        [kosis_row(PIG, "T002", "00/00", "202603", 11e6), kosis_row(CPI, "T", "A01114", "202610", cpi)]
    )


def test_the_report_reads_the_manifests_period_whatever_was_stored_later(ctx, farm_db):
    """The reproduction: a later week stored November's CPI as NULL and an older quarter's heads remained;
    the week's report still reads 202610 and 202603, and a re-run leaves it identical."""
    fill_week(ctx, cpi=124.66)
    farm_database("farm_db").upsert_stats(
        [kosis_row(CPI, "T", "A01114", "202611", None), kosis_row(PIG, "T002", "00/00", "202602", 555.0)]
    )
    check_collection(ctx)
    run_weekly_report(ctx)
    first = rows(farm_db, "SELECT FARM_NO, NATIONAL_PIG_HEADS, PORK_CPI FROM TR_INS_WEEK_REPORT ORDER BY 1")
    assert {(heads, cpi) for _, heads, cpi in first} == {(11e6, 124.66)}
    farm_database("farm_db").upsert_stats([kosis_row(CPI, "T", "A01114", "202611", 123.03)])
    run_weekly_report(ctx)
    assert (
        rows(farm_db, "SELECT FARM_NO, NATIONAL_PIG_HEADS, PORK_CPI FROM TR_INS_WEEK_REPORT ORDER BY 1")
        == first
    )


def test_a_missing_manifest_period_is_a_gap_even_when_another_period_has_the_value(ctx, farm_db):
    fill_week(ctx, cpi=124.66)
    with sqlite3.connect(farm_db) as conn:
        conn.execute("UPDATE TA_STATS_DATA SET PERIOD = '202609' WHERE SERIES_ID = ?", (CPI,))
    with pytest.raises(
        Exception, match="missing stats \\(1\\): 101/DT_1J22003 consumer_price_index_meat: T A01114 202610"
    ):
        check_collection(ctx)


def test_without_a_plan_the_procedure_is_not_called(ctx, farm_db):
    start_job(ctx)
    with pytest.raises(Exception, match="the week's plan \\(TS_INS_WEEK_FARM, week 20261116\\) is empty"):
        run_weekly_report(ctx)
    assert rows(farm_db, "SELECT COUNT(*) FROM TR_INS_WEEK_REPORT") == [(0,)]


def test_the_manifest_model():
    cells = [
        InputCell("KOSIS", CPI, "cpi", "T", "A01114", "M", "202610", "PORK_CPI"),
        InputCell("EKAPE", "E", "prices", "PRICE", "X", "D", "20261117"),
        InputCell("EKAPE", "E", "prices", "PRICE", "X", "D", "20261116"),
    ]
    assert [(s.series_id, s.periods) for s in by_series(cells)] == [
        (CPI, ("202610",)),
        ("E", ("20261116", "20261117")),
    ]
    assert periods_used(cells) == {"cpi": ("202610",), "prices": ("20261116", "20261117")}
    row = cells[0].as_row("20261116", "r", "2026-11-23 02:00:00")
    keys = (
        "source",
        "series_id",
        "series_nm",
        "item_id",
        "category_id",
        "period_type",
        "period",
        "report_column",
    )
    assert InputCell.from_row(tuple(row[key] for key in keys)) == cells[0]


def test_a_source_answering_only_later_is_waited_for_inside_the_window_else_fails_at_once(ctx):
    """A quota or a long Retry-After (RetryLaterError): rescheduled to its time when that is inside the
    week's waiting window, failed at once (no retry within seconds or minutes) when it is after it."""
    from airflow.sdk.exceptions import AirflowFailException

    from include.ins_report.sources.errors import RetryLaterError

    in_an_hour = pendulum.datetime(2026, 11, 23, 4, 0, tz="Asia/Seoul")
    with (
        pytest.raises(AirflowRescheduleException) as rescheduled,
        airflow_context.waiting_for_the_source(ctx),
    ):
        raise RetryLaterError("KMA ASOS", "429", "too many requests; retry after 3600 s", retry_at=in_an_hour)
    assert rescheduled.value.reschedule_date == in_an_hour
    midnight = pendulum.datetime(2026, 11, 24, 0, 0, tz="Asia/Seoul")
    with (
        pytest.raises(
            AirflowFailException, match="it resets at 2026-11-24 00:00 KST \\(after the waiting window"
        ),
        airflow_context.waiting_for_the_source(ctx),
    ):
        raise RetryLaterError(
            "EKAPE", "22", "the daily quota is used up; it resets at 2026-11-24 00:00 KST", retry_at=midnight
        )
