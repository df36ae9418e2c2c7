"""Each alert channel against a real local receiver: SMTP (aiosmtpd), a Slack incoming webhook (slack
provider's ``slackwebhook`` connection, or a plain ``http`` one) and the generic JSON webhook. A channel is
off while its connection is absent, and a broken one never stops the others."""

from __future__ import annotations

import json

import pytest

from include.ins_report.alerts import Alert, configured_channels, send_alert
from include.ins_report.settings import Settings
from tests.support.receivers import SmtpReceiver, WebhookReceiver, free_port

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
