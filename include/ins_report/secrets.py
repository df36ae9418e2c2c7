"""Keep API keys out of everything the batch writes: job-log rows and alerts."""

from __future__ import annotations

from urllib.parse import quote, quote_plus

from airflow.sdk import BaseHook

from include.ins_report.settings import Settings

REDACTED = "***"


def api_secrets(settings: Settings) -> set[str]:
    """Every spelling of the configured API keys (raw and URL-encoded)."""
    secrets: set[str] = set()
    for conn_id in (settings.kma_conn_id, settings.kosis_conn_id):
        try:
            password = BaseHook.get_connection(conn_id).password
        except Exception:  # an absent connection has no secret to hide
            continue
        if password:
            secrets |= {password, quote(password, safe=""), quote_plus(password)}
    return {secret for secret in secrets if len(secret) >= 4}


def redact(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
