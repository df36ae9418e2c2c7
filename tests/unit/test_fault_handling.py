"""Each API fault, injected by the emulator, against the real clients: retried, failed at once with a
message that says what to fix, or accepted as missing."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pendulum
import pytest

from include.ins_report.airflow_edge.connections import api_endpoint
from include.ins_report.config.settings import Settings
from include.ins_report.model.errors import PermanentError
from include.ins_report.model.farms import WeatherLocation
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import kma_asos
from include.ins_report.sources.errors import (
    ApiDataError,
    PermanentApiError,
    RetryLaterError,
    TransientApiError,
)
from include.ins_report.sources.kma_asos import AsosWeatherProvider
from include.ins_report.sources.kosis import KosisClient, Series
from include.ins_report.steps.context import StepContext
from include.ins_report.steps.weather import collect_station_weather, weather_published
from tests.support.steps import step_context

ATTEMPTS = 3
SETTINGS = Settings(
    http_attempts=ATTEMPTS,
    http_backoff_seconds=0.01,
    http_timeout_seconds=1.0,
    kma_calls_per_second=0,
    kosis_calls_per_second=0,
)
WEEK = ReportWeek(dt.date(2026, 11, 16))
SERIES = Series("cpi", "101", "DT_1J22003", "T", ("A01114+",), "M", 1, ())


@pytest.fixture
def api(emulator, monkeypatch):
    for conn, key in (("KMA_API", "dev-kma-key"), ("KOSIS_API", "dev-kosis-key")):
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{conn}",
            json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": emulator.port, "password": key}),
        )
    yield emulator
    emulator.configure(now=None, publish_hour=9)


def kma_calls(emulator) -> int:
    return emulator.stats()["kma"]["requests"]


def fetch_week(settings: Settings = SETTINGS):
    return AsosWeatherProvider(settings, api_endpoint(settings.kma_conn_id)).fetch_days(
        "108", WEEK.start, WEEK.end
    )


RETRIED = ["not_published", "html_502", "http_500", "http_429", "empty_200", "malformed_json",
           "reset_connection", "reset_mid_body", "maintenance_html"]  # fmt: skip
FAIL_AT_ONCE = {
    "key_xml_200": "SERVICE_KEY_IS_NOT_REGISTERED_ERROR: the service key is not registered",
    "key_xml_403": "SERVICE_KEY_IS_NOT_REGISTERED_ERROR",
    "key_json_403": "SERVICE_KEY_IS_NOT_REGISTERED_ERROR",
    "unauthorized_401_text": "check the kma_api connection's key",
    "too_old": "invalid request parameter",
}


@pytest.mark.parametrize("scenario", RETRIED)
def test_kma_transient_faults_are_retried_then_fail(api, scenario):
    api.add_fault("kma", scenario, count=None)
    with pytest.raises(TransientApiError):
        fetch_week()
    assert kma_calls(api) == ATTEMPTS


@pytest.mark.parametrize("scenario", RETRIED)
def test_kma_transient_faults_recover_on_retry(api, scenario):
    api.add_fault("kma", scenario, count=1)
    assert len(fetch_week()) == 7
    assert kma_calls(api) == 2


@pytest.mark.parametrize("scenario", ["quota_xml_200", "quota_xml_429"])
def test_kma_daily_quota_is_not_retried_within_seconds_and_says_when_it_resets(api, monkeypatch, scenario):
    monkeypatch.setenv("INS_NOW", "2026-11-23T10:00:00+09:00")
    api.add_fault("kma", scenario, count=None)
    with pytest.raises(
        RetryLaterError, match="quota is used up; it resets at 2026-11-24 00:00 KST"
    ) as raised:
        fetch_week()
    assert isinstance(raised.value, TransientApiError)  # Airflow's own retries still apply
    assert not isinstance(raised.value, PermanentError)
    assert raised.value.retry_at == pendulum.datetime(2026, 11, 24, tz="Asia/Seoul")
    assert kma_calls(api) == 1


def test_kma_timeout_is_retried(api):
    api.add_fault("kma", "timeout", count=1, seconds=3)
    assert len(fetch_week()) == 7
    assert kma_calls(api) == 2


@pytest.mark.parametrize(("scenario", "message"), FAIL_AT_ONCE.items())
def test_kma_permanent_faults_fail_at_once_with_what_to_fix(api, scenario, message):
    api.add_fault("kma", scenario, count=None)
    with pytest.raises(PermanentApiError, match=message) as raised:
        fetch_week()
    assert isinstance(raised.value, PermanentError)  # Airflow does not retry the task either
    assert kma_calls(api) == 1
    assert "dev-kma-key" not in str(raised.value)


@pytest.mark.parametrize(
    ("scenario", "days"), [("nodata", 0), ("item_empty_string", 0), ("item_missing", 0), ("item_object", 1)]
)
def test_kma_shapes_accepted_as_missing(api, scenario, days):
    api.add_fault("kma", scenario, count=None)
    assert len(fetch_week()) == days
    assert kma_calls(api) == 1


def test_kma_station_outage_is_unknown_not_a_dry_week(api):
    api.add_fault("kma", "empty_values", count=None)
    observations = fetch_week()
    assert len(observations) == 7
    assert all(obs.avg_ta is None and obs.max_ta is None and obs.avg_rhm is None for obs in observations)
    assert [obs.sum_rn for obs in observations] == [None] * 7  # not 0 mm: nothing was measured


@pytest.mark.parametrize(
    ("scenario", "options", "message"),
    [
        ("bad_values", {"value": "NaN"}, r"station 108, 2026-11-16: avgTa 'NaN' is not a decimal number"),
        ("bad_values", {"value": "Infinity"}, r"station 108, 2026-11-16: avgTa 'Infinity' is not a decimal"),
        ("bad_values", {"value": "-", "fields": ["maxTa"]}, r"2026-11-16: maxTa '-' is not a decimal"),
        ("bad_values", {"value": "37,5", "fields": ["avgRhm"]}, r"avgRhm '37,5' is not a decimal"),
        ("bad_values", {"value": "맑음", "fields": ["sumRn"]}, r"sumRn '맑음' is not a decimal"),
        (
            "bad_values",
            {"value": "101", "fields": ["avgRhm"]},
            r"avgRhm 101 is outside the possible 0\.\.100 %",
        ),
        ("bad_values", {"value": "-0.5", "fields": ["sumRn"]}, r"sumRn -0\.5 is outside the possible"),
        ("bare_nan", {}, r"station 108, 2026-11-16: avgTa nan is not a finite number"),
    ],
)
def test_kma_bad_values_are_a_data_error_asked_once(api, scenario, options, message):
    api.add_fault("kma", scenario, count=None, **options)
    with pytest.raises(ApiDataError, match=message) as raised:
        fetch_week()
    assert isinstance(raised.value, PermanentError)  # not retried by Airflow either
    assert kma_calls(api) == 1  # nor by tenacity: the same answer would come back


def test_kma_server_ignoring_page_no_costs_one_call_a_week(api, caplog):
    api.add_fault("kma", "ignore_page_no", count=None, total=1000)
    assert [obs.day for obs in fetch_week()] == list(WEEK.days)
    assert kma_calls(api) == 1


def test_kma_server_ignoring_page_no_stops_when_a_page_adds_nothing(api, monkeypatch):
    monkeypatch.setattr(kma_asos, "PAGE_SIZE", 3)  # a week then needs three pages
    api.add_fault("kma", "ignore_page_no", count=None, total=100_000)
    observations = fetch_week()
    assert [obs.day for obs in observations] == list(WEEK.days[:3])  # all that such a server ever shows
    assert kma_calls(api) == 2


def test_kma_week_in_small_pages_follows_the_pages(api, monkeypatch):
    monkeypatch.setattr(kma_asos, "PAGE_SIZE", 3)
    assert [obs.day for obs in fetch_week()] == list(WEEK.days)
    assert kma_calls(api) == 3


def test_kma_duplicated_days_are_kept_once_with_a_warning(api, caplog):
    api.add_fault("kma", "duplicate_days", count=None)
    with caplog.at_level(logging.WARNING, logger="include.ins_report.sources.kma_asos"):
        observations = fetch_week()
    assert [obs.day for obs in observations] == list(WEEK.days)
    assert kma_calls(api) == 1
    assert "7 duplicated day(s) ignored" in caplog.text


def test_probe_against_a_server_ignoring_page_no_costs_at_most_two_calls(api):
    api.configure(now="2026-11-23T10:00:00+09:00")
    api.add_fault("kma", "ignore_page_no", count=None, total=1000)
    assert weather_published(ctx(), now=pendulum.datetime(2026, 11, 23, 10, tz="Asia/Seoul")) is True
    assert kma_calls(api) <= 2


KOSIS_RETRIED = [
    "http_500",
    "malformed_json",
    "empty_200",
    "reset_connection",
    "reset_mid_body",
    "maintenance_html",
]


@pytest.mark.parametrize("scenario", KOSIS_RETRIED)
def test_kosis_transient_faults_are_retried(api, scenario):
    api.add_fault("kosis", scenario, count=None)
    with pytest.raises(TransientApiError):
        KosisClient(SETTINGS, api_endpoint(SETTINGS.kosis_conn_id)).fetch(SERIES, ["202610"])
    assert api.stats()["kosis"]["requests"] == ATTEMPTS


def test_kosis_err_body_server_error_is_retried_and_recovers(api):
    api.add_fault("kosis", "err_json", count=1)
    assert len(KosisClient(SETTINGS, api_endpoint(SETTINGS.kosis_conn_id)).fetch(SERIES, ["202610"])) == 1
    assert api.stats()["kosis"]["requests"] == 2


@pytest.mark.parametrize(
    ("scenario", "options"),
    [
        ("err_json", {"err": "10", "errMsg": "인증KEY가 유효하지 않습니다."}),
        ("err_json", {"err": "11", "errMsg": "인증KEY 오류"}),
        ("http_401", {}),
        ("http_403", {}),
    ],
)
def test_kosis_key_errors_fail_at_once_and_point_at_the_key(api, scenario, options):
    api.add_fault("kosis", scenario, count=None, **options)
    with pytest.raises(PermanentApiError, match="kosis_api connection's password") as raised:
        KosisClient(SETTINGS, api_endpoint(SETTINGS.kosis_conn_id)).fetch(SERIES, ["202610"])
    assert "expired" not in str(raised.value)  # err 11 is not necessarily an expired key
    assert "dev-kosis-key" not in str(raised.value)
    assert api.stats()["kosis"]["requests"] == 1


@pytest.mark.parametrize("as_text", [False, True])
def test_kosis_zero_stays_zero(api, as_text):
    api.add_fault("kosis", "zero_value", count=None, as_text=as_text)
    rows = KosisClient(SETTINGS, api_endpoint(SETTINGS.kosis_conn_id)).fetch(SERIES, ["202610"])
    assert [(row.category_id, row.value) for row in rows] == [("A01114", 0.0)]


@pytest.mark.parametrize(
    ("scenario", "options", "value"),
    [
        ("bad_values", {}, "'NaN'"),
        ("bad_values", {"value": "Infinity"}, "'Infinity'"),
        ("bare_nan", {}, "nan"),
    ],
)
def test_kosis_bad_values_are_a_data_error_naming_the_series(api, scenario, options, value):
    api.add_fault("kosis", scenario, count=None, **options)
    with pytest.raises(ApiDataError) as raised:
        KosisClient(SETTINGS, api_endpoint(SETTINGS.kosis_conn_id)).fetch(SERIES, ["202610"])
    assert str(raised.value).startswith(
        f"KOSIS [data] series 101/DT_1J22003 item T category A01114 period 202610: DT {value} "
    )
    assert api.stats()["kosis"]["requests"] == 1


def test_kosis_loose_json_is_accepted(api):
    api.add_fault("kosis", "loose_json", count=None)
    rows = KosisClient(SETTINGS, api_endpoint(SETTINGS.kosis_conn_id)).fetch(SERIES, ["202610"])
    assert [(row.category_id, row.period) for row in rows] == [("A01114", "202610")]


def test_kosis_future_period_is_empty(api):
    assert KosisClient(SETTINGS, api_endpoint(SETTINGS.kosis_conn_id)).fetch(SERIES, ["209912"]) == []


# --- not yet published: wait within the window, then fail -------------------------------------------


def ctx(settings: Settings = SETTINGS) -> StepContext:
    return step_context(WEEK, settings, run_id="test")


def test_sunday_not_published_at_monday_0200_means_wait(api):
    api.configure(now="2026-11-23T02:00:00+09:00")
    assert weather_published(ctx(), now=pendulum.datetime(2026, 11, 23, 2, tz="Asia/Seoul")) is False
    api.configure(now="2026-11-23T09:30:00+09:00")
    assert weather_published(ctx(), now=pendulum.datetime(2026, 11, 23, 9, 30, tz="Asia/Seoul")) is True


def test_not_published_after_the_window_fails_with_what_was_waited_for(api):
    api.configure(now="2026-11-23T12:05:00+09:00", publish_hour=13)
    with pytest.raises(PermanentError, match=r"not published by 2026-11-23 12:00 KST"):
        weather_published(ctx(), now=pendulum.datetime(2026, 11, 23, 12, 5, tz="Asia/Seoul"))


def test_the_window_is_configuration(api):
    api.configure(now="2026-11-23T12:05:00+09:00", publish_hour=13)
    late = Settings(http_attempts=1, http_backoff_seconds=0.01, publication_wait_until="15:00")
    assert weather_published(ctx(late), now=pendulum.datetime(2026, 11, 23, 12, 5, tz="Asia/Seoul")) is False


def test_a_permanent_error_while_waiting_fails_at_once(api):
    api.add_fault("kma", "key_xml_200", count=None)
    with pytest.raises(PermanentApiError):
        weather_published(ctx(), now=pendulum.datetime(2026, 11, 23, 2, tz="Asia/Seoul"))


@pytest.mark.parametrize(
    ("scenario", "named", "calls"),
    [("http_500", "server error", ATTEMPTS),
     ("quota_xml_200", "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR", 1),  # not retried within seconds
     ("malformed_json", "malformed JSON", ATTEMPTS)],
)  # fmt: skip
@pytest.mark.parametrize("hour", [2, 14])  # inside the waiting window, and after it (a backfill, a re-run)
def test_a_transient_fault_of_the_probe_keeps_its_class(api, scenario, named, calls, hour):
    api.configure(now=f"2026-11-23T{hour:02d}:00:00+09:00")
    api.add_fault("kma", scenario, count=None)
    with pytest.raises(TransientApiError, match=named) as raised:
        weather_published(ctx(), now=pendulum.datetime(2026, 11, 23, hour, tz="Asia/Seoul"))
    assert not isinstance(raised.value, PermanentError)  # Airflow's retries apply
    assert "not published" not in str(raised.value)
    assert kma_calls(api) == calls


def test_a_probe_answered_with_99_waits_then_says_not_published(api):
    api.configure(now="2026-11-23T10:00:00+09:00")
    api.add_fault("kma", "not_published", count=None)
    assert weather_published(ctx(), now=pendulum.datetime(2026, 11, 23, 10, tz="Asia/Seoul")) is False
    with pytest.raises(PermanentError, match=r"not published by 2026-11-23 12:00 KST \(KMA answered 99 "):
        weather_published(ctx(), now=pendulum.datetime(2026, 11, 23, 12, 30, tz="Asia/Seoul"))


def test_a_data_error_of_the_probe_fails_at_once(api):
    api.configure(now="2026-11-23T10:00:00+09:00")
    api.add_fault("kma", "bad_values", count=None, value="NaN")
    with pytest.raises(ApiDataError, match="station 108, 2026-11-22: avgTa 'NaN'"):
        weather_published(ctx(), now=pendulum.datetime(2026, 11, 23, 10, tz="Asia/Seoul"))
    assert kma_calls(api) == 1


def test_station_fetch_missing_sunday_inside_the_window_is_retried_later(api):
    api.configure(now="2026-11-23T08:00:00+09:00")  # Saturday published, Sunday not yet
    location = WeatherLocation("108", "서울", ("F1",))
    with pytest.raises(TransientApiError, match="2026-11-22 not published yet"):
        collect_station_weather(ctx(), location, now=pendulum.datetime(2026, 11, 23, 8, tz="Asia/Seoul"))
