"""The report diff (issue #21 part 1): the pure comparison (tolerances, farms added and removed, NULLs, the
bound on what is kept), the COMPARE_REPORT message (its bytes, its counts read back), and the report step
comparing the week's rows before the procedure with those after it, against the previous DAG report or the
legacy job's."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from decimal import Decimal

import pytest

from include.ins_report.airflow_edge.connections import farm_database
from include.ins_report.alerts.messages.digest import build_digest
from include.ins_report.alerts.messages.failure import build_failure_alert
from include.ins_report.alerts.messages.run import RunFacts
from include.ins_report.config.settings import Settings
from include.ins_report.joblog import (
    COMPARE,
    MESSAGE_BYTES,
    REPORT,
    STEPS,
    CompareMessage,
    LogRow,
    RunLog,
    step_title,
)
from include.ins_report.model.report_diff import (
    ADDED,
    CHANGED,
    REMOVED,
    Change,
    Tolerance,
    compare_reports,
    value_text,
)
from include.ins_report.model.week import ReportWeek
from include.ins_report.steps.gate import check_collection
from include.ins_report.steps.job import start_job
from include.ins_report.steps.report import run_weekly_report
from include.ins_report.steps.weather import plan_weather_locations
from tests.support.steps import step_context

COLUMNS = ("FARM_NM", "AVG_TA", "SUM_RN")
WEEK = ReportWeek(dt.date(2026, 11, 16))
KEY = WEEK.key


EXACT = Tolerance()


def diff(before, after, tolerance=EXACT, limit=100, columns=COLUMNS):
    return compare_reports(columns, before, list(after.items()), tolerance, limit)


# --- the comparison ------------------------------------------------------------------------------------


def test_an_identical_report_is_unchanged():
    rows = {"F1": ("가", 1.5, 0.0), "F2": ("나", 2.0, None)}
    result = diff(rows, dict(rows))
    assert result.unchanged
    assert result.changes == 0
    assert not result.kept
    assert (result.before_farms, result.after_farms) == (2, 2)


def test_farms_added_removed_and_changed_are_counted_and_kept():
    before = {"F1": ("가", 1.5, 0.0), "F2": ("나", 2.0, 3.0), "F3": ("다", 1.0, 1.0)}
    after = {"F1": ("가", 1.75, 0.0), "F2": ("나", 2.0, 3.0), "F4": ("라", 0.0, 0.0)}
    result = diff(before, after)
    assert (result.added, result.removed, result.changed) == (("F4",), ("F3",), ("F1",))
    assert result.by_column == {"AVG_TA": 1}
    assert result.changes == 3
    assert result.kept == (
        Change("F3", "FARM_NO", REMOVED, old="F3"),
        Change("F4", "FARM_NO", ADDED, new="F4"),
        Change("F1", "AVG_TA", CHANGED, 1.5, 1.75),
    )
    assert result.largest["AVG_TA"].delta == pytest.approx(0.25)


def test_numbers_within_the_tolerance_are_the_same_texts_never():
    before = {"F1": ("가", 27.30, 10.0)}
    after = {"F1": ("가 ", 27.31, 10.0000000001)}
    exact = diff(before, after)
    assert exact.by_column == {"FARM_NM": 1, "AVG_TA": 1, "SUM_RN": 1}
    default = diff(before, after, Tolerance(0.0, 0.000000001))  # the settings' default: float noise only
    assert default.by_column == {"FARM_NM": 1, "AVG_TA": 1}
    loose = diff(before, after, Tolerance(absolute=0.011))
    assert loose.by_column == {"FARM_NM": 1}  # a text is compared exactly whatever the tolerance
    relative = diff(before, after, Tolerance(relative=0.001))  # 0.01 of 27.31 is 0.04 %
    assert relative.by_column == {"FARM_NM": 1}
    assert Tolerance(absolute=0.5).same(1, 1.5)
    assert not Tolerance(absolute=0.4).same(1, 1.5)
    assert Tolerance().same(31, 31.0)
    assert Tolerance().same(Decimal("27.30"), 27.3)
    assert not Tolerance().same(True, 1)  # a bool is not a number


def test_null_against_a_value_is_a_change_and_outranks_any_delta():
    before = {"F1": ("가", 20.0, 0.0), "F2": ("나", 21.0, None), "F3": ("다", None, None)}
    after = {"F1": ("가", 29.0, 0.0), "F2": ("나", None, None), "F3": ("다", None, None)}
    result = diff(before, after)
    assert result.by_column == {"AVG_TA": 2}
    assert result.changed == ("F1", "F2")
    largest = result.largest["AVG_TA"]
    assert (largest.farm, largest.old, largest.new, largest.delta) == ("F2", 21.0, None, None)
    assert [change.farm for change in result.kept] == ["F2", "F1"]  # the lost value first, then by delta


def test_the_kept_changes_are_bounded_the_counts_never():
    before = {f"F{n:03d}": ("가", float(n), 0.0) for n in range(200)}
    after = {farm: ("나", values[1] + int(farm[1:]) / 10, 0.0) for farm, values in before.items()}
    after["F999"] = ("새", 1.0, 1.0)
    result = diff(before, after, limit=11)
    assert result.by_column == {"FARM_NM": 200, "AVG_TA": 199}  # F000 + 0.0 is unchanged
    assert result.changes == 1 + 200 + 199
    assert len(result.kept) == 11
    assert result.kept[0].kind == ADDED
    # Then the columns in turn, each largest first: a column with many changes does not crowd out another.
    assert [change.column for change in result.kept[1:5]] == ["FARM_NM", "AVG_TA", "FARM_NM", "AVG_TA"]
    avg = [change for change in result.kept if change.column == "AVG_TA"]
    assert avg[0].farm == "F199"
    assert avg[0].delta == pytest.approx(19.9)
    assert result.largest["AVG_TA"].farm == "F199"
    nothing_kept = diff(before, after, limit=0)
    assert nothing_kept.kept == ()
    assert nothing_kept.changes == result.changes
    assert nothing_kept.largest["AVG_TA"].farm == "F199"  # the summary still names the largest


def test_ties_go_to_the_first_farm_and_repeated_keys_are_named():
    before = {"F1": ("가", 1.0, 0.0), "F2": ("가", 1.0, 0.0)}
    after = [("F1", ("가", 2.0, 0.0)), ("F2", ("가", 2.0, 0.0)), ("F2", ("가", 9.0, 0.0))]
    result = compare_reports(COLUMNS, before, after)
    assert result.largest["AVG_TA"].farm == "F1"
    assert result.repeated == ("F2",)
    assert result.after_farms == 2


def test_values_are_stored_as_text_without_float_noise():
    assert value_text(27.35) == "27.35"
    assert value_text(0.1 + 0.2) == "0.3"
    assert value_text(31.0) == "31"
    assert value_text(11_000_000.0) == "11000000"
    assert value_text(Decimal("5.10")) == "5.1"
    assert value_text(None) is None
    assert value_text("농" * 1000).encode("utf-8").__len__() <= 1000  # OLD_VALUE's bytes
    assert value_text(dt.date(2026, 11, 16)) == "2026-11-16"


# --- the COMPARE_REPORT message --------------------------------------------------------------------------


def test_the_message_reads_as_the_contract_says_and_its_counts_parse_back():
    before = {"F1": ("가", 1.5, 0.0), "F2": ("나", 2.0, 3.0), "F3": ("다", 1.0, 1.0)}
    after = {"F1": ("가", 1.75, 0.0), "F2": ("나", 2.0, None), "F4": ("라", 0.0, 0.0)}
    message = diff(before, after).message("the report of run manual__1 (2026-11-24 10:00:00 KST)", 100)
    text = message.text()
    assert text == (
        "3 farms before, 3 after: 1 added, 1 removed, 2 changed; compared with the report of run manual__1 "
        "(2026-11-24 10:00:00 KST); columns changed: AVG_TA=1, SUM_RN=1; largest: AVG_TA F1 1.5 -> 1.75 "
        "(+0.25) | SUM_RN F2 3 -> NULL; added: F4; removed: F3; changed farms: F1, F2; TS_INS_REPORT_DIFF: "
        "4 of 4 changes kept"
    )
    parsed = CompareMessage.parse(text)
    assert (parsed.before, parsed.after, len(parsed.added), len(parsed.removed), len(parsed.changed)) == (
        3,
        3,
        1,
        1,
        2,
    )
    assert parsed.baseline == message.baseline
    assert parsed.columns == (("AVG_TA", 1), ("SUM_RN", 1))
    assert (parsed.stored, parsed.changes) == (4, 4)


def test_the_legacy_first_build_unchanged_and_not_compared_messages():
    rows = {"F1": ("가", 1.5, 0.0)}
    legacy = diff(rows, dict(rows)).message(CompareMessage.LEGACY, 100)
    assert legacy.text() == "1 farms before, 1 after: unchanged; compared with the legacy job's report"
    assert CompareMessage.parse(legacy.text()).legacy
    assert (
        CompareMessage(0, 44).text() == "nothing replaced: the week had no report rows before (44 farms now)"
    )
    assert CompareMessage.parse(CompareMessage(0, 44).text()).after == 44
    failed = CompareMessage(0, 0, error='ORA-00904: "AVG_T": invalid identifier')
    assert CompareMessage.parse(failed.text()).error == failed.error
    assert step_title(COMPARE.name) == "Compare the week's report with the one it replaced"
    assert COMPARE.task_id == REPORT.task_id  # written by the report task, not a task of its own
    assert COMPARE.name not in STEPS  # the registry's steps are the DAG's tasks


def test_a_large_diff_stays_within_the_job_logs_bytes_and_keeps_its_counts():
    columns = tuple(f"COLUMN_WITH_A_LONG_NAME_{n:02d}" for n in range(40))
    before = {f"농장번호{n:05d}": tuple("가" * 60 for _ in columns) for n in range(500)}
    after = {f"농장번호{n:05d}": tuple("나" * 60 for _ in columns) for n in range(250, 800)}
    result = compare_reports(columns, before, list(after.items()), limit=1000)
    message = result.message(CompareMessage.LEGACY, 1000)
    text = message.text()
    assert len(text.encode("utf-8")) <= MESSAGE_BYTES
    assert text.endswith(
        f"; TS_INS_REPORT_DIFF: 1000 of {result.changes} changes kept (INS_REPORT_DIFF_MAX_ROWS=1000)"
    )
    parsed = CompareMessage.parse(text)
    assert (len(parsed.added), len(parsed.removed), len(parsed.changed)) == (300, 250, 250)
    assert parsed.changes == 300 + 250 + 250 * 40


# --- the report step -----------------------------------------------------------------------------------


@pytest.fixture
def ctx(farm_db):
    return step_context(WEEK, Settings(sources=["kma"]), run_id="diff-run-1")


def rows(farm_db, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(farm_db) as conn:
        return conn.execute(sql, params).fetchall()


def fill_week(ctx, avg_ta: float = 1.0) -> None:
    """The week planned and its weather stored (every farm's 7 days), the gate passed."""
    warehouse = farm_database("farm_db")
    start_job(ctx)
    plan_weather_locations(ctx)
    warehouse.upsert_weather(
        [
            {
                "farm_no": farm.farm_no,
                "weather_date": day.isoformat(),
                "point_id": farm.point_id,
                "avg_ta": avg_ta,
                "min_ta": 0.0,
                "max_ta": 2.0,
                "avg_rhm": 50.0,
                "sum_rn": 0.0,
                "thi": 40.0,
                "source": "KMA_ASOS",
                "collected_at": "2026-11-23 03:00:00",
                "run_id": ctx.run_id,
            }
            for farm in warehouse.manifest_farms(KEY)
            for day in WEEK.days
        ]
    )
    check_collection(ctx)


def compare_rows(farm_db, run_id: str) -> list[tuple]:
    return rows(
        farm_db,
        "SELECT STATUS, ROW_COUNT, MESSAGE FROM TS_INS_JOB_LOG WHERE RUN_ID = ? AND STEP_NM = ? "
        "ORDER BY LOG_ID",
        (run_id, COMPARE.name),
    )


def diff_rows(farm_db, run_id: str) -> list[tuple]:
    return rows(
        farm_db,
        "SELECT TRY_NO, FARM_NO, COL_NM, CHANGE_KIND, OLD_VALUE, NEW_VALUE, DELTA FROM TS_INS_REPORT_DIFF "
        "WHERE REPORT_WEEK = ? AND RUN_ID = ? ORDER BY TRY_NO, FARM_NO, COL_NM",
        (KEY, run_id),
    )


def test_the_first_report_replaces_nothing_and_a_re_run_that_changed_a_value_is_diffed(ctx, farm_db):
    fill_week(ctx)
    first = run_weekly_report(ctx)
    farms = first["report_rows"]
    assert compare_rows(farm_db, ctx.run_id) == [
        ("SUCCESS", 0, f"nothing replaced: the week had no report rows before ({farms} farms now)")
    ]
    assert diff_rows(farm_db, ctx.run_id) == []
    # A later run re-collects one farm's Monday warmer: its AVG_TA changes by 7 / 7 = +1.
    (farm,) = rows(farm_db, "SELECT MIN(FARM_NO) FROM TR_INS_WEEK_REPORT")[0]
    with sqlite3.connect(farm_db) as conn:
        conn.execute(
            "UPDATE TM_WEATHER SET AVG_TA = 8.0 WHERE FARM_NO = ? AND WEATHER_DATE = ?", (farm, "2026-11-16")
        )
    again = dataclasses.replace(ctx, run_id="diff-run-2")
    result = run_weekly_report(again)
    ((status, stored, message),) = compare_rows(farm_db, "diff-run-2")
    assert (status, stored) == ("SUCCESS", 1)
    assert message.startswith(
        f"{farms} farms before, {farms} after: 0 added, 0 removed, 1 changed; compared with the report of "
        "run diff-run-1 ("
    )
    assert f"columns changed: AVG_TA=1; largest: AVG_TA {farm} 1 -> 2 (+1)" in message
    assert result["report_diff"] == message
    assert diff_rows(farm_db, "diff-run-2") == [(1, farm, "AVG_TA", "CHANGED", "1", "2", 1.0)]
    # The task cleared and run again in the same run: the next comparison number, unchanged this time.
    run_weekly_report(again)
    last = compare_rows(farm_db, "diff-run-2")[-1][2]
    assert f"{farms} after: unchanged; compared with the report of run diff-run-2 (" in last
    with sqlite3.connect(farm_db) as conn:
        conn.execute("UPDATE TR_INS_WEEK_REPORT SET SUM_RN = 5 WHERE FARM_NO = ?", (farm,))
    run_weekly_report(again)
    assert [row[:3] for row in diff_rows(farm_db, "diff-run-2")] == [(1, farm, "AVG_TA"), (3, farm, "SUM_RN")]


def test_the_first_dag_week_after_the_cutover_is_compared_with_the_legacy_jobs_report(ctx, farm_db):
    """The legacy job built the week (report rows, no report of the DAG in the job log for it)."""
    fill_week(ctx)
    run_weekly_report(ctx)
    with sqlite3.connect(farm_db) as conn:  # as if the rows were the legacy job's: no DAG report logged
        conn.execute("DELETE FROM TS_INS_JOB_LOG WHERE STEP_NM IN (?, ?)", (REPORT.name, COMPARE.name))
        conn.execute("UPDATE TR_INS_WEEK_REPORT SET MAX_TA = NULL")
    farms = rows(farm_db, "SELECT COUNT(*) FROM TR_INS_WEEK_REPORT")[0][0]
    run_weekly_report(dataclasses.replace(ctx, run_id="first-dag-run"))
    ((status, stored, message),) = compare_rows(farm_db, "first-dag-run")
    assert (status, stored) == ("SUCCESS", farms)
    assert "compared with the legacy job's report; columns changed: MAX_TA=" in message
    assert CompareMessage.parse(message).legacy
    kinds = {(col, kind, old, new) for _, _, col, kind, old, new, _ in diff_rows(farm_db, "first-dag-run")}
    assert kinds == {("MAX_TA", "CHANGED", None, "2")}


def test_a_customer_table_works_from_its_key_and_columns_and_the_diff_can_be_off(ctx, farm_db):
    fill_week(ctx)
    run_weekly_report(ctx)
    with sqlite3.connect(farm_db) as conn:
        conn.execute("UPDATE TR_INS_WEEK_REPORT SET MAX_TA = 99, MIN_TA = -5")
    only_min = dataclasses.replace(
        ctx, run_id="customer", settings=dataclasses.replace(ctx.settings, report_diff_columns=["MIN_TA"])
    )
    run_weekly_report(only_min)
    message = compare_rows(farm_db, "customer")[0][2]
    assert "columns changed: MIN_TA=" in message
    assert "MAX_TA" not in message
    off = dataclasses.replace(
        ctx, run_id="off", settings=dataclasses.replace(ctx.settings, report_diff=False)
    )
    run_weekly_report(off)
    assert compare_rows(farm_db, "off") == []


def test_a_comparison_that_fails_never_fails_the_report(ctx, farm_db):
    fill_week(ctx)
    run_weekly_report(ctx)
    wrong = dataclasses.replace(
        ctx,
        run_id="wrong",
        settings=dataclasses.replace(ctx.settings, report_diff_columns=["NO_SUCH_COLUMN"]),
    )
    result = run_weekly_report(wrong)
    assert result["report_rows"]
    ((status, stored, message),) = compare_rows(farm_db, "wrong")
    assert (status, stored) == ("WARNING", 0)
    assert message.startswith("not compared: the rows before the procedure could not be read (")
    assert "NO_SUCH_COLUMN" in message
    assert message.endswith(
        "; check INS_REPORT_DIFF_KEY and INS_REPORT_DIFF_COLUMNS against the report table "
        "and that TS_INS_REPORT_DIFF exists (include/sql/oracle/migrations/002_report_diff.sql), "
        "or set INS_REPORT_DIFF=off"
    )
    with sqlite3.connect(farm_db) as conn:  # an Oracle schema not migrated yet: no TS_INS_REPORT_DIFF
        conn.execute("UPDATE TR_INS_WEEK_REPORT SET MAX_TA = 99")
        conn.execute("DROP TABLE TS_INS_REPORT_DIFF")
    run_weekly_report(dataclasses.replace(ctx, run_id="unmigrated"))
    ((status, _, message),) = compare_rows(farm_db, "unmigrated")
    assert status == "WARNING"
    assert "TS_INS_REPORT_DIFF" in message


# --- the digest and the failure alert link to it --------------------------------------------------------


def logged(*rows: tuple[str, str, int | None, str]) -> RunLog:
    return RunLog(
        [
            LogRow(n, step, status, "2026-11-23 10:00:00", "2026-11-23 10:00:05", count, message)
            for n, (step, status, count, message) in enumerate(rows, start=1)
        ]
    )


SUMMARY = "44 farms before, 44 after: 0 added, 0 removed, 1 changed; compared with the legacy job's report"


def test_the_digest_and_the_failure_alert_carry_the_summary_and_the_week_pages_link():
    settings = Settings(airflow_base_url="https://airflow.example.com")
    run = RunFacts("manual__1", WEEK, KEY)
    link = "https://airflow.example.com/ins-weeks/week/20261116"
    built = logged(
        (REPORT.name, "SUCCESS", 44, "SP_INS_WEEK_MAIN('WEEK', '20261116') done"),
        (COMPARE.name, "SUCCESS", 1, SUMMARY),
    )
    digest = build_digest(run, built, [], settings)
    assert f"Report diff:     {SUMMARY}\n                 {link}\n" in digest.text
    assert digest.payload["report_diff"] == {"summary": SUMMARY, "status": "SUCCESS", "url": link}
    refused = logged(
        (COMPARE.name, "SUCCESS", 1, SUMMARY),
        (REPORT.name, "FAILED", None, "ReportMismatchError: TR_INS_WEEK_REPORT for 20261116 does not match"),
    )
    alert = build_failure_alert(run, refused, settings)
    assert f"\nReport diff:     {SUMMARY}\n                 {link}\n" in alert.text
    assert alert.payload["report_diff"]["url"] == link
    # The procedure ran (the reconciliation refused its report): the alert does not say it did not.
    assert "The report procedure ran and replaced the week's report; the step failed after it." in alert.text
    assert "TR_INS_WEEK_REPORT: rebuilt by the procedure, then the step failed" in alert.text
    # An earlier attempt's comparison, then an attempt that failed before its call: not rebuilt by it.
    earlier = logged(
        (COMPARE.name, "SUCCESS", 1, SUMMARY),
        (REPORT.name, "SUCCESS", 44, "SP_INS_WEEK_MAIN('WEEK', '20261116') done"),
        (REPORT.name, "FAILED", None, "ReportNotCalled: the report procedure was not called"),
    )
    again = build_failure_alert(run, earlier, settings)
    assert "The report procedure failed." in again.text
    assert "rebuilt by the procedure" not in again.text
    assert SUMMARY in again.text  # the run's latest comparison is still shown
    nothing = build_failure_alert(run, logged((REPORT.name, "FAILED", None, "ORA-06512")), settings)
    assert "Report diff" not in nothing.text
    assert nothing.payload["report_diff"] is None
