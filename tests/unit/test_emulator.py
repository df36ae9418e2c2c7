"""The local KMA ASOS + KOSIS emulator speaks the documented formats, errors and faults."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

from devtools.emulator import start_emulator
from devtools.emulator.faults import KMA_SCENARIOS, KOSIS_SCENARIOS
from devtools.emulator.kma import MEASURED_KEYS, ROW_KEYS
from include.ins_report.model import clock

ROOT = Path(__file__).resolve().parents[2]
NOW = "2024-07-10T12:00:00+09:00"
ASOS = "/1360000/AsosDalyInfoService/getWthrDataList"
KOSIS = "/openapi/Param/statisticsParameterData.do"
SIDO = ["11", "26", "27", "28", "29", "30", "31", "36", "41", "42", "43", "44", "45", "46", "47", "48", "50"]


# The session's emulator (tests/conftest.py) on this clock. KOSIS lag 0: these tests pin the answers'
# shapes on periods served the day after they end; the publication lag has its own tests
# (test_kosis_emulator.py).
pytestmark = pytest.mark.emulator(now=NOW, kosis_max_cells=40_000, kosis_lag_days=0)


def asos(emulator, timeout: float = 10, **overrides: object) -> requests.Response:
    params: dict[str, object] = {
        "serviceKey": "dev-kma-key",
        "pageNo": 1,
        "numOfRows": 10,
        "dataType": "JSON",
        "dataCd": "ASOS",
        "dateCd": "DAY",
        "startDt": "20240701",
        "endDt": "20240707",
        "stnIds": "108",
    }
    params.update(overrides)
    return requests.get(
        emulator.url + ASOS, params={k: v for k, v in params.items() if v is not None}, timeout=timeout
    )


def kosis(emulator, timeout: float = 10, **overrides: object) -> requests.Response:
    params: dict[str, object] = {
        "method": "getList",
        "apiKey": "dev-kosis-key",
        "orgId": "101",
        "tblId": "DT_1EO311",
        "itmId": "T001+T002+",
        "objL1": "ALL",
        "objL2": "00",
        "objL3": "",
        "prdSe": "Q",
        "startPrdDe": "202401",
        "endPrdDe": "202402",
        "format": "json",
        "jsonVD": "Y",
    }
    params.update(overrides)
    return requests.get(
        emulator.url + KOSIS, params={k: v for k, v in params.items() if v is not None}, timeout=timeout
    )


def header(response: requests.Response) -> dict:
    return response.json()["response"]["header"]


def add_fault(emulator, **rule: object) -> dict:
    response = requests.post(f"{emulator.url}/_emulator/faults", json=rule, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["queued"]


def gateway(text: str) -> dict[str, str]:
    root = ET.fromstring(text)
    assert root.tag == "OpenAPI_ServiceResponse"
    return {child.tag: (child.text or "") for child in root.find("cmmMsgHeader")}


# --------------------------------------------------------------------------------------------------------- #
# KMA ASOS                                                                                                  #
# --------------------------------------------------------------------------------------------------------- #


def test_asos_json_success_shape(emulator):
    response = asos(emulator)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    document = response.json()
    assert list(document) == ["response"]
    assert header(response) == {"resultCode": "00", "resultMsg": "NORMAL_SERVICE"}
    body = document["response"]["body"]
    assert list(body) == ["dataType", "items", "pageNo", "numOfRows", "totalCount"]
    assert (body["dataType"], body["pageNo"], body["numOfRows"], body["totalCount"]) == ("JSON", 1, 10, 7)
    rows = body["items"]["item"]
    assert [row["tm"] for row in rows] == [f"2024-07-0{day}" for day in range(1, 8)]
    for row in rows:
        assert tuple(row) == ROW_KEYS
        assert len(row) == 62
        assert all(isinstance(value, str) for value in row.values())
        assert (row["stnId"], row["stnNm"]) == ("108", "서울")
        assert float(row["minTa"]) < float(row["avgTa"]) < float(row["maxTa"])
        assert 15 < float(row["avgTa"]) < 35
        assert 40 <= float(row["avgRhm"]) <= 90
        assert re.fullmatch(r"-?\d+\.\d", row["avgTa"])
        assert re.fullmatch(r"([01]\d|2[0-3])[0-5]\d", row["maxTaHrmt"])


def test_asos_dry_days_send_empty_strings(emulator):
    rows = asos(emulator, startDt="20240101", endDt="20240331", numOfRows=999).json()["response"]["body"]
    rows = rows["items"]["item"]
    dry = [row for row in rows if row["sumRn"] == ""]
    wet = [row for row in rows if row["sumRn"] != ""]
    assert dry
    assert wet
    assert all(row["hr1MaxRn"] == "" and row["sumRnDur"] == "" for row in dry)
    assert all(float(row["sumRn"]) > 0 for row in wet)
    assert all(float(row["avgTa"]) < 15 for row in rows)  # a Seoul winter


def test_asos_paging_keeps_the_true_total(emulator):
    pages = [asos(emulator, numOfRows=3, pageNo=page).json()["response"]["body"] for page in (1, 2, 3)]

    assert [len(page["items"]["item"]) for page in pages] == [3, 3, 1]
    assert {page["totalCount"] for page in pages} == {7}
    assert [page["pageNo"] for page in pages] == [1, 2, 3]
    full = asos(emulator).json()["response"]["body"]["items"]["item"]
    assert [row for page in pages for row in page["items"]["item"]] == full


def test_asos_xml_is_the_default(emulator):
    response = asos(emulator, dataType=None, numOfRows=5)

    assert response.headers["Content-Type"] == "application/xml;charset=UTF-8"
    root = ET.fromstring(response.content)
    assert root.tag == "response"
    assert root.findtext("header/resultCode") == "00"
    assert root.findtext("header/resultMsg") == "NORMAL_SERVICE"
    body = root.find("body")
    assert [child.tag for child in body] == ["dataType", "items", "numOfRows", "pageNo", "totalCount"]
    assert (body.findtext("numOfRows"), body.findtext("pageNo"), body.findtext("totalCount")) == (
        "5",
        "1",
        "7",
    )
    items = body.findall("items/item")
    assert len(items) == 5
    assert [child.tag for child in items[0]] == list(ROW_KEYS)
    json_rows = asos(emulator, numOfRows=5).json()["response"]["body"]["items"]["item"]
    assert {child.tag: (child.text or "") for child in items[0]} == json_rows[0]


def test_asos_values_are_deterministic(emulator):
    first = asos(emulator).json()
    assert asos(emulator).json() == first
    with start_emulator(now=NOW) as other:
        assert asos(other).json() == first
    busan = asos(emulator, stnIds="159").json()["response"]["body"]["items"]["item"]
    assert busan[0]["stnNm"] == "부산"
    assert busan != first["response"]["body"]["items"]["item"]


def test_wrong_key_is_the_gateway_xml_with_http_200_even_for_json(emulator):
    for key in ({"serviceKey": "wrong"}, {"serviceKey": None}):
        response = asos(emulator, **key)
        assert response.status_code == 200
        assert gateway(response.text) == {
            "errMsg": "SERVICE ERROR",
            "returnAuthMsg": "SERVICE_KEY_IS_NOT_REGISTERED_ERROR",
            "returnReasonCode": "30",
        }
    assert header(asos(emulator, serviceKey=None, ServiceKey="dev-kma-key"))["resultCode"] == "00"


def test_key_is_compared_after_one_url_decoding():
    key = "a+b/c=="
    with start_emulator(now=NOW, kma_key=key) as emulator:
        assert header(asos(emulator, serviceKey=key))["resultCode"] == "00"  # requests encodes once
        double = requests.utils.quote(requests.utils.quote(key, safe=""), safe="")
        query = f"serviceKey={double}&pageNo=1&numOfRows=10&dataType=JSON&dataCd=ASOS&dateCd=DAY"
        response = requests.get(
            f"{emulator.url}{ASOS}?{query}&startDt=20240701&endDt=20240701&stnIds=108", timeout=5
        )
        assert gateway(response.text)["returnReasonCode"] == "30"


def test_missing_mandatory_parameter_is_11(emulator):
    response = asos(emulator, stnIds=None)

    assert response.status_code == 200
    assert response.json() == {
        "response": {"header": {"resultCode": "11", "resultMsg": "NO_MANDATORY_REQUEST_PARAMETERS_ERROR"}}
    }
    root = ET.fromstring(asos(emulator, dataType="XML", startDt="").content)
    assert root.findtext("header/resultCode") == "11"
    assert root.find("body") is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"dataCd": "AWS"},
        {"dateCd": "HR"},
        {"startDt": "2024-07-01"},
        {"endDt": "20240231"},
        {"startDt": "20240705", "endDt": "20240701"},
        {"pageNo": "0"},
    ],
)
def test_bad_parameter_values_are_10(emulator, overrides):
    assert asos(emulator, **overrides).json() == {
        "response": {"header": {"resultCode": "10", "resultMsg": "INVALID_REQUEST_PARAMETER_ERROR"}}
    }


def test_today_is_refused_with_99(emulator):
    expected = {"response": {"header": {"resultCode": "99", "resultMsg": "전날 자료까지 제공됩니다."}}}
    assert asos(emulator, endDt="20240710").json() == expected
    emulator.configure(now=None)  # the real clock
    today = clock.now().strftime("%Y%m%d")
    assert asos(emulator, startDt=today, endDt=today).json() == expected


def test_a_day_is_published_at_the_publish_hour_the_next_day(emulator):
    emulator.configure(now="2024-07-10T08:59:00+09:00")
    assert asos(emulator, startDt="20240709", endDt="20240709").json() == {
        "response": {"header": {"resultCode": "03", "resultMsg": "NO_DATA"}}
    }
    assert asos(emulator, startDt="20240708", endDt="20240709").json()["response"]["body"]["totalCount"] == 1

    requests.post(f"{emulator.url}/_emulator/config", json={"now": "2024-07-10T09:00:00"}, timeout=5)
    body = asos(emulator, startDt="20240708", endDt="20240709").json()["response"]["body"]
    assert body["totalCount"] == 2

    requests.post(f"{emulator.url}/_emulator/config", json={"publish_hour": 11}, timeout=5)
    assert asos(emulator, startDt="20240708", endDt="20240709").json()["response"]["body"]["totalCount"] == 1


@pytest.mark.parametrize("station", ["116", "160", "175", "96", "229", "999"])
def test_radar_island_and_unknown_stations_have_no_data(emulator, station):
    assert asos(emulator, stnIds=station).json() == {
        "response": {"header": {"resultCode": "03", "resultMsg": "NO_DATA"}}
    }


# --------------------------------------------------------------------------------------------------------- #
# KMA faults                                                                                                #
# --------------------------------------------------------------------------------------------------------- #


def _not_json(response: requests.Response) -> bool:
    try:
        json.loads(response.text)
    except ValueError:
        return True
    return False


def _body(response: requests.Response) -> dict:
    return response.json()["response"]["body"]


KMA_FAULTS = {
    "nodata": lambda r: r.json() == {"response": {"header": {"resultCode": "03", "resultMsg": "NO_DATA"}}},
    "too_old": lambda r: (
        header(r) == {"resultCode": "10", "resultMsg": "최근 1일 간의 자료만 제공합니다."}
        and "body" not in r.json()["response"]
    ),
    "not_published": lambda r: header(r) == {"resultCode": "99", "resultMsg": "전날 자료까지 제공됩니다."},
    "quota_xml_200": lambda r: (
        r.status_code == 200
        and gateway(r.text)
        == {
            "errMsg": "SERVICE ERROR",
            "returnAuthMsg": "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR",
            "returnReasonCode": "22",
        }
    ),
    "key_xml_200": lambda r: r.status_code == 200 and gateway(r.text)["returnReasonCode"] == "30",
    "key_xml_403": lambda r: (
        r.status_code == 403
        and gateway(r.text)
        == {
            "errMsg": "SERVICE_KEY_IS_NOT_REGISTERED_ERROR",
            "returnAuthMsg": "등록되지 않은 서비스키",
            "returnReasonCode": "30",
        }
    ),
    "key_json_403": lambda r: (
        r.status_code == 403
        and r.json()["OpenAPI_ServiceResponse"]["cmmMsgHeader"]["returnReasonCode"] == "30"
    ),
    "quota_xml_429": lambda r: r.status_code == 429 and gateway(r.text)["returnReasonCode"] == "22",
    "unauthorized_401_text": lambda r: r.status_code == 401 and r.text == "Unauthorized",
    "html_502": lambda r: r.status_code == 502 and "<html>" in r.text and _not_json(r),
    "http_500": lambda r: r.status_code == 500 and _not_json(r),
    "http_429": lambda r: r.status_code == 429,
    "empty_200": lambda r: r.status_code == 200 and r.content == b"",
    "malformed_json": lambda r: r.status_code == 200 and r.text.startswith('{"response"') and _not_json(r),
    "item_object": lambda r: (
        isinstance(_body(r)["items"]["item"], dict)
        and _body(r)["items"]["item"]["tm"] == "2024-07-01"
        and _body(r)["totalCount"] == 1
    ),
    "item_empty_string": lambda r: header(r)["resultCode"] == "00" and _body(r)["items"] == "",
    "item_missing": lambda r: header(r)["resultCode"] == "00" and "items" not in _body(r),
    "empty_values": lambda r: (
        len(_body(r)["items"]["item"]) == 7
        and all(
            row["stnId"] == "108" and row["tm"] and all(row[key] == "" for key in MEASURED_KEYS)
            for row in _body(r)["items"]["item"]
        )
    ),
    "bad_values": lambda r: (
        len(_body(r)["items"]["item"]) == 7
        and all(row["avgTa"] == row["maxTa"] == "NaN" for row in _body(r)["items"]["item"])
        and all(row["minTa"] not in ("", "NaN") for row in _body(r)["items"]["item"])
    ),
    "bare_nan": lambda r: (
        '"avgTa":NaN' in r.text
        and '"maxTa":NaN' in r.text
        and not _strict_json(r)
        and len(_body(r)["items"]["item"]) == 7
    ),
    "ignore_page_no": lambda r: _body(r)["totalCount"] == 1000 and len(_body(r)["items"]["item"]) == 7,
    "duplicate_days": lambda r: (
        _body(r)["totalCount"] == 14
        and [row["tm"] for row in _body(r)["items"]["item"]][:4] == ["2024-07-01"] * 2 + ["2024-07-02"] * 2
        and len(_body(r)["items"]["item"]) == 10  # numOfRows=10 of the 14
    ),
    "conflicting_duplicates": lambda r: (
        _body(r)["totalCount"] == 8
        and [row["tm"] for row in _body(r)["items"]["item"]][:3] == ["2024-07-01"] * 2 + ["2024-07-02"]
        and float(_body(r)["items"]["item"][0]["avgTa"]) == float(_body(r)["items"]["item"][1]["avgTa"]) + 5
    ),
    "small_pages": lambda r: (
        (_body(r)["numOfRows"], _body(r)["totalCount"], len(_body(r)["items"]["item"])) == (5, 7, 5)
    ),
    "short_count": lambda r: (_body(r)["totalCount"], len(_body(r)["items"]["item"])) == (7, 5),
}


def _strict_json(response: requests.Response) -> bool:
    """True when the body is standard JSON (Python's json module also accepts a bare NaN)."""

    def refuse(token: str) -> None:
        raise ValueError(token)

    try:
        json.loads(response.text, parse_constant=refuse)
    except ValueError:
        return False
    return True


def test_ignore_page_no_answers_page_one_for_any_page(emulator):
    add_fault(emulator, api="kma", scenario="ignore_page_no", count=None, total=50_000)
    first, third = asos(emulator, pageNo=1, numOfRows=3), asos(emulator, pageNo=3, numOfRows=3)
    assert _body(first)["items"]["item"] == _body(third)["items"]["item"]
    assert [row["tm"] for row in _body(third)["items"]["item"]] == ["2024-07-01", "2024-07-02", "2024-07-03"]
    assert (_body(third)["pageNo"], _body(third)["totalCount"]) == (3, 50_000)


def test_duplicate_days_pages_through_both_copies(emulator):
    add_fault(emulator, api="kma", scenario="duplicate_days", count=None)
    second = _body(asos(emulator, pageNo=2))
    assert [row["tm"] for row in second["items"]["item"]] == [
        "2024-07-06", "2024-07-06", "2024-07-07", "2024-07-07"
    ]  # fmt: skip


@pytest.mark.parametrize(("fields", "value"), [(["avgRhm"], "101"), (["sumRn"], "-"), (["minTa"], 37.5)])
def test_bad_values_options(emulator, fields, value):
    add_fault(emulator, api="kma", scenario="bad_values", fields=fields, value=value)
    rows = _body(asos(emulator))["items"]["item"]
    assert all(row[fields[0]] == value for row in rows)
    assert all(row["avgTa"] not in ("", "NaN") for row in rows)  # the default fields stay as they were


def test_bad_values_in_xml(emulator):
    add_fault(emulator, api="kma", scenario="bare_nan")
    response = asos(emulator, dataType=None)
    items = ET.fromstring(response.text).find("body/items")
    assert [item.findtext("maxTa") for item in items] == ["nan"] * 7


def test_every_scenario_is_tested():
    assert {*KMA_FAULTS, "timeout", "reset_connection"} == KMA_SCENARIOS
    assert {*KOSIS_FAULTS, "timeout", "reset_connection"} == KOSIS_SCENARIOS


@pytest.mark.parametrize("scenario", sorted(KMA_FAULTS))
def test_kma_fault_is_served_once_then_consumed(emulator, scenario):
    add_fault(emulator, api="kma", scenario=scenario, count=1)

    assert KMA_FAULTS[scenario](asos(emulator))
    normal = asos(emulator)
    assert header(normal)["resultCode"] == "00"
    assert len(_body(normal)["items"]["item"]) == 7
    assert requests.get(f"{emulator.url}/_emulator/faults", timeout=5).json() == {"faults": []}


def test_kma_reset_connection_and_timeout(emulator):
    add_fault(emulator, api="kma", scenario="reset_connection")
    with pytest.raises(requests.ConnectionError):
        asos(emulator)

    add_fault(emulator, api="kma", scenario="timeout", seconds=2)
    with pytest.raises(requests.ReadTimeout):
        asos(emulator, timeout=0.3)

    add_fault(emulator, api="kma", scenario="timeout", seconds=0.2)
    started = time.monotonic()
    assert header(asos(emulator))["resultCode"] == "00"  # late, but a normal answer
    assert time.monotonic() - started >= 0.2


def test_fault_count_null_lasts_until_cleared(emulator):
    add_fault(emulator, api="kma", scenario="http_500", count=None)
    assert [asos(emulator).status_code for _ in range(3)] == [500, 500, 500]
    assert requests.delete(f"{emulator.url}/_emulator/faults", timeout=5).json() == {"cleared": 1}
    assert asos(emulator).status_code == 200

    add_fault(emulator, api="kma", scenario="http_429", count=2)
    assert [asos(emulator).status_code for _ in range(3)] == [429, 429, 200]


def test_fault_match_selects_the_request(emulator):
    add_fault(emulator, api="kma", scenario="nodata", match={"stnIds": "108"})
    listed = requests.get(f"{emulator.url}/_emulator/faults", timeout=5).json()["faults"]
    assert [(rule["scenario"], rule["count"], rule["match"]) for rule in listed] == [
        ("nodata", 1, {"stnIds": "108"})
    ]

    assert header(asos(emulator, stnIds="159"))["resultCode"] == "00"
    assert header(asos(emulator, stnIds="108"))["resultCode"] == "03"
    assert header(asos(emulator, stnIds="108"))["resultCode"] == "00"


def test_rules_are_used_first_come_and_per_api(emulator):
    add_fault(emulator, api="kosis", scenario="http_500")
    add_fault(emulator, api="kma", scenario="http_429")
    add_fault(emulator, api="kma", scenario="html_502")
    assert [asos(emulator).status_code for _ in range(3)] == [429, 502, 200]
    assert kosis(emulator).status_code == 500


@pytest.mark.parametrize(
    "rule",
    [
        {"api": "kma", "scenario": "no_such_thing"},
        {"api": "nowhere", "scenario": "http_500"},
        {"api": "ekape", "scenario": "too_old"},
        {"api": "kosis", "scenario": "item_object"},
        {"api": "kma", "scenario": "http_500", "count": 0},
        {"api": "kma", "scenario": "http_500", "match": ["stnIds"]},
        {"api": "kma", "scenario": "bad_values", "fields": "avgTa"},
        {"api": "kma", "scenario": "bad_values", "fields": []},
        {"api": "kma", "scenario": "bad_values", "value": True},
        {"api": "kma", "scenario": "ignore_page_no", "total": -1},
        {"api": "kosis", "scenario": "ignore_page_no"},
    ],
)
def test_bad_fault_rules_are_refused(emulator, rule):
    response = requests.post(f"{emulator.url}/_emulator/faults", json=rule, timeout=5)
    assert response.status_code == 400
    assert "error" in response.json()


def test_counters_count_every_api_request(emulator):
    add_fault(emulator, api="kma", scenario="http_500")
    asos(emulator, stnIds="108")
    asos(emulator, stnIds="108")
    asos(emulator, stnIds="159")
    asos(emulator, serviceKey="wrong")
    kosis(emulator)
    kosis(emulator, tblId="DT_1J22003", prdSe="M", itmId="T", objL1="ALL", objL2="")
    requests.get(f"{emulator.url}/_emulator/health", timeout=5)

    stats = requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()
    assert stats["kma"]["requests"] == 4
    assert stats["kma"]["by_status"] == {"500": 1, "200": 3}
    assert stats["kma"]["by_station"] == {"108": 3, "159": 1}
    assert stats["kma"]["by_result"]["gateway:30"] == 1
    assert stats["kosis"]["requests"] == 2
    assert stats["kosis"]["by_table"] == {"DT_1EO311": 1, "DT_1J22003": 1}

    assert requests.post(f"{emulator.url}/_emulator/reset", timeout=5).status_code == 200
    stats = requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()
    assert stats["kma"]["requests"] == stats["kosis"]["requests"] == 0


def test_latency_applies_to_api_answers(emulator):
    response = requests.post(f"{emulator.url}/_emulator/config", json={"latency_ms": 250}, timeout=5)
    assert response.json()["latency_ms"] == 250
    for call in (asos, kosis):
        started = time.monotonic()
        assert call(emulator).status_code == 200
        assert time.monotonic() - started >= 0.25


def test_config_endpoint_validates(emulator):
    for bad in ({"publish_hour": 24}, {"latency_ms": -1}, {"now": "yesterday"}, {"colour": "red"}):
        assert requests.post(f"{emulator.url}/_emulator/config", json=bad, timeout=5).status_code == 400
    config = requests.get(f"{emulator.url}/_emulator/config", timeout=5).json()
    assert config == {
        "latency_ms": 0,
        "publish_hour": 9,
        "now": NOW,
        "kosis_max_cells": 40000,
        "kosis_lag_days": {"M": 0, "Q": 0, "H": 0, "Y": 0},
        "kma_rate_limit": None,
        "ekape_daily_quota": 1000,
        "ekape_tangbak_skin_yn": "Y",
        "ekape_egrade_include_yn": "Y",
    }
    assert requests.get(f"{emulator.url}/_emulator/health", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{emulator.url}/_emulator/nothing", timeout=5).status_code == 404


def test_rate_limit_answers_the_quota_error_beyond_n_calls_per_window(emulator):
    emulator.configure(kma_rate_limit=[3, 0.5])
    answers = [asos(emulator) for _ in range(5)]
    assert [a.json()["response"]["header"]["resultCode"] for a in answers[:3]] == ["00", "00", "00"]
    for refused in answers[3:]:
        assert refused.status_code == 200
        assert "<returnReasonCode>22</returnReasonCode>" in refused.text
        assert "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR" in refused.text
    assert kosis(emulator).status_code == 200  # the limit is KMA's
    stats = emulator.stats()
    assert stats["kma"]["rate_limited"] == 2
    assert stats["kma"]["by_result"]["gateway:22"] == 2
    time.sleep(0.55)  # the window slides: refused calls did not count
    assert asos(emulator).json()["response"]["header"]["resultCode"] == "00"


def test_a_refused_call_consumes_no_fault(emulator):
    emulator.configure(kma_rate_limit=[1, 60])
    add_fault(emulator, api="kma", scenario="http_500", match={"stnIds": "159"})
    assert asos(emulator).status_code == 200
    assert "<returnReasonCode>22</returnReasonCode>" in asos(emulator, stnIds="159").text
    assert len(emulator.state.faults.list()) == 1
    emulator.configure(kma_rate_limit=None)
    assert asos(emulator, stnIds="159").status_code == 500


def test_rate_limit_configuration_is_validated(emulator):
    for bad in ([0, 1], [1, 0], [1], "ten", [1, 100_000]):
        response = requests.post(f"{emulator.url}/_emulator/config", json={"kma_rate_limit": bad}, timeout=5)
        assert response.status_code == 400, bad
    response = requests.post(f"{emulator.url}/_emulator/config", json={"kma_rate_limit": "10/1"}, timeout=5)
    assert response.json()["kma_rate_limit"] == [10, 1.0]


def test_counters_show_peak_concurrency_and_the_days_asked_for():
    import concurrent.futures

    # A fresh emulator: a handler of another test may still be sleeping in a "timeout" fault.
    with start_emulator(now=NOW, latency_ms=300) as fresh:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: asos(fresh), range(4)))
        asos(fresh, startDt="20240707", endDt="20240707")
        stats = fresh.stats()
    assert stats["kma"]["max_in_flight"] == 4
    assert stats["kma"]["by_days"] == {"7": 4, "1": 1}
    assert stats["kosis"]["max_in_flight"] == 0


