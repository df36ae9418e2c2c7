"""HTTP that recovers (sources/http.py, sources/http_call.py), against the emulator's transport faults: a body
cut mid-way is a connection fault retried like a timeout, the timeout bounds the whole call (a dripping body
included), a Retry-After is waited when short and otherwise fails the call at once saying when to retry, an
HTML maintenance page is named as such, and a connection that cannot make a request (a bad schema) fails at
once naming the connection. No error carries the key or the URL."""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import json
from urllib.parse import quote, quote_plus

import pendulum
import pytest
import requests
import urllib3

from include.ins_report.airflow_edge.connections import api_endpoint
from include.ins_report.config.settings import Settings
from include.ins_report.model.errors import PermanentError
from include.ins_report.sources import http as http_module
from include.ins_report.sources.ekape import EkapeClient
from include.ins_report.sources.errors import (
    PermanentApiError,
    RetryLaterError,
    ThrottledError,
    TransientApiError,
)
from include.ins_report.sources.http_call import MAX_WAIT_SECONDS, retry_after_seconds
from include.ins_report.sources.kma_asos import AsosWeatherProvider
from include.ins_report.sources.kosis import KosisClient, Series

ATTEMPTS = 3
SETTINGS = Settings(
    http_attempts=ATTEMPTS,
    http_backoff_seconds=0.01,
    http_timeout_seconds=1.0,
    kma_calls_per_second=0,
    kosis_calls_per_second=0,
    ekape_calls_per_second=0,
)
KST = pendulum.timezone("Asia/Seoul")
NOW = pendulum.datetime(2026, 11, 23, 10, tz=KST)  # the batch clock (INS_NOW) in these tests
EMULATOR_NOW = pendulum.datetime(2026, 11, 30, 3, tz=KST)  # every day asked is published and final
WEEK_START, WEEK_END = dt.date(2026, 11, 16), dt.date(2026, 11, 22)
SERIES = Series("cpi", "101", "DT_1J22003", "T", ("A01114+",), "M", 1, ())
# Keys whose URL-encoded spellings differ from the raw one, as real data.go.kr keys do.
KEYS = {"kma": "Kma+Key/SECRET=1", "kosis": "Kosis+Key/SECRET=2", "ekape": "Ekape+Key/SECRET=3"}
CONNS = {"kma": "KMA_API", "kosis": "KOSIS_API", "ekape": "EKAPE_API"}
APIS = tuple(KEYS)


# The session's emulator with these keys (tests/conftest.py), on the emulator's clock.
pytestmark = pytest.mark.emulator(
    kma_key=KEYS["kma"], kosis_key=KEYS["kosis"], ekape_key=KEYS["ekape"], now=EMULATOR_NOW.isoformat()
)


def connection(emulator, api: str, **fields) -> str:
    return json.dumps(
        {"conn_type": "http", "host": "127.0.0.1", "port": emulator.port, "password": KEYS[api], **fields}
    )


@pytest.fixture
def api(emulator, monkeypatch):
    monkeypatch.setenv("INS_NOW", NOW.isoformat())
    for name, conn in CONNS.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn}", connection(emulator, name))
    return emulator


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The waits between attempts, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(http_module, "_sleep", recorded.append)
    return recorded


def fetch(api_name: str, settings: Settings = SETTINGS):
    if api_name == "kma":
        return AsosWeatherProvider(settings, api_endpoint(settings.kma_conn_id)).fetch_days(
            "108", WEEK_START, WEEK_END
        )
    if api_name == "kosis":
        return KosisClient(settings, api_endpoint(settings.kosis_conn_id)).fetch(SERIES, ["202610"])
    return EkapeClient(settings, api_endpoint(settings.ekape_conn_id)).fetch_day(
        dt.date(2026, 11, 18), EMULATOR_NOW
    )


def calls(emulator, api_name: str) -> int:
    return emulator.stats()[api_name]["requests"]


def assert_clean(error: BaseException) -> None:
    """Neither a key (in any spelling) nor a request URL is in the error."""
    text = f"{error!r} {error}"
    for key in KEYS.values():
        for spelling in (key, quote(key, safe=""), quote_plus(key)):
            assert spelling not in text
    for fragment in ("serviceKey", "apiKey", "://", "127.0.0.1"):
        assert fragment not in text


# --- a body cut mid-way ---------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("api_name", APIS)
def test_a_body_cut_mid_way_is_a_connection_fault_retried_like_a_timeout(api, api_name, chunked):
    api.add_fault(api_name, "reset_mid_body", count=None, chunked=chunked)
    with pytest.raises(
        TransientApiError, match=r"\[connection\] the connection failed or broke off"
    ) as raised:
        fetch(api_name)
    assert raised.value.code == "connection"
    assert calls(api, api_name) == ATTEMPTS  # every attempt made, not one
    assert api.stats()[api_name]["by_status"] == {"200": ATTEMPTS}  # the head arrived each time
    assert_clean(raised.value)


