"""Each alert channel against a real local receiver: SMTP (aiosmtpd), a Slack incoming webhook (slack
provider's ``slackwebhook`` connection, or a plain ``http`` one) and the generic JSON webhook. A channel is
off while its connection is absent, and a broken one never stops the others."""

from __future__ import annotations

import json
import threading

import pytest

from include.ins_report.alerts import channels
from include.ins_report.alerts.channels import configured_channels
from include.ins_report.alerts.delivery import (
    CALLBACK_LIMIT_SECONDS,
    CHANNEL_BUDGET_SECONDS,
    callback_budget,
    deliver,
    send_alert,
)
from include.ins_report.alerts.messages.alert import Alert
from include.ins_report.config.settings import Settings
from tests.support.receivers import SilentReceiver, SmtpReceiver, WebhookReceiver, free_port

KEY = "Kma+Key/SECRET=9"
CONNS = ("AIRFLOW_CONN_SMTP_ALERTS", "AIRFLOW_CONN_SLACK_ALERTS", "AIRFLOW_CONN_ALERT_WEBHOOK")


@pytest.fixture
def receivers(monkeypatch):
    for name in CONNS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INS_ALERT_EMAILS", "ops@example.com,farm-admin@example.com")
    monkeypatch.setenv(
        "AIRFLOW_CONN_KMA_API", json.dumps({"conn_type": "http", "host": "h", "password": KEY})
    )
    with SmtpReceiver() as smtp, WebhookReceiver() as slack, WebhookReceiver() as webhook:
        yield smtp, slack, webhook


def smtp_conn(port: int) -> str:
    extra = {"disable_ssl": True, "disable_tls": True, "from_email": "airflow@localhost"}
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": extra})


def slack_base(receiver: WebhookReceiver) -> str:
    return receiver.url.rsplit("/hooks/", 1)[0]


ALERT = Alert(
    subject=f"[INS weekly report] FAILED week 2026-11-16..2026-11-22 (key {KEY})",
    text="The weekly INS report batch FAILED.\n"
    f"Link:   http://airflow:8080/dags/x/runs/r\nerror: bad key {KEY}",
    payload={"event": "ins_weekly_report_failed", "errors": [f"KMA: bad key {KEY}"], "n": 1},
    url="http://airflow:8080/dags/x/runs/r",
)


def test_no_channel_configured_sends_nothing(receivers):
    assert configured_channels(Settings.from_env()) == []
    assert send_alert(ALERT, Settings.from_env()) == []


def test_every_channel_delivers_redacted(receivers, monkeypatch):
    smtp, slack, webhook = receivers
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", smtp_conn(smtp.port))
    token = "T0AAA/B0BBB/slack-SECRET-token"
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLACK_ALERTS",
        json.dumps({"conn_type": "slackwebhook", "password": f"{slack_base(slack)}/services/{token}"}),
    )
    monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": webhook.url}))
    settings = Settings.from_env()
    assert configured_channels(settings) == ["email", "slack", "webhook"]
    assert send_alert(ALERT, settings) == ["email", "slack", "webhook"]

    (mail,) = smtp.messages
    assert mail["To"] == "ops@example.com, farm-admin@example.com"
    assert mail["From"] == "airflow@localhost"
    assert mail["Subject"] == "[INS weekly report] FAILED week 2026-11-16..2026-11-22 (key ***)"
    html = mail.get_body(("html",)).get_content()
    assert "<a href='http://airflow:8080/dags/x/runs/r'>" in html
    assert "bad key ***" in html

    (posted,) = slack.requests
    assert posted["path"] == f"/services/{token}"
    assert posted["json"]["text"] == mail["Subject"]
    blocks = posted["json"]["blocks"]
    assert blocks[0]["text"]["text"].startswith("*[INS weekly report] FAILED week")
    assert "<http://airflow:8080/dags/x/runs/r|Open the run in Airflow>" in blocks[0]["text"]["text"]
    assert blocks[1]["text"]["text"].startswith("```The weekly INS report batch FAILED.")

    (hook,) = webhook.requests
    assert hook["path"] == "/hooks/ins"
    assert hook["headers"]["Content-Type"] == "application/json"
    assert hook["json"] == {"event": "ins_weekly_report_failed", "errors": ["KMA: bad key ***"], "n": 1}

    everything = str([m.as_string() for m in smtp.messages]) + str(slack.requests) + str(webhook.requests)
    assert "SECRET=9" not in everything
    assert "SECRET%3D9" not in everything


