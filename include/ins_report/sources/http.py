"""GET requests to the external APIs through an API's connection (``ApiEndpoint``), with bounded retries for
transient faults.

The endpoint is built at the Airflow edge from the http provider's ``HttpHook`` (include/ins_report/
airflow_edge/connections.py): its session carries the connection's auth, headers, proxies and TLS options,
and its key is the connection's password, registered with the secrets masker there. Every client makes its
calls through ``ApiEndpoint.get``.

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
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

import tenacity

from include.ins_report.config.settings import Settings
from include.ins_report.sources.errors import NotYetPublishedError, RetryLaterError, TransientApiError
from include.ins_report.sources.http_call import MAX_WAIT_SECONDS, call

log = logging.getLogger(__name__)

T = TypeVar("T")


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


@dataclass(frozen=True)
class CallPolicy:
    """How one API is called: attempts in all, the backoff between them, the deadline of each, and the pace
    (``slot_interval``) of its pool."""

    attempts: int
    backoff_seconds: float
    timeout_seconds: float
    min_interval_seconds: float = 0.0

    @classmethod
    def of(cls, settings: Settings, slots: int, calls_per_second: float) -> CallPolicy:
        """The HTTP settings (INS_HTTP_*) for an API whose pool has ``slots`` slots."""
        return cls(
            attempts=settings.http_attempts,
            backoff_seconds=settings.http_backoff_seconds,
            timeout_seconds=settings.http_timeout_seconds,
            min_interval_seconds=slot_interval(slots, calls_per_second),
        )


@dataclass(frozen=True)
class ApiEndpoint:
    """One API's connection as the clients use it: its key (the connection's password, read at the first
    call, as the connection itself), a new session on the connection (the hook's ``get_conn``) and the URL
    of a path (the hook's ``url_from_endpoint``, valid once a session was opened)."""

    conn_id: str
    read_key: Callable[[], str]
    open_session: Callable[[], Any]  # a requests.Session
    url_for: Callable[[str], str]

    @cached_property
    def key(self) -> str:
        return self.read_key()

    def get(
        self, api: str, path: str, params: dict[str, str], parse: Callable[[int, str], T], policy: CallPolicy
    ) -> T:
        """GET ``path`` and ``parse(status, text)``; retry transient failures ``policy.attempts`` times.

        Every attempt starts at least ``policy.min_interval_seconds`` after this process's previous call to
        ``api`` and after the process started, and ends within ``policy.timeout_seconds``. A RetryLaterError
        or NotYetPublishedError is not retried here: asking again within seconds cannot help.
        """

        def attempt() -> T:
            _PACE.wait(api, policy.min_interval_seconds)
            return call(self, api, path, params, parse, policy.timeout_seconds)

        exponential = tenacity.wait_exponential(multiplier=policy.backoff_seconds, max=MAX_WAIT_SECONDS)

        def wait(state: tenacity.RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            return max(exponential(state), getattr(error, "wait_seconds", 0.0))

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_retried),
            stop=tenacity.stop_after_attempt(max(1, policy.attempts)),
            wait=wait,
            sleep=lambda seconds: _sleep(seconds),
            before_sleep=lambda state: log.warning(
                "%s call failed (attempt %d of %d), retrying: %s",
                api,
                state.attempt_number,
                policy.attempts,
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
