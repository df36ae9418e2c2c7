"""The completeness gate reads the database and checks content, by kind: strict by default, or gaps accepted
by a coverage policy that applies to every kind. Also the report's reconciliation with the week's farms."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3

import pytest

from include.ins_report.airflow_edge.connections import farm_database
from include.ins_report.config.settings import Settings
from include.ins_report.joblog import GATE_KINDS, parse_gate_counts
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import catalog, ekape, kosis
from include.ins_report.steps import gate
from include.ins_report.steps.gate import CollectionIncompleteError, check_collection
from include.ins_report.steps.job import start_job
from include.ins_report.steps.report import ReportMismatchError, run_weekly_report
from include.ins_report.steps.weather import plan_weather_locations
from include.ins_report.store.farm_db import FarmDatabase
from tests.support.steps import step_context

WEEK = ReportWeek(dt.date(2026, 11, 16))
PIG = "101/DT_1EO311"
CPI = "101/DT_1J22003"
# The tables kosis_series.json fetches, as KOSIS answers them for the week's periods (the report reads
# T002 00/00 of the first and T A01114 of the second; the rest is stored only).
STATS_ROWS = [
    (PIG, "Q", "202603", item, category)
    for item in ("T001", "T002")
    for category in ("00/00", "11/00", "41/00")  # obj_l ["ALL", "00"]
] + [(CPI, "M", "202610", "T", category) for category in ("A01114", "A01113")]


@pytest.fixture(autouse=True)
def no_alert_channels_and_reconciliation_on(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_ALERTS", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_ALERT_WEBHOOK", raising=False)
    monkeypatch.delenv("INS_RECONCILE_REPORT", raising=False)


# KOSIS and the weather; EKAPE's rules have their own tests below.
KOSIS_AND_WEATHER = ["kosis", "kma"]


# The stop-or-accept tests ask nobody (floors at 1.0: no band); the band's own tests set the floors.
NO_QUESTIONS = {"ask_weather_coverage": 1.0, "ask_stats_coverage": 1.0}


def policy(**coverage) -> Settings:
    return Settings(sources=KOSIS_AND_WEATHER, **{**NO_QUESTIONS, **coverage})


@pytest.fixture
def ctx(farm_db):
    return step_context(WEEK, policy(), run_id="gate-test")


def planned() -> dict[str, tuple[str, str]]:
    """The week's planned farms: farm -> (planned station, "id name")."""
    return {
        farm.farm_no: (farm.point_id, farm.station_label)
        for farm in farm_database("farm_db").manifest_farms(WEEK.start.strftime("%Y%m%d"))
    }


def plan(ctx) -> dict[str, tuple[str, str]]:
    """The week's manifest as its run writes it (the start and plan steps)."""
    start_job(ctx)
    plan_weather_locations(ctx)
    return planned()


def fill(ctx) -> int:
    """The week planned, then a complete, plausible week for every planned farm from its planned station;
    every stats cell of the fetched tables."""
    warehouse = farm_database("farm_db")
    stations = plan(ctx)
    warehouse.upsert_weather(
        [
            {
                "farm_no": farm_no,
                "weather_date": day.isoformat(),
                "point_id": point_id,
                "avg_ta": 1.0,
                "min_ta": 0.0,
                "max_ta": 2.0,
                "avg_rhm": 50.0,
                "sum_rn": 0.0,  # a dry day: known, not missing
                "thi": 40.0,
                "source": "KMA_ASOS",
                "collected_at": "2026-11-23 03:00:00",
                "run_id": "gate-test",
            }
            for farm_no, (point_id, _) in stations.items()
            for day in WEEK.days
        ]
    )
    warehouse.upsert_stats(
        [
            {
                "source": "KOSIS",
                "series_id": series_id,
                "item_id": item,
                "item_nm": "",
                "category_id": category,
                "category_nm": "",
                "period_type": period_type,
                "period": period,
                "value": 1.0,
                "unit": "",
                "collected_at": "2026-11-23 03:00:00",
                "run_id": "gate-test",
            }
            for series_id, period_type, period, item, category in STATS_ROWS
        ]
    )
    return len(stations)


