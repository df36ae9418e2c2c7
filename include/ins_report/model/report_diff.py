"""What a replacement of a week's report changed: the rows before the procedure against the rows after it,
per farm (the report's key) and column. Pure: no I/O, no Airflow; the report step reads the rows
(include/ins_report/steps/report.py) and writes the result (TS_INS_REPORT_DIFF and the COMPARE_REPORT row).

Values are compared by type (docs/operations.md, "Reading a report diff"):

- numbers (int, float, Decimal; not bool): the same when ``|new - old| <= max(absolute, relative *
  max(|old|, |new|))`` (``Tolerance``, INS_REPORT_DIFF_ABS_TOLERANCE and INS_REPORT_DIFF_REL_TOLERANCE); an
  int and a float of one value are the same number;
- anything else (text, dates): exact, as text;
- NULL against a value is a change; NULL against NULL is not.

A farm only before is REMOVED, only after ADDED (one change each, on the key column); a farm on both sides
has one CHANGED change per column that differs. The counts are exact however many changes there are; the
changes kept for storage are bounded (``limit``): removed and added farms first, then each column's largest
changes in turn, so a column with many changes does not crowd out the others.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from include.ins_report.joblog.messages import CompareMessage, LargestChange

ADDED, REMOVED, CHANGED = "ADDED", "REMOVED", "CHANGED"
VALUE_BYTES = 1000  # TS_INS_REPORT_DIFF.OLD_VALUE / NEW_VALUE


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def value_text(value: Any) -> str | None:
    """A value as TS_INS_REPORT_DIFF stores it: numbers without float noise (``27.35``, ``31``), the rest
    as text, at most VALUE_BYTES UTF-8 bytes; NULL stays None."""
    if value is None:
        return None
    if is_number(value):
        number = float(value)
        text = format(number, ".15g") if math.isfinite(number) else str(number)
    else:
        text = str(value)
    data = text.encode("utf-8")
    return text if len(data) <= VALUE_BYTES else data[:VALUE_BYTES].decode("utf-8", errors="ignore")


@dataclass(frozen=True)
class Tolerance:
    """When two numbers count as the same (texts are always exact)."""

    absolute: float = 0.0
    relative: float = 0.0

    def same(self, old: Any, new: Any) -> bool:
        if old is None or new is None:
            return old is None and new is None
        if is_number(old) and is_number(new):
            a, b = float(old), float(new)
            if a == b or (math.isnan(a) and math.isnan(b)):
                return True
            if not (math.isfinite(a) and math.isfinite(b)):
                return False
            return abs(b - a) <= max(self.absolute, self.relative * max(abs(a), abs(b)))
        return value_text(old) == value_text(new)


@dataclass(frozen=True)
class Change:
    """One row of TS_INS_REPORT_DIFF: a farm added or removed (``column`` the key column), or one column of
    a farm that changed."""

    farm: str
    column: str
    kind: str
    old: Any = None
    new: Any = None

    @property
    def delta(self) -> float | None:
        """new - old for two numbers; None for a text or when one side is NULL."""
        if is_number(self.old) and is_number(self.new):
            delta = float(self.new) - float(self.old)
            return delta if math.isfinite(delta) else None
        return None

    def size(self) -> tuple[int, float]:
        """How large the change is within its column: one without a delta (a text, a value lost or
        gained) ranks above any numeric change, then the larger |delta|."""
        delta = self.delta
        return (1, 0.0) if delta is None else (0, abs(delta))

    def largest(self) -> LargestChange:
        delta = self.delta
        return LargestChange(
            self.column,
            self.farm,
            value_text(self.old),
            value_text(self.new),
            None if delta is None else format(delta, "+.15g"),
        )


@dataclass(frozen=True)
class ReportDiff:
    """The comparison of a week's report before and after the procedure: exact counts, the largest change
    per column and the changes kept for storage (at most the limit)."""

    columns: tuple[str, ...]
    before_farms: int
    after_farms: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]  # farms on both sides with at least one column changed
    by_column: dict[str, int]  # cells changed per column, in column order (changed columns only)
    largest: dict[str, Change]  # per changed column, its largest change (Change.size)
    kept: tuple[Change, ...]
    repeated: tuple[str, ...] = ()  # keys on more than one row after the procedure (the first compared)

    @property
    def changes(self) -> int:
        """Every change, kept or not: one per added or removed farm, one per changed cell."""
        return len(self.added) + len(self.removed) + sum(self.by_column.values())

    @property
    def unchanged(self) -> bool:
        return not self.changes

    def message(self, baseline: str, limit: int) -> CompareMessage:
        """The COMPARE_REPORT row's message; ``baseline`` says whose report was replaced."""
        return CompareMessage(
            before=self.before_farms,
            after=self.after_farms,
            added=self.added,
            removed=self.removed,
            changed=self.changed,
            baseline=baseline,
            columns=tuple(self.by_column.items()),
            largest=tuple(change.largest() for change in self.largest.values()),
            stored=len(self.kept),
            changes=self.changes,
            limit=limit,
            repeated=self.repeated,
        )