def test_slack_through_a_plain_http_connection(receivers, monkeypatch):
    _, slack, _ = receivers
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_ALERTS", json.dumps({"conn_type": "http", "host": slack.url}))
    assert send_alert(ALERT, Settings.from_env()) == ["slack"]
    assert slack.requests[0]["json"]["blocks"][1]["type"] == "section"


def test_only_the_requested_channels(receivers, monkeypatch):
    smtp, _, webhook = receivers
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", smtp_conn(smtp.port))
    monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": webhook.url}))
    # Slack is requested but not configured: skipped, not an error.
    assert send_alert(ALERT, Settings.from_env(), channels=["webhook", "slack"]) == ["webhook"]
    assert len(webhook.requests) == 1  # the receivers work: the silent SMTP below is a choice
    assert smtp.messages == []
    with pytest.raises(ValueError, match="unknown alert channel"):
        send_alert(ALERT, Settings.from_env(), channels=["pager"])


def test_a_broken_channel_does_not_stop_the_others(receivers, monkeypatch, caplog):
    _, _, webhook = receivers
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", smtp_conn(free_port()))  # nobody listens there
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLACK_ALERTS",
        json.dumps({"conn_type": "slackwebhook", "password": f"http://127.0.0.1:{free_port()}/services/x"}),
    )
    monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": webhook.url}))
    assert send_alert(ALERT, Settings.from_env()) == ["webhook"]
    assert len(webhook.requests) == 1
    assert "alert via email failed" in caplog.text
    assert "alert via slack failed" in caplog.text


def test_email_needs_recipients(receivers, monkeypatch):
    smtp, _, _ = receivers
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", smtp_conn(smtp.port))
    monkeypatch.setenv("INS_ALERT_EMAILS", " , ")
    settings = Settings.from_env()
    assert settings.alert_emails == []
    assert configured_channels(settings) == []
    assert send_alert(ALERT, settings) == []


# --- a down channel: its webhook URL never reaches a log line ----------------------------------------

WEBHOOK_TOKEN = "hook-SECRET-7f3a9c"
SLACK_PATH = "/services/T0DOWN/B0DOWN/slack-SECRET-91be"


def test_a_down_channel_never_logs_its_token_url(monkeypatch, caplog, capfd):
    """The webhook (token in the URL's query) and an http-type Slack webhook (token in the path) keep their
    URL in the connection's host, which Airflow does not mask by itself: the channels register it with
    Airflow's secrets masker, and their own error line is redacted as well. Everything logged while the
    channels fail, once through Airflow's secrets masker as the task, dag-processor and triggerer log
    pipelines pass it (the HTTP hook's own warnings included), is free of the tokens; the channels' own
    lines are free of them even without it."""
    import logging

    from airflow.sdk._shared.secrets_masker import redact as airflow_masker

    from tests.support.receivers import free_port

    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv(
        "AIRFLOW_CONN_ALERT_WEBHOOK",
        json.dumps({"conn_type": "http", "host": f"{down}/hooks/ins?token={WEBHOOK_TOKEN}"}),
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLACK_ALERTS", json.dumps({"conn_type": "http", "host": f"{down}{SLACK_PATH}"})
    )
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_ALERTS", raising=False)
    caplog.set_level(logging.DEBUG)
    sent = send_alert(Alert(subject="s", text="t", payload={"event": "x"}), Settings.from_env())
    assert sent == []
    out, err = capfd.readouterr()
    logged = "\n".join([out, err, *(record.getMessage() for record in caplog.records)])
    assert "alert via webhook failed" in logged
    assert "alert via slack failed" in logged
    assert "ConnectionError" in logged  # the cause is still said
    assert "Tenacity will retry" in logged  # HttpHook's own warning, which names the URL's path
    own = [line for line in logged.splitlines() if "alert via" in line]
    assert own
    assert not [line for line in own if "SECRET" in line]
    masked = airflow_masker(logged)
    assert WEBHOOK_TOKEN not in masked
    assert "slack-SECRET" not in masked


# --- each channel within its budget, all at once ------------------------------------------------------


