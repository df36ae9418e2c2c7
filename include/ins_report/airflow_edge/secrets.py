"""Keep secrets out of everything the batch writes: job-log rows, the failure XCom, alerts and logs.

The secrets are derived, never listed by hand:

- every source's API key: the password of its connection (``catalog.SOURCES``, each ``Source.conn_id``),
  so adding a source cannot forget its key, and credential-like extras of that connection;
- every alert channel's credentials (``channel_conn_ids``): its password, a token-bearing URL in its host or
  password (a webhook URL is a credential) and credential-like extras (``Authorization``, ``X-Api-Key``...);

each in every spelling that can reach a text (raw and URL-encoded). ``api_secrets`` is the one list; the
alert channels also register their own with Airflow's secrets masker (alerts/channels.py), as the sources'
HTTP layer does for the keys (sources/http.py ``api_key``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

from airflow.sdk import BaseHook

from include.ins_report.config.settings import Settings
from include.ins_report.sources import catalog

REDACTED = "***"
SECRET_EXTRA_WORDS = ("auth", "token", "key", "secret", "signature", "password", "cookie")
MIN_SECRET = 5  # Airflow's masker ignores shorter strings too
MIN_KEY = 4  # an API key this short is not one (and redacting it would garble the text)


def channel_conn_ids(settings: Settings) -> dict[str, str]:
    """The connection of each alert channel (alerts/channels.py CHANNELS)."""
    return {
        "email": settings.smtp_conn_id,
        "slack": settings.slack_conn_id,
        "webhook": settings.webhook_conn_id,
    }


def source_conn_ids(settings: Settings) -> list[str]:
    """The connection of every source of the catalog, enabled or not (its password is the API key)."""
    return list(dict.fromkeys(source.conn_id(settings) for source in catalog.SOURCES))


def spellings(secret: str) -> set[str]:
    """A secret as it can appear in a text: raw, and URL-encoded as a query value or a path part."""
    return {secret, quote(secret, safe=""), quote_plus(secret)} if secret else set()


def _url_secrets(url: str) -> set[str]:
    """A URL that carries a token (``https://hooks.slack.com/services/T/B/X``): the URL itself, without its
    scheme, its path and query (what ``requests`` names in its errors), each encoded as well."""
    if not url:
        return set()
    parts = urlsplit(url if "://" in url else f"//{url}")
    found = {url, url.split("://", 1)[-1]}
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    if tail.strip("/"):
        found |= {tail, parts.path, parts.query}
    found |= {quote(item, safe="/") for item in set(found)}
    return {item for item in found if len(item) >= MIN_SECRET and item.strip("/")}


def _extra_secrets(conn: Any) -> set[str]:
    """Extras that look like credentials (headers such as ``Authorization`` or ``X-Api-Key``)."""
    try:
        extras = conn.extra_dejson or {}
    except Exception:
        extras = {}
    found: set[str] = set()
    for key, value in extras.items():
        if isinstance(value, str) and any(word in key.lower() for word in SECRET_EXTRA_WORDS):
            found |= {value, *value.split()[1:]}  # "Bearer <token>": the token alone too
    return found


def connection_secrets(conn: Any) -> set[str]:
    """Every secret part of a channel's connection: the password, a token-bearing URL in host or password,
    and extras that look like credentials."""
    found: set[str] = set()
    password = getattr(conn, "password", None) or ""
    if password:
        found |= {password} | _url_secrets(password)
    conn_type = (getattr(conn, "conn_type", None) or "").lower()
    if conn_type in ("http", "https", "slackwebhook"):
        found |= _url_secrets(getattr(conn, "host", None) or "")
    found |= _extra_secrets(conn)
    return {item for item in found if len(item) >= MIN_SECRET}


def _connection(conn_id: str) -> Any | None:
    try:
        return BaseHook.get_connection(conn_id)
    except Exception:  # an absent connection has no secret to hide
        return None


def source_secrets(settings: Settings) -> set[str]:
    """Every spelling of every source's API key, and the credential-like extras of its connection."""
    secrets: set[str] = set()
    for conn_id in source_conn_ids(settings):
        conn = _connection(conn_id)
        if conn is not None:
            secrets |= spellings(conn.password or "") | {
                spelling for extra in _extra_secrets(conn) for spelling in spellings(extra)
            }
    return {secret for secret in secrets if len(secret) >= MIN_KEY}


def channel_secrets(settings: Settings) -> set[str]:
    """The secrets of every alert channel's connection that exists."""
    secrets: set[str] = set()
    for conn_id in channel_conn_ids(settings).values():
        conn = _connection(conn_id)
        if conn is not None:
            secrets |= connection_secrets(conn)
    return secrets


def api_secrets(settings: Settings) -> set[str]:
    """Every secret the batch knows of: the sources' API keys and the alert channels' credentials."""
    return source_secrets(settings) | channel_secrets(settings)


def redact(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
