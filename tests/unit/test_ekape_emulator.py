"""The emulator speaks EKAPE pigGrade: XML envelope, gateway key and quota errors with HTTP 200, closed days,
next-day finalisation, plausible prices, faults and counters."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import requests

from devtools.embedded import DEV_EKAPE_KEY, connection_env
from devtools.emulator.__main__ import _parse_args
from devtools.emulator.faults import EKAPE_SCENARIOS

NOW = "2026-11-30T12:00:00+09:00"
PIG_GRADE = "/openapi-data/service/user/grade/auct/pigGrade"
MARKETS = ("c_0320", "c_0302", "c_1301", "c_0323", "c_0513", "c_1005", "c_0202", "c_1201", "c_0905", "c_0714",
           "c_0809", "c_1401")  # fmt: skip


# The session's emulator (tests/conftest.py) on this clock, at its defaults: no latency, a quota of 1,000
# calls a day, 탕박 selected by skinYn=Y, 등외 counted in the 합계 row with egradeExceptYn=Y.
pytestmark = pytest.mark.emulator(now=NOW)


def pig(emulator, day: str = "20261118", timeout: float = 10, **overrides: str | None) -> requests.Response:
    params = {"serviceKey": "dev-ekape-key", "startYmd": day, "endYmd": day, "skinYn": "Y", "sexCd": "025001",
              "egradeExceptYn": "Y", "numOfRows": "100", "pageNo": "1", **overrides}  # fmt: skip
    return requests.get(
        emulator.url + PIG_GRADE, params={k: v for k, v in params.items() if v is not None}, timeout=timeout
    )


def items(response: requests.Response) -> dict[str, dict[str, str]]:
    root = ET.fromstring(response.text)
    assert root.findtext("header/resultCode") == "00"
    return {node.findtext("gradeNm"): {f.tag: f.text or "" for f in node} for node in root.iter("item")}


def cell(row: dict[str, str], prefix: str) -> tuple[int, int] | None:
    if f"{prefix}Amt" not in row:
        assert f"{prefix}Cnt" not in row
        return None
    return int(row[f"{prefix}Amt"]), int(row[f"{prefix}Cnt"])


def weighted(cells: list[tuple[int, int] | None]) -> tuple[float, int]:
    present = [c for c in cells if c]
    heads = sum(count for _, count in present)
    return sum(amount * count for amount, count in present) / heads, heads


def test_a_trading_day_answer(emulator):
    response = pig(emulator)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.findtext("header/resultMsg") == "NORMAL SERVICE."
    assert root.findtext("body/totalCount") == "6"
    rows = items(response)
    assert list(rows) == ["1+", "1", "2", "등외", "등외제외", "합계"]
    for row in rows.values():
        assert (row["startYmd"], row["endYmd"], row["judgeSexCd"], row["judgeSexNm"]) == (
            "20261118", "20261118", "025001", "암"
        )  # fmt: skip
        assert (row["skinYn"], row["skinNm"]) == ("Y", "탕박")
        # 전국 (제주 제외) is the head-weighted mean of the mainland markets, 전국 adds Jeju.
        amount, heads = weighted([cell(row, m) for m in MARKETS])
        assert cell(row, "c_1101eTot") == (round(amount), heads)
        national = weighted([cell(row, m) for m in (*MARKETS, "c_1101")])
        assert cell(row, "CTot") == (round(national[0]), national[1])
    prices = {grade: cell(rows[grade], "c_1101eTot")[0] for grade in rows}
    assert 5000 <= prices["1+"] <= 7000
    assert prices["1+"] > prices["1"] > prices["2"] > prices["등외"]
    assert 3000 <= prices["등외"] <= 4200
    # 등외제외 = grades without 등외; 합계 counts 등외 (egradeExceptYn=Y means "include" by default).
    grades = [cell(rows[g], "c_1101eTot") for g in ("1+", "1", "2")]
    assert cell(rows["등외제외"], "c_1101eTot")[1] == sum(c[1] for c in grades)
    assert (
        cell(rows["합계"], "c_1101eTot")[1] == sum(c[1] for c in grades) + cell(rows["등외"], "c_1101eTot")[1]
    )


def test_values_are_deterministic_by_date_and_seasonal(emulator):
    assert pig(emulator).text == pig(emulator).text
    assert pig(emulator).text != pig(emulator, day="20261119").text

    def top(day: str) -> int:
        return cell(items(pig(emulator, day=day))["1+"], "c_1101eTot")[0]

    summer = [top(f"202607{d:02d}") for d in (14, 15, 16)]
    winter = [top(f"202601{d:02d}") for d in (13, 14, 15)]
    assert min(summer) > max(winter)
    assert all(5400 <= price <= 6900 for price in summer + winter)


# A Sunday, then Korean public holidays as the `holidays` package knows them: New Year, 설날, 노동절 (a
# public holiday from 2026), 지방선거, 제헌절 (again from 2026), 추석 (a Saturday too), 개천절 (a Saturday)
# and its substitute, Christmas.
CLOSED_DAYS = ["20261122", "20260101", "20260217", "20260501", "20260603", "20260717", "20260925", "20260926",
               "20261003", "20261005", "20261225"]  # fmt: skip


@pytest.mark.parametrize("day", CLOSED_DAYS)
def test_closed_days_answer_rows_without_amounts(emulator, day):
    rows = items(pig(emulator, day=day))
    assert len(rows) == 6
    assert not [key for row in rows.values() for key in row if key.endswith(("Amt", "Cnt"))]


def test_the_days_around_the_holidays_are_open(emulator):
    for day in ("20260430", "20260504", "20260716", "20260923", "20260928", "20261002", "20261006"):
        assert cell(items(pig(emulator, day=day))["등외제외"], "c_1101eTot") is not None, day


def test_saturday_is_open_with_fewer_heads(emulator):
    saturday = cell(items(pig(emulator, day="20261121"))["등외제외"], "c_1101eTot")[1]
    friday = cell(items(pig(emulator, day="20261120"))["등외제외"], "c_1101eTot")[1]
    assert 0 < saturday < friday


def test_prices_are_provisional_until_ten_the_next_day(emulator):
    emulator.configure(now="2026-11-21T09:59:00+09:00")
    provisional = items(pig(emulator, day="20261120"))
    emulator.configure(now="2026-11-21T10:00:00+09:00")
    final = items(pig(emulator, day="20261120"))
    emulator.configure(now=NOW)
    assert items(pig(emulator, day="20261120")) == final  # final stays final
    assert cell(provisional["등외제외"], "c_1101eTot") != cell(final["등외제외"], "c_1101eTot")
    assert cell(provisional["등외제외"], "c_1101eTot")[1] < cell(final["등외제외"], "c_1101eTot")[1]


def test_today_is_provisional_and_the_future_has_no_amounts(emulator):
    emulator.configure(now="2026-11-18T15:00:00+09:00")
    assert cell(items(pig(emulator, day="20261118"))["1+"], "c_1101eTot") is not None
    assert cell(items(pig(emulator, day="20261119"))["1+"], "c_1101eTot") is None


def test_the_flag_mappings_are_configurable(emulator):
    rows = items(pig(emulator, egradeExceptYn="N"))
    assert cell(rows["합계"], "c_1101eTot") == cell(rows["등외제외"], "c_1101eTot")  # 등외 not counted
    emulator.configure(ekape_tangbak_skin_yn="N")
    rows = items(pig(emulator))
    assert {row["skinNm"] for row in rows.values()} == {"박피"}
    assert {row["skinNm"] for row in items(pig(emulator, skinYn="N")).values()} == {"탕박"}


def test_wrong_codes_are_echoed_back(emulator):
    rows = items(pig(emulator, sexCd="025009"))
    assert {row["judgeSexCd"] for row in rows.values()} == {"025009"}


GATEWAY_KEY = ("SERVICE_KEY_IS_NOT_REGISTERED_ERROR", "30")
GATEWAY_QUOTA = ("LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR", "22")


def gateway(response: requests.Response) -> tuple[str, str]:
    root = ET.fromstring(response.text)
    assert root.tag == "OpenAPI_ServiceResponse"
    return root.findtext("cmmMsgHeader/returnAuthMsg"), root.findtext("cmmMsgHeader/returnReasonCode")


@pytest.mark.parametrize("key_param", ["serviceKey", "ServiceKey"])
def test_key_check(emulator, key_param):
    response = pig(emulator, **{"serviceKey": None, key_param: "wrong"})
    assert response.status_code == 200
    assert gateway(response) == GATEWAY_KEY
    assert items(pig(emulator, **{"serviceKey": None, key_param: "dev-ekape-key"}))


def test_bad_requests(emulator):
    assert ET.fromstring(pig(emulator, startYmd=None).text).findtext("header/resultCode") == "11"
    assert ET.fromstring(pig(emulator, startYmd="2026-11-18").text).findtext("header/resultCode") == "10"


def test_daily_quota_on_the_emulator_clock(emulator):
    emulator.configure(ekape_daily_quota=2)
    assert items(pig(emulator))
    assert items(pig(emulator))
    refused = pig(emulator)
    assert refused.status_code == 200
    assert gateway(refused) == GATEWAY_QUOTA
    assert gateway(pig(emulator, serviceKey="wrong")) == GATEWAY_KEY  # the key is checked first
    emulator.configure(now="2026-12-01T00:00:00+09:00")  # a new day
    assert items(pig(emulator))
    emulator.configure(now=NOW)
    emulator.reset()
    assert items(pig(emulator))
    assert emulator.stats()["ekape"]["rate_limited"] == 0


def _fault_checks() -> dict:
    def gateway_is(error):
        return lambda r: r.status_code == 200 and gateway(r) == error

    def result_code(code):
        return lambda r: ET.fromstring(r.text).findtext("header/resultCode") == code

    def malformed(r):
        try:
            ET.fromstring(r.text)
        except ET.ParseError:
            return r.status_code == 200
        return False

    def no_amounts(r):
        return not [k for row in items(r).values() for k in row if k.endswith(("Amt", "Cnt"))]

    def zero_amounts(r):
        rows = items(r)
        amounts = {
            key: value for row in rows.values() for key, value in row.items() if key.endswith(("Amt", "Cnt"))
        }
        every_field = {
            f"{prefix}{kind}"
            for prefix in (*MARKETS, "c_1101", "c_1101eTot", "CTot")
            for kind in ("Amt", "Cnt")
        }
        fields_per_row = [{key for key in row if key.endswith(("Amt", "Cnt"))} for row in rows.values()]
        return (
            len(rows) == 6
            and set(amounts.values()) == {"0"}
            and all(fields >= every_field for fields in fields_per_row)
        )

    return {
        "key_xml_200": gateway_is(GATEWAY_KEY),
        "quota_xml_200": gateway_is(GATEWAY_QUOTA),
        "http_500": lambda r: r.status_code == 500,
        "html_502": lambda r: r.status_code == 502 and "<html>" in r.text,
        "http_429": lambda r: r.status_code == 429,
        "empty_200": lambda r: r.status_code == 200 and r.text == "",
        "malformed_xml": malformed,
        "nodata": result_code("03"),
        "closed": no_amounts,
        "zero_amounts": zero_amounts,
        "bad_values": lambda r: {row["c_1101eTotAmt"] for row in items(r).values()} == {"NaN"},
    }


FAULTS = _fault_checks()


def test_every_scenario_is_tested():
    assert {*FAULTS, "timeout", "reset_connection"} == EKAPE_SCENARIOS


@pytest.mark.parametrize("scenario", sorted(FAULTS))
def test_fault_is_served_once_then_consumed(emulator, scenario):
    emulator.add_fault("ekape", scenario)
    assert FAULTS[scenario](pig(emulator))
    assert cell(items(pig(emulator))["1+"], "c_1101eTot") is not None
    assert emulator.stats()["ekape"]["by_fault"] == {scenario: 1}


def test_fault_match_and_reset_and_timeout(emulator):
    emulator.add_fault("ekape", "http_500", count=None, match={"sexCd": "025003"})
    assert pig(emulator, sexCd="025003").status_code == 500
    assert pig(emulator).status_code == 200
    emulator.add_fault("ekape", "reset_connection")
    with pytest.raises(requests.ConnectionError):
        pig(emulator)
    emulator.add_fault("ekape", "timeout", seconds=2)
    with pytest.raises(requests.ReadTimeout):
        pig(emulator, timeout=0.3)


def test_counters(emulator):
    emulator.add_fault("ekape", "http_500")
    pig(emulator)
    pig(emulator, sexCd="025003")
    pig(emulator, day="20261119")
    pig(emulator, serviceKey="wrong")
    stats = requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()["ekape"]
    assert stats["requests"] == 4
    assert stats["by_status"] == {"500": 1, "200": 3}
    assert stats["by_result"] == {"http:500": 1, "00": 2, "gateway:30": 1}
    assert stats["by_day"] == {"20261118": 3, "20261119": 1}
    assert stats["by_sex"] == {"025001": 3, "025003": 1}
    assert requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()["kma"]["requests"] == 0
    emulator.reset()
    assert emulator.stats()["ekape"]["requests"] == 0


def test_control_api_configures_ekape(emulator):
    config = requests.post(
        f"{emulator.url}/_emulator/config",
        json={"ekape_daily_quota": None, "ekape_tangbak_skin_yn": "N"},
        timeout=5,
    ).json()
    assert (config["ekape_daily_quota"], config["ekape_tangbak_skin_yn"]) == (None, "N")
    bad = requests.post(
        f"{emulator.url}/_emulator/config", json={"ekape_egrade_include_yn": "yes"}, timeout=5
    )
    assert bad.status_code == 400
    bad = requests.post(
        f"{emulator.url}/_emulator/faults", json={"api": "ekape", "scenario": "too_old"}, timeout=5
    )
    assert bad.status_code == 400


def test_cli_and_embedded_connection(tmp_path):
    args = _parse_args(["--ekape-key", "k", "--ekape-daily-quota", "-1"])
    assert (args.ekape_key, args.ekape_daily_quota) == ("k", None)
    assert _parse_args([]).ekape_daily_quota == 1000
    env = connection_env(tmp_path / "farm.db", 8123)
    conn = json.loads(env["AIRFLOW_CONN_EKAPE_API"])
    assert (conn["conn_type"], conn["host"], conn["port"], conn["password"]) == (
        "http", "127.0.0.1", 8123, DEV_EKAPE_KEY
    )  # fmt: skip
    assert DEV_EKAPE_KEY == "dev-ekape-key"