@dataclass
class _Column:
    """One column's changes while comparing: the count, and the ``limit`` largest (a min-heap)."""

    count: int = 0
    heap: list[tuple[tuple[int, float], int, Change]] = field(default_factory=list)


def compare_reports(
    columns: Sequence[str],
    before: Mapping[str, Sequence[Any]],
    after: Iterable[tuple[str, Sequence[Any]]],
    tolerance: Tolerance = Tolerance(),
    limit: int = 10_000,
    key_column: str = "FARM_NO",
) -> ReportDiff:
    """Compare the report's rows: ``before`` by farm key, each a sequence of values in ``columns``' order;
    ``after`` as (key, values) pairs, which may be streamed (only ``before`` is held, and at most ``limit``
    changes per column). ``limit`` bounds the changes kept (``ReportDiff.kept``), never the counts."""
    columns = tuple(columns)
    remaining = dict(before)
    seen: set[str] = set()
    repeated: list[str] = []
    added: list[str] = []
    changed: list[str] = []
    per_column = {column: _Column() for column in columns}
    order = itertools.count()
    for farm, values in after:
        farm = str(farm)
        if farm in seen:
            repeated.append(farm)
            continue
        seen.add(farm)
        old = remaining.pop(farm, None)
        if old is None:
            added.append(farm)
            continue
        farm_changed = False
        for column, old_value, new_value in zip(columns, old, values, strict=True):
            if type(old_value) is type(new_value) and old_value == new_value:
                continue  # the common case, without the tolerance's conversions
            if tolerance.same(old_value, new_value):
                continue
            farm_changed = True
            state = per_column[column]
            state.count += 1
            change = Change(farm, column, CHANGED, old_value, new_value)
            entry = (change.size(), -next(order), change)  # ties: the first farm (in key order) wins
            if len(state.heap) < max(limit, 1):  # one at least: the column's largest change
                heapq.heappush(state.heap, entry)
            else:
                heapq.heappushpop(state.heap, entry)
        if farm_changed:
            changed.append(farm)
    removed = [str(farm) for farm in remaining]
    largest_first = {
        column: [entry[2] for entry in sorted(state.heap, reverse=True)]
        for column, state in per_column.items()
        if state.heap
    }
    farm_rows = [Change(farm, key_column, REMOVED, old=farm) for farm in removed] + [
        Change(farm, key_column, ADDED, new=farm) for farm in added
    ]
    turns = (
        change
        for row in itertools.zip_longest(*largest_first.values())
        for change in row
        if change is not None
    )
    kept = tuple(itertools.islice(itertools.chain(farm_rows, turns), max(limit, 0)))
    return ReportDiff(
        columns=columns,
        before_farms=len(before),
        after_farms=len(seen),
        added=tuple(added),
        removed=tuple(removed),
        changed=tuple(changed),
        by_column={column: state.count for column, state in per_column.items() if state.count},
        largest={column: changes[0] for column, changes in largest_first.items()},
        kept=kept,
        repeated=tuple(repeated),
    )
