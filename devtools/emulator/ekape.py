"""Fake EKAPE pig carcass auction prices (``/openapi-data/service/user/grade/auct/pigGrade``).

XML only, as the real operation: ``response/header/resultCode`` and ``body/items/item``, one item per
grade row (``1+``, ``1``, ``2``, ``등외``, then the summary rows ``등외제외`` and ``합계``), each with
per-market prices (원/kg) and head counts: 수도권/영남권/호남권 markets and subtotals, 제주
(``c_1101``), 전국 (``CTot``) and 전국 제주제외 (``c_1101eTot``). Values are deterministic per
(day, sex, grade, market), seasonal (summer high, winter low; 탕박 1+ about 5,500-6,500 원/kg) and
self-consistent (a subtotal is the head-weighted mean of its markets).

Behaviour modelled (shared/reference/external-apis.md section 3):

- the portal gateway's ``OpenAPI_ServiceResponse`` XML with HTTP 200 for a wrong key (30) and for the daily
  quota (22; ``daily_quota`` accepted calls per emulator day, counted on the emulator clock);
- closed days (Sundays, Korean public holidays from the ``holidays`` package, and days after today):
  ``resultCode 00`` with grade rows that carry no amounts (the fault ``zero_amounts`` answers a day with
  every amount and head count ``0`` instead, as some closed days are answered);
- next-day finalisation: before 10:00 KST the next day a day's values are provisional (fewer heads, other
  prices), after it final;
- ``skinYn`` and ``egradeExceptYn`` mean what the configured mapping says (``tangbak_skin_yn``: the value
  of skinYn that selects 탕박; ``egrade_include_yn``: the value that counts 등외 in the 합계 row); the
  ``등외제외`` row never counts 등외;
- wrong codes are echoed back, not refused (as a client's note on the guide says).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape

import holidays

from devtools.emulator.common import HTML_TYPE, KST, TEXT_TYPE, XML_TYPE, Answer, stable_rng
from devtools.emulator.faults import FaultRule

PATH = "/openapi-data/service/user/grade/auct/pigGrade"
MSG_NORMAL = "NORMAL SERVICE."
FINAL_HOUR = 10  # a day's prices may change until 10:00 KST the next day

KEY_NOT_REGISTERED = ("SERVICE_KEY_IS_NOT_REGISTERED_ERROR", "30")
QUOTA_EXCEEDED = ("LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR", "22")

SEX_NAMES = {"025001": "암", "025002": "수", "025003": "거세", "025004": "기타"}

# Grade rows: (gradeCd, gradeNm, price factor of the 1+ price, share of the heads).
GRADES = (
    ("1", "1+", 1.0, 0.31),
    ("2", "1", 0.993, 0.36),
    ("3", "2", 0.935, 0.27),
    ("9", "등외", 0.56, 0.06),
)
EXCL_OUT = ("ST", "등외제외")
TOTAL = ("T", "합계")

# Markets: (field prefix, share of the national heads, price offset 원/kg); the regional subtotals follow.
MARKETS = {
    "CCity": (("c_0320", 0.16, 40), ("c_0302", 0.07, 10), ("c_1301", 0.06, -20), ("c_0323", 0.08, 25)),
    "CCentral": (("c_0513", 0.12, 0),),
    "CEast": (("c_1005", 0.10, -30), ("c_0202", 0.09, -45), ("c_1201", 0.06, -10), ("c_0905", 0.08, -25)),
    "CWest": (("c_0714", 0.07, -5), ("c_0809", 0.06, 15), ("c_1401", 0.05, -15)),
}
JEJU = ("c_1101", 0.05, 650)  # Jeju pork trades well above the mainland
# Every amount and count field of a row (markets, regional subtotals, Jeju, national excl. Jeju, national).
PREFIXES = (
    *(prefix for markets in MARKETS.values() for prefix, _, _ in markets),
    *(subtotal for subtotal in MARKETS if subtotal != "CCentral"),
    JEJU[0],
    "c_1101eTot",
    "CTot",
)
ZERO_FIELDS = {f"{prefix}{kind}": "0" for prefix in PREFIXES for kind in ("Amt", "Cnt")}
NATIONAL_HEADS = 7_000  # heads auctioned on a normal weekday, all sexes, mainland


# Closed days: Sundays and the Korean public holidays (the maintained `holidays` package: 설날, 추석,
# substitute and election days). Saturdays trade, with fewer markets and heads.
@functools.lru_cache(maxsize=32)
def _public_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("KR", years=year)


def is_closed(day: dt.date) -> bool:
    return day.weekday() == 6 or day in _public_holidays(day.year)


def is_final(day: dt.date, now: dt.datetime) -> bool:
    release = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(FINAL_HOUR), tzinfo=KST)
    return now >= release


# --------------------------------------------------------------------------------------------------------- #
# Values                                                                                                    #
# --------------------------------------------------------------------------------------------------------- #


def top_grade_price(day: dt.date) -> float:
    """The day's national 탕박 1+ price (원/kg): 6,000 +- 500 over the year, highest in mid-July."""
    season = math.cos(2 * math.pi * (day.timetuple().tm_yday - 196) / 365.25)
    noise = stable_rng("ekape", "day", day.isoformat()).gauss(0, 0.02)
    return 6_000 + 500 * season + 6_000 * max(-0.05, min(0.05, noise))


