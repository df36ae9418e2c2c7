"""Sending a message to the admins on every configured channel.

Three channels, each switched on by its Airflow connection and off when the connection is absent:

- ``email``: the smtp provider (``SmtpHook``), connection ``smtp_alerts``, to ``INS_ALERT_EMAILS``;
- ``slack``: a Slack incoming webhook, connection ``slack_alerts``: type ``slackwebhook`` (slack
  provider; the webhook URL or token in the password, where the UI masks it) or type ``http`` (the full
  webhook URL in the host);
- ``webhook``: a generic JSON webhook (Teams, KakaoWork, an in-house receiver), connection
  ``alert_webhook`` (http provider, full URL in the host; extras become headers, e.g. a token).

A failing channel is logged and never stops the others. Everything sent is redacted once more here
(API keys), whatever the caller already did.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from airflow.providers.http.hooks.http import HttpHook
from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.sdk import BaseHook

from include.ins_report.secrets import api_secrets, redact
from include.ins_report.settings import DAG_ID, Settings
from include.ins_report.week import ReportWeek

log = logging.getLogger(__name__)

CHANNELS = ("email", "slack", "webhook")
SLACK_SECTION_LIMIT = 2900  # Slack rejects a section text over 3000 characters
URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass
class Alert:
    subject: str
    text: str
    payload: dict[str, Any] = field(default_factory=dict)
    url: str | None = None  # the run in the Airflow UI, shown as a link where the channel can

    @property
    def html(self) -> str:
        body = URL.sub(
            lambda m: f"<a href='{m.group(0)}'>{m.group(0)}</a>", html.escape(self.text, quote=False)
        )
        return f"<pre style='font-family:monospace;white-space:pre-wrap'>{body}</pre>"

    def slack_message(self) -> dict[str, Any]:
        """Slack Block Kit: the subject (and link) on top, the text as preformatted block."""
        head = f"*{self.subject}*" + (f"\n<{self.url}|Open the run in Airflow>" if self.url else "")
        text = self.text if len(self.text) <= SLACK_SECTION_LIMIT else self.text[:SLACK_SECTION_LIMIT] + "\n…"
        return {
            "text": self.subject,  # the notification's fallback text
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": head}},
                {"type": "section", "text": {"type": "mrkdwn", "text": f"```{text}```"}},
            ],
        }

    def redacted(self, secrets: set[str]) -> Alert:
        return replace(
            self,
            subject=redact(self.subject, secrets),
            text=redact(self.text, secrets),
            payload=_redact_value(self.payload, secrets),
        )


def run_url(settings: Settings, run_id: str) -> str:
    """The run in the Airflow UI."""
    return f"{settings.airflow_base_url}/dags/{DAG_ID}/runs/{quote(run_id, safe='')}"


def payload_head(event: str, run_id: str, url: str, week: ReportWeek | None) -> dict[str, Any]:
    """The fields every alert's JSON payload starts with (webhook receivers key on ``event``)."""
    return {
        "event": event,
        "dag_id": DAG_ID,
        "run_id": run_id,
        "url": url,
        "week_start": week.start.isoformat() if week else None,
        "week_end": week.end.isoformat() if week else None,
    }


def _redact_value(value: Any, secrets: set[str]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {key: _redact_value(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item, secrets) for item in value]
    return value


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


def channel_conn_ids(settings: Settings) -> dict[str, str]:
    return {
        "email": settings.smtp_conn_id,
        "slack": settings.slack_conn_id,
        "webhook": settings.webhook_conn_id,
    }


def _connection(conn_id: str):
    try:
        return BaseHook.get_connection(conn_id)
    except Exception:
        return None


def _configured(settings: Settings, channels: Iterable[str] = CHANNELS) -> dict[str, Any]:
    """Of ``channels``, those whose connection exists (e-mail also needs recipients), with the connection."""
    conn_ids = channel_conn_ids(settings)
    configured = {}
    for channel in channels:
        conn = _connection(conn_ids[channel])
        if conn is None:
            continue
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
        log.exception("API keys could not be looked up for redaction")
    sent = []
    for channel, conn in _configured(settings, wanted).items():
        try:
            SENDERS[channel](alert, settings, conn)
            sent.append(channel)
        except Exception:
            log.exception("alert via %s failed", channel)
    kind = alert.payload.get("event", "alert")
    log.info("%s sent via %s", kind, ", ".join(sent) or "no channel (none configured)")
    return sent
