"""The external sources as one interface: what the DAG, the gate, the summary and the docs know of a source.

Each source declares its name (``INS_SOURCES``), its ``SOURCE`` value, its job-log steps, its pool and daily
quota, the calls a week costs, when its week counts as published or final, the cells of the week's manifest
(``inputs``: what the report reads, include/ins_report/model/manifest.py), how to fetch them into rows for its
table, and how the gate checks them (``check``). Statistics sources (KOSIS, EKAPE) are one task
each in the statistics group; the weather source (KMA ASOS) is the mapped weather group, one task per
station (``weather_steps``). Adding a source is a module in ``sources/``, its entry here and its steps in
the job-log registry (docs/adding-a-source.md).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pendulum

from include.ins_report.config.settings import Settings
from include.ins_report.joblog import EKAPE, EKAPE_WAIT, KOSIS, WAIT, WEATHER, Step
from include.ins_report.model.manifest import InputCell, SeriesInputs
from include.ins_report.model.week import ReportWeek, week_before
from include.ins_report.sources import ekape, kosis

# (kind, cell label, detail) of a statistics cell the gate rejects; kinds are the gate's stats kinds.
CellProblem = tuple[str, str, str]
# (ITEM_ID, CATEGORY_ID, PERIOD, VALUE) rows of one series in TA_STATS_DATA, as the gate reads them.
StatsRows = list[tuple[str, str, str, Any]]


@dataclass(frozen=True)
class SeriesRows:
    """One series' rows of a collection, for TA_STATS_DATA (``FarmDatabase.upsert_stats`` dicts), and what
    the job log should warn about (odd but not wrong: a weekday without auction)."""

    name: str
    periods: tuple[str, ...]
    rows: list[dict]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    name: str  # in INS_SOURCES
    source: str  # TA_STATS_DATA.SOURCE / TM_WEATHER.SOURCE
    label: str  # in titles and the summary
    table: str
    collect_step: Step
    wait_step: Step | None  # a source whose week is final later than the run starts waits for it
    conn_id: Callable[[Settings], str]  # the HTTP connection; its password is the API key (redacted)
    pool: Callable[[Settings], str]
    daily_quota: Callable[[Settings], int]
    calls_for_week: Callable[[ReportWeek, Settings], int | None]  # None: depends on the farms
    # When the week's data is published/final (None: as soon as the week is over), and what that is.
    ready_at: Callable[[ReportWeek, Settings], pendulum.DateTime | None]
    ready_what: str
    # Statistics sources only: the week's manifest cells, how to fetch them, and how the gate checks a
    # series' cells against its rows: (cells, good cells, problems).
    inputs: Callable[[ReportWeek, Settings], list[InputCell]] | None = None
    fetch: Callable[[ReportWeek, Settings, list[SeriesInputs], str, str], list[SeriesRows]] | None = None
    check: Callable[[SeriesInputs, StatsRows], tuple[int, int, list[CellProblem]]] | None = None
    # What `make run`'s summary says of the week's rows (ITEM_ID, CATEGORY_ID, PERIOD, VALUE) of the source.
    describe: Callable[[list[tuple]], str] | None = None

    @property
    def is_statistics(self) -> bool:
        return self.fetch is not None


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


# --- KOSIS ---------------------------------------------------------------------------------------------


def _kosis_inputs(week: ReportWeek, settings: Settings) -> list[InputCell]:
    """Each configured cell at the one period the week reads (``kosis.period_for_week``)."""
    return [
        InputCell(
            kosis.SOURCE,
            series.series_id,
            series.name,
            cell.item_id,
            cell.category_id,
            series.prd_se,
            kosis.period_for_week(series, week),
            cell.report_column,
        )
        for series in kosis.load_series(settings.kosis_series_file)
        for cell in series.cells
    ]


def _kosis_check(series: SeriesInputs, rows: StatsRows) -> tuple[int, int, list[CellProblem]]:
    """Exactly the manifest's cells: each has its row, with a finite value. Other cells of the table are
    stored but not read by the report: their gaps are the collection's warnings, never the gate's."""
    values = {(item, category, period): value for item, category, period, value in rows}
    problems: list[CellProblem] = []
    for cell in series.cells:
        if cell.key not in values:
            problems.append(("stats_missing", cell.label(), ""))
        elif not _finite(values[cell.key]):
            problems.append(("stats_null", cell.label(), "no value"))
    return len(series.cells), len(series.cells) - len(problems), problems


def _kosis_fetch(
    week: ReportWeek, settings: Settings, inputs: list[SeriesInputs], run_id: str, collected_at: str
) -> list[SeriesRows]:
    """Each series of the manifest, for its periods (the table as configured: every fetched cell is
    stored)."""
    client = kosis.KosisClient(settings)
    configured = {series.series_id: series for series in kosis.load_series(settings.kosis_series_file)}
    result = []
    for wanted in inputs:
        series = configured.get(wanted.series_id)
        if series is None:
            raise ValueError(
                f"the week's manifest reads KOSIS series {wanted.series_id}, which the series file no longer "
                "configures: clear the whole run (start_job) so the week is planned again"
            )
        rows = [
            {
                "source": kosis.SOURCE,
                "series_id": row.series_id,
                "item_id": row.item_id,
                "item_nm": row.item_nm,
                "category_id": row.category_id,
                "category_nm": row.category_nm,
                "period_type": row.period_type,
                "period": row.period,
                "value": row.value,
                "unit": row.unit,
                "collected_at": collected_at,
                "run_id": run_id,
            }
            for row in client.fetch(series, list(wanted.periods))
        ]
        result.append(SeriesRows(series.name, wanted.periods, rows))
    return result


KOSIS_SOURCE = Source(
    name="kosis",
    source=kosis.SOURCE,
    label="KOSIS",
    table="TA_STATS_DATA",
    collect_step=KOSIS,
    wait_step=None,
    conn_id=lambda settings: settings.kosis_conn_id,
    pool=lambda settings: settings.kosis_pool,
    daily_quota=lambda settings: 0,  # KOSIS keys have no published daily quota
    calls_for_week=lambda week, settings: len(kosis.load_series(settings.kosis_series_file)),
    ready_at=lambda week, settings: None,  # the period read is one published by the run's Monday (rule)
    ready_what="",
    inputs=_kosis_inputs,
    fetch=_kosis_fetch,
    check=_kosis_check,
)


# --- EKAPE ---------------------------------------------------------------------------------------------

EKAPE_SERIES = "pig_carcass_prices"


def _ekape_inputs(week: ReportWeek, settings: Settings) -> list[InputCell]:
    """Every day's AUCTION_HELD record, and its national price (the report's PIG_PRICE_AVG) and heads."""
    cells = [
        (ekape.ITEM_AUCTION_HELD, ekape.CATEGORY_AUCTION, None),
        (ekape.ITEM_PRICE, ekape.CATEGORY_HEADLINE, "PIG_PRICE_AVG"),
        (ekape.ITEM_HEADS, ekape.CATEGORY_HEADLINE, None),
    ]
    return [
        InputCell(
            ekape.SOURCE, ekape.SERIES_ID, EKAPE_SERIES, item, category, ekape.PERIOD_TYPE, period, column
        )
        for period in ekape.periods_for_week(week)
        for item, category, column in cells
    ]


def _ekape_check(series: SeriesInputs, rows: StatsRows) -> tuple[int, int, list[CellProblem]]:
    """Every day has its AUCTION_HELD row (1 or 0: 'no auction' is recorded, never missing); a day with
    auctions has the headline price and heads (원/kg, 등외 and Jeju excluded)."""
    held_cell = (ekape.ITEM_AUCTION_HELD, ekape.CATEGORY_AUCTION)
    price_cells = [(item, ekape.CATEGORY_HEADLINE) for item in (ekape.ITEM_PRICE, ekape.ITEM_HEADS)]

    def problem(of_period: dict, period: str) -> CellProblem | None:
        if held_cell not in of_period:
            return "stats_missing", f"{ekape.ITEM_AUCTION_HELD} {period}", "no row for the day"
        if not _finite(of_period[held_cell]):
            return "stats_null", f"{ekape.ITEM_AUCTION_HELD} {period}", "no value"
        if float(of_period[held_cell]) == 0:
            return None  # no auction that day: nothing else to find
        missing = [item for item, category in price_cells if (item, category) not in of_period]
        if missing:
            label = f"{'/'.join(missing)} {ekape.CATEGORY_HEADLINE} {period}"
            return "stats_missing", label, "auction day without its national price"
        if not all(_finite(of_period[cell]) for cell in price_cells):
            return "stats_null", f"{ekape.ITEM_PRICE} {ekape.CATEGORY_HEADLINE} {period}", "no value"
        return None

    periods = series.periods
    found = [
        problem({(item, category): value for item, category, day, value in rows if day == period}, period)
        for period in periods
    ]
    problems = [item for item in found if item]
    return len(periods), len(periods) - len(problems), problems


def _ekape_fetch(
    week: ReportWeek, settings: Settings, inputs: list[SeriesInputs], run_id: str, collected_at: str
) -> list[SeriesRows]:
    """The week's days (the manifest's EKAPE periods are the week's days)."""
    days = ekape.EkapeClient(settings).fetch_week(week)
    rows = ekape.stats_rows(days, run_id=run_id, collected_at=collected_at)
    periods = tuple(ekape.periods_for_week(week))
    return [SeriesRows(EKAPE_SERIES, periods, rows, warnings=ekape.calendar_warnings(days))]


