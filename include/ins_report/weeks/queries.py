"""The INS weeks page's reads: the weeks_*.sql files of include/sql/<dialect>/, each index-backed (one page
of weeks costs seven statements, whatever the history holds), through the farm database."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from include.ins_report.config.settings import Settings
from include.ins_report.joblog.registry import JOB_NAME
from include.ins_report.model.stations import load_stations
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import catalog
from include.ins_report.store.farm_db import FarmDatabase
from include.ins_report.weeks.model import (
    PAGE_SIZE,
    Figures,
    SourceSpec,
    WeekInputs,
    WeekRow,
    build_row,
    is_week_key,
    previous_key,
    week_label,
    with_changes,
)

log = logging.getLogger(__name__)
PRICE_COLUMN = "PIG_PRICE_AVG"  # the report column the manifest feeds from EKAPE's national price
PRICE_WEEKS = 12  # the week page's price chart
DIFF_ROWS = 500  # the week page's diff table; the COMPARE_REPORT row has the counts


def source_specs(settings: Settings) -> list[SourceSpec]:
    week = ReportWeek(dt.date(2026, 11, 16))  # any week: the statistics calls do not depend on it
    return [
        SourceSpec(
            source.label,
            source.source if source.is_statistics else "",
            source.collect_step.name,
            source.calls_for_week(week, settings) if source.is_statistics else None,
        )
        for source in catalog.enabled(settings)
    ]


def _float(value) -> float | None:
    return None if value is None else float(value)


@dataclass
class Page:
    rows: list[WeekRow]
    page: int
    pages: int
    weeks: int


def week_keys(farm_db: FarmDatabase, page: int, page_size: int = PAGE_SIZE) -> tuple[list[str], int]:
    total = int(farm_db.query("weeks_count", {"job_nm": JOB_NAME})[0][0] or 0)
    keys = farm_db.query(
        "weeks_page", {"job_nm": JOB_NAME, "page_size": page_size, "page_offset": (page - 1) * page_size}
    )
    return [str(row[0]) for row in keys], total


def figures_by_week(farm_db: FarmDatabase, first: str, last: str) -> dict[str, Figures]:
    span = {"first_week": first, "last_week": last}
    report = {str(row[0]): row for row in farm_db.query("weeks_report_figures", span)}
    price = {
        str(row[0]): _float(row[1])
        for row in farm_db.query("weeks_price", {**span, "report_column": PRICE_COLUMN})
    }
    out = {}
    for key in set(report) | set(price):
        row = report.get(key)
        out[key] = Figures(
            price=price.get(key),
            temperature=_float(row[2]) if row else None,
            heat_days=_float(row[3]) if row else None,
            rain=_float(row[4]) if row else None,
        )
    return out


def report_rows_by_week(farm_db: FarmDatabase, first: str, last: str) -> dict[str, int]:
    rows = farm_db.query("weeks_report_figures", {"first_week": first, "last_week": last})
    return {str(row[0]): int(row[1]) for row in rows}


def weeks_page(farm_db: FarmDatabase, settings: Settings, page: int = 1, page_size: int = PAGE_SIZE) -> Page:
    """One page of the INS weeks, newest first."""
    page = max(1, page)
    keys, total = week_keys(farm_db, page, page_size)
    pages = max(1, -(-total // page_size))
    if not keys:
        return Page([], page, pages, total)
    # A key that is not a week's (what a failed start was given) is listed bare: the span, read through the
    # index, stays the page's weeks.
    weeks = [key for key in keys if is_week_key(key)] or keys
    first, last = min(weeks), max(weeks)
    span = {"first_week": first, "last_week": last}
    inputs = {key: WeekInputs() for key in keys}
    for row in farm_db.query("weeks_job_log", {"job_nm": JOB_NAME, **span}):
        if str(row[2]) in inputs:
            inputs[str(row[2])].log_rows.append(row)
    for week, source, first_period, last_period, _cells in farm_db.query("weeks_manifest_periods", span):
        if str(week) in inputs:
            text = str(first_period) if first_period == last_period else f"{first_period}..{last_period}"
            inputs[str(week)].periods[str(source)] = text
    figures = figures_by_week(farm_db, previous_key(first) or first, last)
    for key, item in inputs.items():
        item.figures = figures.get(key, Figures())
    specs = source_specs(settings)
    rows = [build_row(key, inputs[key], specs) for key in keys]
    return Page(with_changes(rows, figures), page, pages, total)


# --- a week's page -------------------------------------------------------------------------------------

COMPLETE, GAP, EXCLUDED = "complete", "gap", "excluded"


def on_map(lat: float | None, lon: float | None) -> bool:
    """Within the week's map of South Korea (a farm outside it is listed, not drawn)."""
    return lat is not None and lon is not None and 32 < lat < 39.5 and 124 < lon < 132


@dataclass(frozen=True)
class FarmPoint:
    farm_no: str
    name: str
    lat: float | None
    lon: float | None
    status: str  # complete, gap, excluded
    station: str | None


@dataclass(frozen=True)
class StationPoint:
    stn_id: str
    name: str
    lat: float
    lon: float
    farms: int
    status: str  # complete when every farm of it is, else gap


@dataclass(frozen=True)
class StationDay:
    stn_id: str
    name: str
    day: str
    temperature: float | None
    thi: float | None
    rain: float | None