def sql(farm_db, statement: str, params: tuple = ()) -> None:
    with sqlite3.connect(farm_db) as conn:
        conn.execute(statement, params)


def job_log(farm_db) -> list[tuple]:
    with sqlite3.connect(farm_db) as conn:
        return conn.execute("SELECT STEP_NM, STATUS, ROW_COUNT, MESSAGE FROM TS_INS_JOB_LOG").fetchall()


def failure(ctx) -> str:
    with pytest.raises(CollectionIncompleteError) as raised:
        check_collection(ctx)
    return str(raised.value)


def counts(message: str) -> dict[str, int]:
    found = parse_gate_counts(message)
    assert found is not None, message
    return {kind: count for kind, count in found.items() if count}


def test_complete_week_passes(ctx, farm_db):
    farms = fill(ctx)
    outcome = check_collection(ctx)
    assert outcome == {
        "farms": farms,
        "weather_rows": farms * 7,
        "good_farm_days": farms * 7,
        "stats_cells": 2,  # the cells the report reads: pig T002 00/00, CPI T A01114 (one period each)
        "good_stats_cells": 2,
        "gaps": 0,
        "kinds": dict.fromkeys(GATE_KINDS, 0),
        "decision": "complete",
    }
    step, status, rows, message = job_log(farm_db)[-1]
    assert (step, status, rows) == ("CHECK_COLLECTION", "SUCCESS", farms * 7)
    assert message.startswith(f"complete: {farms} farms: {farms * 7}/{farms * 7} farm-days (100.0%)")
    assert parse_gate_counts(message) == dict.fromkeys(GATE_KINDS, 0)


def test_missing_days_are_named_with_station_and_farm(ctx, farm_db):
    fill(ctx)
    sql(farm_db, "DELETE FROM TM_WEATHER WHERE FARM_NO = 'F0001' AND WEATHER_DATE <= '2026-11-17'")
    message = failure(ctx)
    station = planned()["F0001"][1]
    assert f"missing weather (2): {station} [farms F0001]: 2026-11-16, 2026-11-17" in message
    assert counts(message) == {"missing_day": 2}
    assert "minimum coverage: weather 100%" in message


def test_farms_of_one_station_are_listed_together_only_when_their_problems_match(ctx, farm_db):
    fill(ctx)
    stations = planned()
    shared = next(
        point for point, _ in stations.values() if sum(1 for p, _ in stations.values() if p == point) >= 3
    )
    first, second, third = sorted(farm for farm, (point, _) in stations.items() if point == shared)[:3]
    label = stations[first][1]
    sql(
        farm_db,
        "DELETE FROM TM_WEATHER WHERE FARM_NO IN (?, ?) AND WEATHER_DATE = '2026-11-18'",
        (first, second),
    )
    sql(farm_db, "DELETE FROM TM_WEATHER WHERE FARM_NO = ? AND WEATHER_DATE = '2026-11-19'", (third,))
    message = failure(ctx)
    assert (
        f"missing weather (3): {label} [farms {first}, {second}]: 2026-11-18; "
        f"{label} [farms {third}]: 2026-11-19" in message
    )


def test_null_core_values_fail_as_their_own_kind(ctx, farm_db):
    fill(ctx)
    sql(farm_db, "UPDATE TM_WEATHER SET AVG_TA = NULL, MAX_TA = NULL WHERE FARM_NO = 'F0002'")
    sql(
        farm_db,
        "UPDATE TM_WEATHER SET AVG_RHM = NULL WHERE FARM_NO = 'F0003' AND WEATHER_DATE = '2026-11-18'",
    )
    message = failure(ctx)
    assert counts(message) == {"core_null": 8}
    assert (
        f"core values NULL (8): {planned()['F0002'][1]} [farms F0002]: 2026-11-16 AVG_TA NULL MAX_TA NULL"
        in message
    )
    assert "[farms F0003]: 2026-11-18 AVG_RHM NULL" in message