@pytest.mark.parametrize("api_name", APIS)
def test_a_body_cut_once_recovers_on_the_next_attempt(api, api_name):
    api.add_fault(api_name, "reset_mid_body", count=1)
    assert fetch(api_name)
    assert api.stats()[api_name]["by_fault"] == {"reset_mid_body": 1}


# --- the timeout bounds the whole call ------------------------------------------------------------------


@pytest.mark.parametrize("close", [False, True])  # the socket held by the connection, or by the response
def test_a_dripping_body_is_cut_at_the_calls_deadline(api, close):
    # 7 kB in 256-byte pieces a quarter of a second apart: every read is answered well within the 1 s
    # timeout, the whole body would take about 7 s. The call gives up at its deadline instead.
    api.add_fault("kma", "drip_body", count=None, bytes=256, seconds=0.25, close=close)
    with pytest.raises(TransientApiError, match=r"\[timeout\] no complete answer within 1 s") as raised:
        fetch("kma")
    assert calls(api, "kma") == ATTEMPTS
    assert_clean(raised.value)


def test_a_dripping_body_once_recovers_on_the_next_attempt(api):
    api.add_fault("kma", "drip_body", count=1, bytes=256, seconds=0.25)
    assert len(fetch("kma")) == 7
    assert calls(api, "kma") == 2


@pytest.mark.parametrize("close", [False, True])
def test_a_body_in_pieces_within_the_deadline_is_read_whole(api, close):
    api.add_fault("kma", "drip_body", count=1, bytes=1000, seconds=0.01, close=close)
    roomy = Settings(**{**SETTINGS.__dict__, "http_timeout_seconds": 60.0})
    assert [obs.day for obs in fetch("kma", roomy)] == [WEEK_START + dt.timedelta(days=n) for n in range(7)]
    assert calls(api, "kma") == 1


# --- Retry-After and the daily quota --------------------------------------------------------------------


def http_date(moment: pendulum.DateTime) -> str:
    return email.utils.format_datetime(dt.datetime.fromtimestamp(moment.timestamp(), dt.UTC), usegmt=True)


@pytest.mark.parametrize(
    ("status", "retry_after", "waited"),
    [(429, "2", 2.0), (503, "1", 1.0), (429, http_date(NOW.add(seconds=5)), 5.0)],
)
def test_a_short_retry_after_is_waited_before_the_next_attempt(api, waits, status, retry_after, waited):
    api.add_fault("kma", "retry_after", count=1, status=status, retry_after=retry_after)
    assert len(fetch("kma")) == 7
    assert calls(api, "kma") == 2
    assert waits == [waited]  # the server's wait, not the 0.01 s backoff


def test_a_short_retry_after_on_every_attempt_still_fails_transient(api, waits):
    api.add_fault("kma", "retry_after", count=None, retry_after="1")
    with pytest.raises(ThrottledError, match=r"\[429\] too many requests; the server asks to wait 1 s"):
        fetch("kma")
    assert calls(api, "kma") == ATTEMPTS
    assert waits == [1.0] * (ATTEMPTS - 1)


@pytest.mark.parametrize(
    ("retry_after", "at"),
    [("3600", NOW.add(hours=1)), (http_date(NOW.add(days=1)), NOW.add(days=1))],
)
@pytest.mark.parametrize("api_name", APIS)
def test_a_long_retry_after_fails_at_once_saying_when_to_retry(api, waits, api_name, retry_after, at):
    api.add_fault(api_name, "retry_after", count=None, retry_after=retry_after)
    with pytest.raises(RetryLaterError) as raised:
        fetch(api_name)
    assert f"retry after {at.format('YYYY-MM-DD HH:mm')} KST" in str(raised.value)
    assert raised.value.retry_at == at
    assert not isinstance(raised.value, PermanentError)  # transient: Airflow's retries may ask again
    assert calls(api, api_name) == 1
    assert waits == []


@pytest.mark.parametrize("api_name", ["kma", "ekape"])  # data.go.kr's gateway
def test_the_daily_quota_fails_at_once_saying_it_resets_at_midnight_kst(api, waits, api_name):
    api.add_fault(api_name, "quota_xml_200", count=None)
    with pytest.raises(RetryLaterError, match="it resets at 2026-11-24 00:00 KST") as raised:
        fetch(api_name)
    assert raised.value.code == "22"
    assert calls(api, api_name) == 1
    assert waits == []


def test_the_emulators_ekape_quota_costs_one_refused_call(api, waits):
    api.configure(ekape_daily_quota=0)
    try:
        with pytest.raises(RetryLaterError, match="resets at 2026-11-24 00:00 KST"):
            fetch("ekape")
    finally:
        api.configure(ekape_daily_quota=1000)
    assert api.stats()["ekape"]["rate_limited"] == 1


