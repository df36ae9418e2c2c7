"""Every replacement of a week's report is diffed (INS_REPORT_DIFF): right before the procedure the report
step keeps the week's current report rows (``keep_report``), right after it compares them with the new ones
(``compare_report``; the comparison is include/ins_report/model/report_diff.py's).

The rows before are held in memory, read in one query (about 60 MB at 100,000 farms of the reference
report), not copied to a table: the copy would need a table shaped like the customer's report, created and
dropped by the batch user on every run, in both dialects; a query needs only SELECT. If the task dies
between the call and the comparison, that comparison is lost (the procedure's result is not), and the job
log then has no COMPARE_REPORT row for the try.

The comparison never fails the report: whatever goes wrong in it (a configured column the report table does
not have, TS_INS_REPORT_DIFF missing on an Oracle schema not yet migrated) is a WARNING COMPARE_REPORT row
saying why, and the step goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from include.ins_report.joblog import COMPARE, SUCCESS, WARNING, CompareMessage
from include.ins_report.model.report_diff import Tolerance, compare_reports, value_text
from include.ins_report.store.farm_db import FarmDatabase, now_text

if TYPE_CHECKING:
    from include.ins_report.steps.context import StepContext

log = logging.getLogger(__name__)

FIX = (
    "check INS_REPORT_DIFF_KEY and INS_REPORT_DIFF_COLUMNS against the report table and that "
    "TS_INS_REPORT_DIFF exists (include/sql/oracle/migrations/002_report_diff.sql), "
    "or set INS_REPORT_DIFF=off"
)


@dataclass(frozen=True)
class KeptReport:
    """The week's report rows before the procedure (by key, values in the columns' order), whose report it
    was (``baseline``), or why they could not be read (``error``)."""

    rows: dict[str, tuple]
    baseline: str = ""
    error: str = ""


def baseline_text(farm_db: FarmDatabase, week_key: str) -> str:
    """Whose report the week's rows are: this DAG's latest (run id and time), else the legacy job's."""
    found = farm_db.report_baseline(week_key)
    if not found:
        return CompareMessage.LEGACY
    run_id, ended_at = found
    return f"the report of run {run_id}" + (f" ({ended_at} KST)" if ended_at else "")


def keep_report(ctx: StepContext, farm_db: FarmDatabase, week_text: str) -> KeptReport | None:
    """The week's report rows right before the procedure; None when INS_REPORT_DIFF is off."""
    settings = ctx.settings
    if not settings.report_diff:
        return None
    try:
        rows = {
            str(key): tuple(values)
            for key, *values in farm_db.report_rows(
                settings.report_diff_key, settings.report_diff_columns, week_text
            )
        }
        baseline = baseline_text(farm_db, ctx.week_key) if rows else ""
    except Exception as exc:  # never stops the report: the comparison says why it is missing
        log.warning("the report's rows before the procedure could not be read: %s", exc, exc_info=True)
        return KeptReport({}, error=f"the rows before the procedure could not be read ({exc})")
    log.info("kept the week's %d report rows before the procedure (%s)", len(rows), baseline or "none")
    return KeptReport(rows, baseline)


def compare_report(
    ctx: StepContext, farm_db: FarmDatabase, kept: KeptReport | None, week_text: str
) -> CompareMessage | None:
    """Compare the week's report rows after the procedure with ``kept``, write the changes (at most
    INS_REPORT_DIFF_MAX_ROWS) to TS_INS_REPORT_DIFF and the COMPARE_REPORT row. An earlier comparison in
    the run (the task cleared and run again) gives this one the next number (TRY_NO)."""
    if kept is None:
        return None
    started = now_text()
    settings = ctx.settings
    status, stored = SUCCESS, 0
    try:
        if kept.error:
            raise RuntimeError(kept.error)
        after = (
            (str(key), tuple(values))
            for key, *values in farm_db.report_rows(
                settings.report_diff_key, settings.report_diff_columns, week_text
            )
        )
        if not kept.rows:
            message = CompareMessage(0, sum(1 for _ in after))
        else:
            limit = settings.report_diff_max_rows
            diff = compare_reports(
                settings.report_diff_columns,
                kept.rows,
                after,
                Tolerance(settings.report_diff_abs_tolerance, settings.report_diff_rel_tolerance),
                limit,
                settings.report_diff_key,
            )
            earlier = sum(1 for row in farm_db.job_log(ctx.run_id) if row["step"] == COMPARE.name)
            try_no = max(earlier, farm_db.report_diff_tries(ctx.week_key, ctx.run_id)) + 1
            created = now_text()
            stored = farm_db.insert_report_diff(
                [
                    {
                        "report_week": ctx.week_key,
                        "run_id": ctx.run_id,
                        "try_no": try_no,
                        "farm_no": change.farm,
                        "col_nm": change.column,
                        "change_kind": change.kind,
                        "old_value": value_text(change.old),
                        "new_value": value_text(change.new),
                        "delta": change.delta,
                        "created_at": created,
                    }
                    for change in diff.kept
                ]
            )
            message = diff.message(kept.baseline, limit)
    except Exception as exc:  # never fails the report: the row says why there is no comparison
        log.warning("the report was not compared: %s", exc, exc_info=True)
        error = f"{str(exc) or type(exc).__name__}; {FIX}"
        message, status = CompareMessage(0, 0, error=error), WARNING
    text = message.text()
    log.info("COMPARE_REPORT: %s", text)
    ctx.log(farm_db, COMPARE.name, started, stored, text, status=status)
    return message