def test_unknown_rain_is_reported_not_taken_for_a_dry_day(ctx, farm_db):
    fill(ctx)  # SUM_RN 0.0 everywhere: dry days pass
    sql(
        farm_db, "UPDATE TM_WEATHER SET SUM_RN = NULL WHERE FARM_NO = 'F0004' AND WEATHER_DATE = '2026-11-20'"
    )
    message = failure(ctx)
    assert counts(message) == {"rain_unknown": 1}
    assert f"rain unknown (SUM_RN NULL) (1): {planned()['F0004'][1]} [farms F0004]: 2026-11-20" in message


def test_a_row_from_another_station_than_the_plan_is_stale(ctx, farm_db):
    fill(ctx)
    station = planned()["F0001"]
    sql(
        farm_db,
        "UPDATE TM_WEATHER SET POINT_ID = '999' WHERE FARM_NO = 'F0001' AND WEATHER_DATE = '2026-11-18'",
    )
    message = failure(ctx)
    assert counts(message) == {"stale_station": 1}
    assert f"stale station (1): {station[1]} [farms F0001]: 2026-11-18 from station 999" in message


@pytest.mark.parametrize(
    ("update", "detail"),
    [
        ("MAX_TA = 45.5", "MAX_TA 45.5 not -45..45 °C"),
        ("MIN_TA = -45.5", "MIN_TA -45.5 not -45..45 °C"),
        ("AVG_RHM = 100.5", "AVG_RHM 100.5 not 0..100 %"),
        ("AVG_RHM = -1", "AVG_RHM -1 not 0..100 %"),
        ("SUM_RN = -0.1", "SUM_RN -0.1 not >= 0 mm"),
        ("MAX_TA = 9e999", "MAX_TA inf not -45..45 °C"),  # SQLite keeps infinity
        ("MIN_TA = 1.5", "not MIN_TA 1.5 <= AVG_TA 1 <= MAX_TA 2"),
        ("AVG_TA = 3", "not MIN_TA 0 <= AVG_TA 3 <= MAX_TA 2"),
    ],
)
def test_implausible_values_are_named_with_the_range(ctx, farm_db, update, detail):
    fill(ctx)
    sql(farm_db, f"UPDATE TM_WEATHER SET {update} WHERE FARM_NO = 'F0005' AND WEATHER_DATE = '2026-11-19'")
    message = failure(ctx)
    assert counts(message) == {"implausible": 1}
    assert f"implausible weather (1): {planned()['F0005'][1]} [farms F0005]: 2026-11-19 {detail}" in message


def test_values_on_the_bounds_are_plausible(ctx, farm_db):
    fill(ctx)
    sql(
        farm_db,
        "UPDATE TM_WEATHER SET MIN_TA = -45, AVG_TA = -45, MAX_TA = 45, AVG_RHM = 100 "
        "WHERE FARM_NO = 'F0001'",
    )
    sql(
        farm_db,
        "UPDATE TM_WEATHER SET AVG_TA = 2, MIN_TA = 2, MAX_TA = 2, AVG_RHM = 0 WHERE FARM_NO = 'F0002'",
    )
    assert check_collection(ctx)["gaps"] == 0


def test_rows_of_farms_that_are_not_farms_of_the_week_are_ignored(ctx, farm_db):
    fill(ctx)
    sql(
        farm_db,
        "INSERT INTO TM_WEATHER (FARM_NO, WEATHER_DATE, POINT_ID, SOURCE, COLLECTED_AT, RUN_ID) "
        "VALUES ('F0099', '2026-11-16', '1', 'KMA_ASOS', 'x', 'old')",
    )
    assert check_collection(ctx)["gaps"] == 0


