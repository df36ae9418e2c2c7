"""The external sources as one interface: what the DAG, the gate, the summary and the docs know of a source.

Each source declares its name (``INS_SOURCES``), its ``SOURCE`` value, its job-log steps, its pool and daily
quota, the calls a week costs, when its week counts as published or final, how to fetch the week into rows
for its table, and what the gate must find for the week. Statistics sources (KOSIS, EKAPE) are one task
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

from include.ins_report.joblog import EKAPE, EKAPE_WAIT, KOSIS, WAIT, WEATHER, Step
from include.ins_report.settings import Settings
from include.ins_report.sources import ekape, kosis
from include.ins_report.week import ReportWeek, week_before

WILDCARD = "ALL"  # a KOSIS item or classification level selecting every code

# (kind, cell label, detail) of a statistics cell the gate rejects; kinds are the gate's stats kinds.
CellProblem = tuple[str, str, str]


@dataclass(frozen=True)
class SeriesCheck:
    """What the gate must find in TA_STATS_DATA for one series of a source: its rows for ``periods`` are
    read (ITEM_ID, CATEGORY_ID, PERIOD, VALUE) and ``check`` returns (cells, good cells, problems)."""

    series_id: str
    name: str
    period_type: str
    periods: tuple[str, ...]
    check: Callable[[list[tuple]], tuple[int, int, list[CellProblem]]]


@dataclass(frozen=True)
class SeriesRows:
    """One series' rows of a collection, for TA_STATS_DATA (``Warehouse.upsert_stats`` dicts), and what
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
    # Statistics sources only: fetch the week, and what the gate must find.
    fetch: Callable[[ReportWeek, Settings, str, str], list[SeriesRows]] | None = None
    expectations: Callable[[ReportWeek, Settings], list[SeriesCheck]] | None = None
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


def _codes(text: str) -> tuple[str, ...] | None:
    """A KOSIS selection (``T001+T002+``, ``ALL``) as its codes; None for every code."""
    codes = tuple(code for code in text.strip().split("+") if code)
    return None if not codes or WILDCARD in codes else codes


def kosis_cells(series: kosis.Series) -> list[tuple[str | None, tuple[str | None, ...]]]:
    """The (item, category levels) cells the series configures; None where it selects every code."""
    items = _codes(series.itm_id) or (None,)
    levels = [_codes(level) or (None,) for level in series.obj_l]
    combos: list[tuple[str | None, ...]] = [()]
    for codes in levels:
        combos = [(*combo, code) for combo in combos for code in codes]
    return [(item, combo) for item in items for combo in combos]


def _matches(cell: tuple[str | None, tuple[str | None, ...]], item_id: str, category_id: str) -> bool:
    item, levels = cell
    parts = category_id.split("/")
    return (
        (item is None or item == item_id)
        and len(parts) == len(levels)
        and all(level is None or level == part for level, part in zip(levels, parts, strict=True))
    )


def _cell_label(cell: tuple[str | None, tuple[str | None, ...]], period: str) -> str:
    item, levels = cell
    category = "/".join(level or WILDCARD for level in levels)
    return f"{item or WILDCARD} {category} {period}"


def _kosis_check(series: kosis.Series, periods: list[str]):
    def check(rows: list[tuple]) -> tuple[int, int, list[CellProblem]]:
        cells = good = 0
        problems: list[CellProblem] = []
        for period in periods:
            of_period = [row for row in rows if row[2] == period]
            for cell in kosis_cells(series):
                cells += 1
                found = [row for row in of_period if _matches(cell, row[0], row[1])]
                if not found:
                    problems.append(("stats_missing", _cell_label(cell, period), ""))
                    continue
                empty = [f"{item} {category}" for item, category, _, value in found if not _finite(value)]
                if empty:
                    detail = (
                        "no value"
                        if len(found) == 1
                        else f"no value in {len(empty)} of {len(found)} rows: {', '.join(empty[:5])}"
                    )
                    problems.append(("stats_null", _cell_label(cell, period), detail))
                    continue
                good += 1
        return cells, good, problems

    return check


def _kosis_expectations(week: ReportWeek, settings: Settings) -> list[SeriesCheck]:
    checks = []
    for series in kosis.load_series(settings.kosis_series_file):
        periods = kosis.periods_for_week(series, week)
        checks.append(
            SeriesCheck(
                series.series_id,
                series.name,
                series.prd_se,
                tuple(periods),
                _kosis_check(series, periods),
            )
        )
    return checks


def _kosis_fetch(week: ReportWeek, settings: Settings, run_id: str, collected_at: str) -> list[SeriesRows]:
    client = kosis.KosisClient(settings)
    result = []
    for series in kosis.load_series(settings.kosis_series_file):
        periods = kosis.periods_for_week(series, week)
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
            for row in client.fetch(series, periods)
        ]
        result.append(SeriesRows(series.name, tuple(periods), rows))
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
    ready_at=lambda week, settings: None,  # the periods read are lagged to published ones
    ready_what="",
    fetch=_kosis_fetch,
    expectations=_kosis_expectations,
)


# --- EKAPE ---------------------------------------------------------------------------------------------


def _ekape_check(periods: list[str]):
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

    def check(rows: list[tuple]) -> tuple[int, int, list[CellProblem]]:
        found = [
            problem({(item, category): value for item, category, day, value in rows if day == period}, period)
            for period in periods
        ]
        problems = [item for item in found if item]
        return len(periods), len(periods) - len(problems), problems

    return check


def _ekape_expectations(week: ReportWeek, settings: Settings) -> list[SeriesCheck]:
    periods = ekape.periods_for_week(week)
    check = _ekape_check(periods)
    return [SeriesCheck(ekape.SERIES_ID, "pig_carcass_prices", ekape.PERIOD_TYPE, tuple(periods), check)]


def _ekape_fetch(week: ReportWeek, settings: Settings, run_id: str, collected_at: str) -> list[SeriesRows]:
    days = ekape.EkapeClient(settings).fetch_week(week)
    rows = ekape.stats_rows(days, run_id=run_id, collected_at=collected_at)
    periods = tuple(ekape.periods_for_week(week))
    return [SeriesRows("pig_carcass_prices", periods, rows, warnings=ekape.calendar_warnings(days))]


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
    fetch=_ekape_fetch,
    expectations=_ekape_expectations,
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