# --------------------------------------------------------------------------------------------------------- #
# KOSIS                                                                                                     #
# --------------------------------------------------------------------------------------------------------- #


def test_kosis_pig_table_rows(emulator):
    response = kosis(emulator)

    assert response.status_code == 200
    rows = response.json()
    assert isinstance(rows, list)
    assert len(rows) == 2 * 2 * 18  # periods x items x provinces
    assert list(rows[0]) == [
        "ORG_ID", "TBL_ID", "TBL_NM", "PRD_SE", "PRD_DE", "ITM_ID", "ITM_NM", "ITM_NM_ENG", "UNIT_NM",
        "UNIT_NM_ENG", "C1", "C1_NM", "C1_NM_ENG", "C1_OBJ_NM", "C1_OBJ_NM_ENG", "C2", "C2_NM", "C2_NM_ENG",
        "C2_OBJ_NM", "C2_OBJ_NM_ENG", "DT", "LST_CHN_DE",
    ]  # fmt: skip
    assert all(isinstance(value, str) for row in rows for value in row.values())
    assert {row["PRD_DE"] for row in rows} == {"202401", "202402"}
    assert {(row["ITM_ID"], row["UNIT_NM"], row["UNIT_NM_ENG"]) for row in rows} == {
        ("T001", "가구", "Household"),
        ("T002", "마리", "Head"),
    }
    assert {row["C2"] for row in rows} == {"00"}
    assert all(re.fullmatch(r"\d+", row["DT"]) for row in rows)
    for period in ("202401", "202402"):
        for item in ("T001", "T002"):
            cells = {
                row["C1"]: int(row["DT"]) for row in rows if (row["PRD_DE"], row["ITM_ID"]) == (period, item)
            }
            assert sorted(cells) == sorted(["00", *SIDO])
            assert cells["00"] == sum(cells[code] for code in SIDO)
            low, high = (4_500, 6_500) if item == "T001" else (9_500_000, 12_500_000)
            assert low < cells["00"] < high
    q1 = next(row for row in rows if row["PRD_DE"] == "202401")
    assert q1["C1_NM"] == "전국"
    assert q1["TBL_NM"] == "시도별 돼지 사육가구 및 마릿수"
    assert "2024-03-31" < q1["LST_CHN_DE"] <= "2024-07-10"
    assert kosis(emulator).json() == rows  # deterministic


