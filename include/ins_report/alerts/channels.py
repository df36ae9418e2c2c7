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

Each sender keeps to the time budget it is given: HTTP timeouts on the webhook and Slack calls, an SMTP
timeout and a single connection attempt. ``alerts/delivery.py`` runs the channels at once, each in a thread
of its own within that budget.
"""

from __future__ import annotations

import functools
import logging
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from include.ins_report.airflow_edge.secrets import channel_conn_ids, connection_secrets  # defined once there
from include.ins_report.alerts.messages.alert import Alert
from include.ins_report.config.settings import CHANNELS, Settings  # the channel names, defined once there

log = logging.getLogger(__name__)

CONNECT_SECONDS = 10.0  # of an HTTP channel's budget, at most this to connect


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


def configured_connections(settings: Settings, channels: Iterable[str] = CHANNELS) -> dict[str, Any]:
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
    return list(configured_connections(settings))


@functools.cache
def _bounded_smtp_hook() -> type:
    """The smtp provider's hook within a budget: its socket timeout at most the budget, and one connection
    attempt (the provider tries a failed connection ``retry_limit`` + 1 times, 6 by default)."""
    # Imported on sending, not on parsing: the provider pulls in aiosmtplib, and every task process parses
    # the DAG file (tests/dags/test_parse_cost.py).
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    class BoundedSmtpHook(SmtpHook):
        def __init__(self, smtp_conn_id: str, budget: float) -> None:
            super().__init__(smtp_conn_id=smtp_conn_id)
            self._budget = budget

        @property
        def timeout(self) -> int:
            return max(1, min(int(super().timeout), int(self._budget)))

        @property
        def smtp_retry_limit(self) -> int:
            return 0

    return BoundedSmtpHook


def _http_timeout(budget: float) -> tuple[float, float]:
    """requests' (connect, read) timeouts within a channel's budget."""
    return (min(CONNECT_SECONDS, budget), budget)


def _send_email(alert: Alert, settings: Settings, conn, budget: float) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="ins-alert-") as folder,
        _bounded_smtp_hook()(conn.conn_id, budget) as smtp,
    ):
        # The provider attaches each file with Content-ID <its name>: the HTML's cid: images, related parts.
        files = []
        for cid, data in alert.images.items():
            path = Path(folder) / cid
            path.write_bytes(data)
            files.append(str(path))
        smtp.send_email_smtp(
            to=settings.alert_emails,
            subject=alert.subject,
            html_content=alert.html,
            files=files or None,
            mime_subtype="related" if files else "mixed",
        )


def _send_slack(alert: Alert, settings: Settings, conn, budget: float) -> None:
    message = alert.slack_message()
    if (conn.conn_type or "").lower() == "slackwebhook":
        from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

        # No retry handlers: slack_sdk retries a connection error once by default.
        hook = SlackWebhookHook(
            slack_webhook_conn_id=conn.conn_id, timeout=max(1, int(budget)), retry_handlers=[]
        )
        hook.send(**message)
    else:
        from airflow.providers.http.hooks.http import HttpHook  # where used: see _send_webhook

        hook = HttpHook(method="POST", http_conn_id=conn.conn_id)
        hook.run(json=message, extra_options={"timeout": _http_timeout(budget)})


def _send_webhook(alert: Alert, settings: Settings, conn, budget: float) -> None:
    # Imported here, not at the top: the http provider pulls in aiohttp (about 0.3 s), which every task
    # process would pay on parsing the DAG file (tests/dags/test_parse_cost.py).
    from airflow.providers.http.hooks.http import HttpHook

    hook = HttpHook(method="POST", http_conn_id=conn.conn_id)
    hook.run(json=alert.payload, extra_options={"timeout": _http_timeout(budget)})


SENDERS = {"email": _send_email, "slack": _send_slack, "webhook": _send_webhook}