def _ekape_describe(rows: list[tuple]) -> str:
    held = {
        period: value
        for item, category, period, value in rows
        if (item, category) == (ekape.ITEM_AUCTION_HELD, ekape.CATEGORY_AUCTION)
    }
    days = [f"{period[4:6]}-{period[6:]}" for period in sorted(held) if held[period]]
    closed = [f"{period[4:6]}-{period[6:]}" for period in sorted(held) if not held[period]]
    prices = [
        value
        for item, category, _, value in rows
        if (item, category) == (ekape.ITEM_PRICE, ekape.CATEGORY_HEADLINE) and _finite(value)
    ]
    text = f"auction on {len(days)} days ({', '.join(days) or '-'}), no auction on {', '.join(closed) or '-'}"
    if prices:
        text += f"; national price {min(prices):,.0f}..{max(prices):,.0f} 원/kg"
    return text


EKAPE_SOURCE = Source(
    name="ekape",
    source=ekape.SOURCE,
    label="EKAPE",
    table="TA_STATS_DATA",
    collect_step=EKAPE,
    wait_step=EKAPE_WAIT,
    conn_id=lambda settings: settings.ekape_conn_id,
    pool=lambda settings: settings.ekape_pool,
    daily_quota=lambda settings: settings.ekape_daily_quota,
    calls_for_week=lambda week, settings: ekape.calls_for_week(week),
    ready_at=lambda week, settings: ekape.week_final_at(week, settings.ekape_final_time),
    ready_what="EKAPE's final prices",
    inputs=_ekape_inputs,
    fetch=_ekape_fetch,
    check=_ekape_check,
    describe=_ekape_describe,
)


