"""Secrets from one list (include/ins_report/airflow_edge/secrets.py): every source's key comes from the
catalog and every alert channel's credentials from its connection. With each planted, each failure path is
forced (a refused connection, a bad schema, a timeout, an HTTP error, as the clients raise them and as raw
HTTP-stack errors that quote the URL; a failing channel) and none is found in what the batch writes: the job
log's FAILED row, the failure XCom, the alert, the captured logs."""

from __future__ import annotations

import json
import logging
import os
from urllib.parse import quote, quote_plus

import pytest
import requests
from airflow.sdk._shared.secrets_masker import redact as airflow_masker

from include.ins_report.airflow_edge import callbacks, secrets
from include.ins_report.airflow_edge.connections import api_endpoint, farm_database
from include.ins_report.alerts.notifier import InsAlertNotifier
from include.ins_report.config.settings import CHANNELS, Settings
from include.ins_report.model import clock
from include.ins_report.sources import catalog
from include.ins_report.sources.ekape import EkapeClient
from include.ins_report.sources.kma_asos import AsosWeatherProvider
from include.ins_report.sources.kosis import KosisClient
from tests.support.receivers import WebhookReceiver, free_port
from tests.support.task_instance import FakeTaskInstance
from tests.unit.test_http_recovery import EMULATOR_NOW, SERIES, WEEK_END, WEEK_START

SETTINGS = Settings(
    http_attempts=2,
    http_backoff_seconds=0.01,
    http_timeout_seconds=1.0,
    kma_calls_per_second=0,
    kosis_calls_per_second=0,
    ekape_calls_per_second=0,
)
RUN = "manual__2026-11-24T01:00:00+00:00"
KEYS = {"kma": "Kma+Key/SECRET=1", "kosis": "Kosis+Key/SECRET=2", "ekape": "Ekape+Key/SECRET=3"}
CONN_IDS = {"kma": "KMA_API", "kosis": "KOSIS_API", "ekape": "EKAPE_API"}
WEBHOOK_TOKEN = "hook-SECRET-token-4"
SLACK_TOKEN = "T0AAA/B0BBB/slack-SECRET-5"
SMTP_PASSWORD = "smtp-SECRET-password-6"
HEADER_TOKEN = "header-SECRET-token-7"


def planted() -> set[str]:
    """Every planted secret in each spelling a text can carry."""
    found = {WEBHOOK_TOKEN, SLACK_TOKEN, quote(SLACK_TOKEN, safe=""), SMTP_PASSWORD, HEADER_TOKEN}
    for key in KEYS.values():
        found |= {key, quote(key, safe=""), quote_plus(key)}
    return found


def leaks(text: str) -> list[str]:
    return sorted(secret for secret in planted() if secret in text)


# The kit's session emulator (tests/conftest.py) with this module's planted keys and clock.
pytestmark = pytest.mark.emulator(
    kma_key=KEYS["kma"], kosis_key=KEYS["kosis"], ekape_key=KEYS["ekape"], now=EMULATOR_NOW.isoformat()
)


def api_conn(port: int, api: str, **fields) -> str:
    return json.dumps(
        {"conn_type": "http", "host": "127.0.0.1", "port": port, "password": KEYS[api], **fields}
    )


@pytest.fixture
def planted_env(emulator, farm_db, monkeypatch):
    """Every source's connection (key planted) on the emulator; the webhook channel on a live receiver with
    its token in the URL and a header token; Slack down with its token in the path; SMTP with a password."""
    for api, conn in CONN_IDS.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn}", api_conn(emulator.port, api))
    monkeypatch.setenv("INS_AIRFLOW_BASE_URL", "http://airflow.example:8080")
    with WebhookReceiver() as webhook:
        monkeypatch.setenv(
            "AIRFLOW_CONN_ALERT_WEBHOOK",
            json.dumps(
                {
                    "conn_type": "http",
                    "host": f"{webhook.url}?token={WEBHOOK_TOKEN}",
                    "extra": {"X-Api-Key": HEADER_TOKEN},
                }
            ),
        )
        down = f"http://127.0.0.1:{free_port()}"
        monkeypatch.setenv(
            "AIRFLOW_CONN_SLACK_ALERTS",
            json.dumps({"conn_type": "http", "host": f"{down}/services/{SLACK_TOKEN}"}),
        )
        monkeypatch.setenv(
            "AIRFLOW_CONN_SMTP_ALERTS",
            json.dumps(
                {"conn_type": "smtp", "host": "127.0.0.1", "port": free_port(), "password": SMTP_PASSWORD}
            ),
        )
        monkeypatch.delenv("INS_ALERT_EMAILS", raising=False)  # e-mail has no recipients: not sent
        yield emulator, webhook


# --- the one list ---------------------------------------------------------------------------------------


def test_the_list_holds_every_sources_key_and_every_channels_credentials(planted_env):
    found = secrets.api_secrets(Settings.from_env())
    for key in KEYS.values():
        assert {key, quote(key, safe=""), quote_plus(key)} <= found
    assert {SMTP_PASSWORD, HEADER_TOKEN} <= found
    # A channel URL is redacted whole, or as the path and query that requests quotes.
    _, webhook = planted_env
    texts = [
        f"{webhook.url}?token={WEBHOOK_TOKEN}",
        f"url: /hooks/ins?token={WEBHOOK_TOKEN}",
        f"/services/{SLACK_TOKEN}",
        quote(f"/services/{SLACK_TOKEN}", safe="/"),
    ]
    assert leaks(secrets.redact("\n".join(texts), found)) == []
    assert set(secrets.source_conn_ids(Settings())) == {
        source.conn_id(Settings()) for source in catalog.SOURCES
    }
    assert set(secrets.channel_conn_ids(Settings())) == set(CHANNELS)


