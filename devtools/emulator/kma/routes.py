"""Fake KMA ASOS: request handling (parameters, publication, paging, faults) of
``AsosDalyInfoService/getWthrDataList``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from devtools.emulator.common import (
    HTML_TYPE,
    JSON_TYPE,
    KST,
    TEXT_TYPE,
    XML_TYPE,
    Answer,
    fmt1,
    truncated,
)
from devtools.emulator.faults import FaultRule
from devtools.emulator.kma.climate import NON_DAILY_STATIONS, Station, blank_measurements, daily_row
from devtools.emulator.kma.envelopes import (
    HTML_502,
    KEY_NOT_REGISTERED,
    MSG_INVALID,
    MSG_NO_DATA,
    MSG_NO_MANDATORY,
    MSG_NOT_PUBLISHED,
    MSG_TOO_OLD,
    QUOTA_EXCEEDED,
    classic_gateway,
    gateway_json,
    new_gateway_xml,
    provider_error,
    success,
)

PATH = "/1360000/AsosDalyInfoService/getWthrDataList"
DEFAULT_STATIONS_FILE = (
    Path(__file__).resolve().parents[2] / "include" / "ins_report" / "data" / "asos_stations.csv"
)

MANDATORY_PARAMS = ("pageNo", "numOfRows", "dataCd", "dateCd", "startDt", "endDt", "stnIds")

_DATE = re.compile(r"^\d{8}$")

# Fault shapes: the fields "bad_values" / "bare_nan" overwrite, the totalCount "ignore_page_no" claims, how
# much warmer the first copy of "conflicting_duplicates" is, the page size of "small_pages", the rows
# "short_count" counts in totalCount but never serves.
BAD_VALUE_FIELDS = ("avgTa", "maxTa")
IGNORED_PAGE_TOTAL = 1000
CONFLICT_DELTA_C = 5.0
SMALL_PAGE_SIZE = 5
SHORT_COUNT_MISSING = 2
_WARMED_FIELDS = ("avgTa", "minTa", "maxTa")


# --------------------------------------------------------------------------------------------------------- #
# Request handling                                                                                          #
# --------------------------------------------------------------------------------------------------------- #


@dataclass(frozen=True)
class KmaContext:
    now: dt.datetime  # KST
    publish_hour: int
    service_key: str
    stations: Mapping[str, Station]


def request_format(params: Mapping[str, str]) -> str:
    return "JSON" if params.get("dataType", "").strip().upper() == "JSON" else "XML"


def _date(text: str) -> dt.date | None:
    if not _DATE.match(text):
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def _positive(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) > 0 else None


def is_published(day: dt.date, ctx: KmaContext) -> bool:
    """Day D is published at D+1, publish_hour KST."""
    release = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(ctx.publish_hour), tzinfo=KST)
    return ctx.now >= release


def _normal(
    params: Mapping[str, str], ctx: KmaContext, shape: str | None, options: Mapping[str, object] | None = None
) -> Answer:
    """The service's answer; ``shape`` (a fault scenario) bends it as that scenario says."""
    options = options or {}
    fmt = request_format(params)
    key = params.get("serviceKey") or params.get("ServiceKey") or ""
    if key != ctx.service_key:
        return classic_gateway(KEY_NOT_REGISTERED)
    if any(not params.get(name, "").strip() for name in MANDATORY_PARAMS):
        return provider_error("11", MSG_NO_MANDATORY, fmt)
    page_no = _positive(params["pageNo"].strip())
    num_rows = _positive(params["numOfRows"].strip())
    start = _date(params["startDt"].strip())
    end = _date(params["endDt"].strip())
    if (
        page_no is None
        or num_rows is None
        or start is None
        or end is None
        or start > end
        or params["dataCd"].strip() != "ASOS"
        or params["dateCd"].strip() != "DAY"
    ):
        return provider_error("10", MSG_INVALID, fmt)
    if end >= ctx.now.date():
        return provider_error("99", MSG_NOT_PUBLISHED, fmt)

    station = ctx.stations.get(params["stnIds"].strip())
    days: list[dt.date] = []
    if station is not None and station.stn_id not in NON_DAILY_STATIONS:
        # Only the days already published; the newest is the latest, so stop at the first unpublished one.
        day = start
        while day <= end and is_published(day, ctx):
            days.append(day)
            day += dt.timedelta(days=1)
    if shape in ("item_empty_string", "item_missing"):
        return success([], page_no, num_rows, 0, fmt, shape.removeprefix("item_"))
    if not days:
        return provider_error("03", MSG_NO_DATA, fmt)
    assert station is not None
    if shape == "ignore_page_no":
        # Always the first page, whatever pageNo asks, with an inflated totalCount.
        rows = [daily_row(station, day) for day in days[:num_rows]]
        total = options.get("total", IGNORED_PAGE_TOTAL)
        return success(rows, page_no, num_rows, int(str(total)), fmt, "list")
    if shape == "item_object":
        page_days = days[(page_no - 1) * num_rows : page_no * num_rows]
        row = daily_row(station, (page_days or days)[0])
        return success([row], page_no, num_rows, 1, fmt, "object")
    # The answer's rows in order, each a day and how much warmer than observed it is sent.
    entries = [(day, 0.0) for day in days]
    if shape == "duplicate_days":
        # Every day twice, the true total counts both.
        entries = [(day, 0.0) for day in days for _ in range(2)]
    if shape == "conflicting_duplicates":
        # The first day twice, the first copy warmer: the true total counts both.
        entries.insert(0, (days[0], float(str(options.get("delta", CONFLICT_DELTA_C)))))
    total = len(entries)
    if shape == "short_count":
        # totalCount counts the last `missing` rows, which no page ever serves.
        entries = entries[: max(0, total - int(str(options.get("missing", SHORT_COUNT_MISSING))))]
    if shape == "small_pages":
        # The server's own page size, below what was asked, stated in numOfRows; pageNo is honoured.
        num_rows = min(num_rows, int(str(options.get("page_size", SMALL_PAGE_SIZE))))
    page = entries[(page_no - 1) * num_rows : page_no * num_rows]
    rows = [_warmer(daily_row(station, day), delta) for day, delta in page]
    if shape == "empty_values":
        rows = [blank_measurements(row) for row in rows]
    if shape in ("bad_values", "bare_nan"):
        fields = options.get("fields") or BAD_VALUE_FIELDS
        # bare_nan: a float NaN, which json.dumps writes as a bare NaN token (not valid JSON, yet parseable).
        value = float("nan") if shape == "bare_nan" else options.get("value", "NaN")
        rows = [{**row, **dict.fromkeys(fields, value)} for row in rows]  # type: ignore[call-overload]
    return success(rows, page_no, num_rows, total, fmt, "list")