# --- KMA ASOS (weather) -----------------------------------------------------------------------------------

KMA_SOURCE = Source(
    name="kma",
    source="KMA_ASOS",
    label="KMA",
    table="TM_WEATHER",
    collect_step=WEATHER,
    wait_step=WAIT,
    conn_id=lambda settings: settings.kma_conn_id,
    pool=lambda settings: settings.kma_pool,
    daily_quota=lambda settings: settings.kma_daily_quota,
    calls_for_week=lambda week, settings: None,  # one per station of the week's farms (the plan checks it)
    # Day D appears around D+1 09:00 KST; the run probes for Sunday rather than trusting the hour.
    ready_at=lambda week, settings: week.monday_after(settings.publication_expected_time),
    ready_what="Sunday's ASOS values",
)

# Every source the batch knows, in the order the DAG and the summary show them.
SOURCES = (KOSIS_SOURCE, EKAPE_SOURCE, KMA_SOURCE)
BY_NAME = {source.name: source for source in SOURCES}


def enabled(settings: Settings) -> list[Source]:
    """The sources INS_SOURCES enables, in catalog order; an unknown name is a clear error."""
    unknown = sorted(set(settings.sources) - set(BY_NAME))
    if unknown:
        raise ValueError(f"INS_SOURCES names unknown source(s) {unknown}; known: {', '.join(BY_NAME)}")
    return [source for source in SOURCES if source.name in settings.sources]


def statistics_sources(settings: Settings) -> list[Source]:
    return [source for source in enabled(settings) if source.is_statistics]


def weather_enabled(settings: Settings) -> bool:
    return KMA_SOURCE.name in settings.sources


def pending(week: ReportWeek, settings: Settings, now: dt.datetime) -> list[tuple[Source, pendulum.DateTime]]:
    """The enabled sources whose data of ``week`` is not published or final yet at ``now``, and when it is."""
    times = [(source, source.ready_at(week, settings)) for source in enabled(settings)]
    return [(source, moment) for source, moment in times if moment is not None and moment > now]


def latest_ready_week(now: dt.datetime, settings: Settings) -> ReportWeek:
    """The latest week every enabled source has published (or made final) at ``now``."""
    week = week_before(now)
    while pending(week, settings, now):
        week = ReportWeek(week.start - dt.timedelta(days=7))
    return week
