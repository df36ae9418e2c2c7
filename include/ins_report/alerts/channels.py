"""Sending an alert to the admins on every configured channel.

Three channels, each switched on by its Airflow connection and off when the connection is absent:

- ``email``: the smtp provider (``SmtpHook``), connection ``smtp_alerts``, to ``INS_ALERT_EMAILS``;
- ``slack``: a Slack incoming webhook, connection ``slack_alerts``: type ``slackwebhook`` (slack
  provider; the webhook URL or token in the password, where the UI masks it) or type ``http`` (the full
  webhook URL in the host);
- ``webhook``: a generic JSON webhook (Teams, KakaoWork, an in-house receiver), connection
  ``alert_webhook`` (http provider, full URL in the host; extras become headers, e.g. a token).

A webhook URL is a credential (whoever has it can post), and Airflow masks a connection's password but not
its host: every secret part of a channel's connection is registered with Airflow's secrets masker before
the channel is used, so that no log line of the process (task, dag-processor, triggerer) shows it, not even
the HTTP library's own warnings. A failing channel is logged (class and masked message, no traceback) and
never stops the others. Everything sent is redacted once more here (API keys).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from airflow.providers.http.hooks.http import HttpHook
from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from include.ins_report.alerts.message import Alert
from include.ins_report.secrets import (  # what is secret in a connection: defined once there
    api_secrets,
    channel_conn_ids,
    connection_secrets,
    redact,
)
from include.ins_report.settings import CHANNELS, Settings  # the channel names, defined once there

log = logging.getLogger(__name__)


def parse_channels(names: Iterable[str]) -> list[str]:
    """Channel names in the order given; an unknown name is an error that says the known ones."""
    channels = []
    for name in names:
        channel = name.strip().lower()
        if channel not in CHANNELS:
            raise ValueError(f"unknown alert channel {name!r}; known: {', '.join(CHANNELS)}")
        if channel not in channels:
            channels.append(channel)
    return channels


def mask_connection(conn: Any) -> set[str]:
    """Register the connection's secrets with Airflow's secrets masker (this process and, in a task, its
    supervisor); returns them for the module's own redaction."""
    secrets = connection_secrets(conn)
    for secret in secrets:
        mask_secret(secret)
    return secrets


def _connection(conn_id: str):
    try:
        return BaseHook.get_connection(conn_id)
    except Exception:
        return None


def _configured(settings: Settings, channels: Iterable[str] = CHANNELS) -> dict[str, Any]:
    """Of ``channels``, those whose connection exists (e-mail also needs recipients), with the connection;
    their secrets are masked from here on."""
    conn_ids = channel_conn_ids(settings)
    configured = {}
    for channel in channels:
        conn = _connection(conn_ids[channel])
        if conn is None:
            continue
        mask_connection(conn)
        if channel == "email" and not settings.alert_emails:
            log.warning("the e-mail channel has no recipients (INS_ALERT_EMAILS)")
            continue
        configured[channel] = conn
    return configured


def configured_channels(settings: Settings) -> list[str]:
    """The channels an alert goes to: those whose connection exists (e-mail also needs recipients)."""
    return list(_configured(settings))


def _send_email(alert: Alert, settings: Settings, conn) -> None:
    with SmtpHook(smtp_conn_id=conn.conn_id) as smtp:
        smtp.send_email_smtp(to=settings.alert_emails, subject=alert.subject, html_content=alert.html)


def _send_slack(alert: Alert, settings: Settings, conn) -> None:
    message = alert.slack_message()
    if (conn.conn_type or "").lower() == "slackwebhook":
        from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

        SlackWebhookHook(slack_webhook_conn_id=conn.conn_id).send(**message)
    else:
        HttpHook(method="POST", http_conn_id=conn.conn_id).run(json=message)


def _send_webhook(alert: Alert, settings: Settings, conn) -> None:
    HttpHook(method="POST", http_conn_id=conn.conn_id).run(json=alert.payload)


SENDERS = {"email": _send_email, "slack": _send_slack, "webhook": _send_webhook}


def send_alert(alert: Alert, settings: Settings, channels: Iterable[str] | None = None) -> list[str]:
    """Send on every configured channel (or on those of ``channels`` that are configured); returns the
    channels that accepted it."""
    wanted = list(CHANNELS) if channels is None else parse_channels(channels)
    try:
        alert = alert.redacted(api_secrets(settings))
    except Exception:  # never lose an alert to the redaction's own lookups
        log.warning("API keys could not be looked up for redaction")
    sent = []
    for channel, conn in _configured(settings, wanted).items():
        try:
            SENDERS[channel](alert, settings, conn)
            sent.append(channel)
        except Exception as exc:
            # No traceback: it would repeat the request's URL; the class and the (masked) message say enough.
            error = redact(f"{type(exc).__name__}: {exc}", connection_secrets(conn))
            log.error("alert via %s failed (connection %s): %s", channel, conn.conn_id, error)
    kind = alert.payload.get("event", "alert")
    log.info("%s sent via %s", kind, ", ".join(sent) or "no channel (none configured or all failed)")
    return sent
