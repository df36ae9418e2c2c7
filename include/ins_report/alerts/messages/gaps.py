"""The warnings of a built report, sent when the run succeeds, on every channel: the gaps the coverage policy
accepted (the CHECK_COLLECTION WARNING row) or an operator approved (the APPROVE_GAPS WARNING row), and
farms of TA_FARM that were not in the week's plan when the report was built (the RUN_WEEKLY_REPORT WARNING
row: added or re-activated after the plan)."""

from __future__ import annotations

from include.ins_report.alerts.messages.alert import Alert, payload_head, run_url
from include.ins_report.alerts.messages.run import RunFacts
from include.ins_report.config.settings import Settings
from include.ins_report.joblog import (
    APPROVE,
    GATE,
    REPORT,
    WARNING,
    GateMessage,
    LogRow,
    ReportMessage,
    RunLog,
)


def accepted_gaps(run_log: RunLog) -> GateMessage | None:
    row = run_log.latest(GATE.name)
    message = GateMessage.parse(row.message) if row else None
    return message if message and message.accepted_gaps else None


def _warning(
    run: RunFacts, settings: Settings, event: str, headline: str, lead: str, body: str, **fields
) -> Alert:
    """A built report's warning: one shape for every kind (subject, lead sentence, the row's text, link)."""
    week_text = run.week.label() if run.week else run.week_key
    url = run_url(settings, run.run_id)
    return Alert(
        subject=f"[INS weekly report] week {week_text}: {headline} ({run.run_id})",
        text=f"The report for week {week_text} {lead}\n\n{body}\n\n{url}",
        payload={**payload_head(event, run.run_id, url, run.week), **fields, "text": body},
        url=url,
    )


def build_gaps_alert(run: RunFacts, gate: GateMessage, settings: Settings) -> Alert:
    return _warning(
        run,
        settings,
        "ins_weekly_report_gaps_accepted",
        "report built with gaps",
        "was built with gaps the coverage policy accepts.",
        gate.details(),
        coverage=gate.summary,
        kinds=gate.counts,
        gaps=gate.gaps,
    )


def approved_gaps(run_log: RunLog) -> LogRow | None:
    """The APPROVE_GAPS row when an operator (or the timeout's default) approved the week's gaps."""
    row = run_log.latest(APPROVE.name)
    return row if row and row.status == WARNING else None


def build_approved_gaps_alert(run: RunFacts, decision: LogRow, settings: Settings) -> Alert:
    """The report was built with gaps an operator approved: who, when, why and the gaps (the row's text)."""
    return _warning(
        run,
        settings,
        "ins_weekly_report_gaps_approved",
        "report built with approved gaps",
        "was built with gaps an operator approved.",
        decision.message,
        decision=decision.message,
    )


def not_in_plan(run_log: RunLog) -> ReportMessage | None:
    """The report's row when it is a WARNING: farms that are farms of the week now but not of its plan."""
    row = run_log.latest(REPORT.name)
    return ReportMessage.parse(row.message) if row and row.status == WARNING else None


def build_plan_warning_alert(run: RunFacts, report: ReportMessage, settings: Settings) -> Alert:
    return _warning(
        run,
        settings,
        "ins_weekly_report_not_in_plan",
        "farms not in the week's plan",
        "was built for the farms of its plan. Farms that TA_FARM holds now were not in the plan (added or "
        "re-activated after it) and are not in this report; clear the whole run to include them.",
        report.note,
    )
