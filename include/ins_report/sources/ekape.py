"""EKAPE (축산물품질평가원) daily pig carcass auction prices: ``grade/auct/pigGrade`` into TA_STATS_DATA.

The operation answers XML only (``response/header/resultCode``, ``body/items/item``), one item per
grade (``1+``, ``1``, ``2``, ``등외`` and summary rows such as ``등외제외``), each with per-market prices
(원/kg) and head counts; ``c_1101eTotAmt``/``c_1101eTotCnt`` is the national figure excluding Jeju.
Key and quota errors come from the data.go.kr gateway as an ``OpenAPI_ServiceResponse`` document,
usually with HTTP 200. (Reference: shared/reference/external-apis.md section 3.)

One trading day costs ``CALLS_PER_DAY`` calls, one per sex: 암 (``025001``) and 거세 (``025003``), 탕박
(``skinYn=Y``). Each row's echoed ``judgeSexCd``, ``startYmd``/``endYmd`` and ``skinNm`` are checked (a wrong
code is echoed back instead of an error): a mismatch is a data error, never stored.

Rows in TA_STATS_DATA (SOURCE ``EKAPE``, SERIES_ID ``SERIES_ID``, PERIOD_TYPE ``D``, PERIOD ``YYYYMMDD``):

- ``AUCTION_HELD`` / ``ALL/NAT_EXJ``: 1 when the day had auctions (any head in the national figure
  excluding Jeju), 0 when it had none (Sundays, holidays: the API answers rows without amounts). Every day
  of the week gets this row: "no auction" is recorded, never left as missing data.
- On auction days only: ``PRICE`` (원/kg) and ``HEADS`` (두) for the categories ``<grade>/NAT_EXJ``, grade
  ``EXCL_OUT`` (등외제외, the headline "전국 탕박 등외제외 제주제외" price), ``1+``, ``1``, ``2``, ``OUT``
  (등외). Each price is the head-weighted average of the 암 and 거세 calls:
  ``Σ(c_1101eTotAmt · c_1101eTotCnt) / Σ c_1101eTotCnt``. A grade without trades that day has ``HEADS`` 0
  and no ``PRICE`` row. A price is never 0 and never written for a day without auctions.

The headline comes from the answer's ``등외제외`` row; an answer without that row gets it from the grade rows
``1+``, ``1`` and ``2`` (the same head-weighted mean).

Finalisation: a day's prices may still change until 10:00 KST the next day (``is_final``). The client
refuses to fetch a day that is not final: ``fetch_day``/``fetch_week`` raise ``TransientApiError`` with code
``not_final`` (``not_final(exc)`` tells it apart) before any call, so Airflow retries later and nothing
provisional is ever stored. The Monday 02:00 run therefore waits for Sunday to be final (Monday 10:00 KST,
``week_final_at``), inside the weather's publication window (default until 12:00).

Quota: the development key allows ``Settings.ekape_daily_quota`` (1,000) calls a day; ``fetch_week``
checks ``calls_for_week`` against it before any call (``check_quota``), as the weather plan does for KMA.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

import pendulum

from include.ins_report import clock
from include.ins_report.clock import KST
from include.ins_report.plausible import Range
from include.ins_report.settings import Settings
from include.ins_report.sources.errors import (
    ApiDataError,
    ApiError,
    PermanentApiError,
    TransientApiError,
)
from include.ins_report.sources.http import api_key, http_get, slot_interval
from include.ins_report.sources.numbers import parse_decimal
from include.ins_report.week import ReportWeek

log = logging.getLogger(__name__)

API = "EKAPE"
SOURCE = "EKAPE"
ENDPOINT = "/openapi-data/service/user/grade/auct/pigGrade"

# --- what lands in TA_STATS_DATA -------------------------------------------------------------------------
SERIES_ID = "EKAPE/PIG_TANGBAK"  # pigGrade, 탕박, 암 + 거세
PERIOD_TYPE = "D"
ITEM_AUCTION_HELD = "AUCTION_HELD"
ITEM_PRICE = "PRICE"
ITEM_HEADS = "HEADS"
ITEM_NAMES = {
    ITEM_AUCTION_HELD: "경매 실시 여부 (1 실시, 0 휴장)",
    ITEM_PRICE: "탕박 경락가격 (암·거세 가중평균)",
    ITEM_HEADS: "탕박 경락두수 (암·거세)",
}
ITEM_UNITS = {ITEM_AUCTION_HELD: "", ITEM_PRICE: "원/kg", ITEM_HEADS: "두"}
MARKET_NATIONAL_EXCL_JEJU = "NAT_EXJ"  # c_1101eTot*: 전국 (제주 제외)
MARKET_NAME = "전국(제주제외)"
GRADE_ALL = "ALL"
GRADE_EXCL_OUT = "EXCL_OUT"  # 등외제외: the headline
# Category grade code -> the gradeNm of its row in the answer.
GRADES = {"1+": "1+", "1": "1", "2": "2", "OUT": "등외"}
GRADE_NAMES = {GRADE_ALL: "전체", GRADE_EXCL_OUT: "등외제외", **GRADES}
EXCL_OUT_NAME = "등외제외"
HEADLINE_GRADES = ("1+", "1", "2")  # the grades of the 등외제외 figure when the answer has no such row
CATEGORY_AUCTION = f"{GRADE_ALL}/{MARKET_NATIONAL_EXCL_JEJU}"
CATEGORY_HEADLINE = f"{GRADE_EXCL_OUT}/{MARKET_NATIONAL_EXCL_JEJU}"

# --- request -------------------------------------------------------------------------------------------
SEXES = (("025001", "암"), ("025003", "거세"))
CALLS_PER_DAY = len(SEXES)
SKIN_YN = "Y"  # three of four public clients send Y for 탕박 (the guide's comment says the opposite)
SKIN_NAME = "탕박"  # what every row's skinNm must say
EGRADE_EXCEPT_YN = "Y"  # the per-grade table with 등외; the headline is read from the 등외제외 row by name
PAGE_SIZE = 100  # a day's answer has a handful of grade rows
AMOUNT_FIELD = "c_1101eTotAmt"
COUNT_FIELD = "c_1101eTotCnt"

# A day's prices may change until 10:00 KST the next day (ekapepia).
FINAL_AT = dt.time(10, 0)

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
_QUOTA_CODES = {"22": "the daily request quota is used up", "23": "too many requests per second"}


# --- finalisation and quota ------------------------------------------------------------------------------


def final_at(day: dt.date) -> pendulum.DateTime:
    """When ``day``'s prices stop changing: 10:00 KST the next day."""
    after = day + dt.timedelta(days=1)
    return pendulum.datetime(after.year, after.month, after.day, FINAL_AT.hour, FINAL_AT.minute, tz=KST)


