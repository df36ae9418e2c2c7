"""TS_INS_JOB_LOG, the batch's contract with the DB-side monitoring (docs/operations.md).

One row per step outcome, appended, never updated: the steps write their SUCCESS (or WARNING) row, the task
callbacks write FAILED and RETRY rows in the format of ``FailureDetail``. This module knows the steps, that
format, and how to read a run's rows back for the alerts, the digest and the last weeks at a glance.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from include.ins_report.settings import JOB_NAME

SUCCESS, FAILED, RETRY, WARNING = "SUCCESS", "FAILED", "RETRY", "WARNING"
STATUSES = (SUCCESS, FAILED, RETRY, WARNING)
OUTCOMES = (SUCCESS, FAILED, WARNING)  # a step's last word; RETRY rows are history
MAPPED_STEP = "COLLECT_STATION_WEATHER"
FINISH_STEP = "FINISH_JOB"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MESSAGE_BYTES = 3900  # TS_INS_JOB_LOG.MESSAGE is VARCHAR2(4000 BYTE) on Oracle; Hangul takes 3 bytes
MAX_FARMS = 30


@dataclass(frozen=True)
class Step:
    name: str  # STEP_NM
    task_id: str
    title: str  # the task's display name in the UI
    table: str | None = None  # the table the step writes


STEPS = {
    step.name: step
    for step in (
        Step("START_JOB", "start_job", "Start: record the run"),
        Step(
            "COLLECT_KOSIS_SERIES",
            "collect_stats.collect_kosis_series",
            "Fetch KOSIS series into TA_STATS_DATA",
            "TA_STATS_DATA",
        ),
        Step(
            "PLAN_WEATHER_LOCATIONS",
            "collect_weather.plan_weather_locations",
            "Plan weather locations (farms to stations)",
        ),
        Step(
            "WAIT_FOR_WEATHER_PUBLICATION",
            "collect_weather.wait_for_weather_publication",
            "Wait for Sunday's weather to be published",
        ),
        Step(
            MAPPED_STEP,
            "collect_weather.collect_station_weather",
            "Fetch station week into TM_WEATHER",
            "TM_WEATHER",
        ),
        Step("CHECK_COLLECTION", "check_collection", "Check the week's data is complete"),
        Step(
            "RUN_WEEKLY_REPORT",
            "run_weekly_report",
            "Run SP_INS_WEEK_MAIN for the week",
            "TR_INS_WEEK_REPORT",
        ),
        Step(FINISH_STEP, "finish_job", "Finish: record the outcome"),
    )
}


def step_title(step: str) -> str:
    known = STEPS.get(step)
    return known.title if known else step


def clip_utf8(text: str, limit: int = MESSAGE_BYTES) -> str:
    """At most ``limit`` UTF-8 bytes (Oracle's VARCHAR2 counts bytes), cut on a character boundary."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")


# --- the CHECK_COLLECTION row: the gate's counts by kind ----------------------------------------------

# The gate's kinds (include/ins_report/gate.py), in the order the CHECK_COLLECTION message lists them.
GATE_KINDS = (
    "missing_day",
    "stale_station",
    "core_null",
    "rain_unknown",
    "implausible",
    "stats_missing",
    "stats_null",
)
_GATE_COUNTS = re.compile(r"by kind: ((?:[a-z_]+=\d+ ?)+)")


def gate_counts_text(counts: dict[str, int]) -> str:
    """``by kind: missing_day=0 stale_station=0 ...``: every kind, always in the same order, so that the
    DB-side monitoring can read it (``parse_gate_counts``) from SUCCESS, WARNING and FAILED rows alike."""
    return "by kind: " + " ".join(f"{kind}={int(counts.get(kind, 0))}" for kind in GATE_KINDS)


def parse_gate_counts(message: str | None) -> dict[str, int] | None:
    """The counts by kind a CHECK_COLLECTION message carries, or None if it carries none."""
    match = _GATE_COUNTS.search(message or "")
    if not match:
        return None
    return {kind: int(count) for kind, count in (pair.split("=") for pair in match[1].split())}


def gate_headline(message: str | None) -> str:
    """A CHECK_COLLECTION message without its counts by kind (they are read with ``parse_gate_counts``)."""
    match = _GATE_COUNTS.search(message or "")
    return (message or "")[: match.start()].rstrip("; ") if match else (message or "")


# --- the FAILED / RETRY row -------------------------------------------------------------------------

_FAILURE = re.compile(
    r"^(?:(?P<label>[^\n]*?)(?: \[farms (?P<farms>[^\]]*)\])?: (?=.* \(task [\w.-]+, map \d+, try))?"
    r"(?P<error>.*) \(task (?P<task>[\w.-]+)(?:, map (?P<map>\d+))?, "
    r"try (?P<try>\d+)(?: of (?P<tries>\d+))?\)\Z",
    re.S,
)


@dataclass(frozen=True)
class FailureDetail:
    """What the MESSAGE of a FAILED or RETRY row says, written by the task callbacks:

    ``203 이천 (2 farms) [farms F0001, F0007]: PermanentApiError: ... (task t, map 3, try 1 of 4)`` for a
    mapped station, ``KosisError: ... (task t, try 4 of 4)`` otherwise."""

    error: str
    task_id: str
    map_index: int = -1
    label: str = ""
    farms: tuple[str, ...] = ()
    try_number: int | None = None
    tries: int | None = None

    @property
    def error_class(self) -> str:
        head, sep, _ = self.error.partition(": ")
        return head if sep and " " not in head else ""

    def message(self) -> str:
        head = ""
        if self.map_index >= 0:
            farms = list(self.farms[:MAX_FARMS])
            if len(self.farms) > MAX_FARMS:
                farms.append(f"… {len(self.farms) - MAX_FARMS} more")
            head = (
                (self.label or str(self.map_index)) + (f" [farms {', '.join(farms)}]" if farms else "") + ": "
            )
        where = f"task {self.task_id}" + (f", map {self.map_index}" if self.map_index >= 0 else "")
        tries = f"try {self.try_number or 0}" + (f" of {self.tries}" if self.tries else "")
        suffix = f" ({where}, {tries})"
        # The error gives way, in bytes, so that the row keeps its station, farms and task suffix.
        budget = MESSAGE_BYTES - len((head + suffix + " …").encode("utf-8"))
        error = clip_utf8(self.error, max(budget, 0))
        if error != self.error:
            error += " …"
        return f"{head}{error}{suffix}"

    @classmethod
    def parse(cls, message: str | None) -> FailureDetail | None:
        match = _FAILURE.match(message or "")
        if not match:
            return None
        return cls(
            error=match["error"],
            task_id=match["task"],
            map_index=int(match["map"]) if match["map"] else -1,
            label=(match["label"] or "").strip(),
            farms=tuple(farm.strip() for farm in (match["farms"] or "").split(",") if farm.strip()),
            try_number=int(match["try"]),
            tries=int(match["tries"]) if match["tries"] else None,
        )


# --- reading a run's rows ---------------------------------------------------------------------------


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
    def failure(self) -> FailureDetail | None:
        return FailureDetail.parse(self.message) if self.status in (FAILED, RETRY) else None

    @property
    def label(self) -> str:
        """The mapped instance (weather location) the row is about; "" for the other steps."""
        if self.step != MAPPED_STEP:
            return ""
        failure = self.failure
        if failure:
            return failure.label
        return self.message.split(": ", 1)[0]

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
        plan = self.latest("PLAN_WEATHER_LOCATIONS", SUCCESS)
        match = re.search(r"at (\d+) weather locations", plan.message) if plan else None
        return int(match[1]) if match else None

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


def recent_runs(warehouse, weeks: int = 8) -> list[dict]:
    """One row per run of the last ``weeks`` report weeks, newest week first (job_log_last_weeks.sql)."""
    rows = warehouse.query("job_log_last_weeks", {"job_nm": JOB_NAME, "week_count": weeks})
    return [dict(zip(RECENT_COLUMNS, row, strict=True)) for row in rows]
