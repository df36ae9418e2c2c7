"""The gaps warning: the report was built although the completeness gate found gaps, which the coverage
policy accepted (the CHECK_COLLECTION WARNING row). Sent when the run succeeds, on every channel."""

from __future__ import annotations

from include.ins_report.airflow_context import RunFacts
from include.ins_report.alerts.message import Alert, payload_head, run_url
from include.ins_report.joblog import GATE, GateMessage, RunLog
from include.ins_report.settings import Settings


def accepted_gaps(run_log: RunLog) -> GateMessage | None:
    row = run_log.latest(GATE.name)
    message = GateMessage.parse(row.message) if row else None
    return message if message and message.accepted_gaps else None


def build_gaps_alert(run: RunFacts, gate: GateMessage, settings: Settings) -> Alert:
    week_text = run.week.label() if run.week else run.week_key
    url = run_url(settings, run.run_id)
    details = gate.details()
    return Alert(
        subject=f"[INS weekly report] week {week_text}: report built with gaps ({run.run_id})",
        text=f"The report for week {week_text} was built with gaps the coverage policy accepts.\n\n"
        f"{details}\n\n{url}",
        payload={
            **payload_head("ins_weekly_report_gaps_accepted", run.run_id, url, run.week),
            "coverage": gate.summary,
            "kinds": gate.counts,
            "gaps": gate.gaps,
            "text": details,
        },
        url=url,
    )
