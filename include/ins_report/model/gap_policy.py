"""What the gate's coverage means for the week (docs/operations.md, "Gaps: the operator decides").

Three outcomes, per kind (weather farm-days, statistics cells), from two thresholds each:

- ``COMPLETE``: nothing is missing; the report is built;
- ``ACCEPTED``: gaps, but every kind's coverage reaches its accept threshold (``INS_MIN_*_COVERAGE``, 1.0 by
  default: nothing is accepted unasked); the report is built with a WARNING row;
- ``ASK``: a kind is below its accept threshold but every kind reaches its ask floor
  (``INS_ASK_*_COVERAGE``): an operator approves or rejects the week in the Airflow UI;
- ``STOP``: a kind is below its ask floor: the run stops and the admins are alerted.

And when an unanswered question ends (``response_deadline``). Pure: no I/O, no Airflow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from include.ins_report.model.gate_result import GateResult
from include.ins_report.model.schedule import deadline_interval

# At least this long to answer, however late the question comes; and the timeout ends this long before the
# report deadline, so a rejection by default is the run's one alert (the deadline alert skips failed runs).
MIN_RESPONSE = dt.timedelta(minutes=5)
DEADLINE_MARGIN = dt.timedelta(minutes=5)


class GapOutcome(StrEnum):
    COMPLETE = "complete"
    ACCEPTED = "accepted"
    ASK = "ask"
    STOP = "stop"


@dataclass(frozen=True)
class GapPolicy:
    """Accept thresholds and ask floors, per kind, as shares (0..1). A floor at or above its threshold asks
    nothing: every week is then complete, accepted or stopped, as before there were questions."""

    min_weather: float = 1.0
    min_stats: float = 1.0
    ask_weather: float = 0.8
    ask_stats: float = 0.8

    @property
    def asks(self) -> bool:
        """Whether any kind has a band to ask in."""
        return self.ask_weather < self.min_weather or self.ask_stats < self.min_stats

    def outcome(self, result: GateResult) -> GapOutcome:
        if result.complete:
            return GapOutcome.COMPLETE
        weather, stats = result.weather_coverage, result.stats_coverage
        if weather >= self.min_weather and stats >= self.min_stats:
            return GapOutcome.ACCEPTED
        if _askable(weather, self.min_weather, self.ask_weather) and _askable(
            stats, self.min_stats, self.ask_stats
        ):
            return GapOutcome.ASK
        return GapOutcome.STOP

    def describe(self, result: GateResult) -> str:
        """The coverage against the thresholds, per kind, as one line."""
        return (
            f"weather {result.weather_coverage:.1%} (accepted from {self.min_weather:.0%}, asked from "
            f"{self.ask_weather:.0%}); stats {result.stats_coverage:.1%} "
            f"(accepted from {self.min_stats:.0%}, asked from {self.ask_stats:.0%})"
        )


def _askable(coverage: float, accept: float, floor: float) -> bool:
    """A kind at its threshold, or short of it but in the band down to its floor (none when floor >=
    accept)."""
    return coverage >= accept or (floor <= coverage < accept and floor < accept)


def response_deadline(
    asked_at: dt.datetime,
    run_started_at: dt.datetime | None,
    timeout_after_start: dt.timedelta | None,
    timeout_after_question: dt.timedelta | None,
    report_deadline_after_start: dt.timedelta | None,
) -> dt.datetime:
    """When nobody's answer becomes the default: ``INS_ASK_TIMEOUT`` as a time of day counts from the run's
    start like the report deadline (``timeout_after_start``), as a duration from the question
    (``timeout_after_question``); never later than ``DEADLINE_MARGIN`` before the report deadline, never
    sooner than ``MIN_RESPONSE`` (or the duration asked for, if shorter) after the question."""
    start = run_started_at or asked_at
    if timeout_after_start is not None:
        end = start + timeout_after_start
    else:
        end = asked_at + (timeout_after_question or dt.timedelta(hours=1))
    if report_deadline_after_start is not None:
        end = min(end, start + report_deadline_after_start - DEADLINE_MARGIN)
    # The floor never lengthens a shorter duration asked for explicitly (a test's "90s").
    floor = min(MIN_RESPONSE, timeout_after_question) if timeout_after_question else MIN_RESPONSE
    return max(end, asked_at + floor)


def ask_timeout_interval(value: str, name: str = "INS_ASK_TIMEOUT") -> dt.timedelta:
    """INS_ASK_TIMEOUT's interval (``deadline_interval``'s forms, ``off`` not allowed: a question always
    ends)."""
    interval = deadline_interval(value, name)
    if interval is None:
        raise ValueError(f"{name} cannot be off: an unanswered question must end (HH:MM or a duration)")
    return interval


@dataclass(frozen=True)
class GapQuestion:
    """What an operator decides on: the week's gaps (``result``), the policy they fall under, the week's
    planned farms (number -> (name, station label)) and when the default applies."""

    week_label: str  # "2026-11-16..2026-11-22"
    result: GateResult
    policy: GapPolicy
    farms: dict[str, tuple[str, str]]
    default: str  # "reject" | "approve"
    answer_by: dt.datetime  # aware

    def station_farms(self) -> dict[str, int]:
        """Planned farms per station label."""
        counts: dict[str, int] = {}
        for _, label in self.farms.values():
            counts[label] = counts.get(label, 0) + 1
        return counts