def test_statistics_cells_missing_or_null(ctx, farm_db):
    fill(ctx)
    sql(farm_db, f"DELETE FROM TA_STATS_DATA WHERE SERIES_ID = '{CPI}' AND CATEGORY_ID = 'A01114'")
    sql(farm_db, f"UPDATE TA_STATS_DATA SET VALUE = NULL WHERE SERIES_ID = '{PIG}' AND ITEM_ID = 'T002'")
    message = failure(ctx)
    assert counts(message) == {"stats_missing": 1, "stats_null": 1}
    assert f"missing stats (1): {CPI} consumer_price_index_meat: T A01114 202610" in message
    assert f"stats value NULL (1): {PIG} pig_farms_and_heads_by_sido: T002 00/00 202603 no value" in message
    assert "stats 0/2 cells (0.0%)" in message


def test_gaps_in_cells_the_report_does_not_read_never_block(ctx, farm_db):
    """A `-` in the 서울 row of the heads table (stored, never read) used to block every week."""
    fill(ctx)
    sql(farm_db, f"UPDATE TA_STATS_DATA SET VALUE = NULL WHERE SERIES_ID = '{PIG}' AND CATEGORY_ID = '11/00'")
    sql(farm_db, f"DELETE FROM TA_STATS_DATA WHERE SERIES_ID = '{CPI}' AND CATEGORY_ID = 'A01113'")
    assert check_collection(ctx)["gaps"] == 0


def test_the_gate_checks_the_manifest_period_not_any_period(ctx, farm_db):
    """The period the week reads (202610) is what counts: a value of another month does not stand in."""
    fill(ctx)
    sql(farm_db, f"UPDATE TA_STATS_DATA SET PERIOD = '202609' WHERE SERIES_ID = '{CPI}'")
    assert counts(failure(ctx)) == {"stats_missing": 1}


def test_other_items_or_categories_than_configured_do_not_count(ctx, farm_db):
    """The reproduction: rows for items and classifications the report does not read used to pass."""
    fill(ctx)
    sql(farm_db, f"UPDATE TA_STATS_DATA SET ITEM_ID = 'T003' WHERE SERIES_ID = '{PIG}' AND ITEM_ID = 'T002'")
    sql(
        farm_db,
        f"UPDATE TA_STATS_DATA SET CATEGORY_ID = 'A99999' "
        f"WHERE SERIES_ID = '{CPI}' AND CATEGORY_ID = 'A01114'",
    )
    message = failure(ctx)
    assert counts(message) == {"stats_missing": 2}
    assert f"{PIG} pig_farms_and_heads_by_sido: T002 00/00 202603" in message
    assert f"{CPI} consumer_price_index_meat: T A01114 202610" in message


def test_a_zero_is_a_value(ctx, farm_db):
    fill(ctx)
    sql(farm_db, "UPDATE TA_STATS_DATA SET VALUE = 0")
    assert check_collection(ctx)["gaps"] == 0


def test_a_series_must_say_which_cells_the_report_reads(tmp_path):
    def load(**entry):
        path = tmp_path / "series.json"
        base = {"name": "s", "org_id": "101", "tbl_id": "T", "itm_id": "T001+T002+", "obj_l": ["ALL", "00"]}
        path.write_text(json.dumps({"series": [{**base, "prd_se": "Q", "publication_days": 35, **entry}]}))
        return kosis.load_series(path)

    cell = {"item_id": "T002", "category_id": "00/00", "report_column": "NATIONAL_PIG_HEADS"}
    (series,) = load(cells=[cell])
    assert series.cells == (kosis.ReportCell("T002", "00/00", "NATIONAL_PIG_HEADS"),)
    for bad, why in [
        ({"cells": []}, "lists no cells"),
        ({"cells": [{**cell, "item_id": "T009"}]}, "not among the fetched items"),
        ({"cells": [{**cell, "category_id": "00"}]}, "needs 2 level codes"),
        ({"cells": [{**cell, "category_id": "ALL/00"}]}, "is not a single code"),
        ({"cells": [{**cell, "category_id": "00/11"}]}, "is not a single code"),
        ({"cells": [cell, {**cell, "item_id": "T001"}]}, "fed by more than one cell"),
        ({"cells": [cell], "lag_periods": 1}, "replaced by publication_days"),
    ]:
        with pytest.raises(ValueError, match=why):
            load(**bad)


