"""Request handling of the fake ``statisticsParameterData.do``: parameters, periods, rows, errors and faults.

Success is a top-level JSON array of row objects; every error is a single object ``{"err", "errMsg"}`` with
HTTP 200. Only the periods served at the emulator's "now" (``publication``: a lag per period type after the
period ends) are answered: a range with none of them gets err 30, a range partly served its served periods.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from devtools.emulator.common import JSON_TYPE, KST, TEXT_TYPE, Answer, json_answer, stable_rng, truncated
from devtools.emulator.faults import FaultRule
from devtools.emulator.kosis.publication import DEFAULT_LAG_DAYS, published_periods, served_from
from devtools.emulator.kosis.tables import CATALOGUE, Table, period_code, period_end, period_index

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
_SPLIT = re.compile(r"[+\s]+")
DASH = "-"  # KOSIS's "no value" in a cell
SEOUL = "11"  # the 시도 code of 서울, where the pig census has no farms


@dataclass(frozen=True)
class KosisContext:
    now: dt.datetime  # KST
    api_key: str
    max_cells: int = MAX_CELLS
    # Days after a period ends before it is served, per period type.
    lag_days: Mapping[str, int] = field(default_factory=lambda: DEFAULT_LAG_DAYS)

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(KST).date()


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


def _periods(params: Mapping[str, str], table: Table, ctx: KosisContext) -> list[int] | tuple[str, str]:
    published = published_periods(table, ctx.lag_days, ctx.today)
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


def _lst_chn_de(table: Table, index: int, ctx: KosisContext) -> str:
    low, high = table.revision_days
    offset = stable_rng(table.tbl_id, "revision", index).randint(low, high)
    changed = period_end(index, table.prd_se) + dt.timedelta(days=offset)
    return min(max(changed, served_from(index, table.prd_se, ctx.lag_days)), ctx.today).isoformat()


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
    periods = _periods(params, table, ctx)
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
        changed = _lst_chn_de(table, index, ctx)
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


def _named_cells(options: Mapping[str, Any]) -> Callable[[Mapping[str, str]], bool]:
    """The cells a ``dash_cells`` rule names: classification ``level`` (default 1) in ``codes`` (default
    서울, "11"), of the ``items`` (default every item)."""
    level = int(options.get("level", 1))
    codes = {str(code) for code in options.get("codes", [SEOUL])}
    items = None if options.get("items") is None else {str(item) for item in options["items"]}
    return lambda row: row.get(f"C{level}") in codes and (items is None or row["ITM_ID"] in items)


def _normal(
    params: Mapping[str, str],
    ctx: KosisContext,
    loose: bool = False,
    value: object | None = None,
    cells: Callable[[Mapping[str, str]], bool] | None = None,
) -> Answer:
    """The service's answer; ``value``, when given, replaces the DT of every cell (of ``cells`` only, when
    given): a fault scenario."""
    result = rows_for(params, ctx)
    if isinstance(result, tuple):
        return error(result)
    if value is not None:
        result = [{**row, "DT": value} if cells is None or cells(row) else row for row in result]
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
    if scenario == "dash_cells":
        return _normal(params, ctx, value=DASH, cells=_named_cells(rule.options))
    raise ValueError(f"unknown KOSIS scenario {scenario!r}")