def _warmer(row: dict[str, str], delta: float) -> dict[str, str]:
    """The row with its temperatures ``delta`` °C higher (unobserved ones stay ``""``)."""
    if not delta:
        return row
    return {**row, **{key: fmt1(float(row[key]) + delta) for key in _WARMED_FIELDS if row[key] != ""}}


def handle(params: Mapping[str, str], ctx: KmaContext, rule: FaultRule | None = None) -> Answer:
    """The answer to one getWthrDataList request, or the fault ``rule`` asks for."""
    if rule is None:
        return _normal(params, ctx, None)
    fmt = request_format(params)
    scenario = rule.scenario
    if scenario == "nodata":
        return provider_error("03", MSG_NO_DATA, fmt)
    if scenario == "too_old":
        return provider_error("10", MSG_TOO_OLD, fmt)
    if scenario == "not_published":
        return provider_error("99", MSG_NOT_PUBLISHED, fmt)
    if scenario == "quota_xml_200":
        return classic_gateway(QUOTA_EXCEEDED)
    if scenario == "key_xml_200":
        return classic_gateway(KEY_NOT_REGISTERED)
    if scenario == "key_xml_403":
        return new_gateway_xml(KEY_NOT_REGISTERED, 403)
    if scenario == "key_json_403":
        return gateway_json(KEY_NOT_REGISTERED, 403)
    if scenario == "quota_xml_429":
        return classic_gateway(QUOTA_EXCEEDED, 429)
    if scenario == "unauthorized_401_text":
        return Answer(status=401, body=b"Unauthorized", content_type=TEXT_TYPE, result="http:401")
    if scenario == "html_502":
        return Answer(status=502, body=HTML_502.encode(), content_type=HTML_TYPE, result="http:502")
    if scenario == "http_500":
        return Answer(status=500, body=b"Internal Server Error", content_type=TEXT_TYPE, result="http:500")
    if scenario == "http_429":
        return Answer(status=429, body=b"Too Many Requests", content_type=TEXT_TYPE, result="http:429")
    if scenario == "empty_200":
        return Answer(body=b"", content_type=JSON_TYPE if fmt == "JSON" else XML_TYPE, result="empty")
    if scenario == "reset_connection":
        return Answer(reset=True, result="reset")
    if scenario == "malformed_json":
        answer = _normal({**params, "dataType": "JSON"}, ctx, None)
        answer.body, answer.result = truncated(answer.body), "malformed"
        return answer
    if scenario == "timeout":
        answer = _normal(params, ctx, None)
        answer.delay_s = rule.seconds
        return answer
    # item_object, item_empty_string, item_missing, empty_values, bad_values, bare_nan, ignore_page_no,
    # duplicate_days, conflicting_duplicates, small_pages, short_count: the normal answer, bent.
    return _normal(params, ctx, scenario, rule.options)
