"""The external sources as one interface: what the DAG, the gate, the summary and the docs know of a source.

Each source is a class: its name (``INS_SOURCES``), its ``SOURCE`` value, its job-log steps, its connection,
pool and daily quota, the calls a week costs, when its week counts as published or final, its API client on
its connection (``client``), and how a unit of the week's work is fetched into rows for its table
(``fetch``). Statistics sources (KOSIS, EKAPE) also declare the cells of the week's manifest (``inputs``:
what the report reads, include/ins_report/model/manifest.py) and how the gate checks them (``check``); they
are one task each in the statistics group. The weather source (KMA ASOS) fetches one weather location's week
and is the mapped weather group, one task per station (``steps/weather.py``). Adding a source is a module in
``sources/``, its class here and its steps in the job-log registry (docs/adding-a-source.md).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import pendulum

from include.ins_report.config.settings import Settings
from include.ins_report.joblog import EKAPE, EKAPE_WAIT, KOSIS, WAIT, WEATHER, Step
from include.ins_report.model.farms import WeatherLocation
from include.ins_report.model.manifest import InputCell, SeriesInputs
from include.ins_report.model.thi import thi
from include.ins_report.model.week import ReportWeek, week_before
from include.ins_report.sources import ekape, kma_asos, kosis
from include.ins_report.sources.http import ApiEndpoint

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
class LocationRows:
    """One weather location's week for TM_WEATHER (``FarmDatabase.upsert_weather`` dicts): one row per farm
    per observed day, and the days observed."""

    location: WeatherLocation
    days: tuple[dt.date, ...]
    rows: list[dict]


class Source:
    """What every source declares; the defaults are those of a source whose week is ready once it is over."""

    name: ClassVar[str]  # in INS_SOURCES
    source: ClassVar[str]  # TA_STATS_DATA.SOURCE / TM_WEATHER.SOURCE
    label: ClassVar[str]  # in titles and the summary
    table: ClassVar[str]
    collect_step: ClassVar[Step]
    wait_step: ClassVar[Step | None] = None  # a source whose week is final later than the run starts waits
    ready_what: ClassVar[str] = ""  # what ``ready_at`` waits for, in messages
    is_statistics: ClassVar[bool] = False

    def conn_id(self, settings: Settings) -> str:
        """The HTTP connection; its password is the API key (redacted)."""
        raise NotImplementedError

    def pool(self, settings: Settings) -> str:
        raise NotImplementedError

    def daily_quota(self, settings: Settings) -> int:
        return 0  # no published daily quota

    def calls_for_week(self, week: ReportWeek, settings: Settings) -> int | None:
        """API calls a week's collection makes (without retries); None: it depends on the farms."""
        return None

    def ready_at(self, week: ReportWeek, settings: Settings) -> pendulum.DateTime | None:
        """When the week's data is published or final; None: as soon as the week is over."""
        return None

    def client(self, settings: Settings, endpoint: ApiEndpoint) -> Any:
        """The source's API client on its connection (built once per task: ``StepContext.client``)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<source {self.name}>"


class StatisticsSource(Source):
    """A source of TA_STATS_DATA rows, read by the report through the week's manifest cells."""

    table = "TA_STATS_DATA"
    is_statistics = True

    def inputs(self, week: ReportWeek, settings: Settings) -> list[InputCell]:
        """The week's manifest cells of the source: what the report reads, at its periods."""
        raise NotImplementedError

    def fetch(
        self, client: Any, week: ReportWeek, inputs: list[SeriesInputs], run_id: str, collected_at: str
    ) -> list[SeriesRows]:
        """The manifest's series of the source, fetched into rows for TA_STATS_DATA."""
        raise NotImplementedError

    def check(self, series: SeriesInputs, rows: StatsRows) -> tuple[int, int, list[CellProblem]]:
        """The gate's check of a series' cells against its rows: (cells, good cells, problems)."""
        raise NotImplementedError

    def describe(self, rows: list[tuple]) -> str:
        """What `make run`'s summary says of the week's rows (ITEM_ID, CATEGORY_ID, PERIOD, VALUE); "" for
        nothing more than their count."""
        return ""


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


