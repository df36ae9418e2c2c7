"""Fake KOSIS OpenAPI (``/openapi/Param/statisticsParameterData.do?method=getList``).

Success is a top-level JSON array of row objects; every error is a single object ``{"err", "errMsg"}`` with
HTTP 200. The tables live in ``CATALOGUE``; add one by describing its items, classifications and a value
function. Values are deterministic per (table, item, codes, period).
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from devtools.emulator.common import (
    JSON_TYPE,
    TEXT_TYPE,
    Answer,
    fmt2,
    json_answer,
    stable_rng,
    truncated,
)
from devtools.emulator.faults import FaultRule

PATH = "/openapi/Param/statisticsParameterData.do"

# Error codes and texts. Only 30 (no data) and 31 (over 40,000 cells) are confirmed by public clients;
# the key error code in particular is a guess: change it here only.
ERR_BAD_KEY = ("10", "인증KEY가 유효하지 않습니다.")
ERR_MISSING_PARAM = ("20", "필수요청변수값이 누락되었습니다.")
ERR_NO_DATA = ("30", "데이터가 존재하지 않습니다.")
ERR_TOO_MANY_CELLS = ("31", "조회결과가 40,000셀을 초과하였습니다.")
ERR_SERVER = ("50", "서버 오류")
MAX_CELLS = 40_000

MANDATORY_PARAMS = ("method", "orgId", "tblId", "itmId", "objL1", "prdSe", "format")
_PERIODS_PER_YEAR = {"Y": 1, "H": 2, "Q": 4, "M": 12}
_SPLIT = re.compile(r"[+\s]+")


# --------------------------------------------------------------------------------------------------------- #
# Periods                                                                                                   #
# --------------------------------------------------------------------------------------------------------- #


def period_index(code: str, prd_se: str) -> int | None:
    """Periods as consecutive integers (year * periods_per_year + part); None when the code is malformed."""
    per_year = _PERIODS_PER_YEAR.get(prd_se)
    code = code.strip()
    if per_year is None or not code.isdigit():
        return None
    if prd_se == "Y":
        return int(code) if len(code) == 4 else None
    if len(code) != 6 or not 1 <= int(code[4:]) <= per_year:
        return None
    return int(code[:4]) * per_year + int(code[4:]) - 1


def period_code(index: int, prd_se: str) -> str:
    if prd_se == "Y":
        return f"{index:04d}"
    year, part = divmod(index, _PERIODS_PER_YEAR[prd_se])
    return f"{year:04d}{part + 1:02d}"


def period_end(index: int, prd_se: str) -> dt.date:
    per_year = _PERIODS_PER_YEAR[prd_se]
    year, part = divmod(index, per_year)
    month = (part + 1) * 12 // per_year
    return dt.date(year, month, calendar.monthrange(year, month)[1])


# --------------------------------------------------------------------------------------------------------- #
# Catalogue                                                                                                 #
# --------------------------------------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    name_eng: str


@dataclass(frozen=True)
class Classification:
    name: str
    name_eng: str
    codes: tuple[Code, ...]


@dataclass(frozen=True)
class Item:
    itm_id: str
    name: str
    name_eng: str
    unit: str
    unit_eng: str


# values(table, period_code) -> {(itm_id, code_level1, code_level2, ...): DT}
ValueFunction = Callable[["Table", str], dict[tuple[str, ...], str]]


@dataclass(frozen=True)
class Table:
    org_id: str
    tbl_id: str
    name: str
    prd_se: str
    first_period: str
    items: tuple[Item, ...]
    classifications: tuple[Classification, ...]
    values: ValueFunction
    revision_days: tuple[int, int]  # LST_CHN_DE: this many days after the period end (bounded by today)

    def published_periods(self, today: dt.date) -> list[int]:
        """Every period from the first one that has ended before ``today``."""
        first = period_index(self.first_period, self.prd_se)
        assert first is not None
        periods: list[int] = []
        index = first
        while period_end(index, self.prd_se) < today:
            periods.append(index)
            index += 1
        return periods


_SIDO = Classification(
    "시도별",
    "By Province",
    (
        Code("00", "전국", "Whole country"),
        Code("11", "서울특별시", "Seoul"),
        Code("26", "부산광역시", "Busan"),
        Code("27", "대구광역시", "Daegu"),
        Code("28", "인천광역시", "Incheon"),
        Code("29", "광주광역시", "Gwangju"),
        Code("30", "대전광역시", "Daejeon"),
        Code("31", "울산광역시", "Ulsan"),
        Code("36", "세종특별자치시", "Sejong"),
        Code("41", "경기도", "Gyeonggi-do"),
        Code("42", "강원특별자치도", "Gangwon-do"),
        Code("43", "충청북도", "Chungcheongbuk-do"),
        Code("44", "충청남도", "Chungcheongnam-do"),
        Code("45", "전북특별자치도", "Jeonbuk-do"),
        Code("46", "전라남도", "Jeollanam-do"),
        Code("47", "경상북도", "Gyeongsangbuk-do"),
        Code("48", "경상남도", "Gyeongsangnam-do"),
        Code("50", "제주특별자치도", "Jeju-do"),
    ),
)
_FARM_SCALE = Classification("사육규모별", "By Scale of Farming", (Code("00", "합계", "Total"),))

# Typical (households, heads) per province; nationwide ~5,500 households and ~11,000,000 pigs.
_PIG_BASE = {
    "11": (0, 0),
    "26": (10, 9_000),
    "27": (15, 20_000),
    "28": (40, 45_000),
    "29": (3, 1_000),
    "30": (3, 800),
    "31": (40, 95_000),
    "36": (50, 95_000),
    "41": (1_000, 1_850_000),
    "42": (230, 560_000),
    "43": (330, 640_000),
    "44": (1_100, 2_350_000),
    "45": (600, 1_330_000),
    "46": (550, 1_120_000),
    "47": (700, 1_500_000),
    "48": (550, 870_000),
    "50": (260, 560_000),
}
_PIG_QUARTER_FACTOR = (0.99, 1.0, 1.012, 1.004)


def _pig_values(table: Table, period: str) -> dict[tuple[str, ...], str]:
    """Households (T001) and heads (T002) per province; 전국 (00) is the sum of the provinces."""
    index = period_index(period, table.prd_se)
    assert index is not None
    years = index / 4 - 2024  # the base levels are those of 2024
    quarter = index % 4
    values: dict[tuple[str, ...], str] = {}
    totals = {"T001": 0, "T002": 0}
    for code, (households, heads) in _PIG_BASE.items():
        for itm_id, base, trend in (("T001", households, -0.015), ("T002", heads, -0.003)):
            rng = stable_rng(table.tbl_id, itm_id, code, "00", period)
            level = base * (1 + trend * years) * (1 + rng.gauss(0, 0.01))
            if itm_id == "T002":
                level *= _PIG_QUARTER_FACTOR[quarter]
            value = max(1, round(level)) if base else 0
            totals[itm_id] += value
            values[(itm_id, code, "00")] = str(value)
    for itm_id, total in totals.items():
        values[(itm_id, "00", "00")] = str(total)
    return values


def _cpi_values(table: Table, period: str) -> dict[tuple[str, ...], str]:
    """Consumer price index (2020=100): pork rising ~3.5 %/year with a summer peak, beef ~1.2 %/year."""
    index = period_index(period, table.prd_se)
    assert index is not None
    years = (index + 0.5) / 12 - 2020.5
    month = index % 12 + 1
    values: dict[tuple[str, ...], str] = {}
    for code, growth, seasonal in (("A01114", 1.035, 0.025), ("A01113", 1.012, 0.006)):
        rng = stable_rng(table.tbl_id, "T", code, period)
        level = 100 * growth**years * (1 + seasonal * math.sin(2 * math.pi * (month - 4) / 12))
        values[("T", code)] = fmt2(min(140.0, max(95.0, level + rng.gauss(0, 0.6))))
    return values


CATALOGUE: dict[tuple[str, str], Table] = {
    ("101", "DT_1EO311"): Table(
        org_id="101",
        tbl_id="DT_1EO311",
        name="시도별 돼지 사육가구 및 마릿수",
        prd_se="Q",
        first_period="201701",
        items=(
            Item("T001", "사육가구수", "Number of households", "가구", "Household"),
            Item("T002", "사육마릿수", "Number of heads", "마리", "Head"),
        ),
        classifications=(_SIDO, _FARM_SCALE),
        values=_pig_values,
        revision_days=(25, 50),
    ),
    ("101", "DT_1J22003"): Table(
        org_id="101",
        tbl_id="DT_1J22003",
        name="품목별 소비자물가지수",
        prd_se="M",
        first_period="202001",
        items=(Item("T", "지수", "Index", "2020=100", "2020=100"),),
        classifications=(
            Classification(
                "품목별",
                "By Item",
                (Code("A01114", "돼지고기", "Pork"), Code("A01113", "쇠고기", "Beef")),
            ),
        ),
        values=_cpi_values,
        revision_days=(1, 10),
    ),
}


# --------------------------------------------------------------------------------------------------------- #
# Request handling                                                                                          #
# --------------------------------------------------------------------------------------------------------- #


@dataclass(frozen=True)
class KosisContext:
    now: dt.datetime  # KST
    api_key: str
    max_cells: int = MAX_CELLS


def error(err: tuple[str, str]) -> Answer:
    code, message = err
    return json_answer({"err": code, "errMsg": message}, result=code)


def loose_json(document: object) -> bytes:
    """JSON with unquoted keys, as KOSIS sends without ``jsonVD=Y``: ``[{ORG_ID:"101",...}]``."""

    def encode(value: object) -> str:
        if isinstance(value, list):
            return "[" + ",".join(encode(item) for item in value) + "]"
        if isinstance(value, dict):
            return "{" + ",".join(f"{key}:{encode(item)}" for key, item in value.items()) + "}"
        return json.dumps(value, ensure_ascii=False)

    return encode(document).encode("utf-8")


def _selection(text: str, known: list[str]) -> list[str]:
    """``ALL`` or ``+``-joined codes (trailing ``+`` allowed), in catalogue order; unknown codes dropped."""
    wanted = {part for part in _SPLIT.split(text.strip()) if part}
    if "ALL" in wanted:
        return list(known)
    return [code for code in known if code in wanted]


def _periods(params: Mapping[str, str], table: Table, today: dt.date) -> list[int] | tuple[str, str]:
    published = table.published_periods(today)
    start_text, end_text = params.get("startPrdDe", "").strip(), params.get("endPrdDe", "").strip()
    count_text = params.get("newEstPrdCnt", "").strip()
    if start_text and end_text:
        start, end = period_index(start_text, table.prd_se), period_index(end_text, table.prd_se)
        if start is None or end is None:
            return []
        return [index for index in published if start <= index <= end]
    if count_text:
        if not count_text.isdigit() or int(count_text) < 1:
            return ERR_MISSING_PARAM
        return published[-int(count_text) :]
    return ERR_MISSING_PARAM


def _lst_chn_de(table: Table, index: int, today: dt.date) -> str:
    low, high = table.revision_days
    offset = stable_rng(table.tbl_id, "revision", index).randint(low, high)
    end = period_end(index, table.prd_se)
    return min(end + dt.timedelta(days=offset), today).isoformat()


def rows_for(params: Mapping[str, str], ctx: KosisContext) -> list[dict[str, str]] | tuple[str, str]:
    """The rows of a request, or the error (code, message) to answer with."""
    if params.get("apiKey", "") != ctx.api_key:
        return ERR_BAD_KEY
    if any(not params.get(name, "").strip() for name in MANDATORY_PARAMS):
        return ERR_MISSING_PARAM
    if params["method"].strip() != "getList" or params["format"].strip().lower() != "json":
        return ERR_MISSING_PARAM
    table = CATALOGUE.get((params["orgId"].strip(), params["tblId"].strip()))
    if table is None or params["prdSe"].strip().upper() != table.prd_se:
        return ERR_NO_DATA
    selections: list[list[str]] = []
    for level, classification in enumerate(table.classifications, start=1):
        text = params.get(f"objL{level}", "")
        if not text.strip():
            return ERR_MISSING_PARAM  # the table has this classification: it must be chosen
        selections.append(_selection(text, [code.code for code in classification.codes]))
    item_ids = _selection(params["itmId"], [item.itm_id for item in table.items])
    items = [item for item in table.items if item.itm_id in item_ids]
    today = ctx.now.date()
    periods = _periods(params, table, today)
    if isinstance(periods, tuple):
        return periods
    if not periods or not items or not all(selections):
        return ERR_NO_DATA
    cells = len(periods) * len(items) * math.prod(len(codes) for codes in selections)
    if cells > ctx.max_cells:
        return ERR_TOO_MANY_CELLS

    names = [{code.code: code for code in classification.codes} for classification in table.classifications]
    rows: list[dict[str, str]] = []
    for index in periods:
        period = period_code(index, table.prd_se)
        values = table.values(table, period)
        changed = _lst_chn_de(table, index, today)
        for item in items:
            for combo in itertools.product(*selections):
                row = {
                    "ORG_ID": table.org_id,
                    "TBL_ID": table.tbl_id,
                    "TBL_NM": table.name,
                    "PRD_SE": table.prd_se,
                    "PRD_DE": period,
                    "ITM_ID": item.itm_id,
                    "ITM_NM": item.name,
                    "ITM_NM_ENG": item.name_eng,
                    "UNIT_NM": item.unit,
                    "UNIT_NM_ENG": item.unit_eng,
                }
                for level, code in enumerate(combo, start=1):
                    classification = table.classifications[level - 1]
                    row[f"C{level}"] = code
                    row[f"C{level}_NM"] = names[level - 1][code].name
                    row[f"C{level}_NM_ENG"] = names[level - 1][code].name_eng
                    row[f"C{level}_OBJ_NM"] = classification.name
                    row[f"C{level}_OBJ_NM_ENG"] = classification.name_eng
                row["DT"] = values[(item.itm_id, *combo)]
                row["LST_CHN_DE"] = changed
                rows.append(row)
    return rows


def _normal(
    params: Mapping[str, str], ctx: KosisContext, loose: bool = False, value: object | None = None
) -> Answer:
    """The service's answer; ``value``, when given, replaces every DT (a fault scenario)."""
    result = rows_for(params, ctx)
    if isinstance(result, tuple):
        return error(result)
    if value is not None:
        result = [{**row, "DT": value} for row in result]
    # Without jsonVD=Y the real service may send keys unquoted.
    if loose or params.get("jsonVD", "").strip().upper() != "Y":
        return Answer(body=loose_json(result), content_type=JSON_TYPE, result="ok")
    return json_answer(result, result="ok")


