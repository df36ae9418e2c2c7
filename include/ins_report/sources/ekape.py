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
  excluding Jeju), 0 when it had none (Sundays, holidays: the API answers rows without amounts, or with
  amounts and heads ``0``). Every day of the week gets this row: "no auction" is recorded, never left as
  missing data.
- On auction days only: ``PRICE`` (원/kg) and ``HEADS`` (두) for the categories ``<grade>/NAT_EXJ``, grade
  ``EXCL_OUT`` (등외제외, the headline "전국 탕박 등외제외 제주제외" price), ``1+``, ``1``, ``2``, ``OUT``
  (등외). Each price is the head-weighted average of the 암 and 거세 calls:
  ``Σ(c_1101eTotAmt · c_1101eTotCnt) / Σ c_1101eTotCnt``. A grade without trades that day has ``HEADS`` 0
  and no ``PRICE`` row. A price is never 0 and never written for a day without auctions.

The headline comes from the answer's ``등외제외`` row; an answer without that row gets it from the grade rows
``1+``, ``1`` and ``2`` (the same head-weighted mean).

Calendar: a working day (Monday to Friday, not a Korean public holiday) without auction, or an auction on a
public holiday or a Sunday, is odd but not wrong: ``calendar_warnings`` says so in one sentence per day, for
the job log (``sources/ekape_calendar.py`` has the rule; Saturdays may or may not trade).

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
from collections.abc import Iterable

import pendulum

from include.ins_report.config.settings import Settings
from include.ins_report.model import clock
from include.ins_report.model.clock import KST
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import ekape_calendar
from include.ins_report.sources.ekape_answers import (
    API,
    GRADES,
    PAGE_SIZE,
    SEXES,
    SKIN_YN,
    AuctionDay,
    GradeRow,
    aggregate_day,
    parse_pig_grade_response,
)
from include.ins_report.sources.errors import (
    ApiError,
    PermanentApiError,
    TransientApiError,
)
from include.ins_report.sources.http import ApiEndpoint, CallPolicy

log = logging.getLogger(__name__)

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
GRADE_NAMES = {GRADE_ALL: "전체", GRADE_EXCL_OUT: "등외제외", **GRADES}
CATEGORY_AUCTION = f"{GRADE_ALL}/{MARKET_NATIONAL_EXCL_JEJU}"
CATEGORY_HEADLINE = f"{GRADE_EXCL_OUT}/{MARKET_NATIONAL_EXCL_JEJU}"

# --- request -------------------------------------------------------------------------------------------
CALLS_PER_DAY = len(SEXES)
EGRADE_EXCEPT_YN = "Y"  # the per-grade table with 등외; the headline is read from the 등외제외 row by name

# A day's prices may change until 10:00 KST the next day (ekapepia).
FINAL_AT = dt.time(10, 0)


# --- finalisation and quota ------------------------------------------------------------------------------


def final_at(day: dt.date, at: dt.time = FINAL_AT) -> pendulum.DateTime:
    """When ``day``'s prices stop changing: ``at`` (10:00, INS_EKAPE_FINAL_AT) KST the next day."""
    after = day + dt.timedelta(days=1)
    return pendulum.datetime(after.year, after.month, after.day, at.hour, at.minute, tz=KST)


def is_final(day: dt.date, now: dt.datetime, at: dt.time = FINAL_AT) -> bool:
    """True once ``day``'s auction prices can no longer change (``now`` must be timezone-aware)."""
    if now.tzinfo is None:
        raise ValueError("is_final needs a timezone-aware now")
    return now >= final_at(day, at)


def week_final_at(week: ReportWeek, at: dt.time = FINAL_AT) -> pendulum.DateTime:
    """When the whole week is final: its Sunday's ``final_at`` (Monday 10:00 KST)."""
    return final_at(week.end, at)


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


def calendar_warnings(days: Iterable[AuctionDay]) -> tuple[str, ...]:
    """One sentence per day against the auction calendar, in day order: ``2026-11-18 (Wed): no auction on a
    working day``, ``2026-10-03 (Sat, 개천절): auction on a public holiday``; () for an ordinary week."""
    found = (ekape_calendar.warning(day.day, day.held) for day in sorted(days, key=lambda day: day.day))
    return tuple(text for text in found if text)


def stats_rows(days: Iterable[AuctionDay], *, run_id: str, collected_at: str) -> list[dict]:
    """TA_STATS_DATA rows (the dict shape of ``FarmDatabase.upsert_stats``) for the days."""
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
    """EKAPE's pigGrade operation on its connection (``endpoint``, built at the Airflow edge)."""

    def __init__(self, settings: Settings, endpoint: ApiEndpoint) -> None:
        self.settings = settings
        self.endpoint = endpoint
        self.policy = CallPolicy.of(settings, settings.ekape_pool_slots, settings.ekape_calls_per_second)

    def _refuse_unfinal(self, days: list[dt.date], now: dt.datetime | None) -> None:
        moment = now if now is not None else clock.now()
        at = self.settings.ekape_final_time
        early = [day for day in days if not is_final(day, moment, at)]
        if early:
            last = max(early)
            raise TransientApiError(
                API,
                "not_final",
                f"prices of {', '.join(day.isoformat() for day in sorted(early))} may still change until "
                f"{final_at(last, at).format('YYYY-MM-DD HH:mm')} KST; retry after that",
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
        return self.endpoint.get(API, ENDPOINT, params, parse_pig_grade_response, self.policy)

    def fetch_days(self, days: Iterable[dt.date], now: dt.datetime | None = None) -> list[AuctionDay]:
        """Every day in ``days`` (all must be final, and fit the quota: checked before any call)."""
        wanted = sorted(set(days))
        check_quota(calls_for_days(wanted), self.settings)
        self._refuse_unfinal(wanted, now)
        key = self.endpoint.key
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
