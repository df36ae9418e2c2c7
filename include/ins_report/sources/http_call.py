"""One HTTP call to an external API: sent through the connection's session, read within its deadline, and
classified (sources/errors.py). ``http.ApiEndpoint.get`` paces and retries these calls.

Failures, classified once for every source:

- ``timeout``: the call's timeout (INS_HTTP_TIMEOUT_SECONDS) bounds the whole call, connect and every read
  of the body: the body is streamed and the call stops when the deadline passes, so a server that sends a
  byte every few seconds cannot hold a call (nor a pool slot) for longer.
- ``connection``: refused, reset, or broken off mid-body (``ChunkedEncodingError``, urllib3's
  ``ProtocolError``, ``http.client.IncompleteRead``): transient, retried like a timeout.
- ``config``: any other ``requests`` error (``InvalidSchema``, ``InvalidURL``, ``MissingSchema``, ...) is a
  permanent error naming the connection to fix.
  None of these carries the exception's text: requests quotes the URL, ``serviceKey`` included.
- ``maintenance``: an HTML page that says 점검 / maintenance (with any status) instead of the API's answer.
- ``Retry-After`` (seconds or an HTTP date) on a transient answer (429, 503, ...): waited before the next
  attempt when it is at most ``MAX_WAIT_SECONDS``, else the call fails at once with a RetryLaterError that
  says when to ask again; so does the daily quota (data.go.kr's code 22, until 00:00 KST).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import requests
import urllib3

from include.ins_report.model import clock
from include.ins_report.sources.errors import (
    NotYetPublishedError,
    PermanentApiError,
    RetryLaterError,
    ThrottledError,
    TransientApiError,
)

T = TypeVar("T")


class Endpoint(Protocol):
    """What a call needs of an API's connection (``sources/http.ApiEndpoint``)."""

    conn_id: str

    def open_session(self) -> Any: ...

    def url_for(self, path: str) -> str: ...


# The longest wait before a call's next attempt: the backoff's cap, and the longest Retry-After honoured (a
# longer one fails the call at once, saying when to ask again). A candidate setting.
MAX_WAIT_SECONDS = 60.0
READ_BYTES = 64 * 1024  # at most this much per read of a body (a read returns what has arrived)
MAINTENANCE = re.compile(r"점검|maintenance", re.IGNORECASE)
# What to check in the connection when requests refuses to send the request at all.
_CONFIG_HINTS = {
    requests.exceptions.InvalidSchema: "schema (http or https)",
    requests.exceptions.MissingSchema: "schema and host (http or https)",
    requests.exceptions.InvalidURL: "host and port",
    requests.exceptions.URLRequired: "host",
    requests.exceptions.InvalidHeader: "extra (its headers)",
    requests.exceptions.TooManyRedirects: "host (the server redirects in a loop)",
}


def call(
    endpoint: Endpoint,
    api: str,
    path: str,
    params: dict[str, str],
    parse: Callable[[int, str], T],
    timeout: float,
) -> T:
    """One GET of ``path`` on ``endpoint`` with ``params``, ``parse(status, text)`` of its answer, or the
    classified error; the whole call ends within ``timeout`` seconds."""
    return _classify(api, _get(endpoint, api, path, params, timeout), parse)


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: Mapping[str, str]
    text: str


class _DeadlinePassed(Exception):
    pass


def _get(endpoint: Endpoint, api: str, path: str, params: dict[str, str], timeout: float):
    """One GET through the connection's session, its body read before ``timeout`` seconds have passed.

    The session is the hook's (auth, headers, proxies and TLS options of the connection); the request is sent
    here rather than by ``HttpHook.run``, whose warning on a connection error quotes the URL with the key.
    """
    conn_id = endpoint.conn_id
    deadline = time.monotonic() + timeout
    try:
        session = endpoint.open_session()
        try:
            response = session.request(
                "GET",
                endpoint.url_for(path),
                params=params,
                stream=True,
                timeout=urllib3.Timeout(total=timeout),  # connect + the answer's head
                allow_redirects=True,
            )
            try:
                content = _read_body(response, deadline)
            finally:
                response.close()
        finally:
            session.close()
    except (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError, _DeadlinePassed):
        raise TransientApiError(api, "timeout", f"no complete answer within {timeout:g} s") from None
    except (
        requests.ConnectionError,
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
        requests.exceptions.RetryError,
    ) as error:
        raise _connection_error(api, error) from None
    except requests.RequestException as error:
        hint = next((what for kind, what in _CONFIG_HINTS.items() if isinstance(error, kind)), "settings")
        raise PermanentApiError(
            api,
            "config",
            f"the request cannot be sent ({type(error).__name__}): check the {conn_id} connection's {hint}",
        ) from None
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as error:
        raise _connection_error(api, error) from None
    return _Answer(response.status_code, response.headers, _decode(content, response.headers))


