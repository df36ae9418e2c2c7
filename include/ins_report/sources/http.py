"""GET requests to the external APIs through the http provider, with bounded retries for transient faults.

Rate: the tasks that call an API share an Airflow pool of ``slots`` slots, and within one pool slot two calls
never start less than ``slots / calls_per_second`` seconds apart (``slot_interval``). Whatever the number of
workers, the API then sees at most ``calls_per_second`` calls a second from the whole deployment.

A slot is held by one task process at a time, and the next task in it is queued only after the previous one
ended (so after its last call). A process therefore keeps its calls ``interval`` apart from each other and
from its own start (``_Pace``), which also keeps them ``interval`` after any earlier call in the slot. In a
task process the first call usually comes that late anyway, so the pace costs nothing until the workers
are fast enough to need it.

One call (sent, read within its deadline, classified) is ``http_call.call``; its failure classes are
described there.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote, quote_plus

import tenacity
from airflow.providers.http.hooks.http import HttpHook

from include.ins_report.sources.errors import NotYetPublishedError, RetryLaterError, TransientApiError
from include.ins_report.sources.http_call import MAX_WAIT_SECONDS, call

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


def _process_start() -> float:
    """When this process started, on the monotonic clock (now, if unknown: later is always safe)."""
    now = time.monotonic()
    try:
        import psutil

        return now - max(0.0, time.time() - psutil.Process().create_time())
    except Exception:
        return now


class _Pace:
    """When this process may start its next call to each API."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.origin = _process_start()
        self.last: dict[str, float] = {}

    def wait(self, api: str, interval: float) -> None:
        if interval <= 0:
            return
        with self.lock:
            now = time.monotonic()
            start = max(now, self.last.get(api, self.origin) + interval)
            self.last[api] = start
        if start > now:
            time.sleep(start - now)


_PACE = _Pace()
os.register_at_fork(after_in_child=_PACE.reset)  # a forked task process starts its own clock


def slot_interval(slots: int, calls_per_second: float) -> float:
    """Seconds each call holds its pool slot so that ``slots`` slots stay under ``calls_per_second``."""
    if calls_per_second <= 0:
        return 0.0
    return max(1, slots) / calls_per_second


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
    min_interval_seconds: float = 0.0,
) -> T:
    """GET ``endpoint`` and ``parse(status, text)``; retry transient failures ``attempts`` times in all.

    Every attempt starts at least ``min_interval_seconds`` (``slot_interval``) after this process's previous
    call to ``api`` and after the process started, and ends within ``timeout_seconds``. A RetryLaterError
    or NotYetPublishedError is not retried here: asking again within seconds cannot help.
    """
    hook = HttpHook(method="GET", http_conn_id=conn_id)

    def attempt() -> T:
        _PACE.wait(api, min_interval_seconds)
        return call(hook, api, conn_id, endpoint, params, parse, timeout_seconds)

    exponential = tenacity.wait_exponential(multiplier=backoff_seconds, max=MAX_WAIT_SECONDS)

    def wait(state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return max(exponential(state), getattr(error, "wait_seconds", 0.0))

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_retried),
        stop=tenacity.stop_after_attempt(max(1, attempts)),
        wait=wait,
        sleep=lambda seconds: _sleep(seconds),
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


_sleep = time.sleep  # tests record the waits instead


def _retried(error: BaseException) -> bool:
    return isinstance(error, TransientApiError) and not isinstance(
        error, (RetryLaterError, NotYetPublishedError)
    )
