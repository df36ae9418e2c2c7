"""KMA ASOS daily observations (data.go.kr ``AsosDalyInfoService/getWthrDataList``).

Two layers answer errors differently: the portal gateway (key, quota) with an ``OpenAPI_ServiceResponse``
document, historically XML with HTTP 200 even when JSON was asked for, and the provider with its normal
envelope and a non-``00`` ``resultCode``. Both are classified here.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from include.ins_report.farms import Farm, WeatherLocation, weather_locations
from include.ins_report.plausible import PHYSICAL_HUMIDITY_PCT, PHYSICAL_RAIN_MM, PHYSICAL_TEMPERATURE_C
from include.ins_report.settings import Settings
from include.ins_report.sources.errors import (
    ApiDataError,
    ApiError,
    PermanentApiError,
    TransientApiError,
    answer_body,
    gateway_error,
)
from include.ins_report.sources.http import api_key, http_get, slot_interval
from include.ins_report.sources.numbers import parse_decimal
from include.ins_report.stations import Station, load_stations
from include.ins_report.week import ReportWeek

log = logging.getLogger(__name__)

API = "KMA ASOS"
ENDPOINT = "/1360000/AsosDalyInfoService/getWthrDataList"
SOURCE = "KMA_ASOS"
PAGE_SIZE = 999
MAX_PAGES = 10  # hard cap per request range, whatever the server claims (a week needs 1)
MAX_LISTED = 10  # days named in one warning

# Gateway reason codes that no retry can fix; the value says what to do.
_GATEWAY_PERMANENT = {
    "12": "the API service is unknown or retired: check the endpoint",
    "20": "access denied: apply for this API with the key's account on data.go.kr",
    "30": "the service key is not registered: check the kma_api connection's password "
    "(use the decoded key; it must be URL-encoded exactly once)",
    "31": "the service key has expired: renew it on data.go.kr",
    "32": "this machine's IP is not registered for the key",
    "33": "unsigned call: check the key",
}
_PROVIDER_TRANSIENT = {"01", "02", "04", "05", "21", "22", "99"}
_PROVIDER_PERMANENT = {"10": "invalid request parameter", "11": "a mandatory request parameter is missing"}


# resultCode 99 with "전날 자료까지 제공됩니다." (data only up to yesterday): the day is not served yet.
_NOT_PUBLISHED_TEXT = "전날 자료까지"


def not_yet_published(exc: ApiError) -> bool:
    """The provider's answer for a day it does not serve yet (code 99), as opposed to a fault."""
    return exc.api == API and exc.code == "99" and _NOT_PUBLISHED_TEXT in exc.message


@dataclass(frozen=True)
class DailyObservation:
    point_id: str
    day: dt.date
    avg_ta: float | None
    min_ta: float | None
    max_ta: float | None
    avg_rhm: float | None
    sum_rn: float | None


@dataclass(frozen=True)
class AsosPage:
    observations: list[DailyObservation]
    total_count: int


# The fields the batch reads: field -> its physically possible range (plausible.py).
_MEASURED = {
    "avgTa": PHYSICAL_TEMPERATURE_C,
    "minTa": PHYSICAL_TEMPERATURE_C,
    "maxTa": PHYSICAL_TEMPERATURE_C,
    "avgRhm": PHYSICAL_HUMIDITY_PCT,
}
RAIN_FIELD = "sumRn"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _where(point_id: str, day: object) -> str:
    return f"station {point_id or '?'}, {day}"