def _connection_error(api: str, error: BaseException) -> TransientApiError:
    return TransientApiError(
        api, "connection", f"the connection failed or broke off mid-answer ({type(error).__name__})"
    )


def _socket(response: requests.Response) -> socket.socket | None:
    """The socket the body arrives on (urllib3 2: the response's connection; once http.client has handed
    the connection over to the response, the response's socket file)."""
    raw: Any = response.raw
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is None:
        sock = getattr(getattr(getattr(getattr(raw, "_fp", None), "fp", None), "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _read_body(response: requests.Response, deadline: float) -> bytes:
    """The (decoded) body, each read waiting at most until ``deadline``; _DeadlinePassed when it passes."""
    sock = _socket(response)
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _DeadlinePassed
        if sock is not None and sock.fileno() != -1:  # closed once a "Connection: close" body is complete
            sock.settimeout(remaining)
        chunk = response.raw.read1(READ_BYTES, decode_content=True)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _decode(content: bytes, headers: Mapping[str, str]) -> str:
    """The body as text: in the charset the answer names, else UTF-8 (the portals'), else CP949."""
    named = re.search(r"charset=[\"']?([\w.:-]+)", headers.get("Content-Type", ""), re.IGNORECASE)
    if named:
        try:
            return content.decode(named.group(1), errors="replace")
        except LookupError:
            pass
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp949", errors="replace")


def _maintenance_title(answer: _Answer) -> str | None:
    """The title of an HTML maintenance page ("" if it has none), or None when the answer is not one."""
    text = answer.text.lstrip()
    html = "html" in answer.headers.get("Content-Type", "").lower() or text[:15].lower().startswith(
        ("<!doctype html", "<html")
    )
    if not html or not MAINTENANCE.search(text):
        return None
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return " ".join(title.group(1).split())[:80] if title else ""


def retry_after_seconds(value: str | None, now: dt.datetime) -> float | None:
    """A ``Retry-After`` header as seconds from ``now``: delay-seconds or an HTTP date; None if absent or
    unreadable."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (moment - now).total_seconds())


def _classify(api: str, answer: _Answer, parse: Callable[[int, str], T]) -> T:
    """``parse`` the answer, after naming a maintenance page; a transient error with a Retry-After waits it
    (ThrottledError) or, beyond MAX_WAIT_SECONDS, becomes a RetryLaterError."""
    title = _maintenance_title(answer)
    try:
        if title is not None:
            named = f": {title}" if title else ""
            raise TransientApiError(
                api,
                "maintenance",
                f"the service is down for maintenance (HTTP {answer.status}, an HTML page{named})",
            )
        return parse(answer.status, answer.text)
    except (RetryLaterError, NotYetPublishedError):
        raise
    except TransientApiError as error:
        now = clock.now()
        seconds = retry_after_seconds(answer.headers.get("Retry-After"), now)
        if seconds is None:
            raise
        if seconds <= MAX_WAIT_SECONDS:
            raise ThrottledError(
                api,
                error.code,
                f"{error.message}; the server asks to wait {seconds:g} s",
                wait_seconds=seconds,
            ) from None
        at = now.add(seconds=int(seconds))
        raise RetryLaterError(
            api,
            error.code,
            f"{error.message}; the server asks to retry after {at.format('YYYY-MM-DD HH:mm')} KST "
            f"(Retry-After {seconds:g} s, more than the {MAX_WAIT_SECONDS:g} s a call waits)",
            retry_at=at,
        ) from None