def test_kosis_selects_items_and_codes(emulator):
    rows = kosis(emulator, itmId="T002", objL1="44+41+", startPrdDe="202402", endPrdDe="202402").json()
    assert [(row["ITM_ID"], row["C1"]) for row in rows] == [("T002", "41"), ("T002", "44")]


def test_kosis_new_est_prd_cnt_gives_the_latest_published_periods(emulator):
    rows = kosis(emulator, startPrdDe=None, endPrdDe=None, newEstPrdCnt="1").json()
    assert {row["PRD_DE"] for row in rows} == {"202402"}  # Q2 ended on 2024-06-30

    emulator.configure(now="2024-06-30T23:00:00+09:00")
    rows = kosis(emulator, startPrdDe=None, endPrdDe=None, newEstPrdCnt="2").json()
    assert {row["PRD_DE"] for row in rows} == {"202304", "202401"}

    emulator.configure(now=NOW)
    cpi = kosis(
        emulator,
        tblId="DT_1J22003",
        prdSe="M",
        itmId="T",
        objL1="A01114+A01113+",
        objL2="",
        startPrdDe=None,
        endPrdDe=None,
        newEstPrdCnt="3",
    ).json()
    assert [(row["PRD_DE"], row["C1_NM"]) for row in cpi] == [
        (period, name) for period in ("202404", "202405", "202406") for name in ("돼지고기", "쇠고기")
    ]
    assert all(95 <= float(row["DT"]) <= 140 and row["UNIT_NM"] == "2020=100" for row in cpi)