def is_final(day: dt.date, now: dt.datetime) -> bool:
    """True once ``day``'s auction prices can no longer change (``now`` must be timezone-aware)."""
    if now.tzinfo is None:
        raise ValueError("is_final needs a timezone-aware now")
    return now >= final_at(day)


def week_final_at(week: ReportWeek) -> pendulum.DateTime:
    """When the whole week is final: its Sunday's ``final_at`` (Monday 10:00 KST)."""
    return final_at(week.end)


def not_final(exc: ApiError) -> bool:
    """The client's refusal of a day that is not final yet, as opposed to a fault."""
    return exc.api == API and exc.code == "not_final"


def calls_for_days(days: Iterable[dt.date]) -> int:
    return CALLS_PER_DAY * len(set(days))


def calls_for_week(week: ReportWeek) -> int:
    """API calls one week's collection makes (without retries): one per day and sex."""
    return calls_for_days(week.days)


def check_quota(calls: int, settings: Settings) -> None:
    """Fail at once (permanent) when ``calls`` exceed the key's daily quota."""
    if calls > settings.ekape_daily_quota:
        raise PermanentApiError(
            API,
            "quota",
            f"the collection needs {calls} EKAPE calls, more than the daily quota of "
            f"{settings.ekape_daily_quota} (INS_EKAPE_DAILY_QUOTA): raise the key's quota first",
        )


