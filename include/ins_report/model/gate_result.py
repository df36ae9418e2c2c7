"""What the completeness gate found (include/ins_report/steps/gate.py): the problems by kind, with their
counts, the farm-days and series cells covered, and how they read in a message."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from include.ins_report.joblog import GATE_KINDS, GateMessage
from include.ins_report.joblog.messages import listed as _listed

KINDS = GATE_KINDS
WEATHER_KINDS = ("missing_day", "stale_station", "core_null", "rain_unknown", "implausible")
STATS_KINDS = ("stats_missing", "stats_null")
TITLES = {
    "missing_day": "missing weather",
    "stale_station": "stale station",
    "core_null": "core values NULL",
    "rain_unknown": "rain unknown (SUM_RN NULL)",
    "implausible": "implausible weather",
    "stats_missing": "missing stats",
    "stats_null": "stats value NULL",
}
MAX_LISTED = 20  # entries a message names per kind before it summarises
MAX_KEPT = 1000  # issues kept per kind for the messages and the alert (the counts are always exact)


@dataclass(frozen=True)
class Issue:
    kind: str
    where: str  # the planned station ("203 이천") or the series ("101/DT_1J22003 consumer_price_index_meat")
    farm_no: str  # "" for statistics
    key: str  # the day, or "item category period" of a series cell
    detail: str = ""

    def text(self) -> str:
        subject = f"{self.farm_no} {self.key}" if self.farm_no else self.key
        return f"{TITLES[self.kind]}: {subject} ({self.where}{', ' + self.detail if self.detail else ''})"


@dataclass
class GateResult:
    farms: int = 0
    weather_rows: int = 0  # rows of the week's farms found for the week
    good_farm_days: int = 0  # farm-days without any problem
    stats_cells: int = 0
    good_stats_cells: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    issues: dict[str, list[Issue]] = field(default_factory=lambda: {kind: [] for kind in KINDS})

    def add(self, issue: Issue) -> None:
        self.counts[issue.kind] += 1
        if len(self.issues[issue.kind]) < MAX_KEPT:
            self.issues[issue.kind].append(issue)

    @property
    def farm_days(self) -> int:
        return self.farms * 7

    @property
    def complete(self) -> bool:
        return not any(self.counts.values())

    @property
    def weather_coverage(self) -> float:
        return self.good_farm_days / self.farm_days if self.farm_days else 0.0

    @property
    def stats_coverage(self) -> float:
        return self.good_stats_cells / self.stats_cells if self.stats_cells else 1.0

    def coverage(self) -> str:
        return (
            f"{self.farms} farms: {self.good_farm_days}/{self.farm_days} farm-days "
            f"({self.weather_coverage:.1%}); stats {self.good_stats_cells}/{self.stats_cells} cells "
            f"({self.stats_coverage:.1%})"
        )

    def summary(self) -> str:
        return GateMessage(self.coverage(), self.counts).details()

    def gaps(self) -> str:
        """What fails, by kind: per station (series) the farms and days (cells), with the detail."""
        return "; ".join(
            f"{TITLES[kind]} ({self.counts[kind]}): {_describe(self.issues[kind], self.counts[kind])}"
            for kind in KINDS
            if self.counts[kind]
        )

    def gap_list(self) -> list[str]:
        return [issue.text() for kind in KINDS for issue in self.issues[kind]]


def _describe(issues: list[Issue], total: int) -> str:
    """``203 이천 [farms F0001, F0007]: 2026-11-16, 2026-11-17 MAX_TA 50 …``: per station (series), the farms
    that share the same problems (farms of a station usually do), then what those problems are."""
    by_where: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for issue in sorted(issues, key=lambda issue: (issue.where, issue.farm_no, issue.key)):
        by_where[issue.where][issue.farm_no].append(f"{issue.key} {issue.detail}".strip())
    parts = []
    for where, by_farm in by_where.items():
        alike: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for farm_no, entries in by_farm.items():
            alike[tuple(entries)].append(farm_no)
        for entries, farms in alike.items():
            head = f"{where} [farms {_listed(farms)}]" if any(farms) else where
            parts.append(f"{head}: {_listed(list(entries))}")
    text = "; ".join(parts[:MAX_LISTED])
    if len(parts) > MAX_LISTED:
        text += f"; … and {len(parts) - MAX_LISTED} more"
    if total > len(issues):
        text += f" (first {len(issues)} of {total} listed)"
    return text


# --- weather -----------------------------------------------------------------------------------------