def test_kosis_no_data_cases_are_err_30(emulator):
    no_data = {"err": "30", "errMsg": "데이터가 존재하지 않습니다."}
    assert kosis(emulator, startPrdDe="202403", endPrdDe="202404").json() == no_data  # not ended yet
    assert kosis(emulator, tblId="DT_NOPE").json() == no_data
    assert kosis(emulator, prdSe="M").json() == no_data
    assert kosis(emulator, objL1="99").json() == no_data
    assert kosis(emulator, itmId="T999").json() == no_data


def test_kosis_key_and_mandatory_errors(emulator):
    assert kosis(emulator, apiKey="wrong").json() == {"err": "10", "errMsg": "인증KEY가 유효하지 않습니다."}
    assert kosis(emulator, apiKey=None).json()["err"] == "10"
    missing = {"err": "20", "errMsg": "필수요청변수값이 누락되었습니다."}
    assert kosis(emulator, objL2="").json() == missing  # the table has two classifications
    assert kosis(emulator, tblId=None).json() == missing
    assert kosis(emulator, startPrdDe=None).json() == missing


def test_kosis_cell_limit_is_err_31(emulator):
    emulator.configure(kosis_max_cells=50)
    response = kosis(emulator)  # 72 cells
    assert response.json()["err"] == "31"
    assert len(kosis(emulator, startPrdDe="202402").json()) == 36