def test_the_manifest_reads_each_cell_at_one_period():
    cells = catalog.KOSIS_SOURCE.inputs(ReportWeek(dt.date(2026, 12, 28)), Settings())
    assert {(cell.series_id, cell.label(), cell.report_column) for cell in cells} == {
        (PIG, "T002 00/00 202603", "NATIONAL_PIG_HEADS"),
        (CPI, "T A01114 202611", "PORK_CPI"),
    }


def test_weather_problems_of_one_row():
    assert gate.weather_problems("203", "203", 1, 0, 2, 50, 0) == []
    assert gate.weather_problems("203", 108, 1, 0, 2, 50, 0) == [("stale_station", "from station 108")]
    assert gate.weather_problems("203", "203", None, None, None, None, None) == [
        ("core_null", "AVG_TA NULL MIN_TA NULL MAX_TA NULL AVG_RHM NULL"),
        ("rain_unknown", ""),
    ]
    assert gate.weather_problems("203", "203", 1, 0, 99, 50, None) == [
        ("rain_unknown", ""),
        ("implausible", "MAX_TA 99 not -45..45 °C"),
    ]
    assert gate.weather_problems("203", "203", float("nan"), 0, 2, 50, 0) == [
        ("implausible", "AVG_TA nan not -45..45 °C; not MIN_TA 0 <= AVG_TA nan <= MAX_TA 2")
    ]


# --- the coverage policy applies to every kind --------------------------------------------------------


def test_gaps_of_every_kind_within_the_coverage_policy_are_accepted_and_logged(ctx, farm_db):
    farms = fill(ctx)
    sql(farm_db, "DELETE FROM TM_WEATHER WHERE FARM_NO = 'F0001' AND WEATHER_DATE = '2026-11-16'")
    sql(
        farm_db, "UPDATE TM_WEATHER SET MAX_TA = NULL WHERE FARM_NO = 'F0002' AND WEATHER_DATE = '2026-11-16'"
    )
    sql(
        farm_db,
        "UPDATE TM_WEATHER SET POINT_ID = '1' WHERE FARM_NO = 'F0003' AND WEATHER_DATE = '2026-11-16'",
    )
    sql(
        farm_db, "UPDATE TM_WEATHER SET AVG_RHM = 120 WHERE FARM_NO = 'F0004' AND WEATHER_DATE = '2026-11-16'"
    )
    sql(
        farm_db, "UPDATE TM_WEATHER SET SUM_RN = NULL WHERE FARM_NO = 'F0005' AND WEATHER_DATE = '2026-11-16'"
    )
    sql(
        farm_db, f"UPDATE TA_STATS_DATA SET VALUE = NULL WHERE SERIES_ID = '{CPI}' AND CATEGORY_ID = 'A01114'"
    )
    lenient = policy(min_weather_coverage=0.98, min_stats_coverage=0.5)
    outcome = check_collection(dataclasses.replace(ctx, settings=lenient))
    assert outcome["good_farm_days"] == farms * 7 - 5
    assert outcome["kinds"] == {
        "missing_day": 1,
        "stale_station": 1,
        "core_null": 1,
        "rain_unknown": 1,
        "implausible": 1,
        "stats_missing": 0,
        "stats_null": 1,
    }
    step, status, rows, message = job_log(farm_db)[-1]
    assert (step, status, rows) == ("CHECK_COLLECTION", "WARNING", farms * 7 - 5)
    assert message.startswith(f"{gate.GAPS_ACCEPTED}{farms} farms: {farms * 7 - 5}/{farms * 7} farm-days")
    assert parse_gate_counts(message) == outcome["kinds"]
    for text in (
        "missing weather (1)",
        "stale station (1)",
        "core values NULL (1)",
        "rain unknown",
        "implausible weather (1)",
        "stats value NULL (1)",
    ):
        assert text in message


