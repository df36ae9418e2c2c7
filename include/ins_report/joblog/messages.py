"""A typed writer (``text()``) and parser (``parse()``) for the MESSAGE of every step's outcome row. The
FAILED and RETRY rows are ``FailureDetail`` (failure.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def listed(items: list[str] | tuple[str, ...], limit: int = 20) -> str:
    """The first ``limit`` items, then how many more: how every message names a long list."""
    head = ", ".join(items[:limit])
    return head if len(items) <= limit else f"{head} … and {len(items) - limit} more"


@dataclass(frozen=True)
class StartMessage:
    """START_JOB: ``report week 2026-11-16..2026-11-22``."""

    week_label: str
    _RE = re.compile(r"report week (\S+)")

    def text(self) -> str:
        return f"report week {self.week_label}"

    @classmethod
    def parse(cls, message: str | None) -> StartMessage | None:
        match = cls._RE.fullmatch(message or "")
        return cls(match[1]) if match else None


@dataclass(frozen=True)
class SeriesCount:
    name: str
    periods: tuple[str, ...]
    rows: int


MAX_WARNINGS = 20  # warnings a collection's row lists


@dataclass(frozen=True)
class StatsMessage:
    """A statistics collection (COLLECT_KOSIS_SERIES, COLLECT_EKAPE_PRICES): ``pork_price ['202611']: 12
    rows; ...``, one part per series, then `` | warnings: a; b`` when the row is a WARNING (odd but usable
    answers: a value missing in a cell the report does not read, a weekday without auction)."""

    series: tuple[SeriesCount, ...]
    warnings: tuple[str, ...] = ()
    _PART = re.compile(r"(?P<name>\S+) \[(?P<periods>[^\]]*)\]: (?P<rows>\d+) rows")
    _WARNINGS = " | warnings: "

    def text(self) -> str:
        counts = "; ".join(f"{s.name} {list(s.periods)}: {s.rows} rows" for s in self.series)
        if not self.warnings:
            return counts
        more = len(self.warnings) - MAX_WARNINGS
        return (
            counts
            + self._WARNINGS
            + "; ".join(self.warnings[:MAX_WARNINGS])
            + (f"; … and {more} more" if more > 0 else "")
        )

    @classmethod
    def parse(cls, message: str | None) -> StatsMessage | None:
        counts, _, warnings = (message or "").partition(cls._WARNINGS)
        parts = [cls._PART.fullmatch(part) for part in counts.split("; ")] if counts else []
        if not all(parts):
            return None
        return cls(
            tuple(
                SeriesCount(m["name"], tuple(re.findall(r"'([^']*)'", m["periods"])), int(m["rows"]))
                for m in parts
            ),
            tuple(item for item in warnings.split("; ") if item and not item.startswith("… and ")),
        )


@dataclass(frozen=True)
class PlanMessage:
    """PLAN_WEATHER_LOCATIONS: ``44 farms at 34 weather locations; 3 inactive; 4 excluded (...)``; the row's
    ROW_COUNT is the usable farms."""

    farms: int
    locations: int
    inactive: int
    excluded: tuple[str, ...] = ()  # "F0009 name: reason"
    excluded_count: int | None = None  # when more were excluded than listed
    _RE = re.compile(
        r"(?P<farms>\d+) farms at (?P<locations>\d+) weather locations; (?P<inactive>\d+) inactive; "
        r"(?P<excluded>\d+) excluded(?: \((?P<listed>.*)\))?",
        re.S,
    )

    @property
    def excluded_total(self) -> int:
        return len(self.excluded) if self.excluded_count is None else self.excluded_count

    def text(self) -> str:
        count = self.excluded_total
        names = f" ({listed(self.excluded)})" if self.excluded else ""
        return (
            f"{self.farms} farms at {self.locations} weather locations; {self.inactive} inactive; "
            f"{count} excluded{names}"
        )

    @classmethod
    def parse(cls, message: str | None) -> PlanMessage | None:
        match = cls._RE.fullmatch(message or "")
        if not match:
            return None
        listed = match["listed"] or ""
        listed = re.sub(r" … and \d+ more$", "", listed)
        excluded = tuple(item for item in listed.split(", ") if item)
        count = int(match["excluded"])
        return cls(
            farms=int(match["farms"]),
            locations=int(match["locations"]),
            inactive=int(match["inactive"]),
            excluded=excluded,
            excluded_count=None if count == len(excluded) else count,
        )


@dataclass(frozen=True)
class WeatherMessage:
    """COLLECT_STATION_WEATHER: ``203 이천 (3 farms): 7 days, 21 rows[; no observation for 2026-11-22]``."""

    label: str
    days: int
    rows: int
    missing: tuple[str, ...] = ()
    _RE = re.compile(
        r"(?P<label>.*): (?P<days>\d+) days, (?P<rows>\d+) rows(?:; no observation for (?P<m>.*))?"
    )

    def text(self) -> str:
        missing = f"; no observation for {', '.join(self.missing)}" if self.missing else ""
        return f"{self.label}: {self.days} days, {self.rows} rows{missing}"

    @classmethod
    def parse(cls, message: str | None) -> WeatherMessage | None:
        match = cls._RE.fullmatch(message or "")
        if not match:
            return None
        missing = tuple(match["m"].split(", ")) if match["m"] else ()
        return cls(match["label"], int(match["days"]), int(match["rows"]), missing)


# The gate's kinds (include/ins_report/steps/gate.py), in the order the CHECK_COLLECTION message lists them.
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


@dataclass(frozen=True)
class GateMessage:
    """CHECK_COLLECTION: ``complete: <summary>; by kind: ...`` (SUCCESS) or ``gaps accepted by the coverage
    policy: <summary>; by kind: ...; <gaps>`` (WARNING: the report proceeds with the gaps, the notifier
    reports them)."""

    summary: str  # "44 farms: 287/308 farm-days (93.2%); stats 12/12 cells (100.0%)"
    counts: dict[str, int]
    gaps: str = ""  # what fails, by kind; "" when complete
    COMPLETE, ACCEPTED = "complete: ", "gaps accepted by the coverage policy: "

    @property
    def accepted_gaps(self) -> bool:
        return bool(self.gaps)

    def details(self) -> str:
        """The message without its outcome prefix: what the alerts quote."""
        return f"{self.summary}; {gate_counts_text(self.counts)}" + (f"; {self.gaps}" if self.gaps else "")

    def text(self) -> str:
        return (self.ACCEPTED if self.gaps else self.COMPLETE) + self.details()

    @classmethod
    def parse(cls, message: str | None) -> GateMessage | None:
        text = message or ""
        prefix = next((p for p in (cls.COMPLETE, cls.ACCEPTED) if text.startswith(p)), None)
        match = _GATE_COUNTS.search(text)
        if prefix is None or not match:
            return None
        gaps = text[match.end() :].removeprefix("; ") if prefix == cls.ACCEPTED else ""
        return cls(text[len(prefix) : match.start()].rstrip("; "), parse_gate_counts(text) or {}, gaps)


def gate_headline(message: str | None) -> str:
    """A CHECK_COLLECTION message without its counts by kind (they are read with ``parse_gate_counts``)."""
    match = _GATE_COUNTS.search(message or "")
    return (message or "")[: match.start()].rstrip("; ") if match else (message or "")


def periods_text(periods: tuple[str, ...] | list[str]) -> str:
    """``202610``, ``202609+202610``, or ``20261116..20261122`` for a run of days."""
    ordered = sorted(periods)
    return f"{ordered[0]}..{ordered[-1]}" if len(ordered) > 2 else "+".join(ordered)


@dataclass(frozen=True)
class ReportMessage:
    """RUN_WEEKLY_REPORT: ``SP_INS_WEEK_MAIN('WEEK', '20261116') done[; <note>][; periods used: <series>=
    <periods>, ...][; WARNING: <legacy>]``; the periods are the week's manifest's, per series."""

    call: str
    note: str = ""
    legacy_warning: str = ""
    periods: dict[str, str] = field(default_factory=dict)  # series name -> periods_text
    _RE = re.compile(
        r"(?P<call>.*?\)) done(?:; (?!WARNING: |periods used: )(?P<note>.*?))?"
        r"(?:; periods used: (?P<periods>[^;]*))?(?:; WARNING: (?P<warn>.*))?",
        re.S,
    )

    def text(self) -> str:
        note = f"; {self.note}" if self.note else ""
        used = ", ".join(f"{name}={text}" for name, text in self.periods.items())
        return (
            f"{self.call} done{note}"
            + (f"; periods used: {used}" if used else "")
            + (f"; WARNING: {self.legacy_warning}" if self.legacy_warning else "")
        )

    @classmethod
    def parse(cls, message: str | None) -> ReportMessage | None:
        match = cls._RE.fullmatch(message or "")
        if not match:
            return None
        parts = [part.partition("=") for part in (match["periods"] or "").split(", ")]
        periods = {name: text for name, _, text in parts if name and text}
        return cls(match["call"], match["note"] or "", match["warn"] or "", periods)


@dataclass(frozen=True)
class FinishMessage:
    """FINISH_JOB: ``report built`` (SUCCESS), or (FAILED) ``report procedure failed; failed steps: a, b``
    or ``report not built: failed steps a, b; the procedure did not run``."""

    built: bool
    failed_tasks: tuple[str, ...] = ()
    procedure_failed: bool = False
    _FAILED = re.compile(r"report procedure failed; failed steps: (.*)")
    _NOT_BUILT = re.compile(r"report not built: failed steps (.*); the procedure did not run")

    def text(self) -> str:
        if self.built:
            return "report built"
        tasks = ", ".join(self.failed_tasks)
        if self.procedure_failed:
            return f"report procedure failed; failed steps: {tasks}"
        return f"report not built: failed steps {tasks or 'none'}; the procedure did not run"

    @classmethod
    def parse(cls, message: str | None) -> FinishMessage | None:
        text = message or ""
        if text == "report built":
            return cls(True)
        for pattern, procedure in ((cls._FAILED, True), (cls._NOT_BUILT, False)):
            if match := pattern.fullmatch(text):
                tasks = tuple(t for t in match[1].split(", ") if t and t != "none")
                return cls(False, tasks, procedure)
        return None
