"""The question on a week's gaps, as the operator reads it: the Markdown body the Airflow UI renders on the
Required Actions page (airflow_edge/approval.py asks it), and the request sent on the alert channels with a
link straight to that page. Pure: built from ``GapQuestion`` (include/ins_report/model/gap_policy.py)."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import quote

from include.ins_report.alerts.messages.alert import Alert, payload_head, run_url
from include.ins_report.config.settings import DAG_ID, Settings
from include.ins_report.joblog import APPROVE
from include.ins_report.joblog.messages import listed
from include.ins_report.model.gap_policy import GapQuestion
from include.ins_report.model.gate_result import STATS_KINDS, TITLES, WEATHER_KINDS, Issue
from include.ins_report.model.week import KST, ReportWeek

APPROVE_TASK = APPROVE.task_id
MAX_LINES = 30  # entries per section before it summarises: the page stays readable on a phone


def subject(question: GapQuestion) -> str:
    """The Required Actions list shows it: the week first, so a backfill's questions tell themselves
    apart."""
    return f"Week {question.week_label}: build the INS report with these gaps?"


def _answer_by(question: GapQuestion) -> str:
    return question.answer_by.astimezone(KST).strftime("%Y-%m-%d %H:%M KST")


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    return [*lines[:MAX_LINES], f"- … and {len(lines) - MAX_LINES} more (the gate's job-log row lists them)"]


def _weather_issues(question: GapQuestion) -> list[Issue]:
    return [issue for kind in WEATHER_KINDS for issue in question.result.issues[kind]]


def station_lines(question: GapQuestion) -> list[str]:
    """Per station: its farms with gaps of its planned farms, the farm-days and what is wrong."""
    planned = question.station_farms()
    farms: dict[str, set[str]] = defaultdict(set)
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for issue in _weather_issues(question):
        farms[issue.where].add(issue.farm_no)
        kinds[issue.where][issue.kind] += 1
    return [
        f"- **{label}**: {len(farms[label])} of {planned.get(label, len(farms[label]))} farms; "
        + ", ".join(f"{TITLES[kind]} {count}" for kind, count in kinds[label].items())
        for label in sorted(farms)
    ]


def farm_lines(question: GapQuestion) -> list[str]:
    """Per farm: its name, station and the days with a problem."""
    days: dict[str, set[str]] = defaultdict(set)
    for issue in _weather_issues(question):
        days[issue.farm_no].add(issue.key)
    lines = []
    for farm_no in sorted(days):
        name, label = question.farms.get(farm_no, ("?", "?"))
        found = sorted(days[farm_no])
        which = "all 7 days" if len(found) == 7 else f"{len(found)} of 7 days: {listed(found)}"
        lines.append(f"- {farm_no} {name} ({label}): {which}")
    return lines


def series_lines(question: GapQuestion) -> list[str]:
    """Per series: the cells (item, category, period) missing or without a value."""
    cells: dict[str, list[str]] = defaultdict(list)
    for kind in STATS_KINDS:
        for issue in question.result.issues[kind]:
            cells[issue.where].append(f"{issue.key} ({TITLES[kind]})")
    return [f"- **{series}**: {listed(sorted(found))}" for series, found in sorted(cells.items())]


def farms_without_weather(question: GapQuestion) -> list[str]:
    """Farms with no weather row for any day of the week: the report procedure leaves them out."""
    missing: dict[str, int] = defaultdict(int)
    for issue in question.result.issues["missing_day"]:
        missing[issue.farm_no] += 1
    return sorted(farm_no for farm_no, days in missing.items() if days == 7)


def approve_meaning(question: GapQuestion, stats_gaps: int) -> str:
    """What approving builds: the farms left out, the farms with partial weather, the missing cells."""
    affected = {issue.farm_no for issue in _weather_issues(question)}
    absent = farms_without_weather(question)
    partial = len(affected) - len(absent)
    parts = [f"The report is built for the week's {question.result.farms} farms"]
    if absent:
        parts.append(f"without the {len(absent)} farms that have no weather day at all ({listed(absent)})")
    if partial:
        parts.append(f"with the weather of {partial} farms partial (the days they have)")
    if stats_gaps:
        parts.append("with the statistics cells above missing")
    return ", ".join(parts) + "."


def body(question: GapQuestion) -> str:
    """The Markdown the operator decides on."""
    result, policy = question.result, question.policy
    weather_gaps = sum(result.counts[kind] for kind in WEATHER_KINDS)
    stats_gaps = sum(result.counts[kind] for kind in STATS_KINDS)
    affected = farm_lines(question)
    lines = [
        f"The data of week **{question.week_label}** has gaps: too many to build the report unasked, few "
        "enough for you to decide.",
        "",
        "### Coverage",
        f"- Weather: {result.good_farm_days} of {result.farm_days} farm-days "
        f"({result.weather_coverage:.1%}); built unasked from {policy.min_weather:.0%}, "
        f"asked from {policy.ask_weather:.0%}",
        f"- Statistics: {result.good_stats_cells} of {result.stats_cells} cells "
        f"({result.stats_coverage:.1%}); built unasked from {policy.min_stats:.0%}, "
        f"asked from {policy.ask_stats:.0%}",
    ]
    if weather_gaps:
        lines += [
            "",
            f"### Weather stations with gaps ({weather_gaps} farm-day problems)",
            *_capped(station_lines(question)),
        ]
        lines += ["", f"### Farms affected ({len(affected)})", *_capped(affected)]
    if stats_gaps:
        lines += [
            "",
            f"### Statistics: series and periods ({stats_gaps} cells)",
            *_capped(series_lines(question)),
        ]
    lines += [
        "",
        "### Approve",
        approve_meaning(question, stats_gaps)
        + " Your decision, name and reason go to TS_INS_JOB_LOG (a WARNING row) and the digest.",
        "",
        "### Reject",
        "No report for this week: the run fails with one alert naming you and your reason. Fix the gaps "
        "(re-collect: clear the collection step with Downstream ticked), then clear this task, or the whole "
        "run, to be asked again with the gaps as they are then.",
        "",
        f"**No answer by {_answer_by(question)}**: the default applies (**{question.default}**).",
    ]
    return "\n".join(lines)


def required_action_url(settings: Settings, run_id: str, task_id: str = APPROVE_TASK) -> str:
    """The Airflow UI's page of the question (the Required Actions form of the task)."""
    return f"{run_url(settings, run_id)}/tasks/{quote(task_id, safe='')}/required_actions?map_index=-1"


