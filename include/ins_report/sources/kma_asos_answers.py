"""KMA ASOS ``getWthrDataList`` answers parsed and classified: one page's rows, its ``totalCount`` and the
page size the server answered (``numOfRows``). The client that follows the pages is in
``sources/kma_asos.py``.

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

from include.ins_report.model.plausible import PHYSICAL_HUMIDITY_PCT, PHYSICAL_RAIN_MM, PHYSICAL_TEMPERATURE_C
from include.ins_report.sources.errors import (
    GATEWAY_QUOTA,
    ApiDataError,
    ApiError,
    PermanentApiError,
    TransientApiError,
    answer_body,
    gateway_error,
    quota_error,
)
from include.ins_report.sources.numbers import parse_decimal

API = "KMA ASOS"

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


# The values of an observation, by the API field each comes from.
OBSERVED_FIELDS = {
    "avgTa": "avg_ta",
    "minTa": "min_ta",
    "maxTa": "max_ta",
    "avgRhm": "avg_rhm",
    "sumRn": "sum_rn",
}


@dataclass(frozen=True)
class AsosPage:
    observations: list[DailyObservation]
    total_count: int
    num_rows: int | None = None  # the page size the body states (None: not stated)


# The fields the batch reads: field -> its physically possible range (plausible.py).
_MEASURED = {
    "avgTa": PHYSICAL_TEMPERATURE_C,
    "minTa": PHYSICAL_TEMPERATURE_C,
    "maxTa": PHYSICAL_TEMPERATURE_C,
    "avgRhm": PHYSICAL_HUMIDITY_PCT,
}
RAIN_FIELD = "sumRn"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def where(point_id: str, day: object) -> str:
    """How a message names a row: ``station 108, 2026-11-16``."""
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
        raise ApiDataError(API, where(point_id, "?"), f"tm {raw_day!r} is not a YYYY-MM-DD day")
    if not point_id:
        raise ApiDataError(API, where("", day), "row without a stnId")
    row = where(point_id, day)
    values = {
        name: parse_decimal(item.get(name), api=API, field=name, where=row, valid=valid)
        for name, valid in _MEASURED.items()
    }
    if RAIN_FIELD not in item:
        raise ApiDataError(API, row, f'{RAIN_FIELD} is missing ("" would mean a dry day)')
    raw_rain = item[RAIN_FIELD]
    if raw_rain is None:
        raise ApiDataError(API, row, f'{RAIN_FIELD} is null ("" would mean a dry day)')
    rain = parse_decimal(raw_rain, api=API, field=RAIN_FIELD, where=row, valid=PHYSICAL_RAIN_MM)
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
        if body_node.find("numOfRows") is not None:
            body["numOfRows"] = body_node.findtext("numOfRows") or ""
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
    if code in GATEWAY_QUOTA:
        raise quota_error(API, code, message)  # the daily quota: not before 00:00 KST
    if code != "00":
        if code in _PROVIDER_TRANSIENT or not code:
            raise TransientApiError(API, code or "format", message or "no result code")
        raise TransientApiError(API, code, message)
    body = response.get("body")
    if not isinstance(body, dict):
        return AsosPage([], 0)
    rows = [_observation(item) for item in _items(body)]
    total = _count(body.get("totalCount"), "totalCount")
    return AsosPage(
        rows, len(rows) if total is None else total, _count(body.get("numOfRows"), "numOfRows") or None
    )


def _count(raw: object, field: str) -> int | None:
    """A count of the body (a JSON number, or text in XML); None when absent."""
    if raw is None or raw == "":
        return None
    total = parse_decimal(raw, api=API, field=field, where="answer body")
    if total is None or total < 0 or total != int(total):
        raise ApiDataError(API, "answer body", f"{field} {raw!r} is not a count")
    return int(total)
