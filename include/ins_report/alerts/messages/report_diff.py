"""The report diff as the digest and the failure alert show it: the COMPARE_REPORT row's summary as the job
log has it, and the link to the week on the INS weeks page, which lists the changes (TS_INS_REPORT_DIFF)."""

from __future__ import annotations

from dataclasses import dataclass

from include.ins_report.config.settings import Settings
from include.ins_report.joblog import COMPARE, REPORT, RunLog
from include.ins_report.weeks.model import week_page_path


def week_page_url(settings: Settings, week_key: str) -> str:
    """The week on the INS weeks page: its report diff as a table, with its map and charts."""
    return f"{settings.airflow_base_url}{week_page_path(week_key)}"


@dataclass(frozen=True)
class DiffLine:
    summary: str  # the COMPARE_REPORT row's MESSAGE
    status: str
    url: str
    current: bool = True  # written by the report task's latest attempt (its call returned)

    def lines(self) -> list[str]:
        return [f"Report diff:     {self.summary}", f"                 {self.url}"]

    def payload(self) -> dict:
        return {"summary": self.summary, "status": self.status, "url": self.url}


def report_diff(run_log: RunLog, settings: Settings, week_key: str) -> DiffLine | None:
    """The run's latest comparison of the week's report, or None (INS_REPORT_DIFF off, or no report call
    returned in this run)."""
    row = run_log.latest(COMPARE.name)
    if not row:
        return None
    # An attempt writes COMPARE_REPORT, then its RUN_WEEKLY_REPORT outcome (or its callback's FAILED row).
    steps = [r.step for r in run_log.rows if r.step in (REPORT.name, COMPARE.name)]
    current = COMPARE.name in steps[-2:]
    return DiffLine(row.message, row.status, week_page_url(settings, week_key), current)