def test_a_source_added_to_the_catalog_brings_its_key(planted_env, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_NEW_API", json.dumps({"conn_type": "http", "host": "h", "password": "new+KEY/9"})
    )

    class NewSource(type(catalog.SOURCES[0])):
        name = "new"

        def conn_id(self, settings: Settings) -> str:
            return "new_api"

    monkeypatch.setattr(catalog, "SOURCES", (*catalog.SOURCES, NewSource()))
    assert {"new+KEY/9", "new%2BKEY%2F9"} <= secrets.api_secrets(Settings.from_env())


# --- every failure path, and what it writes --------------------------------------------------------------


def raised(call) -> BaseException:
    try:
        call()
    except Exception as error:  # the error as the task would raise it
        return error
    raise AssertionError("the failure path did not fail")


def url_with(api: str, param: str, scheme: str = "https") -> str:
    return f"{scheme}://apis.example/{api}?{param}={quote_plus(KEYS[api])}&pageNo=1"


FAILURES = {
    "refused": lambda em, mp: (
        mp.setenv("AIRFLOW_CONN_KMA_API", api_conn(free_port(), "kma")),
        raised(
            lambda: AsosWeatherProvider(SETTINGS, api_endpoint(SETTINGS.kma_conn_id)).fetch_days(
                "108", WEEK_START, WEEK_END
            )
        ),
    )[1],
    "refused_raw": lambda em, mp: requests.ConnectionError(
        f"HTTPConnectionPool(host='apis.example', port=443): Max retries exceeded with url: "
        f"{url_with('kma', 'serviceKey')} (Caused by NewConnectionError('Connection refused'))"
    ),
    "bad_schema": lambda em, mp: (
        mp.setenv("AIRFLOW_CONN_EKAPE_API", api_conn(em.port, "ekape", schema="httpx")),
        raised(
            lambda: EkapeClient(SETTINGS, api_endpoint(SETTINGS.ekape_conn_id)).fetch_day(
                WEEK_START, EMULATOR_NOW
            )
        ),
    )[1],
    "bad_schema_raw": lambda em, mp: requests.exceptions.InvalidSchema(
        f"No connection adapters were found for {url_with('ekape', 'serviceKey', 'httpx')!r}"
    ),
    "timeout": lambda em, mp: (
        em.add_fault("kosis", "timeout", count=None, seconds=3),
        raised(lambda: KosisClient(SETTINGS, api_endpoint(SETTINGS.kosis_conn_id)).fetch(SERIES, ["202610"])),
    )[1],
    "http_error": lambda em, mp: (
        em.add_fault("kosis", "http_401", count=None),
        raised(lambda: KosisClient(SETTINGS, api_endpoint(SETTINGS.kosis_conn_id)).fetch(SERIES, ["202610"])),
    )[1],
    "http_error_raw": lambda em, mp: requests.HTTPError(
        f"401 Client Error: Unauthorized for url: {url_with('kosis', 'apiKey')}"
    ),
    "channel_url_in_an_error": lambda em, mp: RuntimeError(
        f"posting to http://127.0.0.1/hooks/ins?token={WEBHOOK_TOKEN} failed (X-Api-Key {HEADER_TOKEN}, "
        f"slack /services/{SLACK_TOKEN}, smtp password {SMTP_PASSWORD})"
    ),
}


def context(ti: FakeTaskInstance, **more) -> dict:
    return {
        "run_id": RUN,
        "params": {"week": "2026-11-16"},
        "data_interval_end": clock.now(),
        "ti": ti,
        **more,
    }


@pytest.mark.parametrize("path", FAILURES)
def test_no_failure_path_writes_a_secret(planted_env, monkeypatch, caplog, capfd, path):
    emulator, webhook = planted_env
    caplog.set_level(logging.DEBUG)
    error = FAILURES[path](emulator, monkeypatch)
    assert error is not None

    # The FAILED row of TS_INS_JOB_LOG.
    callbacks.record_task_failure(context(FakeTaskInstance("check_collection"), exception=error))
    rows = farm_database("farm_db").job_log(RUN)
    assert [row["status"] for row in rows] == ["FAILED"]
    assert type(error).__name__ in rows[0]["message"]  # the row says what failed, redacted
    assert leaks(json.dumps(rows, ensure_ascii=False, default=str)) == []

    # With the job log down, the failure XCom instead.
    farm_db = json.loads(os.environ["AIRFLOW_CONN_FARM_DB"])
    monkeypatch.setenv("AIRFLOW_CONN_FARM_DB", json.dumps({**farm_db, "host": "/nonexistent/x.db"}))
    ti = FakeTaskInstance("check_collection").failed()
    callbacks.record_task_failure(context(ti, exception=error))
    (kept,) = ti.xcoms.values()
    assert type(error).__name__ in kept["error"]
    assert leaks(json.dumps(kept, ensure_ascii=False)) == []

    # The run's alert: delivered on the webhook, Slack failing (its error logged), e-mail unused.
    InsAlertNotifier("failure")(context(ti, reason="task_failure"))
    (delivered,) = webhook.requests
    assert delivered["json"]["failed_steps"] == ["CHECK_COLLECTION"]
    assert leaks(json.dumps(delivered["json"], ensure_ascii=False)) == []

    # The logs: our own lines hold no secret; all of them, through Airflow's masker as the task, triggerer
    # and dag-processor pipelines pass them, hold none either.
    out, err = capfd.readouterr()
    records = [(record.name, record.getMessage()) for record in caplog.records]
    assert "alert via slack failed" in " ".join(message for _, message in records)
    own = [message for name, message in records if name.startswith("include.")]
    assert leaks("\n".join(own)) == []
    assert leaks(airflow_masker("\n".join([out, err, *(message for _, message in records)]))) == []