def rest_path(run_id: str, task_id: str = APPROVE_TASK) -> str:
    """The REST path that answers it (PATCH, JSON ``{"chosen_options": [...], "params_input": {...}}``)."""
    return (
        f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances/"
        f"{quote(task_id, safe='')}/-1/hitlDetails"
    )


def build_question_alert(run_id: str, week: ReportWeek, question: GapQuestion, settings: Settings) -> Alert:
    """The request on the alert channels: the gaps in short and the link to answer."""
    url = required_action_url(settings, run_id)
    result = question.result
    text = "\n".join(
        [
            f"The INS report for week {question.week_label} waits for your decision: its data has gaps.",
            "",
            f"Coverage: {question.policy.describe(result)}",
            f"Gaps:     {result.summary()}",
            "",
            f"Answer (approve or reject, with a reason): {url}",
            f"No answer by {_answer_by(question)}: the default applies ({question.default}).",
        ]
    )
    payload = {
        **payload_head("ins_weekly_report_gaps_question", run_id, url, week),
        "coverage": {"weather": result.weather_coverage, "stats": result.stats_coverage},
        "kinds": dict(result.counts),
        "answer_by": question.answer_by.isoformat(),
        "default": question.default,
        "rest_path": rest_path(run_id),
        "text": text,
    }
    return Alert(
        subject=f"[INS weekly report] decide: {subject(question)} ({run_id})",
        text=text,
        payload=payload,
        url=url,
    )