@pytest.mark.parametrize(
    ("update", "kind"),
    [
        ("SET MAX_TA = NULL", "core_null"),
        ("SET POINT_ID = '1'", "stale_station"),
        ("SET MAX_TA = 50", "implausible"),
        ("SET SUM_RN = NULL", "rain_unknown"),
    ],
)
def test_every_kind_counts_against_the_coverage_policy(ctx, farm_db, update, kind):
    farms = fill(ctx)
    sql(farm_db, f"UPDATE TM_WEATHER {update} WHERE FARM_NO IN ('F0001', 'F0002')")  # 14 farm-days
    just_enough = (farms * 7 - 14) / (farms * 7)
    assert (
        check_collection(dataclasses.replace(ctx, settings=policy(min_weather_coverage=just_enough)))[
            "kinds"
        ][kind]
        == 14
    )
    message = failure(dataclasses.replace(ctx, settings=policy(min_weather_coverage=just_enough + 0.001)))
    assert counts(message) == {kind: 14}


def test_stats_coverage_applies_to_null_values(ctx, farm_db):
    fill(ctx)
    sql(
        farm_db, f"UPDATE TA_STATS_DATA SET VALUE = NULL WHERE SERIES_ID = '{CPI}' AND CATEGORY_ID = 'A01114'"
    )
    assert check_collection(dataclasses.replace(ctx, settings=policy(min_stats_coverage=0.5)))["gaps"] == 1
    assert "stats 1/2 cells (50.0%)" in failure(
        dataclasses.replace(ctx, settings=policy(min_stats_coverage=0.6))
    )


def test_gaps_below_the_coverage_policy_fail(ctx, farm_db):
    fill(ctx)
    sql(farm_db, "DELETE FROM TM_WEATHER WHERE FARM_NO = 'F0001'")
    strict_enough = dataclasses.replace(ctx, settings=policy(min_weather_coverage=0.99))
    with pytest.raises(CollectionIncompleteError, match="missing weather \\(7\\)"):
        check_collection(strict_enough)


def test_the_message_stays_readable_when_everything_fails(ctx, farm_db):
    farms = fill(ctx)
    sql(farm_db, "UPDATE TM_WEATHER SET AVG_TA = NULL")
    message = failure(ctx)
    assert counts(message) == {"core_null": farms * 7}
    assert "… and" in message  # stations and days are summarised, not all listed
    assert len(message) < 6000


def test_coverage_must_be_a_share(monkeypatch):
    monkeypatch.setenv("INS_MIN_WEATHER_COVERAGE", "95")
    with pytest.raises(ValueError, match="between 0 and 1"):
        Settings.from_env()


# --- reconciliation of the report with the week's farms ----------------------------------------------


def report_rows(farm_db) -> list[str]:
    with sqlite3.connect(farm_db) as conn:
        return [row[0] for row in conn.execute("SELECT FARM_NO FROM TR_INS_WEEK_REPORT ORDER BY FARM_NO")]


def test_the_reference_report_reconciles(ctx, farm_db):
    farms = fill(ctx)
    result = run_weekly_report(ctx)
    assert result["report_rows"] == farms
    step, status, rows, message = job_log(farm_db)[-1]
    assert (step, status, rows) == ("RUN_WEEKLY_REPORT", "SUCCESS", farms)
    assert message == (
        f"SP_INS_WEEK_MAIN('WEEK', '20261116') done; {farms} report rows = the farms of the week's plan; "
        "periods used: pig_farms_and_heads_by_sido=202603, consumer_price_index_meat=202610"
    )


