"""EKAPE pig carcass prices: the XML parser on the documented formats, the day's aggregation, finalisation,
the quota, and the client against the emulator (faults, closed days, days not final yet)."""

from __future__ import annotations

import datetime as dt
import json

import pendulum
import pytest
import requests

from include.ins_report.airflow_edge.connections import api_endpoint
from include.ins_report.config.settings import Settings
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import ekape
from include.ins_report.sources import ekape_answers as answers
from include.ins_report.sources.ekape import EkapeClient, GradeRow, parse_pig_grade_response
from include.ins_report.sources.errors import ApiDataError, PermanentApiError, TransientApiError
from tests.support.steps import step_context
from tests.unit.test_parsers import GATEWAY_KEY_CLASSIC, GATEWAY_KEY_NEW

KST = pendulum.timezone("Asia/Seoul")
WEEK = ReportWeek(dt.date(2026, 11, 16))  # Sunday 2026-11-22 closed
AFTER_WEEK = pendulum.datetime(2026, 11, 30, 3, tz=KST)
ATTEMPTS = 3
SETTINGS = Settings(
    http_attempts=ATTEMPTS, http_backoff_seconds=0.01, http_timeout_seconds=1.0, ekape_calls_per_second=0
)


# --- documented bodies (shared/reference/external-apis.md section 3 and 1d) -------------------------------


def item(sex: str = "025001", grade: str = "1+", day: str = "20250609", **amounts: str) -> str:
    fields = {
        "gradeNm": grade,
        "skinYn": "Y",
        "skinNm": "탕박",
        "judgeSexCd": sex,
        "judgeSexNm": {"025001": "암", "025003": "거세"}.get(sex, ""),
        "startYmd": day,
        "endYmd": day,
        **amounts,
    }
    return "<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items()) + "</item>"


def envelope(*items: str, total: int | None = None) -> str:
    count = len(items) if total is None else total
    return (
        "<response><header><resultCode>00</resultCode><resultMsg>NORMAL SERVICE.</resultMsg></header>"
        f"<body><items>{''.join(items)}</items><numOfRows>10</numOfRows><pageNo>1</pageNo>"
        f"<totalCount>{count}</totalCount></body></response>"
    )


# The reference's example item, as documented.
REFERENCE_SUCCESS = """<response>
  <header><resultCode>00</resultCode><resultMsg>NORMAL SERVICE.</resultMsg></header>
  <body><items>
    <item><gradeNm>1+</gradeNm><skinYn>Y</skinYn><skinNm>탕박</skinNm><judgeSexCd>025001</judgeSexCd><judgeSexNm>암</judgeSexNm>
          <startYmd>20250609</startYmd><endYmd>20250609</endYmd>
          <c_1101eTotAmt>6233</c_1101eTotAmt><c_1101eTotCnt>2052</c_1101eTotCnt><CTotAmt>6471</CTotAmt><CTotCnt>2884</CTotCnt></item>
  </items><numOfRows>10</numOfRows><pageNo>1</pageNo><totalCount>1</totalCount></body>
</response>"""

# data.go.kr's gateway answers are the same for every API behind it (captured for KMA).
KEY_CLASSIC, KEY_NEW = GATEWAY_KEY_CLASSIC, GATEWAY_KEY_NEW
QUOTA = KEY_CLASSIC.replace(
    "SERVICE_KEY_IS_NOT_REGISTERED_ERROR", "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR"
).replace(">30<", ">22<")


def test_reference_success_body():
    [row] = parse_pig_grade_response(200, REFERENCE_SUCCESS)
    assert row == GradeRow("1+", "025001", "탕박", "20250609", "20250609", 6233.0, 2052.0)


def test_thousands_separators_are_accepted_but_not_other_commas():
    [row] = parse_pig_grade_response(200, envelope(item(c_1101eTotAmt="6,233", c_1101eTotCnt="2,052")))
    assert (row.amount, row.count) == (6233.0, 2052.0)
    with pytest.raises(ApiDataError, match="c_1101eTotAmt '62,33'"):
        parse_pig_grade_response(200, envelope(item(c_1101eTotAmt="62,33", c_1101eTotCnt="2")))


