"""The KOSIS emulator publishes as the real service does: a period is served only some days after it ends
(per period type, counted in KST on the emulator's clock), an unpublished range is err 30, a partly
published one its published periods; and the answer shape "`-` in cells the report does not read"."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests

from devtools.emulator import start_emulator
from devtools.emulator.__main__ import _parse_args
from devtools.emulator.kosis import lag_days, period_index, served_from
from include.ins_report.config.settings import Settings
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import kosis as product
from include.ins_report.sources.kosis import parse_kosis_response

KOSIS = "/openapi/Param/statisticsParameterData.do"
NO_DATA_BODY = '{"err":"30","errMsg":"데이터가 존재하지 않습니다."}'
DEFAULTS = {"M": 3, "Q": 25, "H": 40, "Y": 60}
RUN = "2027-01-04T02:00:00+09:00"  # the run of the week 2026-12-28 .. 2027-01-03
PROVINCES = ["00", "11", "26", "27", "28", "29", "30", "31", "36", "41", "42", "43", "44", "45", "46", "47"]
PROVINCES += ["48", "50"]


# The session's emulator (tests/conftest.py) on this clock, with the realistic default lags.
pytestmark = pytest.mark.emulator(now=RUN)


def pigs(emulator, first: str, last: str | None = None, **overrides: str) -> requests.Response:
    """The pig census (quarterly): both items, every province, the 합계 scale."""
    params = {
        "method": "getList",
        "apiKey": "dev-kosis-key",
        "orgId": "101",
        "tblId": "DT_1EO311",
        "itmId": "T001+T002+",
        "objL1": "ALL",
        "objL2": "00",
        "prdSe": "Q",
        "startPrdDe": first,
        "endPrdDe": last or first,
        "format": "json",
        "jsonVD": "Y",
        **overrides,
    }
    return requests.get(emulator.url + KOSIS, params={k: v for k, v in params.items() if v}, timeout=10)


def cpi(emulator, first: str, last: str | None = None, **overrides: str) -> requests.Response:
    """The monthly consumer price index of pork and beef."""
    overrides = {"tblId": "DT_1J22003", "itmId": "T", "objL1": "A01114+A01113+", "objL2": "", **overrides}
    return pigs(emulator, first, last, prdSe="M", **overrides)


def periods_of(rows: list[dict[str, str]]) -> list[str]:
    return sorted({row["PRD_DE"] for row in rows})


def periods(response: requests.Response) -> list[str]:
    body = response.json()
    assert isinstance(body, list), body
    return periods_of(body)


# --- the lag per period type --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prd_se", "period", "first_day"),
    [
        ("M", "202612", dt.date(2027, 1, 4)),  # December ends 2027-01-01 00:00 KST, + 3 days
        ("M", "202602", dt.date(2026, 3, 4)),
        ("Q", "202604", dt.date(2027, 1, 26)),  # + 25 days
        ("Q", "202601", dt.date(2026, 4, 26)),
        ("H", "202602", dt.date(2027, 2, 10)),  # + 40 days
        ("H", "202601", dt.date(2026, 8, 10)),
        ("Y", "2026", dt.date(2027, 3, 2)),  # + 60 days
    ],
)
def test_a_period_is_served_from_its_type_s_lag_after_it_ends(prd_se, period, first_day):
    index = period_index(period, prd_se)
    assert served_from(index, prd_se, lag_days(None)) == first_day
    assert served_from(index, prd_se, lag_days(0)) == first_day - dt.timedelta(days=DEFAULTS[prd_se])


@pytest.mark.parametrize(
    ("fetch", "period", "day_before", "first_day"),
    [
        (cpi, "202612", "2027-01-03", "2027-01-04"),
        (pigs, "202604", "2027-01-25", "2027-01-26"),
    ],
)
def test_the_day_before_publication_is_err_30_and_the_day_of_it_serves(
    emulator, fetch, period, day_before, first_day
):
    emulator.configure(now=f"{day_before}T23:59:59+09:00")
    assert fetch(emulator, period).text == NO_DATA_BODY
    emulator.configure(now=f"{first_day}T00:00:00+09:00")
    rows = fetch(emulator, period).json()
    assert {row["PRD_DE"] for row in rows} == {period}
    assert {row["LST_CHN_DE"] for row in rows} == {first_day}  # not changed before it was published


def test_the_lag_is_counted_in_kst(emulator):
    emulator.configure(now="2027-01-25T14:59:59+00:00")  # 2027-01-25 23:59:59 KST
    assert pigs(emulator, "202604").text == NO_DATA_BODY
    emulator.configure(now="2027-01-25T15:00:00+00:00")  # 2027-01-26 00:00 KST
    assert periods(pigs(emulator, "202604")) == ["202604"]


# --- unpublished and partly published ranges ----------------------------------------------------------


def test_a_fully_unpublished_range_is_kosis_err_30(emulator):
    # The run of 2027-01-04: the quarter just ended (2026 Q4) and the running one are not published.
    response = pigs(emulator, "202604", "202701")
    assert response.status_code == 200
    assert response.text == NO_DATA_BODY
    assert response.json() == {"err": "30", "errMsg": "데이터가 존재하지 않습니다."}
    assert emulator.stats()["kosis"]["by_result"] == {"30": 1}


def test_a_partly_published_range_gets_its_published_periods_only(emulator):
    rows = pigs(emulator, "202603", "202604").json()
    assert periods_of(rows) == ["202603"]
    assert len(rows) == 2 * 18  # items x provinces of the one published quarter
    assert periods(cpi(emulator, "202611", "202612")) == ["202611", "202612"]  # December since 01-04
    emulator.configure(now="2027-01-03T12:00:00+09:00")
    assert periods(cpi(emulator, "202611", "202612")) == ["202611"]


def test_the_latest_periods_are_the_latest_published(emulator):
    latest = {"startPrdDe": "", "endPrdDe": "", "newEstPrdCnt": "1"}
    assert periods(pigs(emulator, "", **latest)) == ["202603"]
    emulator.configure(now="2027-01-26T00:00:00+09:00")
    assert periods(pigs(emulator, "", **latest)) == ["202604"]


def test_the_period_each_week_s_run_reads_is_served_by_the_default_lags():
    """The product reads a period ``publication_days`` after it ended (kosis_series.json), longer than the
    emulator's default lags: the stacks that run the latest week (scheduler, browser, Celery, make run)
    find it published on any date without lag 0, while the period just ended is not."""
    lags = lag_days(None)
    series = product.load_series(Settings().kosis_series_file)
    late = []
    for weeks in range(7 * 53):  # every week of 2024 .. 2030
        week = ReportWeek(dt.date(2024, 1, 1) + dt.timedelta(weeks=weeks))
        run = week.end + dt.timedelta(days=1)  # the Monday of its scheduled run
        for item in series:
            period = product.period_for_week(item, week)
            if served_from(period_index(period, item.prd_se), item.prd_se, lags) > run:
                late.append((week.start, item.name, period))
    assert late == []
    assert {item.prd_se for item in series} == {"M", "Q"}  # the types checked here


def test_the_week_across_the_year_boundary_reads_published_periods(emulator):
    week = ReportWeek(dt.date(2026, 12, 28))  # run 2027-01-04 02:00 KST, the emulator's clock here
    for item in product.load_series(Settings().kosis_series_file):
        period = product.period_for_week(item, week)
        levels = {f"objL{level}": codes for level, codes in enumerate(item.obj_l, start=1)}
        params = {"orgId": item.org_id, "tblId": item.tbl_id, "itmId": item.itm_id, "objL2": "", **levels}
        assert periods(pigs(emulator, period, prdSe=item.prd_se, **params)) == [period], item.name
    assert pigs(emulator, "202604").text == NO_DATA_BODY  # the quarter that has just ended


# --- settings ------------------------------------------------------------------------------------------


def test_the_lag_is_a_run_time_setting_per_period_type(emulator):
    assert emulator.configure()["kosis_lag_days"] == DEFAULTS
    config = requests.post(f"{emulator.url}/_emulator/config", json={"kosis_lag_days": {"q": 3}}, timeout=5)
    assert config.json()["kosis_lag_days"] == {**DEFAULTS, "Q": 3}  # the other types keep theirs
    assert periods(pigs(emulator, "202604")) == ["202604"]  # 2026 Q4 served from 2027-01-04
    emulator.configure(kosis_lag_days={"Q": 4})
    assert pigs(emulator, "202604").text == NO_DATA_BODY  # from 2027-01-05
    assert periods(cpi(emulator, "202612")) == ["202612"]  # M kept its 3 days


def test_lag_0_serves_a_period_the_moment_it_ends(emulator):
    emulator.configure(kosis_lag_days=0, now="2026-12-31T23:59:59+09:00")
    assert pigs(emulator, "202604").text == NO_DATA_BODY
    assert cpi(emulator, "202612").text == NO_DATA_BODY
    emulator.configure(now="2027-01-01T00:00:00+09:00")
    assert periods(pigs(emulator, "202604")) == ["202604"]
    assert periods(cpi(emulator, "202612")) == ["202612"]
    assert emulator.configure(kosis_lag_days=None)["kosis_lag_days"] == DEFAULTS  # null: the defaults


@pytest.mark.parametrize("bad", [-1, 3_661, True, "soon", {"W": 1}, {"Q": -2}, {"Q": 1.5}, [1, 2]])
def test_bad_lag_settings_are_refused(emulator, bad):
    response = requests.post(f"{emulator.url}/_emulator/config", json={"kosis_lag_days": bad}, timeout=5)
    assert response.status_code == 400
    assert "kosis_lag_days" in response.json()["error"]
    assert emulator.configure()["kosis_lag_days"] == DEFAULTS


def test_the_command_line_sets_the_lag():
    assert _parse_args([]).kosis_lag_days == DEFAULTS
    assert _parse_args(["--kosis-lag-days", "0"]).kosis_lag_days == dict.fromkeys("MQHY", 0)
    assert _parse_args(["--kosis-lag-days", "Q=40,m=5"]).kosis_lag_days == {**DEFAULTS, "Q": 40, "M": 5}
    for bad in ("-1", "Q=", "W=3", "Q=1,M=x"):
        with pytest.raises(SystemExit):
            _parse_args(["--kosis-lag-days", bad])


def test_a_configured_start_takes_the_lag(emulator):
    with start_emulator(now=RUN, kosis_lag_days={"Q": 0}) as other:
        assert other.configure()["kosis_lag_days"] == {**DEFAULTS, "Q": 0}
        assert periods(pigs(other, "202604")) == ["202604"]


# --- "-" in the cells the report does not read ------------------------------------------------------------


def dashes(rows: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(row["ITM_ID"], row["C1"]) for row in rows if row["DT"] == "-"}


def test_dash_cells_sets_seoul_s_row_of_the_heads_table_by_default(emulator):
    emulator.add_fault("kosis", "dash_cells")
    assert emulator.state.faults.list()[0]["match"] == {"tblId": "DT_1EO311"}
    normal_cpi = cpi(emulator, "202611")  # another table: the rule waits for the heads table
    assert "-" not in {row["DT"] for row in normal_cpi.json()}
    rows = pigs(emulator, "202603").json()
    assert dashes(rows) == {("T001", "11"), ("T002", "11")}
    assert all(row["DT"].isdigit() for row in rows if row["C1"] != "11")
    assert pigs(emulator, "202603").json() != rows  # consumed: the next answer is the normal one
    assert emulator.stats()["kosis"]["by_fault"] == {"dash_cells": 1}

    # The product reads "-" as "no value" there and the other cells as numbers.
    parsed = parse_kosis_response(200, json.dumps(rows, ensure_ascii=False))
    assert {(row.item_id, row.category_id.split("/")[0]) for row in parsed if row.value is None} == {
        ("T001", "11"),
        ("T002", "11"),
    }
    assert sum(row.value is not None for row in parsed) == 2 * 17


def test_dash_cells_options_name_the_codes_items_and_level(emulator):
    emulator.add_fault("kosis", "dash_cells", codes=["11", "26"], items=["T002"])
    assert dashes(pigs(emulator, "202603").json()) == {("T002", "11"), ("T002", "26")}
    emulator.add_fault("kosis", "dash_cells", level=2, codes=["00"])  # the 합계 scale: every cell
    assert dashes(pigs(emulator, "202603").json()) == {
        (item, code) for item in ("T001", "T002") for code in PROVINCES
    }
    emulator.add_fault("kosis", "dash_cells", codes=["A01113"], match={"tblId": "DT_1J22003"})
    assert {row["C1"]: row["DT"] == "-" for row in cpi(emulator, "202611").json()} == {
        "A01114": False,
        "A01113": True,
    }


@pytest.mark.parametrize(
    "options", [{"codes": "11"}, {"codes": []}, {"items": [2]}, {"level": 9}, {"level": "1"}]
)
def test_dash_cells_options_are_validated(emulator, options):
    rule = {"api": "kosis", "scenario": "dash_cells", **options}
    assert requests.post(f"{emulator.url}/_emulator/faults", json=rule, timeout=5).status_code == 400