def a_procedure_that_keys_farms_differently(monkeypatch, farm_db):
    """A stand-in for a customer procedure: the reference report, then one farm dropped and a padded one."""
    real = FarmDatabase.run_report

    def run_report(self, procedure, proc_type, week_text, timeout_seconds=0):
        real(self, procedure, proc_type, week_text, timeout_seconds)
        sql(farm_db, "DELETE FROM TR_INS_WEEK_REPORT WHERE FARM_NO = 'F0002'")
        sql(
            farm_db,
            "INSERT INTO TR_INS_WEEK_REPORT "
            "(REPORT_WEEK, FARM_NO, DAYS_OBSERVED, HEAT_STRESS_DAYS, CREATED_AT) "
            "VALUES (?, ' F0003', 7, 0, 'x')",
            (week_text,),
        )

    monkeypatch.setattr(FarmDatabase, "run_report", run_report)


def test_a_report_that_misses_or_adds_farms_fails_naming_them(ctx, farm_db, monkeypatch):
    farms = fill(ctx)
    a_procedure_that_keys_farms_differently(monkeypatch, farm_db)
    with pytest.raises(ReportMismatchError) as raised:
        run_weekly_report(ctx)
    message = str(raised.value)
    assert f"{farms} rows for {farms} planned farms" in message
    assert "1 planned farms missing: F0002" in message
    assert "1 extra farms (not in the week's plan):  F0003" in message
    assert not [
        row for row in job_log(farm_db) if row[0] == "RUN_WEEKLY_REPORT"
    ]  # the callback writes FAILED


def test_reconciliation_can_be_switched_off_for_another_report_table(ctx, farm_db, monkeypatch):
    farms = fill(ctx)
    a_procedure_that_keys_farms_differently(monkeypatch, farm_db)
    monkeypatch.setenv("INS_RECONCILE_REPORT", "off")
    assert Settings.from_env().reconcile_report is False
    assert run_weekly_report(dataclasses.replace(ctx, settings=Settings.from_env()))["report_rows"] == farms
    monkeypatch.setenv("INS_RECONCILE_REPORT", "maybe")
    with pytest.raises(ValueError, match="INS_RECONCILE_REPORT must be on or off"):
        Settings.from_env()


def test_a_farm_without_any_weather_is_an_accepted_gap_not_a_mismatch(ctx, farm_db):
    farms = fill(ctx)
    sql(farm_db, "DELETE FROM TM_WEATHER WHERE FARM_NO = 'F0001'")
    lenient = dataclasses.replace(ctx, settings=policy(min_weather_coverage=0.95))
    check_collection(lenient)
    assert run_weekly_report(lenient)["report_rows"] == farms - 1
    assert "F0001" not in report_rows(farm_db)
    message = job_log(farm_db)[-1][3]
    assert "less 1 without any weather (accepted gaps): F0001;" in message


# --- the report's database call timeout (INS_REPORT_TIMEOUT) ----------------------------------------


def test_a_report_call_past_its_timeout_is_interrupted_and_fails_at_once(ctx, farm_db, monkeypatch):
    """SQLite's stand-in for python-oracledb's call_timeout: the reference script is interrupted once
    INS_REPORT_TIMEOUT has passed, rolled back, and the task fails without Airflow's retries."""
    from include.ins_report.model.errors import PermanentError
    from include.ins_report.steps.report import ReportCallNotRetried
    from include.ins_report.store.oracle_errors import describe_error

    endless = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r"
    real_sql = FarmDatabase.sql
    monkeypatch.setattr(
        FarmDatabase,
        "sql",
        lambda self, name: endless if name == "sp_ins_week_main" else real_sql(self, name),
    )
    plan(ctx)
    slow = dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, report_timeout_seconds=1))
    with pytest.raises(ReportCallNotRetried) as raised:
        steps_run_weekly_report(slow)  # an endless query: only the timeout ends it
    assert isinstance(raised.value, PermanentError)  # no retry
    assert describe_error(raised.value).startswith("sqlite3.OperationalError: interrupted [not retried")
    with sqlite3.connect(farm_db) as conn:
        rows = conn.execute(
            "SELECT STATUS FROM TS_INS_JOB_LOG WHERE STEP_NM = 'RUN_WEEKLY_REPORT'"
        ).fetchall()
    assert rows == []  # no SUCCESS row; the FAILED one is the task callback's