def periods_for_week(week: ReportWeek) -> list[str]:
    """The PERIOD values a complete week has (every day: at least its AUCTION_HELD row)."""
    return [day.strftime("%Y%m%d") for day in week.days]


# --- parsing -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeRow:
    """One item of a pigGrade answer: the national (excluding Jeju) price and heads of one grade row.

    ``amount``/``count`` are None when the row carries no amounts (no trades of that grade, or no auction).
    """

    grade_name: str
    sex_code: str
    skin_name: str
    start_ymd: str
    end_ymd: str
    amount: float | None
    count: float | None


def _gateway_error(status: int, text: str) -> TransientApiError | PermanentApiError:
    code_match = re.search(r"returnReasonCode\W+(\d+)", text)
    code = code_match.group(1) if code_match else "gateway"
    # errMsg and returnAuthMsg swap roles between the classic and newer forms: the name is the upper-case one.
    messages = re.findall(r"<(?:errMsg|returnAuthMsg)>([^<]*)<", text)
    messages += re.findall(r'"(?:errMsg|returnAuthMsg)"\s*:\s*"([^"]*)"', text)
    name = next((m.strip() for m in messages if re.fullmatch(r"[A-Z][A-Z0-9_]+", m.strip())), "gateway error")
    if code in _GATEWAY_PERMANENT:
        return PermanentApiError(API, code, f"{name}: {_GATEWAY_PERMANENT[code]}")
    if code in _QUOTA_CODES:
        return TransientApiError(API, code, f"{name}: {_QUOTA_CODES[code]}; retry later")
    return TransientApiError(API, code, f"{name} (HTTP {status})")


def _text(node: ET.Element, tag: str) -> str:
    return (node.findtext(tag) or "").strip()


def _grade_row(item: ET.Element) -> GradeRow:
    fields = {child.tag: (child.text or "").strip() for child in item}
    grade = fields.get("gradeNm", "")
    sex = fields.get("judgeSexCd") or fields.get("judeSexCd", "")  # one source spells it judeSexCd
    where = f"{fields.get('startYmd') or '?'} {sex or '?'} grade {grade or '?'}"
    if not grade:
        raise ApiDataError(API, where, "row without a gradeNm")
    amount = parse_decimal(
        fields.get(AMOUNT_FIELD), api=API, field=AMOUNT_FIELD, where=where, grouping=True, valid=PRICE_RANGE
    )
    count = parse_decimal(
        fields.get(COUNT_FIELD), api=API, field=COUNT_FIELD, where=where, grouping=True, valid=HEAD_RANGE
    )
    if count is not None and count != int(count):
        raise ApiDataError(API, where, f"{COUNT_FIELD} {count:g} is not a head count")
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
        raise _gateway_error(status, text)
    if status == 429:
        raise TransientApiError(API, "429", "too many requests")
    if status >= 500:
        raise TransientApiError(API, str(status), "server error")
    if status in (401, 403):
        raise PermanentApiError(API, str(status), "not authorised: check the ekape_api connection's key")
    if status >= 400:
        raise PermanentApiError(API, str(status), "request rejected")
    stripped = text.strip()
    if not stripped:
        raise TransientApiError(API, "empty", "empty answer")
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
    if code in _QUOTA_CODES:
        raise TransientApiError(API, code, f"{_QUOTA_CODES[code]}; retry later")
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


