"""A typed writer (``text()``) and parser (``parse()``) for the MESSAGE of every step's outcome row. The
FAILED and RETRY rows are ``FailureDetail`` (failure.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def listed(items: list[str] | tuple[str, ...], limit: int = 20) -> str:
    """The first ``limit`` items, then how many more: how every message names a long list."""
    head = ", ".join(items[:limit])
    return head if len(items) <= limit else f"{head} … and {len(items) - limit} more"


def _split_outside_parentheses(text: str, separator: str = ", ") -> list[str]:
    """``text`` split at ``separator`` where it is not inside parentheses: a reason's own commas, as in
    ``coordinates outside Korea (35.6762, 139.6503)``, stay in its item."""
    items, depth, start, index = [], 0, 0, 0
    while index < len(text):
        char = text[index]
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and text.startswith(separator, index):
            items.append(text[start:index])
            index += len(separator)
            start = index
            continue
        index += 1
    items.append(text[start:])
    return items


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
        excluded = tuple(item for item in _split_outside_parentheses(listed) if item)
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
    """CHECK_COLLECTION: ``complete: <summary>; by kind: ...`` (SUCCESS), ``gaps accepted by the coverage
    policy: <summary>; by kind: ...; <gaps>`` (WARNING: the report proceeds with the gaps, the notifier
    reports them) or ``gaps for an operator to decide: ...`` (WARNING: the APPROVE_GAPS step asks; its row
    holds the decision)."""

    summary: str  # "44 farms: 287/308 farm-days (93.2%); stats 12/12 cells (100.0%)"
    counts: dict[str, int]
    gaps: str = ""  # what fails, by kind; "" when complete
    asked: bool = False  # the gaps go to an operator (not accepted by the policy)
    COMPLETE, ACCEPTED = "complete: ", "gaps accepted by the coverage policy: "
    ASKED = "gaps for an operator to decide: "

    @property
    def accepted_gaps(self) -> bool:
        return bool(self.gaps) and not self.asked

    def details(self) -> str:
        """The message without its outcome prefix: what the alerts quote."""
        return f"{self.summary}; {gate_counts_text(self.counts)}" + (f"; {self.gaps}" if self.gaps else "")

    def text(self) -> str:
        prefix = self.ASKED if self.asked else self.ACCEPTED if self.gaps else self.COMPLETE
        return prefix + self.details()

    @classmethod
    def parse(cls, message: str | None) -> GateMessage | None:
        text = message or ""
        prefix = next((p for p in (cls.COMPLETE, cls.ACCEPTED, cls.ASKED) if text.startswith(p)), None)
        match = _GATE_COUNTS.search(text)
        if prefix is None or not match:
            return None
        gaps = text[match.end() :].removeprefix("; ") if prefix != cls.COMPLETE else ""
        summary = text[len(prefix) : match.start()].rstrip("; ")
        return cls(summary, parse_gate_counts(text) or {}, gaps, asked=prefix == cls.ASKED)


@dataclass(frozen=True)
class DecisionMessage:
    """APPROVE_GAPS, an operator's answer on the week's gaps: ``approved by <user> at <time> KST: "<reason>";
    accepted gaps: <coverage>; <gaps>`` (WARNING: the report is built with them), or ``rejected by ...``
    (the task's FAILED row; no report). Nobody answering reads ``nobody answered by <time> KST; the default
    (reject) applied``. Written only (the page and the alerts show it as it is)."""

    approved: bool
    by: str | None  # "admin" (the Airflow user); None: nobody answered, the default applied
    at: str  # KST wall-clock text (TIME_FORMAT)
    reason: str = ""
    gaps: str = ""  # the coverage and the gaps, as the gate describes them

    def text(self) -> str:
        if self.by is None:
            default = "approve" if self.approved else "reject"
            head = f"nobody answered by {self.at} KST; the default ({default}) applied"
        else:
            head = f"{'approved' if self.approved else 'rejected'} by {self.by} at {self.at} KST"
        reason = f': "{self.reason}"' if self.reason else ": no reason given"
        outcome = "accepted gaps" if self.approved else "the gaps"
        return f"{head}{reason}; {outcome}: {self.gaps}" if self.gaps else head + reason


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


@dataclass(frozen=True)
class LargestChange:
    """A column's largest change in a report diff: the farm, the old and new value as stored (None: NULL)
    and the signed delta of two numbers (None: a text, or one side NULL)."""

    column: str
    farm: str
    old: str | None
    new: str | None
    delta: str | None = None

    def text(self, width: int = 40) -> str:
        def shown(value: str | None) -> str:
            if value is None:
                return "NULL"
            return value if len(value) <= width else value[: width - 1] + "…"

        delta = f" ({self.delta})" if self.delta else ""
        return f"{self.column} {self.farm} {shown(self.old)} -> {shown(self.new)}{delta}"


@dataclass(frozen=True)
class CompareMessage:
    """COMPARE_REPORT, written by the report task right after the procedure (the week's report rows before
    it against after it; include/ins_report/model/report_diff.py):

    - ``44 farms before, 45 after: 1 added, 0 removed, 3 changed; compared with <baseline>; columns changed:
      AVG_TA=3, MAX_TA=1; largest: AVG_TA F0001 27.1 -> 27.4 (+0.3) | MAX_TA ...; added: F0045; changed
      farms: F0001, ...; TS_INS_REPORT_DIFF: 5 of 5 changes kept`` (``unchanged`` for no change);
    - ``nothing replaced: the week had no report rows before (44 farms now)`` for a week's first report;
    - ``not compared: <why>`` (a WARNING row: the report is built, the diff is not).

    ``<baseline>`` is ``the legacy job's report`` when the job log has no earlier report of the week by
    this DAG (the first week after the cutover, or an older week the legacy job built), else ``the report
    of run <run id> (<time> KST)``. The counts are exact; the lists are cut to 20 names, the values shown
    to 40 characters, and the sections at the end are left out if the row would pass MESSAGE_BYTES.
    ``parse`` reads the counts and the baseline back (the lists are for people)."""

    before: int
    after: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    baseline: str = ""
    columns: tuple[tuple[str, int], ...] = ()  # (column, cells changed), in column order
    largest: tuple[LargestChange, ...] = ()
    stored: int = 0  # rows written to TS_INS_REPORT_DIFF
    changes: int = 0  # every change (a farm added or removed counts one)
    limit: int = 0  # INS_REPORT_DIFF_MAX_ROWS
    repeated: tuple[str, ...] = ()
    error: str = ""  # "not compared" and why
    LEGACY = "the legacy job's report"
    NOT_COMPARED = "not compared: "
    _HEAD = re.compile(
        r"(?P<before>\d+) farms before, (?P<after>\d+) after: (?:unchanged|(?P<added>\d+) added, "
        r"(?P<removed>\d+) removed, (?P<changed>\d+) changed); compared with (?P<baseline>.+?)"
        r"(?:; columns changed: (?P<columns>[A-Za-z0-9_$#]+=\d+(?:, [A-Za-z0-9_$#]+=\d+)*))?(?:; |$)"
    )
    _FIRST = re.compile(r"nothing replaced: the week had no report rows before \((?P<after>\d+) farms now\)")
    _STORED = re.compile(r"; TS_INS_REPORT_DIFF: (?P<stored>\d+) of (?P<changes>\d+) changes kept")

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed or self.columns)

    @property
    def legacy(self) -> bool:
        return self.baseline == self.LEGACY

    def text(self, limit: int = 3900) -> str:
        if self.error:
            return self.NOT_COMPARED + self.error
        if not self.before:
            return f"nothing replaced: the week had no report rows before ({self.after} farms now)"
        counts = (
            "unchanged"
            if self.unchanged
            else f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed"
        )
        head = f"{self.before} farms before, {self.after} after: {counts}; compared with {self.baseline}"
        if self.columns:
            head += "; columns changed: " + ", ".join(f"{column}={count}" for column, count in self.columns)
        stored = ""
        if self.changes:
            stored = f"; TS_INS_REPORT_DIFF: {self.stored} of {self.changes} changes kept"
            if self.stored < self.changes:
                stored += f" (INS_REPORT_DIFF_MAX_ROWS={self.limit})"
        optional = [
            "; largest: " + " | ".join(item.text() for item in self.largest) if self.largest else "",
            f"; added: {listed(self.added)}" if self.added else "",
            f"; removed: {listed(self.removed)}" if self.removed else "",
            f"; changed farms: {listed(self.changed)}" if self.changed else "",
            f"; {len(self.repeated)} keys on more than one row after (the first compared): "
            f"{listed(self.repeated)}"
            if self.repeated
            else "",
        ]
        text = head
        for part in optional:  # in order of importance: what does not fit is left out
            if part and len((text + part + stored).encode("utf-8")) <= limit:
                text += part
        return text + stored

    @classmethod
    def parse(cls, message: str | None) -> CompareMessage | None:
        """The counts and the baseline (names as ``…`` placeholders: only their number is known)."""
        text = message or ""
        if text.startswith(cls.NOT_COMPARED):
            return cls(0, 0, error=text[len(cls.NOT_COMPARED) :])
        if first := cls._FIRST.fullmatch(text):
            return cls(0, int(first["after"]))
        head = cls._HEAD.match(text)
        if not head:
            return None
        stored = cls._STORED.search(text)
        columns = tuple(
            (name, int(count))
            for name, _, count in (part.partition("=") for part in (head["columns"] or "").split(", "))
            if name
        )

        def names(group: str | None) -> tuple[str, ...]:
            return ("…",) * int(group or 0)

        return cls(
            before=int(head["before"]),
            after=int(head["after"]),
            added=names(head["added"]),
            removed=names(head["removed"]),
            changed=names(head["changed"]),
            baseline=head["baseline"],
            columns=columns,
            stored=int(stored["stored"]) if stored else 0,
            changes=int(stored["changes"]) if stored else 0,
        )