def steps_run_weekly_report(ctx):
    from include.ins_report.steps.report import run_weekly_report

    return run_weekly_report(ctx)


# --- EKAPE: every day recorded, auction days priced --------------------------------------------------


def ekape_week(held: dict[str, bool]) -> list[dict]:
    """The rows the EKAPE client writes for the week: AUCTION_HELD for every day, the national headline
    price and heads on auction days (include/ins_report/sources/ekape.py)."""
    rows = []
    for day in WEEK.days:
        period = day.strftime("%Y%m%d")
        auction = held.get(period, day.weekday() != 6)  # Sundays closed
        values = [(ekape.ITEM_AUCTION_HELD, ekape.CATEGORY_AUCTION, 1.0 if auction else 0.0)]
        if auction:
            values += [
                (ekape.ITEM_PRICE, ekape.CATEGORY_HEADLINE, 5900.0),
                (ekape.ITEM_HEADS, ekape.CATEGORY_HEADLINE, 12000.0),
            ]
        rows += [
            {
                "source": ekape.SOURCE,
                "series_id": ekape.SERIES_ID,
                "item_id": item,
                "item_nm": "",
                "category_id": category,
                "category_nm": "",
                "period_type": ekape.PERIOD_TYPE,
                "period": period,
                "value": value,
                "unit": "",
                "collected_at": "2026-11-23 10:05:00",
                "run_id": "gate-test",
            }
            for item, category, value in values
        ]
    return rows


@pytest.fixture
def with_ekape(ctx):
    return dataclasses.replace(ctx, settings=Settings(sources=["kosis", "ekape", "kma"]))


def test_ekape_week_with_a_closed_day_is_complete(with_ekape, farm_db):
    fill(with_ekape)
    farm_database("farm_db").upsert_stats(ekape_week({"20261119": False}))  # a holiday: no auction, recorded
    result = check_collection(with_ekape)
    assert result["gaps"] == 0
    (row,) = [r for r in job_log(farm_db) if r[0] == "CHECK_COLLECTION"]
    assert "stats 9/9 cells" in row[3]  # KOSIS 2 cells, EKAPE 7 days


def test_ekape_days_missing_or_unpriced_fail_naming_the_day(with_ekape, farm_db):
    fill(with_ekape)
    rows = ekape_week({})
    rows = [r for r in rows if r["period"] != "20261117"]  # Tuesday: nothing collected
    rows = [r for r in rows if not (r["period"] == "20261118" and r["item_id"] == ekape.ITEM_PRICE)]
    farm_database("farm_db").upsert_stats(rows)
    sql(farm_db, "UPDATE TA_STATS_DATA SET VALUE = NULL WHERE PERIOD = '20261120' AND ITEM_ID = 'HEADS'")
    message = failure(with_ekape)
    assert counts(message) == {"stats_missing": 2, "stats_null": 1}
    assert "EKAPE/PIG_TANGBAK pig_carcass_prices: AUCTION_HELD 20261117 no row for the day" in message
    assert f"PRICE {ekape.CATEGORY_HEADLINE} 20261118 auction day without its national price" in message
    assert f"PRICE {ekape.CATEGORY_HEADLINE} 20261120 no value" in message


def test_without_ekape_enabled_its_rows_are_not_required(ctx, farm_db):
    fill(ctx)
    assert check_collection(ctx)["gaps"] == 0