def test_retry_after_values():
    now = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds(" 0 ", now) == 0.0
    assert retry_after_seconds("Mon, 23 Nov 2026 01:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Mon, 23 Nov 2026 00:59:00 GMT", now) == 0.0  # already past
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("-5", now) is None
    assert retry_after_seconds(None, now) is None
    assert MAX_WAIT_SECONDS >= 1


# --- maintenance pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 503])
@pytest.mark.parametrize("api_name", APIS)
def test_a_maintenance_page_is_named_maintenance_and_retried(api, api_name, status):
    api.add_fault(api_name, "maintenance_html", count=None, status=status)
    with pytest.raises(TransientApiError) as raised:
        fetch(api_name)
    assert raised.value.code == "maintenance"
    assert str(raised.value).endswith(
        f"the service is down for maintenance (HTTP {status}, an HTML page: 공공데이터포털 시스템 점검 안내)"
    )
    assert not isinstance(raised.value, PermanentError)
    assert calls(api, api_name) == ATTEMPTS


def test_a_maintenance_page_once_recovers(api):
    api.add_fault("kosis", "maintenance_html", count=1)
    assert len(fetch("kosis")) == 1
    assert calls(api, "kosis") == 2


# --- requests that cannot be made -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "what"),
    [({"schema": "httpx"}, "schema (http or https)"), ({"host": "http://"}, "host and port")],
)
@pytest.mark.parametrize("api_name", APIS)
def test_a_connection_that_cannot_make_the_request_fails_at_once_naming_it(
    api, monkeypatch, api_name, fields, what
):
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONNS[api_name]}", connection(api, api_name, **fields))
    with pytest.raises(PermanentApiError) as raised:
        fetch(api_name)
    assert raised.value.code == "config"
    assert f"check the {CONNS[api_name].lower()} connection's {what}" in str(raised.value)
    assert isinstance(raised.value, PermanentError)  # Airflow does not retry it either
    assert calls(api, api_name) == 0
    assert_clean(raised.value)


def url_error(kind: type[BaseException]) -> BaseException:
    """``kind`` with the request URL (key included) in its text, as requests and urllib3 write them."""
    url = f"https://apis.example/x?serviceKey={quote_plus(KEYS['kma'])}&stnIds=108"
    if kind is http.client.IncompleteRead:
        return http.client.IncompleteRead(url.encode(), 100)
    if kind is urllib3.exceptions.ProtocolError:
        return urllib3.exceptions.ProtocolError(f"Connection broken: {url}", ConnectionResetError(104, url))
    return kind(f"failed for url: {url}")


@pytest.mark.parametrize(
    ("kind", "error_class", "code", "attempts"),
    [
        (requests.exceptions.ChunkedEncodingError, TransientApiError, "connection", ATTEMPTS),
        (urllib3.exceptions.ProtocolError, TransientApiError, "connection", ATTEMPTS),
        (http.client.IncompleteRead, TransientApiError, "connection", ATTEMPTS),
        (ConnectionResetError, TransientApiError, "connection", ATTEMPTS),
        (requests.exceptions.ConnectionError, TransientApiError, "connection", ATTEMPTS),
        (requests.exceptions.SSLError, TransientApiError, "connection", ATTEMPTS),
        (requests.exceptions.ContentDecodingError, TransientApiError, "connection", ATTEMPTS),
        (requests.exceptions.ReadTimeout, TransientApiError, "timeout", ATTEMPTS),
        (requests.exceptions.ConnectTimeout, TransientApiError, "timeout", ATTEMPTS),
        (requests.exceptions.InvalidSchema, PermanentApiError, "config", 1),
        (requests.exceptions.InvalidURL, PermanentApiError, "config", 1),
        (requests.exceptions.MissingSchema, PermanentApiError, "config", 1),
        (requests.exceptions.InvalidHeader, PermanentApiError, "config", 1),
        (requests.exceptions.TooManyRedirects, PermanentApiError, "config", 1),
    ],
)
def test_every_failure_of_the_http_stack_is_classified_without_its_text(
    api, monkeypatch, kind, error_class, code, attempts
):
    sent: list[str] = []

    def failing(self, method, url, **kwargs):
        sent.append(url)
        raise url_error(kind)

    monkeypatch.setattr(requests.Session, "request", failing)
    with pytest.raises(error_class) as raised:
        fetch("kma")
    assert type(raised.value) is error_class
    assert raised.value.code == code
    if code != "timeout":  # the class says what happened; its text is not repeated
        assert f"({kind.__name__})" in str(raised.value)
    assert len(sent) == attempts
    assert_clean(raised.value)
    assert raised.value.__suppress_context__  # tracebacks do not show the original either
