"""The week's manifest: the exact inputs the report reads, computed once per run, stored in the farm database
(``TS_INS_WEEK_INPUT``, ``TS_INS_WEEK_FARM``: include/sql/*/schema.sql), checked by the gate, read by the
report procedure and reconciled against after it (docs/design.md, "One manifest per week").

- The statistics part (``InputCell``): per series, the cells (item, classification) and the one period each is
  read for, and the report column it feeds. Written by the start step from the catalog, read by the
  collections (what to fetch), the gate (what must be there) and the procedure (what to read).
- The farm part (``PlannedFarm``): the week's farms with the station the plan chose for each. Written by the
  plan step, read by the gate (farm-days), the procedure (which farms, from which station) and the
  reconciliation (which report rows must exist).

Pure data: no I/O, no Airflow. A week's manifest is replaced, never merged, when its run plans again, so the
report of week W depends on W's manifest only, whatever other weeks ran in between.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class InputCell:
    """One TA_STATS_DATA cell the week's report reads (or the gate requires, ``report_column`` None)."""

    source: str  # TA_STATS_DATA.SOURCE
    series_id: str
    series_name: str
    item_id: str
    category_id: str
    period_type: str
    period: str
    report_column: str | None = None  # the TR_INS_WEEK_REPORT column it feeds

    @property
    def key(self) -> tuple[str, str, str]:
        return self.item_id, self.category_id, self.period

    def label(self) -> str:
        return f"{self.item_id} {self.category_id} {self.period}"

    def as_row(self, week_key: str, run_id: str, created_at: str) -> dict:
        return {
            "report_week": week_key,
            "source": self.source,
            "series_id": self.series_id,
            "series_nm": self.series_name,
            "item_id": self.item_id,
            "category_id": self.category_id,
            "period_type": self.period_type,
            "period": self.period,
            "report_column": self.report_column,
            "run_id": run_id,
            "created_at": created_at,
        }

    @classmethod
    def from_row(cls, row: tuple) -> InputCell:
        """A row of include/sql/*/manifest_inputs.sql."""
        source, series_id, series_nm, item_id, category_id, period_type, period, column = row
        return cls(
            str(source),
            str(series_id),
            str(series_nm or ""),
            str(item_id),
            str(category_id),
            str(period_type),
            str(period),
            str(column) if column else None,
        )


@dataclass(frozen=True)
class PlannedFarm:
    """One farm of the week and the ASOS station the plan chose for it."""

    farm_no: str
    farm_name: str
    point_id: str
    station_name: str

    def as_row(self, week_key: str, run_id: str, created_at: str) -> dict:
        return {
            "report_week": week_key,
            "farm_no": self.farm_no,
            "farm_nm": self.farm_name,
            "point_id": self.point_id,
            "point_nm": self.station_name,
            "run_id": run_id,
            "created_at": created_at,
        }

    @classmethod
    def from_row(cls, row: tuple) -> PlannedFarm:
        """A row of include/sql/*/manifest_farms.sql."""
        farm_no, farm_nm, point_id, point_nm = row
        return cls(str(farm_no), str(farm_nm or ""), str(point_id), str(point_nm or ""))

    @property
    def station_label(self) -> str:
        return f"{self.point_id} {self.station_name}".strip()


@dataclass(frozen=True)
class SeriesInputs:
    """The manifest's cells of one series, as the gate and the collection take them."""

    source: str
    series_id: str
    series_name: str
    period_type: str
    cells: tuple[InputCell, ...]

    @property
    def periods(self) -> tuple[str, ...]:
        return tuple(sorted({cell.period for cell in self.cells}))


def by_series(cells: list[InputCell] | tuple[InputCell, ...]) -> list[SeriesInputs]:
    """The cells grouped by (source, series, period type), in the order they first appear."""
    groups: dict[tuple[str, str, str], list[InputCell]] = defaultdict(list)
    names: dict[tuple[str, str, str], str] = {}
    for cell in cells:
        key = (cell.source, cell.series_id, cell.period_type)
        groups[key].append(cell)
        names.setdefault(key, cell.series_name)
    return [
        SeriesInputs(source, series_id, names[(source, series_id, period_type)], period_type, tuple(group))
        for (source, series_id, period_type), group in groups.items()
    ]


def periods_used(cells: list[InputCell] | tuple[InputCell, ...]) -> dict[str, tuple[str, ...]]:
    """Per series name, the periods the report reads (the report's job-log row names them)."""
    return {series.series_name: series.periods for series in by_series(cells)}


def stations(farms: list[PlannedFarm] | tuple[PlannedFarm, ...]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Per planned station id: its name and its farms (sorted), as the weather tasks are mapped."""
    grouped: dict[str, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    for farm in farms:
        grouped[farm.point_id].append(farm.farm_no)
        names.setdefault(farm.point_id, farm.station_name)
    return {point: (names[point], tuple(sorted(nos))) for point, nos in grouped.items()}
