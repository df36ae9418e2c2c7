"""The INS weeks page's rows, pure: one ``WeekRow`` per report week from its job-log rows, the manifest's
periods and the report's headline figures; the week-over-week changes and their outlier rule.

Only the job log's own typed readers (include/ins_report/joblog/messages.py) read a MESSAGE back; the gap
decision (APPROVE_GAPS) and the report diff (COMPARE_REPORT) are shown as their MESSAGE says, never parsed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import quote

from include.ins_report.config.settings import DAG_ID
from include.ins_report.joblog import (
    APPROVE,
    COMPARE,
    FINISH,
    GATE,
    REPORT,
    START,
    SUCCESS,
    WARNING,
    LogRow,
    RunLog,
    gate_headline,
    parse_gate_counts,
)
from include.ins_report.model.week import ReportWeek

URL_PREFIX = "/ins-weeks"  # where the API server serves the page (plugins/ins_weeks.py)
UNFINISHED = "UNFINISHED"
PAGE_SIZE = 12

# Week-over-week outlier rule: a change is marked when it is larger than the figure's limit. The limits are
# a few times a normal week's move (EKAPE's weekly price moves a few per cent; the national mean
# temperature 1-3 °C outside a cold wave; heat stress a day; rain a few tens of mm), so a mark asks "is
# this real?": a cold wave, a storm, or a source answering wrong values.
OUTLIER_LIMITS = {
    "price": ("relative", 0.08),  # |Δ| > 8 % of the previous week's price
    "temperature": ("absolute", 5.0),  # |Δ| > 5 °C
    "heat_days": ("absolute", 1.5),  # |Δ| > 1.5 heat-stress days per farm
    "rain": ("absolute", 40.0),  # |Δ| > 40 mm per farm
}
FIGURE_LABELS = {
    "price": "전국 지육가격 (원/kg)",
    "temperature": "평균기온 (°C)",
    "heat_days": "고온스트레스 일수 (THI≥74, 농장 평균)",
    "rain": "강수량 (mm, 농장 평균)",
}


def run_path(run_id: str) -> str:
    """The run in the Airflow UI's Grid, relative to the UI's root."""
    return f"/dags/{DAG_ID}/runs/{quote(run_id, safe='')}"


def week_page_path(week_key: str) -> str:
    """A week's page on the INS weeks page, below the Airflow base URL."""
    return f"{URL_PREFIX}/week/{quote(week_key, safe='')}"


@dataclass(frozen=True)
class Figures:
    price: float | None = None
    temperature: float | None = None
    heat_days: float | None = None
    rain: float | None = None

    def get(self, name: str) -> float | None:
        return getattr(self, name)


@dataclass(frozen=True)
class Change:
    figure: str
    value: float | None
    delta: float | None  # None: no previous week to compare with
    outlier: bool = False


def is_outlier(figure: str, before: float, after: float) -> bool:
    kind, limit = OUTLIER_LIMITS[figure]
    delta = after - before
    if kind == "relative":
        return before != 0 and abs(delta) / abs(before) > limit
    return abs(delta) > limit


def changes(current: Figures, previous: Figures | None) -> tuple[Change, ...]:
    out = []
    for name in OUTLIER_LIMITS:
        value = current.get(name)
        before = previous.get(name) if previous else None
        if value is None or before is None:
            out.append(Change(name, value, None))
        else:
            out.append(Change(name, value, value - before, is_outlier(name, before, value)))
    return tuple(out)


@dataclass(frozen=True)
class SourceLine:
    """One source's part of the week: the calls its collection makes (the catalog's ``calls_for_week``; the
    weather one per station of the week: retries are not counted, the job log does not record them), the
    rows it wrote, the periods read."""

    label: str
    status: str
    calls: int | None
    rows: int | None
    periods: str


@dataclass(frozen=True)
class WeekRow:
    week_key: str  # YYYYMMDD
    week_label: str  # 2026-11-16..2026-11-22
    run_id: str
    runs: int  # runs of the week in the job log
    state: str  # the latest run's FINISH_JOB status, or UNFINISHED
    report_ready_at: str | None  # when the report procedure finished successfully
    sources: tuple[SourceLine, ...]
    gate_status: str | None
    gate_counts: dict[str, int] | None
    gate_summary: str
    excluded: tuple[str, ...]  # "F0009 name: reason", as the plan logged them
    excluded_total: int
    report_rows: int | None
    decision: str | None  # APPROVE_GAPS's MESSAGE as it stands
    diff: str | None  # COMPARE_REPORT's MESSAGE as it stands
    figures: Figures
    changes: tuple[Change, ...] = ()
    grid_path: str = ""

    @property
    def outliers(self) -> list[str]:
        return [change.figure for change in self.changes if change.outlier]

    def as_dict(self) -> dict:
        return {
            "week": self.week_key,
            "week_label": self.week_label,
            "run_id": self.run_id,
            "runs": self.runs,
            "state": self.state,
            "report_ready_at": self.report_ready_at,
            "sources": [vars(line) for line in self.sources],
            "gate": {"status": self.gate_status, "counts": self.gate_counts, "summary": self.gate_summary},
            "excluded": {"total": self.excluded_total, "farms": list(self.excluded)},
            "report_rows": self.report_rows,
            "decision": self.decision,
            "diff": self.diff,
            "figures": vars(self.figures),
            "changes": [vars(change) for change in self.changes],
            "grid_path": self.grid_path,
        }


