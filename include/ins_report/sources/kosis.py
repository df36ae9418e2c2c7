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

from include.ins_report.settings import Settings
from include.ins_report.sources.errors import PermanentApiError, TransientApiError
from include.ins_report.sources.http import api_key, http_get, slot_interval
from include.ins_report.week import ReportWeek

API = "KOSIS"
ENDPOINT = "/openapi/Param/statisticsParameterData.do"
SOURCE = "KOSIS"

_PERIODS_PER_YEAR = {"Y": 1, "H": 2, "Q": 4, "M": 12}
_ERR_EMPTY = "30"
_ERR_PERMANENT = {
    "10": "the API key is not valid: check the kosis_api connection's password",
    "11": "the API key has expired: renew it on KOSIS",
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


def _number(text: object) -> float | None:
    cleaned = str(text or "").replace(",", "").strip()
    if cleaned in ("", "-", "..", "x", "X"):
        return None
    try:
        return float(cleaned)
    except ValueError:
        return None


def _loose_json(text: str) -> object:
    """KOSIS without ``jsonVD=Y`` may send unquoted keys; quote them and parse once more."""
    repaired = re.sub(r"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:", r'\1"\2":', text)
    return json.loads(repaired)


def _row(item: dict) -> StatsRow:
    levels = [f"C{level}" for level in range(1, 9) if f"C{level}" in item]
    try:
        return StatsRow(
            series_id=f"{item['ORG_ID']}/{item['TBL_ID']}",
            item_id=str(item["ITM_ID"]),
            item_nm=str(item.get("ITM_NM", "")),
            category_id="/".join(str(item[level]) for level in levels),
            category_nm="/".join(str(item.get(f"{level}_NM", "")) for level in levels),
            period_type=str(item["PRD_SE"]),
            period=str(item["PRD_DE"]),
            value=_number(item.get("DT")),
            unit=str(item.get("UNIT_NM", "")),
        )
    except KeyError as exc:
        raise TransientApiError(API, "format", f"row without {exc}") from None


def parse_kosis_response(status: int, text: str) -> list[StatsRow]:
    if status == 429 or status >= 500:
        raise TransientApiError(API, str(status), "server busy or failing")
    if status >= 400:
        raise PermanentApiError(API, str(status), "request rejected")
    stripped = text.strip()
    if not stripped:
        raise TransientApiError(API, "empty", "empty answer")
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
