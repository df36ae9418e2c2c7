"""The report diff end to end (issue #21 part 1): a week run through Airflow, then its report changed behind
the batch's back (as a different build of the week would have it), then the week run again: the second run's
COMPARE_REPORT row and its TS_INS_REPORT_DIFF row name the farm, the column and both values."""

from __future__ import annotations

import sqlite3

import pytest

from include.ins_report.joblog import COMPARE, CompareMessage

WEEK = "2026-11-16"
WEEK_KEY = "20261116"
FARM = "F0001"


@pytest.fixture(scope="module")
def runs(stack):
    stack.emulator("POST", "reset")
    first = stack.run_week(WEEK)
    ((avg_ta,),) = stack.sql(
        "SELECT AVG_TA FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ? AND FARM_NO = ?", (WEEK_KEY, FARM)
    )
    with sqlite3.connect(stack.farm_db) as conn:  # the report the next run replaces differs by +1.5 °C
        conn.execute(
            "UPDATE TR_INS_WEEK_REPORT SET AVG_TA = ? WHERE REPORT_WEEK = ? AND FARM_NO = ?",
            (avg_ta + 1.5, WEEK_KEY, FARM),
        )
    second = stack.run_week(WEEK)
    return first, second, avg_ta


def compare_row(stack, run_id: str):
    (row,) = [row for row in stack.job_log(run_id) if row.step == COMPARE.name]
    return row


def test_the_first_build_of_the_week_replaces_nothing(stack, runs):
    first, _, _ = runs
    assert first.state == "success"
    row = compare_row(stack, first.run_id)
    assert (row.status, row.row_count, row.report_week) == ("SUCCESS", 0, WEEK_KEY)
    assert row.message == "nothing replaced: the week had no report rows before (44 farms now)"


def test_a_re_run_that_changed_a_value_yields_its_row(stack, runs):
    first, second, avg_ta = runs
    assert second.state == "success"
    row = compare_row(stack, second.run_id)
    assert (row.status, row.row_count) == ("SUCCESS", 1)
    message = CompareMessage.parse(row.message)
    assert (message.before, message.after, len(message.changed), message.columns) == (
        44,
        44,
        1,
        (("AVG_TA", 1),),
    )
    assert message.baseline.startswith(f"the report of run {first.run_id} (")
    assert f"largest: AVG_TA {FARM} " in row.message
    assert stack.sql(
        "SELECT TRY_NO, FARM_NO, COL_NM, CHANGE_KIND, CAST(OLD_VALUE AS REAL), CAST(NEW_VALUE AS REAL), "
        "DELTA FROM TS_INS_REPORT_DIFF WHERE REPORT_WEEK = ? AND RUN_ID = ?",
        (WEEK_KEY, second.run_id),
    ) == [
        (
            1,
            FARM,
            "AVG_TA",
            "CHANGED",
            pytest.approx(avg_ta + 1.5),
            pytest.approx(avg_ta),
            pytest.approx(-1.5),
        )
    ]
    assert stack.sql("SELECT COUNT(*) FROM TS_INS_REPORT_DIFF WHERE RUN_ID = ?", (first.run_id,)) == [(0,)]