@dataclass(frozen=True)
class Cell:
    amount: int  # 원/kg
    count: int  # heads


def _weighted(cells: list[Cell]) -> Cell | None:
    heads = sum(cell.count for cell in cells)
    if not heads:
        return None
    return Cell(round(sum(cell.amount * cell.count for cell in cells) / heads), heads)


def grade_cells(day: dt.date, sex_code: str, grade_name: str, provisional: bool) -> dict[str, Cell]:
    """Per-market cells of one grade row (market prefix -> cell); markets without heads are absent."""
    factor, share = next((g[2], g[3]) for g in GRADES if g[1] == grade_name)
    base = top_grade_price(day) * factor
    weekday_volume = 0.45 if day.weekday() == 5 else 1.0  # Saturdays: fewer markets, fewer heads
    # Unknown or empty sexCd: every sex together.
    sex_share = {"025001": 0.47, "025002": 0.015, "025003": 0.50, "025004": 0.015}.get(sex_code, 1.0)
    sex_offset = {"025001": -15, "025002": -300, "025003": 20, "025004": -300}.get(sex_code, 0)
    cells: dict[str, Cell] = {}
    # The provisional figures differ from the final ones by one shift per day and sex (all grades alike).
    shift = stable_rng("ekape", "provisional", day.isoformat(), sex_code)
    provisional_shift = shift.choice((-1, 1)) * shift.uniform(15, 60)
    for prefix, market_share, offset in [m for markets in MARKETS.values() for m in markets] + [JEJU]:
        # A market's level is shared by its grades (so the grades keep their order); each grade adds a little.
        market_noise = stable_rng("ekape", day.isoformat(), sex_code, prefix).gauss(0, 40)
        rng = stable_rng("ekape", day.isoformat(), sex_code, grade_name, prefix)
        heads = NATIONAL_HEADS * weekday_volume * sex_share * share * market_share * rng.uniform(0.8, 1.2)
        if prefix == JEJU[0]:
            heads = NATIONAL_HEADS * sex_share * share * JEJU[1] * rng.uniform(0.8, 1.2)
        if day.weekday() == 5 and prefix in ("c_1301", "c_0714", "c_1401"):
            heads = 0  # not open on Saturdays
        price = base + offset + sex_offset + market_noise + rng.gauss(0, 8)
        if provisional:  # the day's first figures: not every lot is settled yet
            heads *= rng.uniform(0.7, 0.9)
            price += provisional_shift
        count = round(heads)
        if count > 0:
            cells[prefix] = Cell(round(price), count)
    return cells


