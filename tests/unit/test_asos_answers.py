"""ASOS answer shapes of issue 17: conflicting duplicates, small pages, a short count. Each at the parse
level, as the emulator's handler serves it, and through the client against the handler and a real local
emulator."""

from __future__ import annotations

import datetime as dt
import json
import sys

import pytest

from devtools.emulator.common import KST
from devtools.emulator.faults import FaultError, parse_rule
from devtools.emulator.kma import KmaContext, handle, load_stations
from include.ins_report.airflow_edge.connections import api_endpoint
from include.ins_report.config.settings import Settings
from include.ins_report.sources.errors import ApiDataError, PermanentApiError, TransientApiError
from include.ins_report.sources.kma_asos import AsosPage, AsosWeatherProvider, parse_asos_response
from tests.support.steps import AnsweringEndpoint

WEEK = [dt.date(2026, 11, 16) + dt.timedelta(days=offset) for offset in range(7)]
NOW = dt.datetime(2026, 11, 24, 12, tzinfo=KST)  # the whole week published
CTX = KmaContext(now=NOW, publish_hour=9, service_key="dev-kma-key", stations=load_stations())
SETTINGS = Settings(
    http_attempts=1, http_backoff_seconds=0.01, http_timeout_seconds=5.0, kma_calls_per_second=0
)


def params(page_no: int = 1, num_rows: int = 999, first: dt.date = WEEK[0], last: dt.date = WEEK[-1], **more):
    return {
        "serviceKey": "dev-kma-key",
        "pageNo": str(page_no),
        "numOfRows": str(num_rows),
        "dataType": "JSON",
        "dataCd": "ASOS",
        "dateCd": "DAY",
        "startDt": first.strftime("%Y%m%d"),
        "endDt": last.strftime("%Y%m%d"),
        "stnIds": "108",
        **more,
    }


def served(scenario: str | None, page_no: int = 1, num_rows: int = 999, **options) -> AsosPage:
    """The emulator handler's answer to one request, parsed by the client's parser."""
    rule = parse_rule({"api": "kma", "scenario": scenario, **options}, 1) if scenario else None
    answer = handle(params(page_no, num_rows), CTX, rule)
    return parse_asos_response(answer.status, answer.body.decode("utf-8"))


# --- the parser: numOfRows, as the server answered ---------------------------------------------------------


def body(num_rows: object = ..., total: object = 1, fmt: str = "JSON") -> str:
    row = {"stnId": "108", "tm": "2026-11-16", "avgTa": "5.0", "minTa": "1.0", "maxTa": "9.0", "avgRhm": "60",
           "sumRn": ""}  # fmt: skip
    if fmt == "XML":
        size = "" if num_rows is ... else f"<numOfRows>{num_rows}</numOfRows>"
        item = "".join(f"<{key}>{value}</{key}>" for key, value in row.items())
        return (
            "<response><header><resultCode>00</resultCode><resultMsg>NORMAL_SERVICE</resultMsg></header>"
            f"<body><items><item>{item}</item></items>{size}<totalCount>{total}</totalCount></body></response>"
        )
    document: dict = {"items": {"item": [row]}, "totalCount": total}
    if num_rows is not ...:
        document["numOfRows"] = num_rows
    return json.dumps({"response": {"header": {"resultCode": "00", "resultMsg": "OK"}, "body": document}})


@pytest.mark.parametrize("fmt", ["JSON", "XML"])
@pytest.mark.parametrize(("num_rows", "parsed"), [(5, 5), ("5", 5), (999, 999), (..., None), (0, None)])
def test_the_page_size_the_body_states_is_read(fmt, num_rows, parsed):
    page = parse_asos_response(200, body(num_rows, total=7, fmt=fmt))
    assert (page.num_rows, page.total_count, len(page.observations)) == (parsed, 7, 1)


@pytest.mark.parametrize("num_rows", ["many", -1, 2.5, "NaN"])
def test_a_page_size_that_is_not_a_count_is_a_data_error(num_rows):
    with pytest.raises(ApiDataError, match="numOfRows"):
        parse_asos_response(200, body(num_rows))


# --- the emulator's handler: each shape --------------------------------------------------------------------


def test_conflicting_duplicates_serve_the_first_day_twice_the_first_copy_warmer():
    page = served("conflicting_duplicates")
    assert (page.total_count, len(page.observations)) == (8, 8)
    warm, true, *rest = page.observations
    assert warm.day == true.day == WEEK[0]
    assert [obs.day for obs in rest] == WEEK[1:]
    assert true == served(None).observations[0]  # the second copy is the normal row
    for field in ("avg_ta", "min_ta", "max_ta"):
        assert getattr(warm, field) == pytest.approx(getattr(true, field) + 5.0)
    assert (warm.avg_rhm, warm.sum_rn) == (true.avg_rhm, true.sum_rn)


def test_conflicting_duplicates_delta_is_an_option_and_pages_count_both_copies():
    first, second = served("conflicting_duplicates", 1, 4, delta=2.5), served("conflicting_duplicates", 2, 4)
    assert [obs.day for obs in first.observations] == [WEEK[0], WEEK[0], WEEK[1], WEEK[2]]
    assert [obs.day for obs in second.observations] == WEEK[3:]
    assert first.observations[0].avg_ta == pytest.approx(first.observations[1].avg_ta + 2.5)