def test_closed_day_rows_have_no_amounts():
    body = envelope(*(item(grade=grade, day="20250608") for grade in ("1+", "1", "2", "등외", "등외제외")))
    rows = parse_pig_grade_response(200, body)
    assert len(rows) == 5
    assert all(row.amount is None and row.count is None for row in rows)


@pytest.mark.parametrize(("status", "body"), [(200, KEY_CLASSIC), (403, KEY_NEW)])
def test_key_errors_are_permanent_and_say_what_to_fix(status, body):
    with pytest.raises(PermanentApiError, match=r"SERVICE_KEY_IS_NOT_REGISTERED_ERROR.*ekape_api") as caught:
        parse_pig_grade_response(status, body)
    assert caught.value.code == "30"


def test_quota_is_transient():
    with pytest.raises(TransientApiError, match="quota") as caught:
        parse_pig_grade_response(200, QUOTA)
    assert caught.value.code == "22"


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (200, REFERENCE_SUCCESS[: len(REFERENCE_SUCCESS) // 2], "format"),
        (200, "", "empty"),
        (200, "<html><body>Bad Gateway</body></html>", "format"),
        (502, "<html>Bad Gateway</html>", "502"),
        (429, "Too Many Requests", "429"),
        (
            200,
            "<response><header><resultCode>03</resultCode><resultMsg>NODATA_ERROR</resultMsg></header></response>",
            "03",
        ),
        (
            200,
            "<response><header><resultCode>05</resultCode><resultMsg>SERVICETIME_OUT</resultMsg></header></response>",
            "05",
        ),
    ],
)
def test_transient_answers(status, body, code):
    with pytest.raises(TransientApiError) as caught:
        parse_pig_grade_response(status, body)
    assert caught.value.code == code


def test_bad_request_is_permanent():
    body = (
        "<response><header><resultCode>10</resultCode>"
        "<resultMsg>INVALID_REQUEST_PARAMETER_ERROR</resultMsg></header></response>"
    )
    with pytest.raises(PermanentApiError, match="invalid request parameter"):
        parse_pig_grade_response(200, body)


@pytest.mark.parametrize(
    ("amounts", "problem"),
    [
        ({"c_1101eTotAmt": "NaN", "c_1101eTotCnt": "10"}, "c_1101eTotAmt 'NaN' is not a decimal"),
        ({"c_1101eTotAmt": "0", "c_1101eTotCnt": "10"}, "c_1101eTotAmt 0 is outside"),
        ({"c_1101eTotAmt": "6000", "c_1101eTotCnt": ""}, "a price needs heads"),
        ({"c_1101eTotAmt": "", "c_1101eTotCnt": "12"}, "a price needs heads"),
        ({"c_1101eTotAmt": "6000", "c_1101eTotCnt": "1.5"}, "not a head count"),
    ],
)
def test_bad_values_are_data_errors_naming_the_field(amounts, problem):
    with pytest.raises(ApiDataError, match=problem):
        parse_pig_grade_response(200, envelope(item(**amounts)))


def test_a_row_of_zero_amount_and_zero_heads_is_a_row_without_trades():
    [zero, empty] = parse_pig_grade_response(
        200,
        envelope(
            item(c_1101eTotAmt="0", c_1101eTotCnt="0"), item(grade="1", c_1101eTotAmt="0", c_1101eTotCnt="")
        ),
    )
    assert (zero.amount, zero.count) == (None, None)
    assert (empty.amount, empty.count) == (None, None)