def _row_fields(cells: dict[str, Cell]) -> dict[str, str]:
    """A row's amount/count fields: markets, regional subtotals, Jeju, national, national excl. Jeju."""
    fields: dict[str, str] = {}

    def put(prefix: str, cell: Cell | None) -> None:
        if cell is not None:
            fields[f"{prefix}Amt"] = f"{cell.amount}"
            fields[f"{prefix}Cnt"] = f"{cell.count}"

    mainland: list[Cell] = []
    for subtotal, markets in MARKETS.items():
        region = [cells[prefix] for prefix, _, _ in markets if prefix in cells]
        for prefix, _, _ in markets:
            put(prefix, cells.get(prefix))
        if subtotal != "CCentral":
            put(f"{subtotal}", _weighted(region))
        mainland += region
    put(JEJU[0], cells.get(JEJU[0]))
    put("c_1101eTot", _weighted(mainland))
    put("CTot", _weighted(mainland + ([cells[JEJU[0]]] if JEJU[0] in cells else [])))
    return fields


def _merge(rows: list[dict[str, Cell]]) -> dict[str, Cell]:
    merged: dict[str, Cell] = {}
    for prefix in {prefix for row in rows for prefix in row}:
        cell = _weighted([row[prefix] for row in rows if prefix in row])
        if cell is not None:
            merged[prefix] = cell
    return merged


@dataclass(frozen=True)
class EkapeContext:
    now: dt.datetime  # KST
    service_key: str
    tangbak_skin_yn: str = "Y"  # the skinYn value that selects 탕박
    egrade_include_yn: str = "Y"  # the egradeExceptYn value that counts 등외 in the 합계 row


