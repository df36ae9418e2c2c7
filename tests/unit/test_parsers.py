"""Parsers fed with the real response bodies quoted in the reference notes (external-apis.md)."""

import datetime as dt
import json

import pytest

from include.ins_report.model import plausible
from include.ins_report.model.errors import PermanentError
from include.ins_report.model.thi import thi
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources.errors import ApiDataError, PermanentApiError, TransientApiError
from include.ins_report.sources.kma_asos import parse_asos_response
from include.ins_report.sources.kosis import (
    NAME_BYTES,
    NO_CATEGORY,
    ReportCell,
    Series,
    parse_kosis_response,
    period_for_week,
)
from include.ins_report.sources.numbers import parse_decimal

# Busan 159, 2022-01-01 (section 1c, quoted; the second item is abbreviated there as well).
ASOS_BUSAN = (
    '{"response":{"header":{"resultCode":"00","resultMsg":"NORMAL_SERVICE"},"body":{"dataType":"JSON","items":{"item":['
    '{"stnId":"159","stnNm":"부산","tm":"2022-01-01","avgTa":"1.9","minTa":"-3.9","minTaHrmt":"0645","maxTa":"7.4",'
    '"maxTaHrmt":"1332","mi10MaxRn":"","mi10MaxRnHrmt":"","hr1MaxRn":"","hr1MaxRnHrmt":"","sumRnDur":"","sumRn":"",'
    '"maxInsWs":"11.7","maxInsWsWd":"320","maxInsWsHrmt":"0017","maxWs":"7.1","maxWsWd":"320","maxWsHrmt":"0635",'
    '"avgWs":"2.2","hr24SumRws":"1938","maxWd":"320","avgTd":"-16.6","minRhm":"17","minRhmHrmt":"1041",'
    '"avgRhm":"24.4","avgPv":"1.7","avgPa":"1019.6","maxPs":"1030.8","maxPsHrmt":"1014","minPs":"1026.7",'
    '"minPsHrmt":"2322","avgPs":"1028.4","ssDur":"9.9","sumSsHr":"9.2","hr1MaxIcsrHrmt":"1200","hr1MaxIcsr":"2.14",'
    '"sumGsr":"12.72","ddMefs":"","ddMefsHrmt":"","ddMes":"","ddMesHrmt":"","sumDpthFhsc":"","avgTca":"3.4",'
    '"avgLmac":"0.4","avgTs":"1.0","minTg":"-9.5","avgCm5Te":"3.3","avgCm10Te":"4.1","avgCm20Te":"5.1",'
    '"avgCm30Te":"6.2","avgM05Te":"7.0","avgM10Te":"11.6","avgM15Te":"14.7","avgM30Te":"19.4","avgM50Te":"19.8",'
    '"sumLrgEv":"2.6","sumSmlEv":"3.7","n99Rn":"","iscs":"","sumFogDur":""},'
    # Abbreviated in the notes; a real item has all 62 keys, so it keeps sumRn here.
    '{"stnId":"159","stnNm":"부산","tm":"2022-01-02","avgTa":"4.8","minTa":"0.7","sumRn":""}]},'
    '"pageNo":1,"numOfRows":10,"totalCount":2}}}'
)
NO_DATA = '{"response":{"header":{"resultCode":"03","resultMsg":"NO_DATA"}}}'
TOO_OLD = '{"response":{"header":{"resultCode":"10","resultMsg":"최근 1일 간의 자료만 제공합니다."}}}'
NOT_YET = '{"response":{"header":{"resultCode":"99","resultMsg":"전날 자료까지 제공됩니다."}}}'
GATEWAY_KEY_CLASSIC = """<OpenAPI_ServiceResponse>
	<cmmMsgHeader>
		<errMsg>SERVICE ERROR</errMsg>
		<returnAuthMsg>SERVICE_KEY_IS_NOT_REGISTERED_ERROR</returnAuthMsg>
		<returnReasonCode>30</returnReasonCode>
	</cmmMsgHeader>
</OpenAPI_ServiceResponse>"""
GATEWAY_KEY_NEW = """<?xml version="1.0" encoding="UTF-8"?>
<OpenAPI_ServiceResponse>
<cmmMsgHeader>
  <errMsg>SERVICE_KEY_IS_NOT_REGISTERED_ERROR</errMsg>
  <returnAuthMsg>등록되지 않은 서비스키</returnAuthMsg>
  <returnReasonCode>30</returnReasonCode>
</cmmMsgHeader>
</OpenAPI_ServiceResponse>"""
GATEWAY_KEY_JSON = (
    '{"OpenAPI_ServiceResponse":{"cmmMsgHeader":{"errMsg":"SERVICE_KEY_IS_NOT_REGISTERED_ERROR",'
    '"returnAuthMsg":"등록되지 않은 서비스키","returnReasonCode":"30"}}}'
)
GATEWAY_QUOTA = GATEWAY_KEY_CLASSIC.replace(
    "SERVICE_KEY_IS_NOT_REGISTERED_ERROR", "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR"
).replace(">30<", ">22<")