def stats_rows(days: Iterable[AuctionDay], *, run_id: str, collected_at: str) -> list[dict]:
    """TA_STATS_DATA rows (the dict shape of ``Warehouse.upsert_stats``) for the days."""
    rows: list[dict] = []

    def row(day: AuctionDay, item: str, grade: str, value: float | None) -> dict:
        return {
            "source": SOURCE,
            "series_id": SERIES_ID,
            "item_id": item,
            "item_nm": ITEM_NAMES[item],
            "category_id": f"{grade}/{MARKET_NATIONAL_EXCL_JEJU}",
            "category_nm": f"{GRADE_NAMES[grade]}/{MARKET_NAME}",
            "period_type": PERIOD_TYPE,
            "period": day.day.strftime("%Y%m%d"),
            "value": value,
            "unit": ITEM_UNITS[item],
            "collected_at": collected_at,
            "run_id": run_id,
        }

    for day in days:
        rows.append(row(day, ITEM_AUCTION_HELD, GRADE_ALL, 1.0 if day.held else 0.0))
        if not day.held:
            continue
        for grade, price in ((GRADE_EXCL_OUT, day.headline), *day.grades.items()):
            rows.append(row(day, ITEM_HEADS, grade, float(price.heads)))
            if price.price is not None:
                rows.append(row(day, ITEM_PRICE, grade, price.price))
    return rows


# --- the client --------------------------------------------------------------------------------------------


class EkapeClient:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _refuse_unfinal(self, days: list[dt.date], now: dt.datetime | None) -> None:
        moment = now if now is not None else clock.now()
        early = [day for day in days if not is_final(day, moment)]
        if early:
            last = max(early)
            raise TransientApiError(
                API,
                "not_final",
                f"prices of {', '.join(day.isoformat() for day in sorted(early))} may still change until "
                f"{final_at(last).format('YYYY-MM-DD HH:mm')} KST; retry after that",
            )

    def _call(self, key: str, day: dt.date, sex_code: str) -> list[GradeRow]:
        ymd = day.strftime("%Y%m%d")
        params = {
            "serviceKey": key,
            "startYmd": ymd,
            "endYmd": ymd,
            "skinYn": SKIN_YN,
            "sexCd": sex_code,
            "egradeExceptYn": EGRADE_EXCEPT_YN,
            "numOfRows": str(PAGE_SIZE),
            "pageNo": "1",
        }
        return http_get(
            API,
            self.settings.ekape_conn_id,
            ENDPOINT,
            params,
            parse_pig_grade_response,
            attempts=self.settings.http_attempts,
            backoff_seconds=self.settings.http_backoff_seconds,
            timeout_seconds=self.settings.http_timeout_seconds,
            min_interval_seconds=slot_interval(
                self.settings.ekape_pool_slots, self.settings.ekape_calls_per_second
            ),
        )

    def fetch_days(self, days: Iterable[dt.date], now: dt.datetime | None = None) -> list[AuctionDay]:
        """Every day in ``days`` (all must be final, and fit the quota: checked before any call)."""
        wanted = sorted(set(days))
        check_quota(calls_for_days(wanted), self.settings)
        self._refuse_unfinal(wanted, now)
        key = api_key(self.settings.ekape_conn_id)
        result = []
        for day in wanted:
            answers = {sex_code: self._call(key, day, sex_code) for sex_code, _ in SEXES}
            auction = aggregate_day(day, answers)
            log.info(
                "%s %s: %s",
                API,
                day,
                f"{auction.headline.price:,.0f} 원/kg ({auction.headline.heads} head)"
                if auction.held
                else "no auction",
            )
            result.append(auction)
        return result

    def fetch_day(self, day: dt.date, now: dt.datetime | None = None) -> AuctionDay:
        return self.fetch_days([day], now)[0]

    def fetch_week(self, week: ReportWeek, now: dt.datetime | None = None) -> list[AuctionDay]:
        return self.fetch_days(week.days, now)