@dataclass(frozen=True)
class SourceSpec:
    """What the page needs of a catalog source (include/ins_report/sources/catalog.py)."""

    label: str
    source: str  # TA_STATS_DATA.SOURCE; "" for the weather
    step: str  # its collection's STEP_NM
    calls: int | None  # calls a week costs; None: one per weather location (counted from the job log)


@dataclass
class WeekInputs:
    """What the queries gave for one week."""

    log_rows: list[tuple] = field(default_factory=list)  # weeks_job_log.sql's columns
    periods: dict[str, str] = field(default_factory=dict)  # SOURCE -> "first..last"
    figures: Figures = field(default_factory=Figures)


def _log_row(row: Sequence) -> LogRow:
    log_id, _run, _week, step, status, started, ended, count, message = row
    return LogRow(
        int(log_id),
        str(step),
        str(status),
        started,
        ended,
        None if count is None else int(count),
        str(message or ""),
    )


def latest_run(rows: Iterable[Sequence]) -> tuple[str, RunLog, int]:
    """Of one week's job-log rows: the latest run (a RUN_ID with a START_JOB row), its log, and how many
    runs the week has."""
    by_run: dict[str, list[LogRow]] = {}
    started: dict[str, int] = {}
    for row in rows:
        run_id = str(row[1])
        by_run.setdefault(run_id, []).append(_log_row(row))
        if row[3] == START.name:
            started.setdefault(run_id, int(row[0]))
    if not started:
        return "", RunLog(), 0
    run_id = max(started, key=started.get)
    return run_id, RunLog(sorted(by_run[run_id], key=lambda r: r.log_id)), len(started)


def week_label(week_key: str) -> str:
    try:
        return ReportWeek(dt.datetime.strptime(week_key, "%Y%m%d").date()).label()
    except ValueError:
        return week_key


def build_row(week_key: str, inputs: WeekInputs, sources: Sequence[SourceSpec]) -> WeekRow:
    run_id, log, runs = latest_run(inputs.log_rows)
    finish = log.latest(FINISH.name)
    report = log.latest(REPORT.name, SUCCESS)
    gate = log.latest(GATE.name)
    plan = log.plan()
    lines = []
    for spec in sources:
        rows = [row for row in log.outcomes() if row.step == spec.step]
        if not rows:
            continue
        status = SUCCESS if all(r.status == SUCCESS for r in rows) else rows[-1].status
        if any(r.status not in (SUCCESS, WARNING) for r in rows):
            status = next(r.status for r in rows if r.status not in (SUCCESS, WARNING))
        calls = spec.calls if spec.calls is not None else len(rows)
        written = sum(r.row_count or 0 for r in rows if r.status in (SUCCESS, WARNING))
        periods = inputs.periods.get(spec.source, "") if spec.source else week_label(week_key)
        lines.append(SourceLine(spec.label, status, calls, written, periods))
    decision = log.latest(APPROVE.name)
    diff = log.latest(COMPARE.name)
    return WeekRow(
        week_key=week_key,
        week_label=week_label(week_key),
        run_id=run_id,
        runs=runs,
        state=finish.status if finish else UNFINISHED,
        report_ready_at=str(report.ended_at) if report and report.ended_at else None,
        sources=tuple(lines),
        gate_status=gate.status if gate else None,
        gate_counts=parse_gate_counts(gate.message) if gate else None,
        gate_summary=gate_headline(gate.message) if gate else "",
        excluded=plan.excluded if plan else (),
        excluded_total=plan.excluded_total if plan else 0,
        report_rows=report.row_count if report else None,
        decision=decision.message if decision else None,
        diff=diff.message if diff else None,
        figures=inputs.figures,
        grid_path=run_path(run_id) if run_id else "",
    )


def is_week_key(week_key: str) -> bool:
    """A report week's key (``YYYYMMDD``). The job log also keeps what a run was given when that was not a
    week (a START_JOB failure for a Wednesday, ``2026-11-11``): listed as it is, without figures."""
    try:
        dt.datetime.strptime(week_key, "%Y%m%d")
    except ValueError:
        return False
    return True


def previous_key(week_key: str) -> str:
    """The week before, or "" for a key that is not a week's."""
    if not is_week_key(week_key):
        return ""
    return (dt.datetime.strptime(week_key, "%Y%m%d") - dt.timedelta(days=7)).strftime("%Y%m%d")


def with_changes(rows: list[WeekRow], figures: dict[str, Figures]) -> list[WeekRow]:
    """Each row with its changes against the week before it (``figures`` by week key: the page's weeks and
    the week before its oldest); a week whose previous week has no figures shows no change."""
    return [
        replace(row, changes=changes(row.figures, figures.get(previous_key(row.week_key)))) for row in rows
    ]