def test_asos_success_body():
    page = parse_asos_response(200, ASOS_BUSAN)
    assert page.total_count == 2
    first, second = page.observations
    assert first.point_id == "159"
    assert first.day == dt.date(2022, 1, 1)
    assert (first.avg_ta, first.min_ta, first.max_ta, first.avg_rhm) == (1.9, -3.9, 7.4, 24.4)
    assert first.sum_rn == 0.0  # "" on a dry day
    assert second.avg_ta == 4.8
    assert second.max_ta is None  # absent fields are unknown, not zero
    assert second.avg_rhm is None


def test_asos_items_variants():
    body = '{"response":{"header":{"resultCode":"00","resultMsg":"NORMAL_SERVICE"},"body":{"items":%s,"totalCount":%d}}}'
    one = '{"item":{"stnId":"108","tm":"2026-11-16","avgTa":"5.1","sumRn":"2.5"}}'
    assert [o.sum_rn for o in parse_asos_response(200, body % (one, 1)).observations] == [2.5]
    assert parse_asos_response(200, body % ('""', 0)).observations == []
    assert parse_asos_response(200, body % ('{"item":""}', 0)).observations == []
    missing = (
        '{"response":{"header":{"resultCode":"00","resultMsg":"NORMAL_SERVICE"},"body":{"totalCount":0}}}'
    )
    assert parse_asos_response(200, missing).observations == []


def test_asos_xml_envelope_when_json_was_not_honoured():
    xml = (
        "<response><header><resultCode>00</resultCode><resultMsg>NORMAL_SERVICE</resultMsg></header><body>"
        "<items><item><stnId>108</stnId><tm>2026-11-16</tm><avgTa>3.0</avgTa><maxTa>8.5</maxTa><avgRhm>60.1</avgRhm>"
        "<sumRn></sumRn></item></items><numOfRows>10</numOfRows><pageNo>1</pageNo><totalCount>1</totalCount></body>"
        "</response>"
    )
    (obs,) = parse_asos_response(200, xml).observations
    assert (obs.avg_ta, obs.max_ta, obs.avg_rhm, obs.sum_rn) == (3.0, 8.5, 60.1, 0.0)


def test_asos_no_data_is_an_empty_page_not_an_error():
    assert parse_asos_response(200, NO_DATA).observations == []


@pytest.mark.parametrize(
    ("status", "body", "error", "code"),
    [
        (200, GATEWAY_KEY_CLASSIC, PermanentApiError, "30"),
        (403, GATEWAY_KEY_NEW, PermanentApiError, "30"),
        (403, GATEWAY_KEY_JSON, PermanentApiError, "30"),
        (200, GATEWAY_QUOTA, TransientApiError, "22"),
        (429, GATEWAY_QUOTA, TransientApiError, "22"),
        (200, TOO_OLD, PermanentApiError, "10"),
        (200, NOT_YET, TransientApiError, "99"),
        (401, "Unauthorized", PermanentApiError, "401"),
        (502, "<html><body>Bad Gateway</body></html>", TransientApiError, "502"),
        (500, "oops", TransientApiError, "500"),
        (429, "", TransientApiError, "429"),
        (200, "", TransientApiError, "empty"),
        (200, '{"response":{"header":{"resultCode":"00"', TransientApiError, "format"),
        (200, '{"response":{"header":{"resultCode":"02","resultMsg":"DB_ERROR"}}}', TransientApiError, "02"),
    ],
)
def test_asos_error_classification(status, body, error, code):
    with pytest.raises(error) as raised:
        parse_asos_response(status, body)
    assert raised.value.code == code


