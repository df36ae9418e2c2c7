"""Sending an alert to the admins on every configured channel: e-mail (smtp provider) and a JSON webhook
(http provider). A channel is off when its connection is absent; a failing channel never stops the others."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from typing import Any

from airflow.providers.http.hooks.http import HttpHook
from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.sdk import BaseHook

from include.ins_report.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Alert:
    subject: str
    text: str
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def html(self) -> str:
        return f"<pre style='font-family:monospace'>{html.escape(self.text)}</pre>"


def _connection_exists(conn_id: str) -> bool:
    try:
        BaseHook.get_connection(conn_id)
    except Exception:
        return False
    return True


def send_alert(alert: Alert, settings: Settings) -> list[str]:
    """Send on every configured channel; returns the channels that accepted it."""
    sent = []
    if _connection_exists(settings.smtp_conn_id) and settings.alert_emails:
        try:
            with SmtpHook(smtp_conn_id=settings.smtp_conn_id) as smtp:
                smtp.send_email_smtp(to=settings.alert_emails, subject=alert.subject, html_content=alert.html)
            sent.append("email")
        except Exception:
            log.exception("alert e-mail failed")
    if _connection_exists(settings.webhook_conn_id):
        try:
            HttpHook(method="POST", http_conn_id=settings.webhook_conn_id).run(json=alert.payload)
            sent.append("webhook")
        except Exception:
            log.exception("alert webhook failed")
    log.info("failure alert sent via %s", ", ".join(sent) or "no channel (none configured)")
    return sent
