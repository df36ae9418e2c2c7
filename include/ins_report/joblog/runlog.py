"""Reading a run's TS_INS_JOB_LOG rows back: its outcomes, failures, warnings, what it wrote and how long
each step took (for the alerts, the digest and the last weeks at a glance)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from include.ins_report.joblog.failure import mapped_label
from include.ins_report.joblog.messages import PlanMessage
from include.ins_report.joblog.registry import (
    FAILED,
    FINISH_STEP,
    JOB_NAME,
    MAPPED_STEP,
    OUTCOMES,
    PLAN,
    RETRY,
    STEPS,
    SUCCESS,
    TIME_FORMAT,
    WARNING,
)


def parse_time(text: Any) -> dt.datetime | None:
    if not text:
        return None
    if isinstance(text, dt.datetime):
        return text
    try:
        return dt.datetime.strptime(str(text)[:19], TIME_FORMAT)
    except ValueError:
        return None


@dataclass(frozen=True)
class LogRow:
    log_id: int
    step: str
    status: str
    started_at: str | None
    ended_at: str | None
    row_count: int | None
    message: str

    @classmethod
    def from_dict(cls, row: dict) -> LogRow:
        return cls(
            log_id=int(row["log_id"]),
            step=str(row["step"]),
            status=str(row["status"]),
            started_at=row.get("started_at"),
            ended_at=row.get("ended_at"),
            row_count=None if row.get("row_count") is None else int(row["row_count"]),
            message=str(row.get("message") or ""),
        )

    @property
    def label(self) -> str:
        """The mapped instance (weather location) the row is about; "" for the other steps."""
        return mapped_label(self.message) if self.step == MAPPED_STEP else ""

    @property
    def seconds(self) -> float | None:
        start, end = parse_time(self.started_at), parse_time(self.ended_at)
        return (end - start).total_seconds() if start and end else None


@dataclass
class RunLog:
    """The rows of one run, oldest first."""

    rows: list[LogRow] = field(default_factory=list)

    @classmethod
    def from_dicts(cls, rows: list[dict]) -> RunLog:
        return cls(sorted((LogRow.from_dict(row) for row in rows), key=lambda row: row.log_id))

    def outcomes(self) -> list[LogRow]:
        """The last outcome of every step (of every weather location), in log order: a task cleared and
        re-run counts by its latest row."""
        latest: dict[tuple[str, str], LogRow] = {}
        for row in self.rows:
            if row.status in OUTCOMES:
                latest[(row.step, row.label)] = row
        return sorted(latest.values(), key=lambda row: row.log_id)

    def failures(self) -> list[LogRow]:
        return [row for row in self.outcomes() if row.status == FAILED and row.step != FINISH_STEP]

    def warnings(self) -> list[LogRow]:
        return [row for row in self.outcomes() if row.status == WARNING]

    def retries(self) -> Counter[str]:
        return Counter(row.step for row in self.rows if row.status == RETRY)

    def latest(self, step: str, status: str | None = None) -> LogRow | None:
        rows = [row for row in self.outcomes() if row.step == step and status in (None, row.status)]
        return rows[-1] if rows else None

    def planned_locations(self) -> int | None:
        plan = self.plan()
        return plan.locations if plan else None

    def plan(self) -> PlanMessage | None:
        row = self.latest(PLAN.name, SUCCESS)
        return PlanMessage.parse(row.message) if row else None

    def written(self) -> dict[str, dict]:
        """Per table, the rows the run's successful steps wrote (their latest outcome) and from how many
        parts (weather locations)."""
        written: dict[str, dict] = {}
        for row in self.outcomes():
            table = STEPS[row.step].table if row.step in STEPS else None
            if not table or row.status not in (SUCCESS, WARNING) or row.row_count is None:
                continue
            item = written.setdefault(table, {"rows": 0, "parts": 0})
            item["rows"] += row.row_count
            item["parts"] += 1
        return written

    def span(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        starts = [t for t in (parse_time(row.started_at) for row in self.rows) if t]
        ends = [t for t in (parse_time(row.ended_at) for row in self.rows) if t]
        return (min(starts) if starts else None, max(ends) if ends else None)

    def step_durations(self) -> list[tuple[str, float, str]]:
        """(step, seconds, detail) per step in run order; the weather locations as one line: the span
        from the first start to the last end, and the slowest location."""
        lines: list[tuple[str, float, str]] = []
        weather = [row for row in self.outcomes() if row.step == MAPPED_STEP and row.seconds is not None]
        for row in self.outcomes():
            if row.step != MAPPED_STEP:
                if row.seconds is not None:
                    lines.append((row.step, row.seconds, "" if row.status == SUCCESS else row.status))
            elif weather and row is weather[0]:
                first = min(parse_time(r.started_at) for r in weather)
                last = max(parse_time(r.ended_at) for r in weather)
                slowest = max(weather, key=lambda r: r.seconds or 0)
                detail = (
                    f"{len(weather)} locations, slowest {slowest.label} ({format_seconds(slowest.seconds)})"
                )
                lines.append((row.step, (last - first).total_seconds(), detail))
        return lines


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# --- the last weeks at a glance ---------------------------------------------------------------------

RECENT_COLUMNS = (
    "report_week",
    "run_id",
    "outcome",
    "weather_rows",
    "report_rows",
    "retries",
    "failures",
    "warnings",
    "started_at",
    "ended_at",
    "minutes",
)


def recent_runs(farm_db, weeks: int = 8) -> list[dict]:
    """One row per run of the last ``weeks`` report weeks, newest week first (job_log_last_weeks.sql)."""
    rows = farm_db.query("job_log_last_weeks", {"job_nm": JOB_NAME, "week_count": weeks})
    return [dict(zip(RECENT_COLUMNS, row, strict=True)) for row in rows]