def handle(params: Mapping[str, str], ctx: KosisContext, rule: FaultRule | None = None) -> Answer:
    """The answer to one statisticsParameterData request, or the fault ``rule`` asks for."""
    if rule is None:
        return _normal(params, ctx)
    scenario = rule.scenario
    if scenario == "err_json":
        code = str(rule.options.get("err", ERR_SERVER[0]))
        message = str(rule.options.get("errMsg", ERR_SERVER[1] if code == ERR_SERVER[0] else "오류"))
        return error((code, message))
    if scenario == "http_500":
        return Answer(status=500, body=b"Internal Server Error", content_type=TEXT_TYPE, result="http:500")
    if scenario == "http_401":
        return Answer(status=401, body=b"Unauthorized", content_type=TEXT_TYPE, result="http:401")
    if scenario == "http_403":
        return Answer(status=403, body=b"Forbidden", content_type=TEXT_TYPE, result="http:403")
    if scenario == "empty_200":
        return Answer(body=b"", content_type=JSON_TYPE, result="empty")
    if scenario == "reset_connection":
        return Answer(reset=True, result="reset")
    if scenario == "malformed_json":
        answer = _normal(params, ctx)
        answer.body, answer.result = truncated(answer.body), "malformed"
        return answer
    if scenario == "loose_json":
        return _normal(params, ctx, loose=True)
    if scenario == "timeout":
        answer = _normal(params, ctx)
        answer.delay_s = rule.seconds
        return answer
    if scenario == "zero_value":
        return _normal(params, ctx, value="0" if rule.options.get("as_text") else 0)
    if scenario == "bad_values":
        return _normal(params, ctx, value=rule.options.get("value", "NaN"))
    if scenario == "bare_nan":
        return _normal(params, ctx, value=float("nan"))  # json.dumps writes a bare NaN token
    raise ValueError(f"unknown KOSIS scenario {scenario!r}")