def _repair_loose(text: str) -> object:
    return json.loads(re.sub(r"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:", r'\1"\2":', text))


def test_kosis_without_json_vd_sends_unquoted_keys(emulator):
    response = kosis(emulator, jsonVD=None)
    assert response.text.startswith('[{ORG_ID:"101",TBL_ID:"DT_1EO311"')
    assert _repair_loose(response.text) == kosis(emulator).json()


KOSIS_FAULTS = {
    "err_json": lambda r: r.json() == {"err": "50", "errMsg": "서버 오류"},
    "http_500": lambda r: r.status_code == 500 and _not_json(r),
    "malformed_json": lambda r: r.status_code == 200 and r.text.startswith("[{") and _not_json(r),
    "empty_200": lambda r: r.status_code == 200 and r.content == b"",
    "loose_json": lambda r: r.text.startswith("[{ORG_ID:") and len(_repair_loose(r.text)) == 72,
    "http_401": lambda r: r.status_code == 401 and r.text == "Unauthorized",
    "http_403": lambda r: r.status_code == 403,
    "zero_value": lambda r: len(r.json()) == 72 and all(row["DT"] == 0 for row in r.json()),
    "bad_values": lambda r: len(r.json()) == 72 and all(row["DT"] == "NaN" for row in r.json()),
    "bare_nan": lambda r: '"DT":NaN' in r.text and not _strict_json(r) and len(r.json()) == 72,
    "dash_cells": lambda r: (
        {(row["C1"], row["DT"] == "-") for row in r.json()}
        == {(code, code == "11") for code in ["00", *SIDO]}
    ),
}