def _observation(item: dict) -> DailyObservation:
    """One item; every value through the shared parser, so a bad one is a data error naming it.

    ``""`` (or an absent key) is unknown, except ``sumRn``: ASOS sends ``""`` on a dry day, so it is 0 mm;
    an absent ``sumRn`` cannot be told from an unknown one and is an error. A row whose temperatures and
    humidity are all ``""`` is a station outage, not a dry day: its rain is unknown as well.
    """
    point_id = str(item.get("stnId", "")).strip()
    raw_day = str(item.get("tm", "")).strip()
    try:
        # fromisoformat alone would also take 20261118 or 2026-W47-3 (Python 3.11).
        day = dt.date.fromisoformat(raw_day) if _DAY.fullmatch(raw_day) else None
    except ValueError:
        day = None
    if day is None:
        raise ApiDataError(API, _where(point_id, "?"), f"tm {raw_day!r} is not a YYYY-MM-DD day")
    if not point_id:
        raise ApiDataError(API, _where("", day), "row without a stnId")
    where = _where(point_id, day)
    values = {
        name: parse_decimal(item.get(name), api=API, field=name, where=where, valid=valid)
        for name, valid in _MEASURED.items()
    }
    if RAIN_FIELD not in item:
        raise ApiDataError(API, where, f'{RAIN_FIELD} is missing ("" would mean a dry day)')
    raw_rain = item[RAIN_FIELD]
    if raw_rain is None:
        raise ApiDataError(API, where, f'{RAIN_FIELD} is null ("" would mean a dry day)')
    rain = parse_decimal(raw_rain, api=API, field=RAIN_FIELD, where=where, valid=PHYSICAL_RAIN_MM)
    outage = all(value is None for value in values.values())
    if rain is None and not outage:
        rain = 0.0  # documented: "" on a dry day
    return DailyObservation(
        point_id=point_id,
        day=day,
        avg_ta=values["avgTa"],
        min_ta=values["minTa"],
        max_ta=values["maxTa"],
        avg_rhm=values["avgRhm"],
        sum_rn=rain,
    )


def _items(body: dict) -> list[dict]:
    items = body.get("items")
    if not isinstance(items, dict):  # "" or missing: no rows
        return []
    item = items.get("item")
    if isinstance(item, list):
        return [row for row in item if isinstance(row, dict)]
    if isinstance(item, dict):
        return [item]
    return []


def _xml_envelope(text: str) -> dict:
    """The provider envelope sent as XML (when dataType was not honoured), as the JSON shape."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        raise TransientApiError(API, "format", "the answer is neither JSON nor XML") from None
    header = {child.tag: (child.text or "") for child in root.find("header") or []}
    body_node = root.find("body")
    body: dict = {}
    if body_node is not None:
        rows = [{field.tag: (field.text or "") for field in item} for item in body_node.iter("item")]
        body = {"items": {"item": rows}, "totalCount": (body_node.findtext("totalCount") or "0")}
    return {"response": {"header": header, "body": body}}


def parse_asos_response(status: int, text: str) -> AsosPage:
    """Classify and parse one answer of getWthrDataList."""
    if "OpenAPI_ServiceResponse" in text:
        raise gateway_error(API, status, text, _GATEWAY_PERMANENT)
    stripped = answer_body(API, status, text, key_hint="check the kma_api connection's key")
    if stripped.startswith("<"):
        document = _xml_envelope(stripped)
    else:
        try:
            document = json.loads(stripped)
        except json.JSONDecodeError:
            raise TransientApiError(API, "format", "malformed JSON answer") from None
    response = document.get("response") if isinstance(document, dict) else None
    if not isinstance(response, dict):
        raise TransientApiError(API, "format", "answer without a response envelope")
    header = response.get("header") or {}
    code = str(header.get("resultCode", "")).strip()
    message = str(header.get("resultMsg", "")).strip()
    if code == "03":  # NO_DATA: nothing published for these days (yet)
        return AsosPage([], 0)
    if code in _PROVIDER_PERMANENT:
        raise PermanentApiError(API, code, f"{_PROVIDER_PERMANENT[code]}: {message}")
    if code != "00":
        if code in _PROVIDER_TRANSIENT or not code:
            raise TransientApiError(API, code or "format", message or "no result code")
        raise TransientApiError(API, code, message)
    body = response.get("body")
    if not isinstance(body, dict):
        return AsosPage([], 0)
    rows = [_observation(item) for item in _items(body)]
    return AsosPage(rows, _total_count(body.get("totalCount"), len(rows)))


def _total_count(raw: object, rows: int) -> int:
    """The body's totalCount (a JSON number, or text in XML); absent: the rows of this page."""
    if raw is None or raw == "":
        return rows
    total = parse_decimal(raw, api=API, field="totalCount", where="answer body")
    if total is None or total < 0 or total != int(total):
        raise ApiDataError(API, "answer body", f"totalCount {raw!r} is not a count")
    return int(total)