@pytest.mark.parametrize("body", [GATEWAY_KEY_CLASSIC, GATEWAY_KEY_NEW, GATEWAY_KEY_JSON])
def test_unregistered_key_is_named_and_says_what_to_fix(body):
    with pytest.raises(
        PermanentApiError, match=r"SERVICE_KEY_IS_NOT_REGISTERED_ERROR: .*kma_api connection's password"
    ):
        parse_asos_response(200, body)


def test_quota_is_named():
    with pytest.raises(TransientApiError, match="LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR"):
        parse_asos_response(200, GATEWAY_QUOTA)


# KOSIS, DT_1B040A3 202606 (section 2, quoted).
KOSIS_ROW = (
    '[{"C1_OBJ_NM":"행정구역(시군구)별","DT":"51091769","C1":"00","PRD_SE":"M","UNIT_NM_ENG":"Person","ITM_ID":"T20",'
    '"TBL_ID":"DT_1B040A3","ITM_NM":"총인구수","TBL_NM":"행정구역(시군구)별 성별 인구수","PRD_DE":"202606",'
    '"LST_CHN_DE":"2026-07-02","C1_NM_ENG":"Whole country","C1_NM":"전국","UNIT_NM":"명","ITM_NM_ENG":"Koreans (Total)",'
    '"ORG_ID":"101","C1_OBJ_NM_ENG":"By Administrative District"}]'
)


def test_kosis_success_row():
    (row,) = parse_kosis_response(200, KOSIS_ROW)
    assert row.series_id == "101/DT_1B040A3"
    assert (row.item_id, row.category_id, row.category_nm) == ("T20", "00", "전국")
    assert (row.period_type, row.period, row.value, row.unit) == ("M", "202606", 51091769.0, "명")


def test_kosis_values_with_separators_and_dashes():
    body = KOSIS_ROW.replace('"DT":"51091769"', '"DT":"1,234,567"')
    assert parse_kosis_response(200, body)[0].value == 1234567.0
    assert parse_kosis_response(200, KOSIS_ROW.replace('"DT":"51091769"', '"DT":"-"'))[0].value is None


def test_kosis_two_classification_levels():
    body = (
        '[{"ORG_ID":"101","TBL_ID":"DT_1EO311","ITM_ID":"T002","PRD_SE":"Q","PRD_DE":"202603","DT":"11000000",'
        '"C1":"00","C1_NM":"전국","C2":"00","C2_NM":"합계","UNIT_NM":"마리"}]'
    )
    (row,) = parse_kosis_response(200, body)
    assert (row.category_id, row.category_nm) == ("00/00", "전국/합계")


def test_kosis_loose_json_is_repaired():
    loose = (
        '[{ORG_ID:"101",TBL_ID:"DT_X",ITM_ID:"T",PRD_SE:"M",PRD_DE:"202610",DT:"1.5",'
        'C1:"A",C1_NM:"a",UNIT_NM:"u"}]'
    )
    assert parse_kosis_response(200, loose)[0].value == 1.5


@pytest.mark.parametrize(
    ("status", "body", "error", "code"),
    [
        (200, '{"err":"10","errMsg":"invalid key"}', PermanentApiError, "10"),
        (200, '{"err":"20","errMsg":"필수요청변수값이 누락되었습니다."}', PermanentApiError, "20"),
        (200, '{"err":"31","errMsg":"40,000셀 초과"}', PermanentApiError, "31"),
        (200, '{"err":"50","errMsg":"서버 오류"}', TransientApiError, "50"),
        (500, "error", TransientApiError, "500"),
        (200, "", TransientApiError, "empty"),
        (200, "[{", TransientApiError, "format"),
    ],
)
def test_kosis_errors(status, body, error, code):
    with pytest.raises(error) as raised:
        parse_kosis_response(status, body)
    assert raised.value.code == code


def test_kosis_no_data_is_empty():
    assert parse_kosis_response(200, '{"err":"30","errMsg":"데이터가 존재하지 않습니다."}') == []


def series(prd_se: str, publication_days: int = 0) -> Series:
    cells = (ReportCell("T", "A", "COLUMN"),)
    return Series("s", "101", "T", "ALL", ("ALL",), prd_se, publication_days, cells)