def test_a_webhook_that_never_answers_does_not_silence_the_other_channels(receivers, monkeypatch):
    """A real socket that accepts the webhook's connection and never answers: the webhook fails on its own
    time budget (its HTTP read timeout, or the join), and e-mail and Slack are delivered all the same."""
    smtp, slack, _ = receivers
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", smtp_conn(smtp.port))
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_ALERTS", json.dumps({"conn_type": "http", "host": slack.url}))
    with SilentReceiver() as silent:
        monkeypatch.setenv(
            "AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": silent.url})
        )
        delivery = deliver(ALERT, Settings.from_env(), budget=4)
        assert silent.connections == 1  # the request reached it, and was left unanswered
    assert delivery.sent == ["email", "slack"]
    (failed,) = delivery.failed
    assert (failed.channel, failed.conn_id) == ("webhook", "alert_webhook")
    assert failed.error_class in ("ReadTimeout", "TimeoutError"), failed.error
    assert not delivery.lost
    assert len(smtp.messages) == 1
    assert len(slack.requests) == 1


def test_the_channels_run_at_the_same_time(monkeypatch):
    """E-mail (first in order) waits for the webhook (last) to have been sent: only a webhook sent while the
    e-mail is still going lets both through, as when one channel hangs and the others must not wait."""
    for name in CONNS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", smtp_conn(free_port()))
    monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": "http://h/x"}))
    webhook_sent = threading.Event()

    def email(alert, settings, conn, budget):
        if not webhook_sent.wait(budget):
            raise TimeoutError("the webhook was not sent meanwhile")

    monkeypatch.setitem(channels.SENDERS, "email", email)
    monkeypatch.setitem(channels.SENDERS, "webhook", lambda alert, settings, conn, budget: webhook_sent.set())
    delivery = deliver(ALERT, Settings.from_env(), budget=30)
    assert delivery.sent == ["email", "webhook"], delivery.failed


def test_a_channel_that_ignores_its_own_timeout_is_given_up_when_its_budget_is_spent(monkeypatch):
    """The join does not wait for a sender that blocks for good: the others' results stand."""
    for name in CONNS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", smtp_conn(free_port()))
    monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": "http://h/x"}))
    mailed: list[Alert] = []
    release = threading.Event()
    monkeypatch.setitem(channels.SENDERS, "email", lambda alert, settings, conn, budget: mailed.append(alert))
    monkeypatch.setitem(channels.SENDERS, "webhook", lambda alert, settings, conn, budget: release.wait())
    try:
        delivery = deliver(ALERT, Settings.from_env(), budget=2)
    finally:
        release.set()
    assert delivery.sent == ["email"]
    assert len(mailed) == 1
    assert [result.error for result in delivery.failed] == ["TimeoutError: no answer within 2 s"]


def test_each_sender_is_given_the_budget(monkeypatch):
    """The senders bound their own calls with it: HTTP (connect, read) timeouts, one SMTP attempt."""
    assert channels._http_timeout(20.0) == (channels.CONNECT_SECONDS, 20.0)
    assert channels._http_timeout(3.0) == (3.0, 3.0)
    conn = type("Conn", (), {"extra_dejson": {"timeout": 60, "retry_limit": 5}})()
    hook = channels._bounded_smtp_hook()("smtp_alerts", 20.0)
    hook.smtp_connection = conn
    assert (hook.timeout, hook.smtp_retry_limit) == (20, 0)  # the provider's own: 60 s, 5 retries


def test_every_channel_down_is_a_lost_alert_and_says_why_per_channel(receivers, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_ALERTS", smtp_conn(free_port()))  # nobody listens there
    monkeypatch.setenv(
        "AIRFLOW_CONN_ALERT_WEBHOOK",
        json.dumps(
            {"conn_type": "http", "host": f"http://127.0.0.1:{free_port()}/hooks/x?token={WEBHOOK_TOKEN}"}
        ),
    )
    delivery = deliver(ALERT, Settings.from_env(), budget=5)
    assert delivery.lost
    assert [(result.channel, bool(result.error_class)) for result in delivery.failed] == [
        ("email", True),
        ("webhook", True),
    ]
    summary = delivery.summary()
    assert "email via smtp_alerts (" in summary
    assert "webhook via alert_webhook (ConnectionError" in summary
    assert WEBHOOK_TOKEN not in summary  # the webhook's URL is a credential: redacted


def test_the_callbacks_time_stays_below_the_dag_processors_limit():
    """The job-log read, every channel at once and the ALERT row: under 40 s with the default budget, below
    dag_file_processor_timeout, after which the dag-processor kills a DAG callback."""
    from airflow.configuration import conf

    assert CHANNEL_BUDGET_SECONDS == 20.0
    assert callback_budget() <= CALLBACK_LIMIT_SECONDS <= 40.0
    processor_limit = conf.getfloat("dag_processor", "dag_file_processor_timeout")
    assert processor_limit > CALLBACK_LIMIT_SECONDS