@pytest.mark.parametrize(
    ("amounts", "problem"),
    [
        ({"c_1101eTotAmt": "0", "c_1101eTotCnt": "12"}, "c_1101eTotAmt 0 is outside the possible 500..30000"),
        ({"c_1101eTotAmt": "0.0", "c_1101eTotCnt": "1,200"}, "c_1101eTotAmt 0 is outside the possible"),
        ({"c_1101eTotAmt": "6000", "c_1101eTotCnt": "0"}, "a price needs heads"),
        ({"c_1101eTotAmt": "-5", "c_1101eTotCnt": "0"}, "a price needs heads"),
    ],
)
def test_a_zero_price_with_heads_is_a_data_error_naming_the_field_and_day(amounts, problem):
    with pytest.raises(ApiDataError, match=problem) as caught:
        parse_pig_grade_response(200, envelope(item(day="20261118", **amounts)))
    assert caught.value.where == "20261118 025001 grade 1+"


def test_more_rows_than_one_page_is_a_data_error():
    with pytest.raises(ApiDataError, match="totalCount 150"):
        parse_pig_grade_response(200, envelope(item(c_1101eTotAmt="6000", c_1101eTotCnt="5"), total=150))


# --- one day: weighted averages and the "no auction" record ------------------------------------------------

DAY = dt.date(2025, 6, 9)


def rows(sex: str, day: str = "20250609", **grades: tuple[int, int] | None) -> list[GradeRow]:
    names = {"p1": "1+", "g1": "1", "g2": "2", "out": "등외", "excl": "등외제외"}
    result = []
    for key, value in grades.items():
        amount, count = value if value else (None, None)
        result.append(GradeRow(names[key], sex, "탕박", day, day, amount, count))
    return result


def test_headline_is_the_head_weighted_mean_of_the_two_calls_excl_rows():
    day = answers.aggregate_day(
        DAY,
        {
            "025001": rows("025001", p1=(6200, 1000), out=(3500, 100), excl=(6000, 3000)),
            "025003": rows("025003", p1=(6300, 500), out=(3400, 50), excl=(6100, 1000)),
        },
    )
    assert day.held
    assert day.headline == answers.Price((6000 * 3000 + 6100 * 1000) / 4000, 4000)  # 6025
    assert day.grades["1+"] == answers.Price(round((6200 * 1000 + 6300 * 500) / 1500, 2), 1500)
    assert day.grades["OUT"] == answers.Price(round((3500 * 100 + 3400 * 50) / 150, 2), 150)
    assert day.grades["2"] == answers.Price(None, 0)


def test_headline_without_an_excl_row_comes_from_the_grades_without_out():
    day = answers.aggregate_day(
        DAY,
        {
            "025001": rows("025001", p1=(6200, 100), g1=(6100, 200), g2=(5800, 100), out=(3500, 50)),
            "025003": rows("025003", p1=None, g1=None, g2=None, out=None),
        },
    )
    assert day.headline == answers.Price((6200 * 100 + 6100 * 200 + 5800 * 100) / 400, 400)  # 6050, no 등외


def test_a_closed_day_is_recorded_as_no_auction_without_prices():
    closed = {
        sex: rows(sex, "20250608", p1=None, g1=None, g2=None, out=None, excl=None)
        for sex in ("025001", "025003")
    }
    day = answers.aggregate_day(dt.date(2025, 6, 8), closed)
    assert not day.held
    written = ekape.stats_rows([day], run_id="r1", collected_at="2025-06-16 02:00:00")
    assert written == [
        {
            "source": "EKAPE", "series_id": "EKAPE/PIG_TANGBAK", "item_id": "AUCTION_HELD",
            "item_nm": ekape.ITEM_NAMES["AUCTION_HELD"], "category_id": "ALL/NAT_EXJ",
            "category_nm": "전체/전국(제주제외)", "period_type": "D", "period": "20250608", "value": 0.0,
            "unit": "", "collected_at": "2025-06-16 02:00:00", "run_id": "r1",
        }
    ]  # fmt: skip


def zero_answer(sex: str, day: str) -> str:
    """A closed day answered with zeros: every grade row's amount and heads ``0``."""
    zeros = {"c_1101eTotAmt": "0", "c_1101eTotCnt": "0", "CTotAmt": "0", "CTotCnt": "0"}
    return envelope(
        *(item(sex, grade, day, **zeros) for grade in ("1+", "1", "2", "등외", "등외제외", "합계"))
    )