@pytest.mark.parametrize(
    ("prd_se", "days", "monday", "expected"),
    [
        ("M", 7, dt.date(2026, 11, 16), "202610"),  # run 11-23: October published 11-08
        ("M", 7, dt.date(2026, 10, 26), "202609"),  # run 11-02: October is not 7 days old yet
        ("M", 7, dt.date(2026, 12, 28), "202611"),  # the week across the year: run 2027-01-04
        ("M", 7, dt.date(2027, 3, 29), "202702"),  # across a quarter: run 2027-04-05
        ("M", 0, dt.date(2026, 11, 23), "202610"),  # run Monday 11-30: November's last day is not over
        ("M", 0, dt.date(2026, 11, 30), "202611"),  # run 12-07
        ("Q", 35, dt.date(2026, 11, 16), "202603"),
        ("Q", 35, dt.date(2026, 10, 5), "202602"),  # run 10-12: Q3 (to 09-30) is read from 11-05
        ("Q", 35, dt.date(2026, 12, 28), "202603"),
        ("Q", 35, dt.date(2027, 3, 29), "202604"),
        ("Y", 60, dt.date(2026, 12, 28), "2025"),
        ("H", 40, dt.date(2026, 6, 29), "202502"),
    ],
)
def test_the_week_reads_one_period_published_by_its_run(prd_se, days, monday, expected):
    assert period_for_week(series(prd_se, days), ReportWeek(monday)) == expected


# --- the shared number parser ------------------------------------------------------------------------