def test_kosis_zero_value_as_text_and_other_bad_values(emulator):
    add_fault(emulator, api="kosis", scenario="zero_value", as_text=True)
    assert {row["DT"] for row in kosis(emulator).json()} == {"0"}
    add_fault(emulator, api="kosis", scenario="bad_values", value="37,5")
    assert {row["DT"] for row in kosis(emulator).json()} == {"37,5"}
    add_fault(emulator, api="kosis", scenario="zero_value")
    assert kosis(emulator, jsonVD=None).text.count(",DT:0,") == 72  # loose JSON keeps the number


@pytest.mark.parametrize("scenario", sorted(KOSIS_FAULTS))
def test_kosis_fault_is_served_once_then_consumed(emulator, scenario):
    add_fault(emulator, api="kosis", scenario=scenario)
    assert KOSIS_FAULTS[scenario](kosis(emulator))
    assert len(kosis(emulator).json()) == 72


def test_kosis_fault_options_and_transport_faults(emulator):
    add_fault(emulator, api="kosis", scenario="err_json", err="21", errMsg="요청변수값이 잘못되었습니다.")
    assert kosis(emulator).json() == {"err": "21", "errMsg": "요청변수값이 잘못되었습니다."}

    add_fault(emulator, api="kosis", scenario="reset_connection", match={"tblId": "DT_1EO311"})
    with pytest.raises(requests.ConnectionError):
        kosis(emulator)

    add_fault(emulator, api="kosis", scenario="timeout", seconds=2)
    with pytest.raises(requests.ReadTimeout):
        kosis(emulator, timeout=0.3)
    assert len(kosis(emulator).json()) == 72


# --------------------------------------------------------------------------------------------------------- #
# Command line                                                                                              #
# --------------------------------------------------------------------------------------------------------- #


def test_cli_writes_the_port_file_serves_and_exits_on_sigterm(tmp_path):
    port_file = tmp_path / "run" / "emulator.port"
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.emulator", "--port", "0", "--port-file", str(port_file)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while not port_file.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the emulator did not write its port file"
            time.sleep(0.05)
        port = int(port_file.read_text())
        assert requests.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=5).json() == {"status": "ok"}
        response = requests.get(
            f"http://127.0.0.1:{port}{ASOS}",
            params={"serviceKey": "dev-kma-key", "pageNo": 1, "numOfRows": 1, "dataType": "JSON"},
            timeout=5,
        )
        assert header(response)["resultCode"] == "11"

        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert stderr.count("\n") == 1
    assert f"127.0.0.1:{port}" in stderr
    assert "dev-kma-key" not in stderr + stdout
