"""KMA ASOS daily observations (data.go.kr ``AsosDalyInfoService/getWthrDataList``): the weather provider,
which follows an answer's pages and keeps one observation a day. The answers themselves are parsed and
classified in ``sources/kma_asos_answers.py`` (re-exported here)."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field

from include.ins_report.config.settings import Settings
from include.ins_report.model.farms import Farm, WeatherLocation, weather_locations
from include.ins_report.model.stations import Station, load_stations
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources.errors import ApiDataError, ApiError, TransientApiError
from include.ins_report.sources.http import ApiEndpoint, CallPolicy
from include.ins_report.sources.kma_asos_answers import (
    API,
    OBSERVED_FIELDS,
    AsosPage,
    DailyObservation,
    not_yet_published,
    parse_asos_response,
    where,
)

__all__ = [
    "API",
    "ENDPOINT",
    "MAX_PAGES",
    "PAGE_SIZE",
    "SOURCE",
    "AsosPage",
    "AsosWeatherProvider",
    "DailyObservation",
    "not_yet_published",
    "parse_asos_response",
    "publication_probe",
]

log = logging.getLogger(__name__)

ENDPOINT = "/1360000/AsosDalyInfoService/getWthrDataList"
SOURCE = "KMA_ASOS"
PAGE_SIZE = 999  # asked for; the server may answer smaller pages
MAX_PAGES = 10  # hard cap per request range, whatever the server claims (a week needs 1)
MAX_LISTED = 10  # days named in one warning
SHORT_ANSWER = "short"  # the code of a TransientApiError for an answer with fewer rows than it announced


def _shown(value: float | None) -> str:
    return "empty" if value is None else f"{value:g}"


def conflict(first: DailyObservation, second: DailyObservation) -> ApiDataError:
    """Two different rows for one station and day: neither can be chosen, whatever the answer's order."""
    values = {name: (getattr(first, attr), getattr(second, attr)) for name, attr in OBSERVED_FIELDS.items()}
    differing = ", ".join(f"{name} {_shown(a)} and {_shown(b)}" for name, (a, b) in values.items() if a != b)
    return ApiDataError(
        API,
        where(first.point_id, first.day),
        f"the answer holds two different rows for this day ({differing}); which one is right cannot be told",
    )