@pytest.mark.parametrize(
    ("page_size", "pages"), [(5, [WEEK[:5], WEEK[5:]]), (3, [WEEK[:3], WEEK[3:6], WEEK[6:]])]
)
def test_small_pages_cap_the_page_size_state_it_and_honour_page_no(page_size, pages):
    for page_no, days in enumerate(pages, start=1):
        page = served("small_pages", page_no, page_size=page_size)
        assert [obs.day for obs in page.observations] == days
        assert (page.num_rows, page.total_count) == (page_size, 7)  # the cap, and a true total


def test_small_pages_leave_a_smaller_request_as_it_is():
    page = served("small_pages", 1, 2)
    assert (page.num_rows, [obs.day for obs in page.observations]) == (2, WEEK[:2])


@pytest.mark.parametrize(("missing", "days"), [(2, 5), (1, 6), (7, 0)])
def test_short_count_announces_rows_it_never_serves(missing, days):
    page = served("short_count", missing=missing)
    assert page.total_count == 7
    assert [obs.day for obs in page.observations] == WEEK[:days]
    assert served("short_count", 2, missing=missing).observations == []


@pytest.mark.parametrize(
    "options",
    [{"delta": "warm"}, {"delta": True}, {"delta": float("inf")}, {"page_size": 0}, {"page_size": 2.5},
     {"missing": 0}, {"missing": "2"}],
)  # fmt: skip
def test_bad_options_are_refused(options):
    with pytest.raises(FaultError):
        parse_rule({"api": "kma", "scenario": "small_pages", **options}, 1)


# --- the client against the handler (no server) -----------------------------------------------------------


@pytest.fixture
def against_handler(monkeypatch):
    """fetch_days with every call answered by the emulator's handler under ``rule`` (all calls), counted."""
    calls: list[int] = []

    def install(scenario: str, **options):
        rule = parse_rule({"api": "kma", "scenario": scenario, "count": None, **options}, 1)

        def get(path, request, parse):
            calls.append(int(request["pageNo"]))
            answer = handle(request, CTX, rule)
            return parse(answer.status, answer.body.decode("utf-8"))

        monkeypatch.setattr(sys.modules[__name__], "HANDLER", AnsweringEndpoint(get, key="dev-kma-key"))
        return calls

    return install


HANDLER = AnsweringEndpoint(lambda path, params, parse: pytest.fail("no answer installed"))


def fetch(first: dt.date = WEEK[0], last: dt.date = WEEK[-1]):
    return AsosWeatherProvider(SETTINGS, HANDLER, stations=[]).fetch_days("108", first, last)


def test_client_refuses_conflicting_duplicates_naming_the_day_and_both_values(against_handler):
    calls = against_handler("conflicting_duplicates")
    true = served(None).observations[0]
    with pytest.raises(ApiDataError) as raised:
        fetch()
    assert raised.value.where == "station 108, 2026-11-16"
    assert f"avgTa {true.avg_ta + 5:g} and {true.avg_ta:g}" in raised.value.problem
    assert f"maxTa {true.max_ta + 5:g} and {true.max_ta:g}" in raised.value.problem
    assert calls == [1]


def test_client_keeps_identical_duplicates(against_handler):
    calls = against_handler("conflicting_duplicates", delta=0)
    assert fetch() == served(None).observations
    assert calls == [1]


def test_client_reads_small_pages_to_the_end(against_handler):
    calls = against_handler("small_pages")
    assert fetch() == served(None).observations
    assert calls == [1, 2]


def test_client_names_a_short_count_instead_of_missing_days(against_handler):
    calls = against_handler("short_count")
    with pytest.raises(TransientApiError, match="the server announced 7 rows and sent 5 ") as raised:
        fetch()
    assert not isinstance(raised.value, PermanentApiError)
    assert "2026-11-21" not in str(raised.value)  # no day is blamed
    assert calls == [1, 2]


def test_client_probe_of_one_day_against_a_short_count(against_handler):
    against_handler("short_count", missing=1)
    with pytest.raises(TransientApiError, match="announced 1 rows and sent 0"):
        fetch(WEEK[-1], WEEK[-1])


# --- the client against a real local emulator -------------------------------------------------------------


# The tests below get the session's emulator (tests/conftest.py) on this clock.
pytestmark = pytest.mark.emulator(now=NOW.isoformat())


@pytest.fixture
def api(emulator, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_KMA_API",
        json.dumps(
            {"conn_type": "http", "host": "127.0.0.1", "port": emulator.port, "password": "dev-kma-key"}
        ),
    )
    return emulator


def kma_calls(emulator) -> int:
    return emulator.stats()["kma"]["requests"]


def test_served_conflicting_duplicates_fail_the_station(api):
    api.add_fault("kma", "conflicting_duplicates", count=None, delta=5)
    with pytest.raises(ApiDataError, match=r"station 108, 2026-11-16: the answer holds two different rows"):
        AsosWeatherProvider(SETTINGS, api_endpoint(SETTINGS.kma_conn_id)).fetch_days("108", WEEK[0], WEEK[-1])
    assert kma_calls(api) == 1


def test_served_small_pages_give_the_whole_week(api):
    api.add_fault("kma", "small_pages", count=None, page_size=5)
    assert [
        obs.day
        for obs in AsosWeatherProvider(SETTINGS, api_endpoint(SETTINGS.kma_conn_id)).fetch_days(
            "108", WEEK[0], WEEK[-1]
        )
    ] == WEEK
    assert kma_calls(api) == 2


def test_served_short_count_is_a_transient_error(api):
    api.add_fault("kma", "short_count", count=None)
    with pytest.raises(TransientApiError, match="announced 7 rows and sent 5"):
        AsosWeatherProvider(SETTINGS, api_endpoint(SETTINGS.kma_conn_id)).fetch_days("108", WEEK[0], WEEK[-1])
    assert kma_calls(api) == 2
