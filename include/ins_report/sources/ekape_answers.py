"""EKAPE ``grade/auct/pigGrade`` answers: the XML (``response/header``, ``body/items/item``) and the
gateway's ``OpenAPI_ServiceResponse`` errors parsed and classified, and one trading day's 암 and 거세 answers
turned into the national (excluding Jeju) price per grade, head-weighted. The client and the rows it writes
are in ``sources/ekape.py``."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from include.ins_report.model.plausible import Range
from include.ins_report.sources.errors import (
    GATEWAY_QUOTA,
    ApiDataError,
    PermanentApiError,
    TransientApiError,
    answer_body,
    gateway_error,
    quota_error,
)
from include.ins_report.sources.numbers import parse_decimal

API = "EKAPE"
# The request: one call per sex and day, 탕박.
SEXES = (("025001", "암"), ("025003", "거세"))
SKIN_YN = "Y"  # three of four public clients send Y for 탕박 (the guide's comment says the opposite)
PAGE_SIZE = 100  # a day's answer has a handful of grade rows
SKIN_NAME = "탕박"  # what every row's skinNm must say
AMOUNT_FIELD = "c_1101eTotAmt"
COUNT_FIELD = "c_1101eTotCnt"
# Category grade code -> the gradeNm of its row in the answer.
GRADES = {"1+": "1+", "1": "1", "2": "2", "OUT": "등외"}
EXCL_OUT_NAME = "등외제외"
HEADLINE_GRADES = ("1+", "1", "2")  # the grades of the 등외제외 figure when the answer has no such row
# Possible values: a carcass price outside this is not a pig price (the real range is about 3,000..8,000).
PRICE_RANGE = Range(500.0, 30_000.0, "원/kg")
HEAD_RANGE = Range(0.0, 1_000_000.0, "head")

_GATEWAY_PERMANENT = {
    "12": "the API service is unknown or retired: check the endpoint",
    "20": "access denied: apply for the 축산물등급판정정보 API (15058822) with the key's account",
    "30": "the service key is not registered: check the ekape_api connection's password "
    "(use the decoded key; it must be URL-encoded exactly once)",
    "31": "the service key has expired: renew it on data.go.kr",
    "32": "this machine's IP is not registered for the key",
    "33": "unsigned call: check the key",
}
_PROVIDER_PERMANENT = {
    "10": "invalid request parameter",
    "11": "a mandatory request parameter is missing",
    **_GATEWAY_PERMANENT,
}


# --- parsing -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeRow:
    """One item of a pigGrade answer: the national (excluding Jeju) price and heads of one grade row.

    ``amount``/``count`` are None when the row carries no amounts (no trades of that grade, or no auction):
    empty fields, or an amount and heads of ``0`` (how some closed days are answered). A price of 0 with
    heads is a data error.
    """

    grade_name: str
    sex_code: str
    skin_name: str
    start_ymd: str
    end_ymd: str
    amount: float | None
    count: float | None


def _text(node: ET.Element, tag: str) -> str:
    return (node.findtext(tag) or "").strip()


def _grade_row(item: ET.Element) -> GradeRow:
    fields = {child.tag: (child.text or "").strip() for child in item}
    grade = fields.get("gradeNm", "")
    sex = fields.get("judgeSexCd") or fields.get("judeSexCd", "")  # one source spells it judeSexCd
    where = f"{fields.get('startYmd') or '?'} {sex or '?'} grade {grade or '?'}"
    if not grade:
        raise ApiDataError(API, where, "row without a gradeNm")
    count = parse_decimal(
        fields.get(COUNT_FIELD), api=API, field=COUNT_FIELD, where=where, grouping=True, valid=HEAD_RANGE
    )
    if count is not None and count != int(count):
        raise ApiDataError(API, where, f"{COUNT_FIELD} {count:g} is not a head count")
    # With heads the price must be possible; without heads only its absence is checked (below).
    amount = parse_decimal(
        fields.get(AMOUNT_FIELD),
        api=API,
        field=AMOUNT_FIELD,
        where=where,
        grouping=True,
        valid=PRICE_RANGE if count else None,
    )
    if amount == 0 and not count:
        amount = None  # a closed day answered with zeros ("0" 원/kg, "0" heads): no trades, as empty
    if (amount is None) != (count is None or count == 0):
        raise ApiDataError(
            API,
            where,
            f"{AMOUNT_FIELD} {amount} with {COUNT_FIELD} {count}: a price needs heads and heads a price",
        )
    return GradeRow(
        grade_name=grade,
        sex_code=sex,
        skin_name=fields.get("skinNm", ""),
        start_ymd=fields.get("startYmd", ""),
        end_ymd=fields.get("endYmd", ""),
        amount=amount,
        count=count if count else None,
    )


def parse_pig_grade_response(status: int, text: str) -> list[GradeRow]:
    """Classify and parse one answer of pigGrade: its grade rows, or the classified error."""
    if "OpenAPI_ServiceResponse" in text:
        raise gateway_error(API, status, text, _GATEWAY_PERMANENT)
    stripped = answer_body(API, status, text, key_hint="check the ekape_api connection's key")
    try:
        root = ET.fromstring(stripped)
    except ET.ParseError:
        raise TransientApiError(API, "format", "malformed XML answer") from None
    if root.tag != "response":
        raise TransientApiError(API, "format", f"answer without a response envelope ({root.tag[:40]})")
    code = _text(root, "header/resultCode")
    message = _text(root, "header/resultMsg")
    if code == "03":
        # A day always has rows (without amounts when closed): no data means "not there yet", not "closed".
        raise TransientApiError(API, code, f"no data yet ({message or 'NODATA_ERROR'})")
    if code in _PROVIDER_PERMANENT:
        raise PermanentApiError(API, code, f"{_PROVIDER_PERMANENT[code]}: {message}")
    if code in GATEWAY_QUOTA:
        raise quota_error(API, code, message)  # the daily quota: not before 00:00 KST
    if code != "00":
        raise TransientApiError(API, code or "format", message or "no result code")
    body = root.find("body")
    items = [] if body is None else [_grade_row(item) for item in body.iter("item")]
    total = _text(root, "body/totalCount")
    if total:
        claimed = parse_decimal(total, api=API, field="totalCount", where="answer body")
        if claimed is not None and claimed > len(items):
            raise ApiDataError(
                API, "answer body", f"totalCount {claimed:g} but {len(items)} rows in one page of {PAGE_SIZE}"
            )
    return items


# --- one day -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    price: float | None  # 원/kg, head-weighted; None when nothing traded
    heads: int


@dataclass(frozen=True)
class AuctionDay:
    day: dt.date
    held: bool
    headline: Price  # 등외제외, national excluding Jeju
    grades: dict[str, Price]  # category grade code (1+, 1, 2, OUT) -> price


def weighted_price(parts: Iterable[tuple[float | None, float | None]]) -> Price:
    """Head-weighted average of (price, heads) pairs; pairs without heads do not count."""
    amount = 0.0
    heads = 0
    for price, count in parts:
        if price is None or not count:
            continue
        amount += price * count
        heads += int(count)
    return Price(round(amount / heads, 2) if heads else None, heads)


def _check_echo(rows: list[GradeRow], day: dt.date, sex_code: str) -> None:
    ymd = day.strftime("%Y%m%d")
    for row in rows:
        where = f"{ymd} {sex_code} grade {row.grade_name}"
        if row.sex_code != sex_code:
            raise ApiDataError(API, where, f"judgeSexCd {row.sex_code!r}, asked for {sex_code}")
        if (row.start_ymd, row.end_ymd) != (ymd, ymd):
            raise ApiDataError(
                API, where, f"startYmd..endYmd {row.start_ymd}..{row.end_ymd}, asked for {ymd}"
            )
        if row.skin_name and row.skin_name != SKIN_NAME:
            raise ApiDataError(
                API,
                where,
                f"skinNm {row.skin_name!r} for skinYn={SKIN_YN}: expected {SKIN_NAME} (check SKIN_YN)",
            )


def aggregate_day(day: dt.date, answers: dict[str, list[GradeRow]]) -> AuctionDay:
    """The day from its per-sex answers (sex code -> rows): headline and per-grade weighted prices."""
    ymd = day.strftime("%Y%m%d")
    for sex_code, _ in SEXES:
        if sex_code not in answers:
            raise ValueError(f"{ymd}: no answer for sex {sex_code}")
        if not answers[sex_code]:
            # A closed day still has rows without amounts; an empty list is not a documented answer.
            raise ApiDataError(API, f"{ymd} {sex_code}", "answer without rows (a closed day has rows too)")
        _check_echo(answers[sex_code], day, sex_code)

    def parts(sex_rows: list[GradeRow], grade_name: str) -> list[tuple[float | None, float | None]]:
        found = [(row.amount, row.count) for row in sex_rows if row.grade_name == grade_name]
        if len(found) > 1:
            raise ApiDataError(API, f"{ymd} grade {grade_name}", "the grade appears twice in one answer")
        return found

    grades = {
        code: weighted_price(part for rows in answers.values() for part in parts(rows, name))
        for code, name in GRADES.items()
    }
    headline_parts: list[tuple[float | None, float | None]] = []
    for rows in answers.values():
        row = parts(rows, EXCL_OUT_NAME)
        if row:
            headline_parts += row
        else:  # no 등외제외 row: the same mean from the grade rows
            headline_parts += [part for name in HEADLINE_GRADES for part in parts(rows, GRADES[name])]
    headline = weighted_price(headline_parts)
    held = any(row.count for rows in answers.values() for row in rows)
    if held and headline.price is None:
        raise ApiDataError(API, ymd, "heads were traded but no 등외제외 price can be formed")
    return AuctionDay(day=day, held=held, headline=headline, grades=grades)