@dataclass
class _Collected:
    """The rows of one request range's pages: at most one observation a day.

    A day sent twice with the same values is kept once (and listed); with other values it is a data error
    (``conflict``). Rows of another station or outside the days asked are dropped (and listed).
    """

    point_id: str
    first: dt.date
    last: dt.date
    by_day: dict[dt.date, DailyObservation] = field(default_factory=dict)
    rows: int = 0  # rows received, whatever they held
    repeated: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    @property
    def asked(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def complete(self) -> bool:
        return len(self.by_day) >= self.asked

    def add(self, observations: list[DailyObservation]) -> int:
        """Take one page's rows; the number of new days."""
        new_days = 0
        self.rows += len(observations)
        for obs in observations:
            if obs.point_id != self.point_id or not self.first <= obs.day <= self.last:
                self.dropped.append(f"{obs.point_id} {obs.day}")
            elif obs.day in self.by_day:
                if obs != self.by_day[obs.day]:
                    raise conflict(self.by_day[obs.day], obs)
                self.repeated.append(obs.day.isoformat())
            else:
                self.by_day[obs.day] = obs
                new_days += 1
        return new_days

    def observations(self) -> list[DailyObservation]:
        return [self.by_day[day] for day in sorted(self.by_day)]


def page_size(page: AsosPage, asked: int) -> int:
    """The rows a page holds, as the server answered: the body's numOfRows (the page size asked when it
    states none). A first page with rows, yet fewer than that and than the total it announces, comes from a
    server that caps its pages without saying so: that page's row count is the page size."""
    size = page.num_rows or asked
    rows = len(page.observations)
    if 0 < rows < min(size, page.total_count):
        return rows
    return size


class AsosWeatherProvider:
    """Weather provider interface: locations for farms, and one location's observed week, on the KMA
    connection (``endpoint``, built at the Airflow edge)."""

    source = SOURCE

    def __init__(
        self, settings: Settings, endpoint: ApiEndpoint, stations: list[Station] | None = None
    ) -> None:
        self.settings = settings
        self.endpoint = endpoint
        self.policy = CallPolicy.of(settings, settings.kma_pool_slots, settings.kma_calls_per_second)
        self.stations = stations if stations is not None else load_stations(settings.stations_file)

    def locations(self, farms: list[Farm]) -> list[WeatherLocation]:
        return weather_locations(farms, self.stations)

    def _page(self, key: str, point_id: str, first: dt.date, last: dt.date, page_no: int) -> AsosPage:
        params = {
            "serviceKey": key,
            "pageNo": str(page_no),
            "numOfRows": str(PAGE_SIZE),
            "dataType": "JSON",
            "dataCd": "ASOS",
            "dateCd": "DAY",
            "startDt": first.strftime("%Y%m%d"),
            "endDt": last.strftime("%Y%m%d"),
            "stnIds": point_id,
        }
        return self.endpoint.get(API, ENDPOINT, params, parse_asos_response, self.policy)

    def fetch_days(self, point_id: str, first: dt.date, last: dt.date) -> list[DailyObservation]:
        """Every published day of ``point_id`` in [first, last], following pages, at most one row a day.

        The loop reads the ``ceil(totalCount / size)`` pages the first page announces, ``size`` being the
        page size the server answered (``page_size``), and ends as soon as every day asked has arrived. The
        answer has one row per day, so it never reads more pages than the days asked need, nor more than
        ``MAX_PAGES``: a server claiming a huge total costs that many calls at most, and a page that adds no
        new day (a server ignoring ``pageNo``) ends the loop. A page with fewer rows than the announced
        total leaves for it is a TransientApiError ("the server announced N rows and sent M"), not missing
        days. Two different rows for one day on the pages read are a data error (``conflict``); identical
        ones are kept once.
        """
        key = self.endpoint.key
        got = _Collected(point_id, first, last)
        page_no, size, total, pages = 1, PAGE_SIZE, 0, 0
        while True:
            page = self._page(key, point_id, first, last, page_no)
            new_days = got.add(page.observations)
            if got.complete:
                break
            if page_no == 1:
                size, total = page_size(page, PAGE_SIZE), page.total_count
                pages = min(math.ceil(total / size), math.ceil(got.asked / size), MAX_PAGES)
            elif page.observations and not new_days:
                log.warning(
                    "%s station %s: page %d repeats rows already read (the server ignores pageNo?); "
                    "stopped with %d of %d days",
                    API,
                    point_id,
                    page_no,
                    len(got.by_day),
                    got.asked,
                )
                break
            expected = min(size, max(0, total - (page_no - 1) * size))
            if len(page.observations) < expected:
                raise TransientApiError(
                    API,
                    SHORT_ANSWER,
                    f"station {point_id}, {first}..{last}: the server announced {total} rows and sent "
                    f"{got.rows} (page {page_no} of {math.ceil(total / size)} held {len(page.observations)} "
                    f"of {expected}); an incomplete answer, not missing days",
                )
            if page_no >= pages:
                if pages < math.ceil(total / size):
                    log.warning(
                        "%s station %s: totalCount %d claims %d pages of %d rows; stopped after %d "
                        "(%d days asked, at most %d pages)",
                        API,
                        point_id,
                        total,
                        math.ceil(total / size),
                        size,
                        page_no,
                        got.asked,
                        MAX_PAGES,
                    )
                break
            page_no += 1
        self._warn(got)
        return got.observations()

    @staticmethod
    def _warn(got: _Collected) -> None:
        if got.repeated:
            log.warning(
                "%s station %s: %d duplicated day(s) ignored, each an identical copy: %s",
                API,
                got.point_id,
                len(got.repeated),
                ", ".join(got.repeated[:MAX_LISTED]),
            )
        if got.dropped:
            log.warning(
                "%s station %s: %d row(s) for another station or outside %s..%s dropped: %s",
                API,
                got.point_id,
                len(got.dropped),
                got.first,
                got.last,
                ", ".join(got.dropped[:MAX_LISTED]),
            )

    def fetch_week(self, location: WeatherLocation, week: ReportWeek) -> list[DailyObservation]:
        return self.fetch_days(location.point_id, week.start, week.end)


def publication_probe(provider: AsosWeatherProvider, point_id: str, day: dt.date) -> str | None:
    """One call asking ``point_id`` for ``day``: None once the day is published, else why not yet (no row,
    or KMA's own "not yet" answer). Any other fault is raised as classified (transient, permanent, a quota).
    The publication waits' probe, in a worker and in the triggerer (airflow_edge/triggers.py)."""
    try:
        if provider.fetch_days(point_id, day, day):
            return None
        return "no row yet"
    except ApiError as exc:
        if not not_yet_published(exc):
            raise
        return f"KMA answered {exc.code} {exc.message}"