class AsosWeatherProvider:
    """Weather provider interface: locations for farms, and one location's observed week."""

    source = SOURCE

    def __init__(self, settings: Settings, stations: list[Station] | None = None) -> None:
        self.settings = settings
        self.stations = stations if stations is not None else load_stations(settings.stations_file)

    def locations(self, farms: list[Farm]) -> list[WeatherLocation]:
        return weather_locations(farms, self.stations)

    def fetch_days(self, point_id: str, first: dt.date, last: dt.date) -> list[DailyObservation]:
        """Every published day of ``point_id`` in [first, last], following pages, at most one row a day.

        The answer has one row per day, so the pages are bounded by the days asked for (and ``MAX_PAGES``)
        as well as by ``totalCount``: a server that ignores ``pageNo`` or claims a huge total costs at most
        that many calls, and a page that adds no new day ends the loop. Duplicated days keep the first row,
        rows of another station or outside the days asked are dropped; each with a warning.
        """
        key = api_key(self.settings.kma_conn_id)
        asked = (last - first).days + 1
        page_cap = min(MAX_PAGES, math.ceil(asked / PAGE_SIZE))
        by_day: dict[dt.date, DailyObservation] = {}
        dropped: list[str] = []
        duplicates: list[str] = []
        page_no = 1
        while True:
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
            page = http_get(
                API,
                self.settings.kma_conn_id,
                ENDPOINT,
                params,
                parse_asos_response,
                attempts=self.settings.http_attempts,
                backoff_seconds=self.settings.http_backoff_seconds,
                timeout_seconds=self.settings.http_timeout_seconds,
                min_interval_seconds=slot_interval(
                    self.settings.kma_pool_slots, self.settings.kma_calls_per_second
                ),
            )
            new_days = 0
            for obs in page.observations:
                if obs.point_id != point_id or not first <= obs.day <= last:
                    dropped.append(f"{obs.point_id} {obs.day}")
                elif obs.day in by_day:
                    differs = " with other values" if obs != by_day[obs.day] else ""
                    duplicates.append(f"{obs.day}{differs}")
                else:
                    by_day[obs.day] = obs
                    new_days += 1
            pages_claimed = math.ceil(page.total_count / PAGE_SIZE)
            if new_days == 0 or len(by_day) >= asked or page_no >= min(pages_claimed, page_cap):
                if page_no < pages_claimed and new_days and len(by_day) < asked:
                    log.warning(
                        "%s station %s: totalCount %d claims %d pages; stopped after %d (%d days asked)",
                        API,
                        point_id,
                        page.total_count,
                        pages_claimed,
                        page_no,
                        asked,
                    )
                break
            page_no += 1
        if duplicates:
            log.warning(
                "%s station %s: %d duplicated day(s) ignored, the first row of each kept: %s",
                API,
                point_id,
                len(duplicates),
                ", ".join(duplicates[:MAX_LISTED]),
            )
        if dropped:
            log.warning(
                "%s station %s: %d row(s) for another station or outside %s..%s dropped: %s",
                API,
                point_id,
                len(dropped),
                first,
                last,
                ", ".join(dropped[:MAX_LISTED]),
            )
        return [by_day[day] for day in sorted(by_day)]

    def fetch_week(self, location: WeatherLocation, week: ReportWeek) -> list[DailyObservation]:
        return self.fetch_days(location.point_id, week.start, week.end)
