"""KOSIS OpenAPI (``Param/statisticsParameterData.do``): a declarative list of series, fetched per week.

Each series (include/ins_report/config/kosis_series.json) declares what the report reads of it (``cells``:
item, classification and the report column each feeds) and when a period is published
(``publication_days``: a period is read once that many days have passed since it ended, counted to the
Monday the week's run is scheduled). A week then reads one period per series, the same on every run of
that week (``period_for_week``); the week's manifest records it (include/ins_report/model/manifest.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from include.ins_report.config.settings import Settings
from include.ins_report.joblog import clip_utf8
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources.errors import ApiDataError, PermanentApiError, TransientApiError, answer_body
from include.ins_report.sources.http import ApiEndpoint, CallPolicy
from include.ins_report.sources.numbers import parse_decimal

API = "KOSIS"
ENDPOINT = "/openapi/Param/statisticsParameterData.do"
SOURCE = "KOSIS"
WILDCARD = "ALL"  # a KOSIS item or classification level selecting every code (fetching only)

_PERIODS_PER_YEAR = {"Y": 1, "H": 2, "Q": 4, "M": 12}
ERR_NO_DATA = "30"  # "데이터가 존재하지 않습니다": for a period KOSIS has not published yet
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
class ReportCell:
    """A cell of a series the report reads: one item and one code per classification level."""

    item_id: str
    category_id: str  # "00/00": the level codes joined by "/" as TA_STATS_DATA.CATEGORY_ID stores them
    report_column: str  # the TR_INS_WEEK_REPORT column it feeds


@dataclass(frozen=True)
class Series:
    name: str
    org_id: str
    tbl_id: str
    itm_id: str
    obj_l: tuple[str, ...]
    prd_se: str
    publication_days: int
    cells: tuple[ReportCell, ...]

    @property
    def series_id(self) -> str:
        return f"{self.org_id}/{self.tbl_id}"


def _codes(text: str) -> tuple[str, ...] | None:
    """A KOSIS selection (``T001+T002+``, ``ALL``) as its codes; None for every code."""
    codes = tuple(code for code in text.strip().split("+") if code)
    return None if not codes or WILDCARD in codes else codes


def _cell(path: Path, name: str, itm_id: str, obj_l: tuple[str, ...], entry: object) -> ReportCell:
    """One ``cells`` entry, checked against what the series fetches (a cell it cannot fetch is an error)."""
    where = f"{path}: series {name!r} cell {entry!r}"
    if not isinstance(entry, dict) or not {"item_id", "category_id", "report_column"} <= set(entry):
        raise ValueError(f"{where} needs item_id, category_id and report_column")
    cell = ReportCell(str(entry["item_id"]), str(entry["category_id"]), str(entry["report_column"]))
    items = _codes(itm_id)
    if items is not None and cell.item_id not in items:
        raise ValueError(f"{where}: item {cell.item_id} is not among the fetched items {itm_id!r}")
    levels = cell.category_id.split("/")
    if len(levels) != len(obj_l):
        raise ValueError(f"{where}: category {cell.category_id} needs {len(obj_l)} level codes joined by '/'")
    for code, selection in zip(levels, obj_l, strict=True):
        codes = _codes(selection)
        if not code or code == WILDCARD or (codes is not None and code not in codes):
            raise ValueError(f"{where}: code {code!r} is not a single code fetched by obj_l {selection!r}")
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,29}", cell.report_column):
        raise ValueError(f"{where}: report_column {cell.report_column!r} is not a column name")
    return cell


def load_series(path: Path) -> list[Series]:
    """The configured series; a malformed file is an error that names the entry and the field."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the KOSIS series file {path}: {exc}") from None
    series: list[Series] = []
    for index, entry in enumerate(document.get("series", [])):
        try:
            name, itm_id = str(entry["name"]), str(entry["itm_id"])
            obj_l = tuple(str(code) for code in entry["obj_l"])
            if "lag_periods" in entry:
                raise ValueError("lag_periods is replaced by publication_days (days after the period ends)")
            item = Series(
                name=name,
                org_id=str(entry["org_id"]),
                tbl_id=str(entry["tbl_id"]),
                itm_id=itm_id,
                obj_l=obj_l,
                prd_se=str(entry["prd_se"]).upper(),
                publication_days=int(entry["publication_days"]),
                cells=tuple(_cell(path, name, itm_id, obj_l, cell) for cell in entry["cells"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: series #{index + 1} is missing or has a bad field: {exc}") from None
        if item.prd_se not in _PERIODS_PER_YEAR:
            raise ValueError(f"{path}: series {item.name!r} has prd_se {item.prd_se!r}; use Y, H, Q or M")
        if not 1 <= len(item.obj_l) <= 8:
            raise ValueError(f"{path}: series {item.name!r} needs 1 to 8 obj_l levels")
        if item.publication_days < 0:
            raise ValueError(f"{path}: series {item.name!r} has a negative publication_days")
        if not item.cells:
            raise ValueError(f"{path}: series {item.name!r} lists no cells the report reads")
        series.append(item)
    if not series:
        raise ValueError(f"{path} configures no series")
    columns = [cell.report_column for item in series for cell in item.cells]
    repeated = sorted({column for column in columns if columns.count(column) > 1})
    if repeated:
        raise ValueError(f"{path}: report column(s) {repeated} are fed by more than one cell")
    return series


def _period_index(day: dt.date, prd_se: str) -> int:
    per_year = _PERIODS_PER_YEAR[prd_se]
    return day.year * per_year + (day.month - 1) * per_year // 12


def _period_code(index: int, prd_se: str) -> str:
    per_year = _PERIODS_PER_YEAR[prd_se]
    year, part = divmod(index, per_year)
    if prd_se == "Y":
        return f"{year:04d}"
    return f"{year:04d}{part + 1:02d}"  # M: YYYYMM; H: YYYY01..02, Q: YYYY01..04


def _period_end(index: int, prd_se: str) -> dt.date:
    per_year = _PERIODS_PER_YEAR[prd_se]
    year, part = divmod(index + 1, per_year)  # the next period's first day, less one day
    return dt.date(year, part * 12 // per_year + 1, 1) - dt.timedelta(days=1)


def period_for_week(series: Series, week: ReportWeek) -> str:
    """The one period of ``series`` the week reads: the latest whose publication day (``publication_days``
    after its last day) is no later than the Monday the week's run is scheduled. Every run of the week,
    early or late, reads the same period; one KOSIS publishes later than the rule says is waited for, never
    replaced by another."""
    run_day = week.end + dt.timedelta(days=1)
    index = _period_index(run_day, series.prd_se)
    while _period_end(index, series.prd_se) + dt.timedelta(days=1 + series.publication_days) > run_day:
        index -= 1
    return _period_code(index, series.prd_se)


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
        if code == ERR_NO_DATA:
            return []  # nothing in the range: the collection says which period is not published yet
        if code in _ERR_PERMANENT:
            raise PermanentApiError(API, code, f"{message}: {_ERR_PERMANENT[code]}")
        raise TransientApiError(API, code, message or "error")
    if not isinstance(document, list):
        raise TransientApiError(API, "format", "answer is neither a row list nor an error")
    return [_row(item) for item in document if isinstance(item, dict)]


class KosisClient:
    """The KOSIS OpenAPI on its connection (``endpoint``, built at the Airflow edge)."""

    def __init__(self, settings: Settings, endpoint: ApiEndpoint) -> None:
        self.settings = settings
        self.endpoint = endpoint
        self.policy = CallPolicy.of(settings, settings.kosis_pool_slots, settings.kosis_calls_per_second)

    def fetch(self, series: Series, periods: list[str]) -> list[StatsRow]:
        params = {
            "method": "getList",
            "apiKey": self.endpoint.key,
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
        rows = self.endpoint.get(API, ENDPOINT, params, parse_kosis_response, self.policy)
        wanted = set(periods)
        return [row for row in rows if row.period in wanted]