def test_a_day_answered_with_zeros_is_no_auction_like_an_empty_one():
    holiday = dt.date(2026, 9, 25)  # 추석, a Friday
    answered = {
        sex: parse_pig_grade_response(200, zero_answer(sex, "20260925")) for sex in ("025001", "025003")
    }
    day = answers.aggregate_day(holiday, answered)
    assert not day.held
    assert day.headline == answers.Price(None, 0)
    assert all(price == answers.Price(None, 0) for price in day.grades.values())
    written = ekape.stats_rows([day], run_id="r1", collected_at="x")
    assert [(row["item_id"], row["value"]) for row in written] == [("AUCTION_HELD", 0.0)]
    assert ekape.calendar_warnings([day]) == ()  # a holiday without auction is normal


def test_auction_day_rows_never_hold_a_zero_price():
    day = answers.aggregate_day(
        DAY,
        {
            "025001": rows("025001", p1=(6200, 100), g1=(6100, 200), g2=None, out=None, excl=(6133, 300)),
            "025003": rows("025003", p1=None, g1=None, g2=None, out=None, excl=None),
        },
    )
    written = ekape.stats_rows([day], run_id="r1", collected_at="x")
    by_key = {(row["item_id"], row["category_id"]): row["value"] for row in written}
    assert by_key[("AUCTION_HELD", "ALL/NAT_EXJ")] == 1.0
    assert by_key[("PRICE", "EXCL_OUT/NAT_EXJ")] == 6133.0
    assert by_key[("HEADS", "EXCL_OUT/NAT_EXJ")] == 300.0
    assert by_key[("HEADS", "2/NAT_EXJ")] == 0.0
    assert ("PRICE", "2/NAT_EXJ") not in by_key  # no trades: no price, never 0
    assert all(row["value"] > 0 for row in written if row["item_id"] == "PRICE")
    assert {row["period"] for row in written} == {"20250609"}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"sex_code": "025002"}, "judgeSexCd '025002', asked for 025001"),
        ({"start_ymd": "20250610"}, "startYmd..endYmd 20250610..20250609"),
        ({"skin_name": "박피"}, "skinNm '박피'"),
    ],
)
def test_echoed_inputs_that_differ_from_the_request_are_data_errors(change, problem):
    wrong = rows("025001", p1=(6200, 100))[0]
    wrong = GradeRow(**{**wrong.__dict__, **change})
    with pytest.raises(ApiDataError, match=problem):
        answers.aggregate_day(DAY, {"025001": [wrong], "025003": rows("025003", p1=None)})


def test_an_answer_without_rows_is_not_a_closed_day():
    with pytest.raises(ApiDataError, match="answer without rows"):
        answers.aggregate_day(DAY, {"025001": [], "025003": rows("025003", p1=None)})


# --- finalisation and quota --------------------------------------------------------------------------------


def test_a_day_is_final_at_ten_the_next_day_kst():
    saturday = dt.date(2026, 11, 21)
    assert not ekape.is_final(saturday, pendulum.datetime(2026, 11, 22, 9, 59, 59, tz=KST))
    assert ekape.is_final(saturday, pendulum.datetime(2026, 11, 22, 10, 0, tz=KST))
    assert ekape.is_final(saturday, dt.datetime(2026, 11, 22, 1, 0, tzinfo=dt.UTC))  # 10:00 KST
    assert not ekape.is_final(saturday, dt.datetime(2026, 11, 22, 0, 59, tzinfo=dt.UTC))
    assert ekape.week_final_at(WEEK) == pendulum.datetime(2026, 11, 23, 10, tz=KST)
    with pytest.raises(ValueError, match="timezone-aware"):
        ekape.is_final(saturday, dt.datetime(2026, 11, 23, 12))


