"""GET requests to the external APIs through the http provider, with bounded retries for transient faults."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote, quote_plus

import requests
import tenacity
from airflow.providers.http.hooks.http import HttpHook

from include.ins_report.sources.errors import TransientApiError

log = logging.getLogger(__name__)

T = TypeVar("T")


def api_key(conn_id: str) -> str:
    """The API key kept in the connection's password, registered with Airflow's secret masker."""
    password = HttpHook.get_connection(conn_id).password or ""
    if password:
        from airflow.sdk.log import mask_secret

        # The key travels URL-encoded: mask every spelling that can reach a log line.
        for spelling in {password, quote(password, safe=""), quote_plus(password)}:
            mask_secret(spelling)
    return password


def http_get(
    api: str,
    conn_id: str,
    endpoint: str,
    params: dict[str, str],
    parse: Callable[[int, str], T],
    *,
    attempts: int,
    backoff_seconds: float,
    timeout_seconds: float,
) -> T:
    """GET ``endpoint`` and ``parse(status, text)``; retry transient failures ``attempts`` times in all.

    Transport errors are turned into TransientApiError without their text, because requests puts the full
    URL, query string and key included, into its exception messages.
    """
    hook = HttpHook(method="GET", http_conn_id=conn_id)

    def attempt() -> T:
        try:
            response = hook.run(
                endpoint=endpoint,
                data=params,
                extra_options={"check_response": False, "timeout": timeout_seconds},
            )
        except requests.Timeout:
            raise TransientApiError(api, "timeout", f"no answer within {timeout_seconds:g} s") from None
        except requests.ConnectionError:
            raise TransientApiError(api, "connection", "connection failed or was reset") from None
        return parse(response.status_code, response.text)

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(TransientApiError),
        stop=tenacity.stop_after_attempt(max(1, attempts)),
        wait=tenacity.wait_exponential(multiplier=backoff_seconds, max=60),
        before_sleep=lambda state: log.warning(
            "%s call failed (attempt %d of %d), retrying: %s",
            api,
            state.attempt_number,
            attempts,
            state.outcome.exception() if state.outcome else "",
        ),
        reraise=True,
    )
    return retrying(attempt)