def day_items(day: dt.date, sex_code: str, params: Mapping[str, str], ctx: EkapeContext) -> list[dict]:
    """The items of one day's answer, in the real field names (all values text)."""
    skin_yn = params.get("skinYn", "").strip().upper() or ctx.tangbak_skin_yn
    tangbak = skin_yn == ctx.tangbak_skin_yn
    include_out = params.get("egradeExceptYn", "").strip().upper() == ctx.egrade_include_yn
    closed = is_closed(day) or day > ctx.now.date()
    provisional = not is_final(day, ctx.now)
    ymd = day.strftime("%Y%m%d")
    common = {
        "startYmd": ymd,
        "endYmd": ymd,
        "skinYn": skin_yn,
        "skinNm": "탕박" if tangbak else "박피",
        "judgeSexCd": sex_code,
        "judgeSexNm": SEX_NAMES.get(sex_code, ""),
    }
    grade_rows: dict[str, dict[str, Cell]] = {}
    for _, name, _, _ in GRADES:
        cells = {} if closed else grade_cells(day, sex_code, name, provisional)
        if not tangbak:  # 박피: a small, cheaper market
            cells = {p: Cell(c.amount - 250, max(1, c.count // 12)) for p, c in cells.items()}
        grade_rows[name] = cells
    items = []
    for code, name, _, _ in GRADES:
        items.append(
            {"gradeType": "A", "gradeCd": code, "gradeNm": name, **common, **_row_fields(grade_rows[name])}
        )
    excl_out = _merge([cells for name, cells in grade_rows.items() if name != "등외"])
    total = _merge([cells for name, cells in grade_rows.items() if include_out or name != "등외"])
    for (code, name), cells in ((EXCL_OUT, excl_out), (TOTAL, total)):
        items.append({"gradeType": "S", "gradeCd": code, "gradeNm": name, **common, **_row_fields(cells)})
    return items


# --------------------------------------------------------------------------------------------------------- #
# Answers                                                                                                   #
# --------------------------------------------------------------------------------------------------------- #


def gateway(error: tuple[str, str], status: int = 200) -> Answer:
    """The portal gateway's classic error document: XML whatever was asked, HTTP 200."""
    name, code = error
    body = (
        "<OpenAPI_ServiceResponse>\n\t<cmmMsgHeader>\n\t\t<errMsg>SERVICE ERROR</errMsg>\n"
        f"\t\t<returnAuthMsg>{name}</returnAuthMsg>\n\t\t<returnReasonCode>{code}</returnReasonCode>\n"
        "\t</cmmMsgHeader>\n</OpenAPI_ServiceResponse>"
    )
    return Answer(status=status, body=body.encode("utf-8"), content_type=XML_TYPE, result=f"gateway:{code}")


def provider_error(code: str, message: str) -> Answer:
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f"<response><header><resultCode>{code}</resultCode><resultMsg>{escape(message)}</resultMsg>"
        "</header></response>"
    )
    return Answer(body=body.encode("utf-8"), content_type=XML_TYPE, result=code)


def success(items: list[dict], num_rows: int, page_no: int) -> Answer:
    page = items[(page_no - 1) * num_rows : page_no * num_rows]
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f"<response><header><resultCode>00</resultCode><resultMsg>{MSG_NORMAL}</resultMsg></header><body><items>",
    ]
    for item in page:
        parts.append(
            "<item>" + "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in sorted(item.items())) + "</item>"
        )
    parts.append(
        f"</items><numOfRows>{num_rows}</numOfRows><pageNo>{page_no}</pageNo>"
        f"<totalCount>{len(items)}</totalCount></body></response>"
    )
    return Answer(body="".join(parts).encode("utf-8"), content_type=XML_TYPE, result="00")


def _date(text: str) -> dt.date | None:
    text = text.strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def _positive(text: str, default: int) -> int | None:
    text = text.strip()
    if not text:
        return default
    return int(text) if text.isdigit() and int(text) > 0 else None


def _normal(params: Mapping[str, str], ctx: EkapeContext, rule: FaultRule | None = None) -> Answer:
    key = params.get("serviceKey") or params.get("ServiceKey") or ""
    if key != ctx.service_key:
        return gateway(KEY_NOT_REGISTERED)
    if not params.get("startYmd", "").strip() or not params.get("endYmd", "").strip():
        return provider_error("11", "NO_MANDATORY_REQUEST_PARAMETERS_ERROR")
    start, end = _date(params["startYmd"]), _date(params["endYmd"])
    num_rows, page_no = _positive(params.get("numOfRows", ""), 10), _positive(params.get("pageNo", ""), 1)
    if start is None or end is None or start > end or num_rows is None or page_no is None:
        return provider_error("10", "INVALID_REQUEST_PARAMETER_ERROR")
    if start != end:
        # A period query aggregates per grade (reported [U]); the emulator serves one day at a time.
        return provider_error("10", "INVALID_REQUEST_PARAMETER_ERROR")
    sex_code = params.get("sexCd", "").strip()
    items = day_items(start, sex_code, params, ctx)
    if rule is not None and rule.scenario == "closed":
        amounts = ("Amt", "Cnt")
        items = [{k: v for k, v in item.items() if not k.endswith(amounts)} for item in items]
    if rule is not None and rule.scenario == "zero_amounts":
        items = [{**item, **ZERO_FIELDS} for item in items]
    if rule is not None and rule.scenario == "bad_values":
        fields = rule.options.get("fields") or ["c_1101eTotAmt"]
        value = rule.options.get("value", "NaN")
        items = [{**item, **dict.fromkeys(fields, value)} for item in items]
    return success(items, num_rows, page_no)


def handle(params: Mapping[str, str], ctx: EkapeContext, rule: FaultRule | None = None) -> Answer:
    """The answer to one pigGrade request, or the fault ``rule`` asks for."""
    if rule is None:
        return _normal(params, ctx)
    scenario = rule.scenario
    if scenario == "key_xml_200":
        return gateway(KEY_NOT_REGISTERED)
    if scenario == "quota_xml_200":
        return gateway(QUOTA_EXCEEDED)
    if scenario == "http_500":
        return Answer(status=500, body=b"Internal Server Error", content_type=TEXT_TYPE, result="http:500")
    if scenario == "html_502":
        body = b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"
        return Answer(status=502, body=body, content_type=HTML_TYPE, result="http:502")
    if scenario == "http_429":
        return Answer(status=429, body=b"Too Many Requests", content_type=TEXT_TYPE, result="http:429")
    if scenario == "empty_200":
        return Answer(body=b"", content_type=XML_TYPE, result="empty")
    if scenario == "nodata":
        return provider_error("03", "NODATA_ERROR")
    if scenario == "reset_connection":
        return Answer(reset=True, result="reset")
    if scenario == "malformed_xml":
        answer = _normal(params, ctx)
        answer.body, answer.result = answer.body[: max(1, len(answer.body) // 2)], "malformed"
        return answer
    if scenario == "timeout":
        answer = _normal(params, ctx)
        answer.delay_s = rule.seconds
        return answer
    return _normal(params, ctx, rule)  # closed, zero_amounts, bad_values: the normal answer, bent