# --- KOSIS ---------------------------------------------------------------------------------------------


class KosisSource(StatisticsSource):
    name = "kosis"
    source = kosis.SOURCE
    label = "KOSIS"
    collect_step = KOSIS

    def conn_id(self, settings: Settings) -> str:
        return settings.kosis_conn_id

    def pool(self, settings: Settings) -> str:
        return settings.kosis_pool

    def calls_for_week(self, week: ReportWeek, settings: Settings) -> int | None:
        return len(kosis.load_series(settings.kosis_series_file))

    # ready_at: the period read is one published by the run's Monday (the publication_days rule).

    def client(self, settings: Settings, endpoint: ApiEndpoint) -> kosis.KosisClient:
        return kosis.KosisClient(settings, endpoint)

    def inputs(self, week: ReportWeek, settings: Settings) -> list[InputCell]:
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

    def check(self, series: SeriesInputs, rows: StatsRows) -> tuple[int, int, list[CellProblem]]:
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

    def fetch(
        self,
        client: kosis.KosisClient,
        week: ReportWeek,
        inputs: list[SeriesInputs],
        run_id: str,
        collected_at: str,
    ) -> list[SeriesRows]:
        """Each series of the manifest, for its periods (the table as configured: every fetched cell is
        stored)."""
        configured = {
            series.series_id: series for series in kosis.load_series(client.settings.kosis_series_file)
        }
        result = []
        for wanted in inputs:
            series = configured.get(wanted.series_id)
            if series is None:
                raise ValueError(
                    f"the week's manifest reads KOSIS series {wanted.series_id}, which the series file no "
                    "longer configures: clear the whole run (start_job) so the week is planned again"
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


# --- EKAPE ---------------------------------------------------------------------------------------------

EKAPE_SERIES = "pig_carcass_prices"


class EkapeSource(StatisticsSource):
    name = "ekape"
    source = ekape.SOURCE
    label = "EKAPE"
    collect_step = EKAPE
    wait_step = EKAPE_WAIT
    ready_what = "EKAPE's final prices"

    def conn_id(self, settings: Settings) -> str:
        return settings.ekape_conn_id

    def pool(self, settings: Settings) -> str:
        return settings.ekape_pool

    def daily_quota(self, settings: Settings) -> int:
        return settings.ekape_daily_quota

    def calls_for_week(self, week: ReportWeek, settings: Settings) -> int | None:
        return ekape.calls_for_week(week)

    def ready_at(self, week: ReportWeek, settings: Settings) -> pendulum.DateTime | None:
        return ekape.week_final_at(week, settings.ekape_final_time)

    def client(self, settings: Settings, endpoint: ApiEndpoint) -> ekape.EkapeClient:
        return ekape.EkapeClient(settings, endpoint)

    def inputs(self, week: ReportWeek, settings: Settings) -> list[InputCell]:
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

    def check(self, series: SeriesInputs, rows: StatsRows) -> tuple[int, int, list[CellProblem]]:
        """Every day has its AUCTION_HELD row (1 or 0: 'no auction' is recorded, never missing); a day with
        auctions has the headline price and heads (원/kg, 등외 and Jeju excluded)."""
        periods = series.periods
        found = [
            _ekape_day_problem(
                {(item, category): value for item, category, day, value in rows if day == period}, period
            )
            for period in periods
        ]
        problems = [item for item in found if item]
        return len(periods), len(periods) - len(problems), problems

    def fetch(
        self,
        client: ekape.EkapeClient,
        week: ReportWeek,
        inputs: list[SeriesInputs],
        run_id: str,
        collected_at: str,
    ) -> list[SeriesRows]:
        """The week's days (the manifest's EKAPE periods are the week's days)."""
        days = client.fetch_week(week)
        rows = ekape.stats_rows(days, run_id=run_id, collected_at=collected_at)
        periods = tuple(ekape.periods_for_week(week))
        return [SeriesRows(EKAPE_SERIES, periods, rows, warnings=ekape.calendar_warnings(days))]

    def describe(self, rows: list[tuple]) -> str:
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
        text = f"auction on {len(days)} days ({', '.join(days) or '-'}), "
        text += f"no auction on {', '.join(closed) or '-'}"
        if prices:
            text += f"; national price {min(prices):,.0f}..{max(prices):,.0f} 원/kg"
        return text


def _ekape_day_problem(of_period: dict, period: str) -> CellProblem | None:
    """The problem of one EKAPE day's cells, or None."""
    held_cell = (ekape.ITEM_AUCTION_HELD, ekape.CATEGORY_AUCTION)
    price_cells = [(item, ekape.CATEGORY_HEADLINE) for item in (ekape.ITEM_PRICE, ekape.ITEM_HEADS)]
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


# --- KMA ASOS (weather) -----------------------------------------------------------------------------------


class KmaSource(Source):
    name = "kma"
    source = kma_asos.SOURCE
    label = "KMA"
    table = "TM_WEATHER"
    collect_step = WEATHER
    wait_step = WAIT
    ready_what = "Sunday's ASOS values"

    def conn_id(self, settings: Settings) -> str:
        return settings.kma_conn_id

    def pool(self, settings: Settings) -> str:
        return settings.kma_pool

    def daily_quota(self, settings: Settings) -> int:
        return settings.kma_daily_quota

    # calls_for_week: one per station of the week's farms (the plan checks it against the quota).

    def ready_at(self, week: ReportWeek, settings: Settings) -> pendulum.DateTime | None:
        # Day D appears around D+1 09:00 KST; the run probes for Sunday rather than trusting the hour.
        return week.monday_after(settings.publication_expected_time)

    def client(self, settings: Settings, endpoint: ApiEndpoint) -> kma_asos.AsosWeatherProvider:
        return kma_asos.AsosWeatherProvider(settings, endpoint)

    def fetch(
        self,
        client: kma_asos.AsosWeatherProvider,
        week: ReportWeek,
        location: WeatherLocation,
        run_id: str,
        collected_at: str,
    ) -> LocationRows:
        """One API call for the location's week; one TM_WEATHER row per farm per observed day."""
        observations = client.fetch_week(location, week)
        rows = weather_rows(location, observations, run_id, client.source, collected_at)
        return LocationRows(location, tuple(obs.day for obs in observations), rows)


def weather_rows(
    location: WeatherLocation,
    observations: list[kma_asos.DailyObservation],
    run_id: str,
    source: str,
    collected_at: str,
) -> list[dict]:
    """TM_WEATHER rows: every farm of the location gets each observed day, with its THI."""
    return [
        {
            "farm_no": farm_no,
            "weather_date": obs.day.isoformat(),
            "point_id": location.point_id,
            "avg_ta": obs.avg_ta,
            "min_ta": obs.min_ta,
            "max_ta": obs.max_ta,
            "avg_rhm": obs.avg_rhm,
            "sum_rn": obs.sum_rn,
            "thi": thi(obs.max_ta, obs.avg_rhm),
            "source": source,
            "collected_at": collected_at,
            "run_id": run_id,
        }
        for farm_no in location.farm_nos
        for obs in observations
    ]


KOSIS_SOURCE = KosisSource()
EKAPE_SOURCE = EkapeSource()
KMA_SOURCE = KmaSource()

# Every source the batch knows, in the order the DAG and the summary show them.
SOURCES = (KOSIS_SOURCE, EKAPE_SOURCE, KMA_SOURCE)
BY_NAME = {source.name: source for source in SOURCES}


def enabled(settings: Settings) -> list[Source]:
    """The sources INS_SOURCES enables, in catalog order; an unknown name is a clear error."""
    unknown = sorted(set(settings.sources) - set(BY_NAME))
    if unknown:
        raise ValueError(f"INS_SOURCES names unknown source(s) {unknown}; known: {', '.join(BY_NAME)}")
    return [source for source in SOURCES if source.name in settings.sources]


def statistics_sources(settings: Settings) -> list[StatisticsSource]:
    return [source for source in enabled(settings) if isinstance(source, StatisticsSource)]


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
