"""The weekly success digest: farms reported, gaps accepted, retries, run time against the previous week,
step durations; all from the job log."""

from __future__ import annotations

import datetime as dt

from include.ins_report import joblog
from include.ins_report.alerts.messages.alert import Alert, payload_head, run_url
from include.ins_report.alerts.messages.gaps import approved_gaps, not_in_plan
from include.ins_report.alerts.messages.report_diff import report_diff
from include.ins_report.alerts.messages.run import RunFacts
from include.ins_report.config.settings import Settings
from include.ins_report.joblog import GATE, PLAN, REPORT, GateMessage, RunLog, format_seconds, step_title
from include.ins_report.model.week import ReportWeek


def previous_week_run(recent: list[dict], week: ReportWeek | None) -> dict | None:
    """Of ``joblog.recent_runs`` (newest first), the latest successful run of the week before ``week``."""
    if not week:
        return None
    previous = ReportWeek(week.start - dt.timedelta(days=7)).key
    done = [run for run in recent if run["report_week"] == previous and run["outcome"] == joblog.SUCCESS]
    return done[0] if done else None


def build_digest(run: RunFacts, run_log: RunLog, recent: list[dict], settings: Settings) -> Alert:
    """The digest of a successful run, from its job log and ``recent`` (``joblog.recent_runs``)."""
    run_id, week = run.run_id, run.week
    week_text = week.label() if week else run.week_key
    url = run_url(settings, run_id)
    report = run_log.latest(REPORT.name, joblog.SUCCESS)
    plan = run_log.latest(PLAN.name, joblog.SUCCESS)
    planned = run_log.plan()
    farms = report.row_count if report else None
    start, end = run_log.span()
    seconds = (end - start).total_seconds() if start and end else None

    previous = previous_week_run(recent, week)
    if previous and previous.get("minutes") is not None and seconds is not None:
        before = float(previous["minutes"]) * 60
        delta = seconds - before
        sign = "+" if delta >= 0 else "-"
        comparison = (
            f"previous week {previous['report_week']}: {format_seconds(before)} "
            f"({sign}{format_seconds(abs(delta))})"
        )
    else:
        comparison = "no successful run of the previous week in the job log"

    gaps = [
        message.details()
        for row in run_log.warnings()
        if row.step == GATE.name and (message := GateMessage.parse(row.message)) and message.accepted_gaps
    ]
    decision = approved_gaps(run_log)  # gaps an operator approved: the row says who, when, why and which
    if decision:
        gaps.append(decision.message)
    report_warning = not_in_plan(run_log)  # farms that appeared after the week's plan
    diff = report_diff(run_log, settings, run.week_key)  # what the report replaced (COMPARE_REPORT)
    retries = run_log.retries()
    durations = [
        f"  {step_title(step):<44} {format_seconds(secs):>12}" + (f"  {detail}" if detail else "")
        for step, secs, detail in run_log.step_durations()
    ]
    excluded = ""
    if planned and planned.excluded_total:
        excluded = f"{planned.excluded_total} excluded (reasons in the {PLAN.name} row)"
    lines = [
        f"The weekly INS report for week {week_text} was built.",
        "",
        f"Run:    {run_id}",
        f"Link:   {url}",
        "",
        f"Farms reported:  {farms if farms is not None else '?'}"
        + (f" of {plan.row_count} usable farms" if plan and plan.row_count is not None else "")
        + (f"; {excluded}" if excluded else ""),
        "Gaps accepted:   " + ("; ".join(gaps) if gaps else "none (the week is complete)"),
        *([f"Not in the plan: {report_warning.note}"] if report_warning else []),
        *(diff.lines() if diff else []),
        "Retries:         "
        + (", ".join(f"{step} {count}" for step, count in retries.items()) if retries else "none"),
        f"Run time:        {format_seconds(seconds)}; {comparison}",
        "",
        "Step durations (TS_INS_JOB_LOG started/ended):",
        *(durations or ["  (none recorded)"]),
    ]
    text = "\n".join(lines)
    payload = {
        **payload_head("ins_weekly_report_digest", run_id, url, week),
        "farms_reported": farms,
        "gaps_accepted": gaps,
        "not_in_plan": report_warning.note if report_warning else None,
        "report_diff": diff.payload() if diff else None,
        "retries": dict(retries),
        "run_seconds": seconds,
        "previous_week": previous,
        "step_seconds": [
            {"step": step, "seconds": secs, "detail": detail}
            for step, secs, detail in run_log.step_durations()
        ],
        "text": text,
    }
    subject = (
        f"[INS weekly report] OK week {week_text}: {farms if farms is not None else '?'} farms ({run_id})"
    )
    return Alert(subject=subject, text=text, payload=payload, url=url)