def parse(raw: object, **options: object) -> float | None:
    return parse_decimal(raw, api="TEST", field="avgTa", where="station 108, 2026-11-16", **options)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1.9", 1.9), ("-3.9", -3.9), ("+2", 2.0), ("0", 0.0), ("0.0", 0.0), (".5", 0.5), ("5.", 5.0),
     (" 7.4 ", 7.4), ("1019.6", 1019.6), (0, 0.0), (12, 12.0), (-0.5, -0.5)],
)  # fmt: skip
def test_finite_decimals_are_numbers(raw, expected):
    assert parse(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_is_unknown(raw):
    assert parse(raw) is None


@pytest.mark.parametrize(
    "raw",
    ["NaN", "nan", "Infinity", "-Infinity", "inf", "1e3", "1E-2", "-", "..", "37,5", "1,234", "text", "맑음",
     "１２", "1_000", "0x10", "5 mm", "--1", float("nan"), float("inf"), float("-inf"), True, [], {}],
)  # fmt: skip
def test_anything_else_is_a_data_error_naming_field_where_and_value(raw):
    with pytest.raises(ApiDataError, match=r"^TEST \[data\] station 108, 2026-11-16: avgTa ") as raised:
        parse(raw)
    error = raised.value
    assert isinstance(error, PermanentApiError)
    assert isinstance(error, PermanentError)
    assert not isinstance(error, TransientApiError)  # tenacity retries only TransientApiError
    assert (error.code, error.where) == ("data", "station 108, 2026-11-16")


def test_overflowing_decimal_is_not_finite():
    with pytest.raises(ApiDataError, match="not a finite number"):
        parse("1" + "0" * 400)


def test_placeholders_and_thousands_only_where_the_source_documents_them():
    assert parse("-", placeholders=frozenset({"-"})) is None
    assert parse("1,234,567", grouping=True) == 1234567.0
    assert parse("-1,234.5", grouping=True) == -1234.5
    for raw in ("37,5", "1,23", "12,3456", ",123", "1,,234"):
        with pytest.raises(ApiDataError):
            parse(raw, grouping=True)


def test_physical_range_is_checked():
    valid = plausible.PHYSICAL_HUMIDITY_PCT
    assert parse("0", valid=valid) == 0.0
    assert parse("100", valid=valid) == 100.0
    assert parse("", valid=valid) is None
    with pytest.raises(ApiDataError, match=r"avgTa 100\.1 is outside the possible 0\.\.100 %"):
        parse("100.1", valid=valid)
    with pytest.raises(ApiDataError, match="outside"):
        parse(-1, valid=valid)


def test_plausible_ranges_are_inside_the_physical_ones():
    pairs = [
        (plausible.PLAUSIBLE_TEMPERATURE_C, plausible.PHYSICAL_TEMPERATURE_C),
        (plausible.PLAUSIBLE_HUMIDITY_PCT, plausible.PHYSICAL_HUMIDITY_PCT),
        (plausible.PLAUSIBLE_RAIN_MM, plausible.PHYSICAL_RAIN_MM),
    ]
    for inner, outer in pairs:
        assert outer.low is not None
        assert inner.low is not None
        assert inner.low >= outer.low
        assert inner.high is None or (outer.high is not None and inner.high <= outer.high)
    assert 45.0 in plausible.PLAUSIBLE_TEMPERATURE_C
    assert 45.1 not in plausible.PLAUSIBLE_TEMPERATURE_C
    assert float("nan") not in plausible.PLAUSIBLE_RAIN_MM
    assert set(plausible.WEATHER_PLAUSIBLE) == {"AVG_TA", "MIN_TA", "MAX_TA", "AVG_RHM", "SUM_RN"}


# --- ASOS rows ---------------------------------------------------------------------------------------

ASOS_BODY = (
    '{"response":{"header":{"resultCode":"00","resultMsg":"NORMAL_SERVICE"},"body":{"dataType":"JSON",'
    '"items":{"item":[%s]},"pageNo":1,"numOfRows":999,"totalCount":1}}}'
)
ROW = {"stnId": "108", "stnNm": "서울", "tm": "2026-11-18", "avgTa": "5.1", "minTa": "0.2", "maxTa": "9.8",
       "avgRhm": "61.0", "sumRn": ""}  # fmt: skip


def asos_row(**changes: object) -> str:
    row = {**ROW, **changes}
    return ASOS_BODY % json.dumps({key: value for key, value in row.items() if value is not ...})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"avgTa": "NaN"}, "station 108, 2026-11-18: avgTa 'NaN' is not a decimal number"),
        ({"maxTa": "Infinity"}, "station 108, 2026-11-18: maxTa 'Infinity' is not a decimal number"),
        ({"minTa": "-"}, "station 108, 2026-11-18: minTa '-' is not a decimal number"),
        ({"avgRhm": "37,5"}, "station 108, 2026-11-18: avgRhm '37,5' is not a decimal number"),
        ({"sumRn": "garbage"}, "station 108, 2026-11-18: sumRn 'garbage' is not a decimal number"),
        ({"sumRn": ...}, 'station 108, 2026-11-18: sumRn is missing ("" would mean a dry day)'),
        ({"sumRn": None}, 'station 108, 2026-11-18: sumRn is null ("" would mean a dry day)'),
        ({"avgRhm": "101"}, "station 108, 2026-11-18: avgRhm 101 is outside the possible 0..100 %"),
        ({"avgRhm": "-1"}, "station 108, 2026-11-18: avgRhm -1 is outside the possible 0..100 %"),
        ({"sumRn": "-0.1"}, "station 108, 2026-11-18: sumRn -0.1 is outside the possible 0..2000 mm"),
        ({"maxTa": "75"}, "station 108, 2026-11-18: maxTa 75 is outside the possible -90..60 °C"),
        ({"tm": "20261118"}, "station 108, ?: tm '20261118' is not a YYYY-MM-DD day"),
    ],
)
def test_asos_bad_values_are_data_errors(changes, message):
    with pytest.raises(ApiDataError) as raised:
        parse_asos_response(200, asos_row(**changes))
    assert str(raised.value) == f"KMA ASOS [data] {message}"


def test_asos_bare_json_nan_is_a_data_error():
    body = asos_row().replace('"maxTa": "9.8"', '"maxTa": NaN')
    assert "NaN" in body
    with pytest.raises(ApiDataError, match=r"station 108, 2026-11-18: maxTa nan is not a finite number"):
        parse_asos_response(200, body)


def test_asos_rain_empty_is_a_dry_day_unless_the_station_measured_nothing():
    (dry,) = parse_asos_response(200, asos_row()).observations
    assert dry.sum_rn == 0.0
    (outage,) = parse_asos_response(200, asos_row(avgTa="", minTa="", maxTa="", avgRhm="")).observations
    assert (outage.avg_ta, outage.max_ta, outage.avg_rhm, outage.sum_rn) == (None, None, None, None)
    outage_with_rain = asos_row(avgTa="", minTa="", maxTa="", avgRhm="", sumRn="3.5")
    (rain_only,) = parse_asos_response(200, outage_with_rain).observations
    assert rain_only.sum_rn == 3.5


