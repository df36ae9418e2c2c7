"""KMA ASOS daily observations (data.go.kr ``AsosDalyInfoService/getWthrDataList``).

Two layers answer errors differently: the portal gateway (key, quota) with an ``OpenAPI_ServiceResponse``
document, historically XML with HTTP 200 even when JSON was asked for, and the provider with its normal
envelope and a non-``00`` ``resultCode``. Both are classified here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from include.ins_report.farms import Farm, WeatherLocation, weather_locations
from include.ins_report.settings import Settings
from include.ins_report.sources.errors import PermanentApiError, TransientApiError
from include.ins_report.sources.http import api_key, http_get, slot_interval
from include.ins_report.stations import Station, load_stations
from include.ins_report.week import ReportWeek

API = "KMA ASOS"
ENDPOINT = "/1360000/AsosDalyInfoService/getWthrDataList"
SOURCE = "KMA_ASOS"
PAGE_SIZE = 999

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


def _value(text: object) -> float | None:
    if text is None:
        return None
    stripped = str(text).strip()
    if not stripped:
        return None
    try:
        return float(stripped)
    except ValueError:
        return None


def _observation(item: dict) -> DailyObservation:
    try:
        day = dt.date.fromisoformat(str(item["tm"]).strip())
        point_id = str(item["stnId"]).strip()
    except (KeyError, ValueError) as exc:
        raise TransientApiError(API, "format", f"row without a valid stnId/tm: {exc}") from None
    rain = _value(item.get("sumRn"))
    return DailyObservation(
        point_id=point_id,
        day=day,
        avg_ta=_value(item.get("avgTa")),
        min_ta=_value(item.get("minTa")),
        max_ta=_value(item.get("maxTa")),
        avg_rhm=_value(item.get("avgRhm")),
        # ASOS sends "" for a dry day: no rain is 0 mm, not unknown.
        sum_rn=0.0 if rain is None else rain,
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


def _gateway_error(status: int, text: str) -> TransientApiError | PermanentApiError:
    code_match = re.search(r"returnReasonCode\W+(\d+)", text)
    code = code_match.group(1) if code_match else "gateway"
    # errMsg and returnAuthMsg swap roles between the classic and newer forms: the name is the one that is
    # an upper-case token such as SERVICE_KEY_IS_NOT_REGISTERED_ERROR.
    messages = re.findall(r"<(?:errMsg|returnAuthMsg)>([^<]*)<", text)
    messages += re.findall(r'"(?:errMsg|returnAuthMsg)"\s*:\s*"([^"]*)"', text)
    name = next((m.strip() for m in messages if re.fullmatch(r"[A-Z][A-Z0-9_]+", m.strip())), "gateway error")
    if code in _GATEWAY_PERMANENT:
        return PermanentApiError(API, code, f"{name}: {_GATEWAY_PERMANENT[code]}")
    if code == "22":
        return TransientApiError(API, code, f"{name}: the daily request quota is used up; retry later")
    return TransientApiError(API, code, f"{name} (HTTP {status})")


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
        raise _gateway_error(status, text)
    if status == 429:
        raise TransientApiError(API, "429", "too many requests")
    if status >= 500:
        raise TransientApiError(API, str(status), "server error")
    if status in (401, 403):
        raise PermanentApiError(API, str(status), "not authorised: check the kma_api connection's key")
    if status >= 400:
        raise PermanentApiError(API, str(status), "request rejected")
    stripped = text.strip()
    if not stripped:
        raise TransientApiError(API, "empty", "empty answer")
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
    total = int(_value(body.get("totalCount")) or len(rows))
    return AsosPage(rows, total)


class AsosWeatherProvider:
    """Weather provider interface: locations for farms, and one location's observed week."""

    source = SOURCE

    def __init__(self, settings: Settings, stations: list[Station] | None = None) -> None:
        self.settings = settings
        self.stations = stations if stations is not None else load_stations(settings.stations_file)

    def locations(self, farms: list[Farm]) -> list[WeatherLocation]:
        return weather_locations(farms, self.stations)

    def fetch_days(self, point_id: str, first: dt.date, last: dt.date) -> list[DailyObservation]:
        """Every published day of ``point_id`` in [first, last], following pages."""
        key = api_key(self.settings.kma_conn_id)
        observations: list[DailyObservation] = []
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
            observations.extend(page.observations)
            if not page.observations or len(observations) >= page.total_count:
                break
            page_no += 1
        return sorted(
            (obs for obs in observations if obs.point_id == point_id and first <= obs.day <= last),
            key=lambda obs: obs.day,
        )

    def fetch_week(self, location: WeatherLocation, week: ReportWeek) -> list[DailyObservation]:
        return self.fetch_days(location.point_id, week.start, week.end)
