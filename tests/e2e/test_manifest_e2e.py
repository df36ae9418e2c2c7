"""The week's manifest end to end through Airflow: a week's report reads its own manifest only (stable
when other weeks ran in between), boundary weeks read periods KOSIS has published (the emulator's realistic
lags), a farm added after the plan is named, never silently absent, and the gate checks the cells the
report reads."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing, contextmanager

import pytest

from include.ins_report.joblog import parse_gate_counts
from include.ins_report.model.week import ReportWeek
from include.ins_report.steps import gate

PIG, CPI = "101/DT_1EO311", "101/DT_1J22003"


def week_of(text: str) -> ReportWeek:
    return ReportWeek(dt.date.fromisoformat(text))


def report(stack, week_key: str) -> list[tuple]:
    return stack.sql(
        "SELECT FARM_NO, FARM_NM, POINT_ID, DAYS_OBSERVED, AVG_TA, MIN_TA, MAX_TA, AVG_RHM, SUM_RN, AVG_THI, "
        "MAX_THI, HEAT_STRESS_DAYS, NATIONAL_PIG_HEADS, PORK_CPI, PIG_PRICE_AVG FROM TR_INS_WEEK_REPORT "
        "WHERE REPORT_WEEK = ? ORDER BY FARM_NO",
        (week_key,),
    )


def manifest_periods(stack, week_key: str) -> dict[str, str]:
    rows = stack.sql(
        "SELECT SERIES_ID, PERIOD FROM TS_INS_WEEK_INPUT WHERE REPORT_WEEK = ? AND SOURCE = 'KOSIS'",
        (week_key,),
    )
    return dict(rows)


@contextmanager
def clock_at(stack, monkeypatch, moment: str):
    """Every clock of the run at ``moment`` (KST): the batch's (INS_NOW) and the emulators'."""
    monkeypatch.setenv("INS_NOW", moment)
    stack.emulator("POST", "config", {"now": moment})
    try:
        yield
    finally:
        stack.emulator("POST", "config", {"now": None})
        monkeypatch.delenv("INS_NOW")


def test_a_weeks_report_stays_the_same_when_later_weeks_ran_in_between(stack):
    """W, then W+2 (which stores the next month's CPI), then W again: W's rows are identical, because its
    procedure reads its manifest's period (202609), not the latest one stored."""
    stack.emulator("POST", "reset")
    assert stack.run_week("2026-10-26").state == "success"
    first = report(stack, "20261026")
    assert manifest_periods(stack, "20261026") == {PIG: "202602", CPI: "202609"}
    assert stack.run_week("2026-11-09").state == "success"
    assert manifest_periods(stack, "20261109") == {PIG: "202603", CPI: "202610"}
    assert stack.sql("SELECT COUNT(*) FROM TA_STATS_DATA WHERE SERIES_ID = ? AND PERIOD = '202610'", (CPI,))[
        0
    ][0]
    again = stack.run_week("2026-10-26")
    assert again.state == "success"
    assert report(stack, "20261026") == first
    assert {row[13] for row in first} == {
        stack.sql(
            "SELECT VALUE FROM TA_STATS_DATA WHERE SERIES_ID = ? AND ITEM_ID = 'T' "
            "AND CATEGORY_ID = 'A01114' AND PERIOD = '202609'",
            (CPI,),
        )[0][0]
    }
    (row,) = [r for r in stack.job_log(again.run_id) if r.step == "RUN_WEEKLY_REPORT"]
    used = row.message.partition("; periods used: ")[2]
    assert used.split(", ") == [
        "pig_carcass_prices=20261026..20261101",
        "pig_farms_and_heads_by_sido=202602",
        "consumer_price_index_meat=202609",
    ]


@pytest.mark.parametrize(
    ("week", "run_at", "periods"),
    [
        # Across a month, a quarter and a year: December and Q4 are not published on 2027-01-04.
        ("2026-12-28", "2027-01-04T13:00+09:00", {PIG: "202603", CPI: "202611"}),
        # Across a month and a quarter: March and Q1 are not published on 2027-04-05.
        ("2027-03-29", "2027-04-05T13:00+09:00", {PIG: "202604", CPI: "202702"}),
    ],
)
def test_boundary_weeks_read_periods_kosis_has_published(stack, monkeypatch, week, run_at, periods):
    stack.emulator("POST", "reset")
    with clock_at(stack, monkeypatch, run_at):
        dag_run = stack.run_week(week)
    assert dag_run.state == "success"
    key = week.replace("-", "")
    assert manifest_periods(stack, key) == periods
    rows = report(stack, key)
    assert rows
    assert all(row[12] is not None and row[13] is not None for row in rows)  # heads and CPI read


def test_a_farm_added_after_the_gate_is_named_not_in_the_plan(stack, monkeypatch):
    """The report step reconciles with the week's plan: a farm activated between the gate and the report is
    not in this week's report, and its WARNING row names it (no silent absence, no 'accepted gaps')."""
    real_gate = gate.check_collection

    def gate_then_a_new_farm(ctx):
        outcome = real_gate(ctx)
        with closing(sqlite3.connect(stack.farm_db)) as conn, conn:
            conn.execute(
                "INSERT INTO TA_FARM (FARM_NO, FARM_NM, LAT, LON, USE_YN) "
                "VALUES ('F0950', '새 농장', 37.27, 127.43, 'Y')"
            )
        return outcome

    monkeypatch.setattr(gate, "check_collection", gate_then_a_new_farm)
    stack.emulator("POST", "reset")
    hooks = len(stack.webhook.requests)
    try:
        dag_run = stack.run_week("2026-11-02")
    finally:
        with closing(sqlite3.connect(stack.farm_db)) as conn, conn:
            conn.execute("DELETE FROM TA_FARM WHERE FARM_NO = 'F0950'")
    assert dag_run.state == "success"
    planned = {
        farm for (farm,) in stack.sql("SELECT FARM_NO FROM TS_INS_WEEK_FARM WHERE REPORT_WEEK = '20261102'")
    }
    assert "F0950" not in planned
    assert {row[0] for row in report(stack, "20261102")} == planned
    (row,) = [r for r in stack.job_log(dag_run.run_id) if r.step == "RUN_WEEKLY_REPORT"]
    assert row.status == "WARNING"
    assert "1 farms not in this week's plan" in row.message
    assert "F0950" in row.message
    assert "accepted gaps" not in row.message
    sent = [r["json"] for r in stack.webhook.requests[hooks:] if r["json"].get("run_id") == dag_run.run_id]
    assert [alert["event"] for alert in sent] == ["ins_weekly_report_not_in_plan"]  # no gaps warning
    assert "F0950" in sent[0]["text"]


def test_the_gate_checks_the_cells_the_report_reads_and_warns_of_the_others(stack):
    """KOSIS answers '-' in the national heads row and the pork CPI the report reads (the gate stops the
    run), and in the 서울 row it does not read (a warning in the collection's row, never a block)."""
    stack.emulator("POST", "reset")
    for rule in (
        {"scenario": "dash_cells", "codes": ["00", "11"], "items": ["T002"]},
        {"scenario": "dash_cells", "codes": ["A01114"], "match": {"tblId": "DT_1J22003"}},
    ):
        stack.emulator("POST", "faults", {"api": "kosis", "count": None, **rule})
    dag_run = stack.run_week("2026-09-14")
    stack.emulator("POST", "reset")
    assert dag_run.state == "failed"
    log = stack.job_log(dag_run.run_id)
    (kosis_row,) = [r for r in log if r.step == "COLLECT_KOSIS_SERIES"]
    assert kosis_row.status == "WARNING"
    assert "pig_farms_and_heads_by_sido T002 11/00 202602: no value, not read" in kosis_row.message
    assert "00/00" not in kosis_row.message.partition(" | warnings: ")[2]
    (gate_row,) = [r for r in log if r.step == "CHECK_COLLECTION"]
    counts = {kind: count for kind, count in (parse_gate_counts(gate_row.message) or {}).items() if count}
    assert counts == {"stats_null": 2}
    assert f"{PIG} pig_farms_and_heads_by_sido: T002 00/00 202602 no value" in gate_row.message
    assert f"{CPI} consumer_price_index_meat: T A01114 202608 no value" in gate_row.message
    assert "stats 7/9 cells" in gate_row.message  # 2 KOSIS cells, 7 EKAPE days
    assert not [r for r in log if r.step == "RUN_WEEKLY_REPORT"]


def test_a_period_kosis_never_published_fails_the_collection_naming_series_and_period(stack):
    """KOSIS's err 30 ("no data") for the manifest's period is 'not published yet', not missing stats: past
    the week's waiting window the collection fails naming the series and the period, before the gate."""
    stack.emulator("POST", "reset")
    stack.emulator(
        "POST",
        "faults",
        {
            "api": "kosis",
            "scenario": "err_json",
            "err": "30",
            "errMsg": "데이터가 존재하지 않습니다.",
            "count": None,
        },
    )
    dag_run = stack.run_week("2026-09-21")
    stack.emulator("POST", "reset")
    assert dag_run.state == "failed"
    log = stack.job_log(dag_run.run_id)
    (failed,) = [r for r in log if r.step == "COLLECT_KOSIS_SERIES" and r.status == "FAILED"]
    assert (
        f"KOSIS {PIG} pig_farms_and_heads_by_sido period 202602 was not published by 2026-09-28 12:00 KST"
        in (failed.message)
    )
    assert not [
        r for r in log if r.step in ("CHECK_COLLECTION", "RUN_WEEKLY_REPORT") and r.status != "FAILED"
    ]
