"""KOSIS OpenAPI (``Param/statisticsParameterData.do``): a declarative list of series, fetched per week.

Each series is fetched for the periods that overlap the report week, shifted back by its publication lag
(``lag_periods``): a quarterly livestock census is not published while its quarter is running.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from include.ins_report.joblog import clip_utf8
from include.ins_report.settings import Settings
from include.ins_report.sources.errors import ApiDataError, PermanentApiError, TransientApiError, answer_body
from include.ins_report.sources.http import api_key, http_get, slot_interval
from include.ins_report.sources.numbers import parse_decimal
from include.ins_report.week import ReportWeek

API = "KOSIS"
ENDPOINT = "/openapi/Param/statisticsParameterData.do"
SOURCE = "KOSIS"

_PERIODS_PER_YEAR = {"Y": 1, "H": 2, "Q": 4, "M": 12}
_ERR_EMPTY = "30"
_CHECK_KEY = "check the key in the kosis_api connection's password (and that it is still valid on KOSIS)"
_ERR_PERMANENT = {
    # 10 / 11 are key problems ([U] in the reference notes): 11 is not necessarily an expired key.
    "10": f"the API key was refused: {_CHECK_KEY}",
    "11": f"the API key was refused: {_CHECK_KEY}",
    "20": "a mandatory parameter is missing: check the series in the KOSIS series file",
    "21": "a request parameter is invalid: check the series in the KOSIS series file",
    "31": "the answer exceeds 40,000 cells: split the series by item or classification",
}


@dataclass(frozen=True)
class Series:
    name: str
    org_id: str
    tbl_id: str
    itm_id: str
    obj_l: tuple[str, ...]
    prd_se: str
    lag_periods: int = 0

    @property
    def series_id(self) -> str:
        return f"{self.org_id}/{self.tbl_id}"


def load_series(path: Path) -> list[Series]:
    """The configured series; a malformed file is an error that names the entry and the field."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the KOSIS series file {path}: {exc}") from None
    series: list[Series] = []
    for index, entry in enumerate(document.get("series", [])):
        try:
            item = Series(
                name=str(entry["name"]),
                org_id=str(entry["org_id"]),
                tbl_id=str(entry["tbl_id"]),
                itm_id=str(entry["itm_id"]),
                obj_l=tuple(str(code) for code in entry["obj_l"]),
                prd_se=str(entry["prd_se"]).upper(),
                lag_periods=int(entry.get("lag_periods", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: series #{index + 1} is missing or has a bad field: {exc}") from None
        if item.prd_se not in _PERIODS_PER_YEAR:
            raise ValueError(f"{path}: series {item.name!r} has prd_se {item.prd_se!r}; use Y, H, Q or M")
        if not 1 <= len(item.obj_l) <= 8:
            raise ValueError(f"{path}: series {item.name!r} needs 1 to 8 obj_l levels")
        if item.lag_periods < 0:
            raise ValueError(f"{path}: series {item.name!r} has a negative lag_periods")
        series.append(item)
    if not series:
        raise ValueError(f"{path} configures no series")
    return series


def _period_index(day: dt.date, prd_se: str) -> int:
    per_year = _PERIODS_PER_YEAR[prd_se]
    return day.year * per_year + (day.month - 1) * per_year // 12


def _period_code(index: int, prd_se: str) -> str:
    per_year = _PERIODS_PER_YEAR[prd_se]
    year, part = divmod(index, per_year)
    if prd_se == "Y":
        return f"{year:04d}"
    if prd_se == "M":
        return f"{year:04d}{part + 1:02d}"
    return f"{year:04d}{part + 1:02d}"  # H: YYYY01..02, Q: YYYY01..04


def periods_for_week(series: Series, week: ReportWeek) -> list[str]:
    """Period codes of the periods overlapping the week, shifted back by the series' lag."""
    indexes = sorted({_period_index(day, series.prd_se) for day in (week.start, week.end)})
    first, last = indexes[0], indexes[-1]
    return [_period_code(index - series.lag_periods, series.prd_se) for index in range(first, last + 1)]


@dataclass(frozen=True)
class StatsRow:
    series_id: str
    item_id: str
    item_nm: str
    category_id: str
    category_nm: str
    period_type: str
    period: str
    value: float | None
    unit: str


# DT: "-" is KOSIS's documented "no value"; thousands separators occur. Anything else that is not a plain
# decimal (KOSIS's other table symbols included) is a data error that names the value: add a symbol here
# once it is confirmed to mean "no value".
PLACEHOLDERS = frozenset({"-"})

# A series without classification (no C1..C8) still needs a CATEGORY_ID: it is part of TA_STATS_DATA's
# primary key (NOT NULL), and Oracle stores '' as NULL. Not a KOSIS code (those are letters and digits).
NO_CATEGORY = "-"

# TA_STATS_DATA text columns (include/sql/oracle/schema.sql) in bytes. Names are clipped on a character
# boundary: N bytes fit a column declared as N CHAR or N BYTE (a customer's table may be in bytes). Key
# columns are never clipped (two keys could become one): a longer one is a data error.
NAME_BYTES = {"item_nm": 200, "category_nm": 400, "unit": 50}
KEY_BYTES = {"series_id": 100, "item_id": 50, "category_id": 200, "period_type": 10, "period": 10}


def _loose_json(text: str) -> object:
    """KOSIS without ``jsonVD=Y`` may send unquoted keys; quote them and parse once more."""
    repaired = re.sub(r"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:", r'\1"\2":', text)
    return json.loads(repaired)


def _short(value: object, limit: int = 40) -> str:
    """An id as a message names it: an overlong one (itself the error) is cut."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _row(item: dict) -> StatsRow:
    levels = [f"C{level}" for level in range(1, 9) if f"C{level}" in item]
    series_id = f"{item.get('ORG_ID', '?')}/{item.get('TBL_ID', '?')}"
    category_id = "/".join(str(item[level]) for level in levels) or NO_CATEGORY
    where = (
        f"series {_short(series_id)} item {_short(item.get('ITM_ID', '?'))} category {_short(category_id)} "
        f"period {_short(item.get('PRD_DE', '?'))}"
    )
    missing = [key for key in ("ORG_ID", "TBL_ID", "ITM_ID", "PRD_SE", "PRD_DE", "DT") if key not in item]
    if missing:
        raise ApiDataError(API, where, f"row without {', '.join(missing)}")
    keys = {
        "series_id": series_id,
        "item_id": str(item["ITM_ID"]),
        "category_id": category_id,
        "period_type": str(item["PRD_SE"]),
        "period": str(item["PRD_DE"]),
    }
    for name, limit in KEY_BYTES.items():
        size = len(keys[name].encode("utf-8"))
        if size > limit:
            raise ApiDataError(
                API, where, f"{name.upper()} is {size} bytes, longer than TA_STATS_DATA allows ({limit})"
            )
    names = {
        "item_nm": str(item.get("ITM_NM", "")),
        "category_nm": "/".join(str(item.get(f"{level}_NM", "")) for level in levels),
        "unit": str(item.get("UNIT_NM", "")),
    }
    return StatsRow(
        **keys,
        **{name: clip_utf8(text, NAME_BYTES[name]) for name, text in names.items()},
        value=parse_decimal(
            item["DT"], api=API, field="DT", where=where, placeholders=PLACEHOLDERS, grouping=True
        ),
    )


def parse_kosis_response(status: int, text: str) -> list[StatsRow]:
    stripped = answer_body(API, status, text, key_hint=_CHECK_KEY)
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError:
        try:
            document = _loose_json(stripped)
        except json.JSONDecodeError:
            raise TransientApiError(API, "format", "malformed JSON answer") from None
    if isinstance(document, dict) and "err" in document:
        code = str(document.get("err")).strip()
        message = str(document.get("errMsg", "")).strip()
        if code == _ERR_EMPTY:
            return []
        if code in _ERR_PERMANENT:
            raise PermanentApiError(API, code, f"{message}: {_ERR_PERMANENT[code]}")
        raise TransientApiError(API, code, message or "error")
    if not isinstance(document, list):
        raise TransientApiError(API, "format", "answer is neither a row list nor an error")
    return [_row(item) for item in document if isinstance(item, dict)]


class KosisClient:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def fetch(self, series: Series, periods: list[str]) -> list[StatsRow]:
        params = {
            "method": "getList",
            "apiKey": api_key(self.settings.kosis_conn_id),
            "orgId": series.org_id,
            "tblId": series.tbl_id,
            "itmId": series.itm_id,
            "prdSe": series.prd_se,
            "startPrdDe": min(periods),
            "endPrdDe": max(periods),
            "format": "json",
            "jsonVD": "Y",
        }
        for level in range(1, 9):
            params[f"objL{level}"] = series.obj_l[level - 1] if level <= len(series.obj_l) else ""
        rows = http_get(
            API,
            self.settings.kosis_conn_id,
            ENDPOINT,
            params,
            parse_kosis_response,
            attempts=self.settings.http_attempts,
            backoff_seconds=self.settings.http_backoff_seconds,
            timeout_seconds=self.settings.http_timeout_seconds,
            min_interval_seconds=slot_interval(
                self.settings.kosis_pool_slots, self.settings.kosis_calls_per_second
            ),
        )
        wanted = set(periods)
        return [row for row in rows if row.period in wanted]