@pytest.mark.parametrize("total", ['"many"', "-1", "2.5", "NaN"])
def test_asos_total_count_must_be_a_count(total):
    body = asos_row().replace('"totalCount":1', f'"totalCount":{total}')
    with pytest.raises(ApiDataError, match="totalCount"):
        parse_asos_response(200, body)


@pytest.mark.parametrize(
    ("max_ta", "rhm"), [("60", "100"), ("-90", "0"), ("45", "100.0"), ("-45", "0.0"), ("33.3", "")]
)
def test_thi_never_raises_on_a_parsed_observation(max_ta, rhm):
    (obs,) = parse_asos_response(200, asos_row(maxTa=max_ta, avgRhm=rhm)).observations
    value = thi(obs.max_ta, obs.avg_rhm)
    assert value is None if rhm == "" else isinstance(value, float)


# --- KOSIS rows --------------------------------------------------------------------------------------


def kosis_body(**changes: object) -> str:
    row = {"ORG_ID": "101", "TBL_ID": "DT_1EO311", "ITM_ID": "T002", "ITM_NM": "사육마릿수", "PRD_SE": "Q",
           "PRD_DE": "202603", "DT": "11000000", "C1": "41", "C1_NM": "경기도", "C2": "00", "C2_NM": "합계",
           "UNIT_NM": "마리"}  # fmt: skip
    row.update(changes)
    return json.dumps([{key: value for key, value in row.items() if value is not ...}], ensure_ascii=False)


@pytest.mark.parametrize("zero", [0, 0.0, "0", "0.0"])
def test_kosis_zero_stays_zero(zero):
    (row,) = parse_kosis_response(200, kosis_body(DT=zero))
    assert row.value is not None
    assert row.value == 0.0


@pytest.mark.parametrize("dt_value", ["NaN", "Infinity", "37,5", "x", "..", "약 5", True])
def test_kosis_bad_values_name_series_item_category_and_period(dt_value):
    with pytest.raises(ApiDataError) as raised:
        parse_kosis_response(200, kosis_body(DT=dt_value))
    assert str(raised.value).startswith(
        f"KOSIS [data] series 101/DT_1EO311 item T002 category 41/00 period 202603: DT {dt_value!r} "
    )


def test_kosis_bare_nan_and_missing_value_are_data_errors():
    with pytest.raises(ApiDataError, match="DT nan is not a finite number"):
        parse_kosis_response(200, kosis_body(DT="@").replace('"@"', "NaN"))
    with pytest.raises(ApiDataError, match="row without DT"):
        parse_kosis_response(200, kosis_body(DT=...))


def test_kosis_series_without_classification_gets_the_documented_category():
    (row,) = parse_kosis_response(200, kosis_body(C1=..., C1_NM=..., C2=..., C2_NM=...))
    assert row.category_id == NO_CATEGORY == "-"
    assert row.category_nm == ""


def test_kosis_names_are_clipped_to_their_column_bytes_and_keys_rejected():
    (row,) = parse_kosis_response(200, kosis_body(ITM_NM="돼지" * 200, C1_NM="가" * 300, UNIT_NM="u" * 60))
    assert row.item_nm == "돼지" * 33  # 198 bytes: the next character would cross 200
    assert len(row.category_nm.encode("utf-8")) <= NAME_BYTES["category_nm"]
    assert row.category_nm.startswith("가" * 100)
    assert row.unit == "u" * 50
    with pytest.raises(
        ApiDataError, match=r"CATEGORY_ID is 203 bytes, longer than TA_STATS_DATA allows \(200\)"
    ):
        parse_kosis_response(200, kosis_body(C1="9" * 200))
    with pytest.raises(ApiDataError, match=r"ITEM_ID is 51 bytes"):
        parse_kosis_response(200, kosis_body(ITM_ID="T" * 51))


@pytest.mark.parametrize("status", [401, 403])
def test_kosis_http_auth_errors_point_at_the_key(status):
    with pytest.raises(PermanentApiError, match="kosis_api connection's password") as raised:
        parse_kosis_response(status, "Unauthorized")
    assert raised.value.code == str(status)


def test_kosis_err_11_is_not_called_expired():
    with pytest.raises(PermanentApiError) as raised:
        parse_kosis_response(200, '{"err":"11","errMsg":"인증키 오류"}')
    assert "kosis_api connection's password" in str(raised.value)
    assert "expired:" not in str(raised.value)