def test_calls_and_quota():
    assert ekape.calls_for_week(WEEK) == 7 * 2
    assert ekape.periods_for_week(WEEK) == [f"202611{day}" for day in range(16, 23)]
    ekape.check_quota(14, Settings(ekape_daily_quota=14))
    with pytest.raises(PermanentApiError, match="14 EKAPE calls, more than the daily quota of 13"):
        ekape.check_quota(14, Settings(ekape_daily_quota=13))
    assert Settings().ekape_daily_quota == 1000


def test_settings_from_env(monkeypatch):
    for name, value in {
        "INS_EKAPE_CONN_ID": "ekape_prod",
        "INS_EKAPE_POOL": "ekape_pool",
        "INS_EKAPE_POOL_SLOTS": "2",
        "INS_EKAPE_CALLS_PER_SECOND": "1.5",
        "INS_EKAPE_DAILY_QUOTA": "5000",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert (settings.ekape_conn_id, settings.ekape_pool, settings.ekape_pool_slots) == (
        "ekape_prod",
        "ekape_pool",
        2,
    )
    assert (settings.ekape_calls_per_second, settings.ekape_daily_quota) == (1.5, 5000)


# --- the client through the emulator -----------------------------------------------------------------------

PIG_GRADE = "/openapi-data/service/user/grade/auct/pigGrade"


# The session's emulator (tests/conftest.py) on this clock, at its defaults (a quota of 1,000 calls a day,
# 탕박 selected by skinYn=Y).
pytestmark = pytest.mark.emulator(now=AFTER_WEEK.isoformat())


@pytest.fixture
def api(emulator, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_EKAPE_API",
        json.dumps(
            {"conn_type": "http", "host": "127.0.0.1", "port": emulator.port, "password": "dev-ekape-key"}
        ),
    )
    return emulator


def calls(emulator) -> int:
    return emulator.stats()["ekape"]["requests"]


def fetch(settings: Settings = SETTINGS, now: dt.datetime = AFTER_WEEK):
    return EkapeClient(settings, api_endpoint(settings.ekape_conn_id)).fetch_week(WEEK, now)


def excl_out_row(emulator, day: str, sex: str) -> tuple[float, float] | None:
    """The emulator's own 등외제외 national (excl. Jeju) figure, read without the client."""
    import xml.etree.ElementTree as ET

    params = {"serviceKey": "dev-ekape-key", "startYmd": day, "endYmd": day, "skinYn": "Y", "sexCd": sex,
              "egradeExceptYn": "Y", "numOfRows": "100", "pageNo": "1"}  # fmt: skip
    root = ET.fromstring(requests.get(emulator.url + PIG_GRADE, params=params, timeout=10).text)
    for node in root.iter("item"):
        if node.findtext("gradeNm") == "등외제외":
            amount = node.findtext("c_1101eTotAmt")
            return (float(amount), float(node.findtext("c_1101eTotCnt"))) if amount else None
    raise AssertionError("no 등외제외 row")


def test_a_week_through_the_emulator(api):
    days = fetch()
    assert calls(api) == ekape.calls_for_week(WEEK) == 14
    assert api.stats()["ekape"]["by_sex"] == {"025001": 7, "025003": 7}
    assert [day.day for day in days] == WEEK.days
    assert [day.held for day in days] == [True] * 6 + [False]  # Sunday closed, Saturday open
    for day in days[:6]:
        parts = [excl_out_row(api, day.day.strftime("%Y%m%d"), sex) for sex, _ in ekape.SEXES]
        heads = sum(count for _, count in parts)
        assert day.headline.heads == heads
        assert day.headline.price == pytest.approx(sum(a * c for a, c in parts) / heads, abs=0.01)
        assert 4000 < day.headline.price < 7500
        assert day.grades["1+"].price > day.grades["2"].price > day.grades["OUT"].price
    written = ekape.stats_rows(days, run_id="r", collected_at="x")
    held = {row["period"]: row["value"] for row in written if row["item_id"] == "AUCTION_HELD"}
    assert held == {**{f"202611{d}": 1.0 for d in range(16, 22)}, "20261122": 0.0}
    assert not [row for row in written if row["period"] == "20261122" and row["item_id"] != "AUCTION_HELD"]


def test_a_holiday_is_no_auction(api):
    days = EkapeClient(SETTINGS, api_endpoint(SETTINGS.ekape_conn_id)).fetch_days(
        [dt.date(2026, 9, 25), dt.date(2026, 9, 29)], AFTER_WEEK
    )
    assert [day.held for day in days] == [False, True]  # 추석, then the Tuesday after
    assert ekape.calendar_warnings(days) == ()


def test_a_closed_answer_on_a_weekday_is_recorded_as_no_auction(api):
    api.add_fault("ekape", "closed", count=None, match={"startYmd": "20261118"})
    days = fetch()
    assert [day.held for day in days] == [True, True, False, True, True, True, False]
    assert days[2].headline == answers.Price(None, 0)


def test_an_ordinary_week_has_no_calendar_warnings(api):
    assert ekape.calendar_warnings(fetch()) == ()  # Saturday traded, Sunday closed: both normal


def test_a_weekday_answered_with_zeros_is_no_auction_and_a_warning(api):
    api.add_fault("ekape", "zero_amounts", count=None, match={"startYmd": "20261118"})
    days = fetch()
    assert [day.held for day in days] == [True, True, False, True, True, True, False]
    assert ekape.calendar_warnings(days) == ("2026-11-18 (Wed): no auction on a working day",)
    written = ekape.stats_rows(days, run_id="r", collected_at="x")
    assert [row["value"] for row in written if row["period"] == "20261118"] == [0.0]  # AUCTION_HELD only


def test_a_holiday_answered_with_zeros_is_no_auction_without_a_warning(api):
    api.add_fault("ekape", "zero_amounts", count=None, match={"startYmd": "20260925"})
    days = EkapeClient(SETTINGS, api_endpoint(SETTINGS.ekape_conn_id)).fetch_days(
        [dt.date(2026, 9, 25), dt.date(2026, 9, 29)], AFTER_WEEK
    )
    assert [day.held for day in days] == [False, True]
    assert api.stats()["ekape"]["by_fault"] == {"zero_amounts": 2}
    assert ekape.calendar_warnings(days) == ()


def test_a_zero_price_with_heads_from_the_emulator_fails_naming_the_field_and_day(api):
    api.add_fault(
        "ekape", "bad_values", count=None, match={"startYmd": "20261119"}, fields=["c_1101eTotAmt"], value="0"
    )
    with pytest.raises(ApiDataError, match=r"20261119 025001 grade 1\+: c_1101eTotAmt 0 is outside"):
        fetch()


def test_a_week_not_final_yet_is_refused_before_any_call(api):
    monday_early = pendulum.datetime(2026, 11, 23, 9, 59, tz=KST)
    with pytest.raises(
        TransientApiError, match="2026-11-22 may still change until 2026-11-23 10:00"
    ) as caught:
        fetch(now=monday_early)
    assert ekape.not_final(caught.value)
    assert calls(api) == 0
    assert len(fetch(now=pendulum.datetime(2026, 11, 23, 10, tz=KST))) == 7


def test_the_client_reads_the_batch_clock_by_default(api, monkeypatch):
    monkeypatch.setenv("INS_NOW", "2026-11-22T12:00+09:00")  # Saturday final, Sunday not
    with pytest.raises(TransientApiError) as caught:
        EkapeClient(SETTINGS, api_endpoint(SETTINGS.ekape_conn_id)).fetch_week(WEEK)
    assert ekape.not_final(caught.value)
    assert calls(api) == 0


def test_the_quota_is_checked_before_any_call(api):
    with pytest.raises(PermanentApiError, match="INS_EKAPE_DAILY_QUOTA"):
        fetch(Settings(**{**SETTINGS.__dict__, "ekape_daily_quota": 13}))
    assert calls(api) == 0


def test_a_wrong_key_fails_at_once(api, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_EKAPE_API",
        json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": api.port, "password": "not-the-key"}),
    )
    with pytest.raises(PermanentApiError, match="check the ekape_api connection's password") as caught:
        fetch()
    assert caught.value.code == "30"
    assert calls(api) == 1


def test_the_emulators_daily_quota_fails_at_once_until_midnight(api):
    api.configure(ekape_daily_quota=4)
    with pytest.raises(TransientApiError, match=r"quota is used up; it resets at .* 00:00 KST") as caught:
        fetch()
    assert caught.value.code == "22"
    assert calls(api) == 4 + 1  # four answered, then the fifth refused once: not retried within seconds
    assert api.stats()["ekape"]["by_result"]["gateway:22"] == 1


@pytest.mark.parametrize(
    "scenario", ["http_500", "html_502", "http_429", "malformed_xml", "empty_200", "nodata",
                 "reset_connection"]
)  # fmt: skip
def test_transient_faults_are_retried_then_fail(api, scenario):
    api.add_fault("ekape", scenario, count=None)
    with pytest.raises(TransientApiError):
        fetch()
    assert calls(api) == ATTEMPTS


@pytest.mark.parametrize("scenario", ["http_500", "malformed_xml", "nodata"])  # the quota: test_http_recovery
def test_a_transient_fault_once_is_absorbed_by_the_retry(api, scenario):
    api.add_fault("ekape", scenario, count=1)
    assert len(fetch()) == 7
    assert calls(api) == 15


def test_a_key_fault_is_not_retried(api):
    api.add_fault("ekape", "key_xml_200", count=None)
    with pytest.raises(PermanentApiError):
        fetch()
    assert calls(api) == 1


def test_a_bad_value_is_a_data_error_not_retried(api):
    api.add_fault("ekape", "bad_values", count=None, match={"startYmd": "20261117"}, value="6,2O0")
    with pytest.raises(ApiDataError, match="20261117 025001 grade 1\\+: c_1101eTotAmt '6,2O0'"):
        fetch()
    assert calls(api) == 3  # Monday's two calls, then the first of Tuesday


def test_a_skin_code_meaning_박피_is_caught(api):
    api.configure(ekape_tangbak_skin_yn="N")  # the emulator now takes skinYn=Y as 박피
    with pytest.raises(ApiDataError, match="skinNm '박피'"):
        fetch()


def test_the_egrade_flag_meaning_does_not_change_the_headline(api):
    before = fetch()
    api.configure(ekape_egrade_include_yn="N")
    try:
        assert fetch() == before
    finally:
        api.configure(ekape_egrade_include_yn="Y")


def test_the_ekape_wait_passes_once_the_week_is_final_and_fails_after_the_waiting_window():
    from include.ins_report.model.errors import PermanentError
    from include.ins_report.sources import catalog
    from include.ins_report.steps.job import statistics_final

    week = ReportWeek(dt.date(2026, 11, 16))
    ctx = step_context(week, Settings(), run_id="manual__test")
    monday = dt.datetime(2026, 11, 23, tzinfo=KST)
    assert not statistics_final(ctx, catalog.EKAPE_SOURCE, monday.replace(hour=9, minute=59))
    assert statistics_final(ctx, catalog.EKAPE_SOURCE, monday.replace(hour=10))
    assert statistics_final(ctx, catalog.KOSIS_SOURCE, monday.replace(hour=2))  # nothing to wait for
    # A finalisation later than the waiting window (Monday 12:00 KST) fails the wait, saying both times.
    late = step_context(week, Settings(ekape_final_at="13:00"), run_id="manual__test")
    assert not statistics_final(late, catalog.EKAPE_SOURCE, monday.replace(hour=11, minute=59))
    with pytest.raises(
        PermanentError,
        match=r"final only at 2026-11-23 13:00 KST, after the waiting "
        r"window \(2026-11-23 12:00 KST\)",
    ):
        statistics_final(late, catalog.EKAPE_SOURCE, monday.replace(hour=12))