@dataclass
class WeekDetail:
    row: WeekRow | None
    farms: list[FarmPoint] = field(default_factory=list)
    stations: list[StationPoint] = field(default_factory=list)
    days: list[StationDay] = field(default_factory=list)
    prices: list[tuple[str, float]] = field(default_factory=list)  # (YYYYMMDD, 원/kg) over 12 weeks
    diff_rows: list[tuple] = field(default_factory=list)


def week_row(farm_db: FarmDatabase, settings: Settings, week_key: str) -> WeekRow | None:
    """One week's row of the page (None: the job log has no run of it)."""
    inputs = WeekInputs()
    span = {"first_week": week_key, "last_week": week_key}
    inputs.log_rows = list(farm_db.query("weeks_job_log", {"job_nm": JOB_NAME, **span}))
    if not inputs.log_rows:
        return None
    for _week, source, first_period, last_period, _cells in farm_db.query("weeks_manifest_periods", span):
        inputs.periods[str(source)] = (
            str(first_period) if first_period == last_period else f"{first_period}..{last_period}"
        )
    figures = figures_by_week(farm_db, previous_key(week_key), week_key)
    inputs.figures = figures.get(week_key, Figures())
    return with_changes([build_row(week_key, inputs, source_specs(settings))], figures)[0]


def week_detail(farm_db: FarmDatabase, settings: Settings, week_key: str) -> WeekDetail:
    week = ReportWeek(dt.datetime.strptime(week_key, "%Y%m%d").date())
    row = week_row(farm_db, settings, week_key)
    farms, stations = farm_points(farm_db, settings, week)
    diff = diff_rows(farm_db, week_key, row.run_id if row else "")
    return WeekDetail(row, farms, stations, station_days(farm_db, week), price_days(farm_db, week), diff)


def _days(week: ReportWeek) -> dict[str, str]:
    return {"report_week": week.key, "week_start": week.start.isoformat(), "week_end": week.end.isoformat()}


def farm_points(
    farm_db: FarmDatabase, settings: Settings, week: ReportWeek
) -> tuple[list[FarmPoint], list[StationPoint]]:
    """Every active farm by its status in the week (complete, gap, excluded) and the week's stations."""
    farms = []
    for farm_no, name, lat, lon, use_yn, station, count in farm_db.query("weeks_farm_status", _days(week)):
        if station is None and str(use_yn or "").strip().upper() != "Y":
            continue  # inactive (USE_YN): not the week's farm, not an exclusion either
        status = EXCLUDED if station is None else COMPLETE if int(count or 0) >= 7 else GAP
        farms.append(FarmPoint(str(farm_no), str(name or ""), _float(lat), _float(lon), status, station))
    known = {s.stn_id: s for s in load_stations(settings.stations_file)}
    by_station: dict[str, list[FarmPoint]] = {}
    for farm in farms:
        if farm.station:
            by_station.setdefault(str(farm.station), []).append(farm)
    stations = [
        StationPoint(
            stn_id,
            known[stn_id].name,
            known[stn_id].lat,
            known[stn_id].lon,
            len(members),
            COMPLETE if all(f.status == COMPLETE for f in members) else GAP,
        )
        for stn_id, members in sorted(by_station.items())
        if stn_id in known
    ]
    return farms, stations


def station_days(farm_db: FarmDatabase, week: ReportWeek) -> list[StationDay]:
    return [
        StationDay(str(stn), str(name or stn), str(day), _float(ta), _float(thi), _float(rain))
        for stn, name, _farms, day, ta, thi, rain in farm_db.query("weeks_station_days", _days(week))
    ]


def price_days(farm_db: FarmDatabase, week: ReportWeek) -> list[tuple[str, float]]:
    """EKAPE's daily national price over the 12 weeks up to ``week``, for the cell the week's manifest feeds
    into the report's price (an unknown cell: the latest week's)."""
    cells = [cell for cell in farm_db.manifest_inputs(week.key) if cell.report_column == PRICE_COLUMN]
    if not cells:
        return []
    cell = cells[0]
    first = week.start - dt.timedelta(weeks=PRICE_WEEKS - 1)
    rows = farm_db.query(
        "weeks_price_days",
        {
            "source": cell.source,
            "series_id": cell.series_id,
            "item_id": cell.item_id,
            "category_id": cell.category_id,
            "period_type": cell.period_type,
            "first_period": first.strftime("%Y%m%d"),
            "last_period": week.end.strftime("%Y%m%d"),
        },
    )
    return [(str(period), float(value)) for period, value in rows if value is not None]


def diff_rows(farm_db: FarmDatabase, week_key: str, run_id: str) -> list[tuple]:
    """The report diff of the week's latest run (TS_INS_REPORT_DIFF): (TRY_NO, FARM_NO, COL_NM, CHANGE_KIND,
    OLD_VALUE, NEW_VALUE, DELTA), newest comparison first."""
    if not run_id:
        return []
    params = {"report_week": week_key, "run_id": run_id, "row_limit": DIFF_ROWS}
    try:
        return farm_db.query("weeks_report_diff", params)
    except Exception as error:  # a schema without the table (Oracle before migration 002): no diff to show
        log.warning("TS_INS_REPORT_DIFF unreadable, the week's page shows no diff: %s", error)
        return []


__all__ = ["Page", "WeekDetail", "week_detail", "week_label", "weeks_page"]
