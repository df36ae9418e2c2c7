"""The HTTP server: routes the three fake APIs (KMA ASOS, KOSIS, EKAPE) and the ``/_emulator/`` control
API, applies latency and faults.

``start_emulator()`` runs it in a background thread; the command line (``python -m
devtools.emulator``) uses the same function and waits for SIGTERM/SIGINT.

Besides latency and faults it can enforce the portal's request limit: with ``kma_rate_limit=(N, S)`` a KMA
request beyond N accepted requests in the last S seconds gets the gateway's quota error (reason code 22,
``LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR``, XML with HTTP 200) instead of an answer. The counters
also record the peak number of requests served at once per API (``max_in_flight``) and, for KMA, how many
days each request asked for (``by_days``: a publication probe asks for 1, a station week for 7).

EKAPE keys enforce a daily quota (``ekape_daily_quota`` accepted calls per day of the emulator clock, the
development key's 1,000 by default): beyond it the gateway's quota error (22, XML, HTTP 200). Its counters
add ``by_day`` (the trading day asked, startYmd) and ``by_sex`` (sexCd).

KOSIS serves a period only ``kosis_lag_days`` days after it ends, per period type (M 3, Q 25, H 40, Y 60 by
default; 0 serves it the moment it ends): see ``devtools/emulator/kosis/__init__.py``.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devtools.emulator import ekape, kma, kosis, transport
from devtools.emulator.common import KST, TEXT_TYPE, Answer, json_answer, parse_now
from devtools.emulator.faults import TRANSPORT_SCENARIOS, FaultError, FaultQueue

CONTROL_PREFIX = "/_emulator/"


@dataclass(frozen=True)
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0
    latency_ms: int = 0
    kma_key: str = "dev-kma-key"
    kosis_key: str = "dev-kosis-key"
    ekape_key: str = "dev-ekape-key"
    publish_hour: int = 9
    now: dt.datetime | str | None = None  # fixed clock (naive = KST); None: the real clock
    stations_file: Path | None = None  # default: include/ins_report/data/asos_stations.csv
    kosis_max_cells: int = kosis.MAX_CELLS
    # KOSIS: days after a period ends before it is served, per prdSe; an int sets every type; None: defaults.
    kosis_lag_days: int | str | Mapping[str, int] | None = None
    # (calls, seconds): KMA requests beyond `calls` in any `seconds` get the quota error; None: no limit.
    kma_rate_limit: tuple[int, float] | None = None
    # EKAPE: accepted calls per emulator day before the quota error (code 22); None: no limit.
    ekape_daily_quota: int | None = 1_000
    # The skinYn value that selects 탕박 and the egradeExceptYn value that counts 등외 in the 합계 row (the
    # public clients disagree on both; the batch must not depend on them).
    ekape_tangbak_skin_yn: str = "Y"
    ekape_egrade_include_yn: str = "Y"


def _check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be an integer {bound}")
    return value


def parse_rate_limit(value: object) -> tuple[int, float] | None:
    """``None``, ``(calls, seconds)``, ``[calls, seconds]`` or ``"calls/seconds"`` -> (calls, seconds)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        calls_text, _, seconds_text = value.partition("/")
        try:
            value = (int(calls_text), float(seconds_text or "1"))
        except ValueError:
            raise ValueError(f"a rate limit is CALLS/SECONDS, e.g. 10/1, not {value!r}") from None
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError("kma_rate_limit must be [calls, seconds] or null")
    calls = _check_int("kma_rate_limit calls", value[0], 1)
    seconds = value[1]
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= 86_400:
        raise ValueError("kma_rate_limit seconds must be a number in (0, 86400]")
    return calls, float(seconds)


class _RateLimiter:
    """A sliding window of accepted request times: at most ``calls`` in any ``seconds``."""

    def __init__(self, limit: tuple[int, float]) -> None:
        self.calls, self.seconds = limit
        self.accepted: collections.deque[float] = collections.deque()

    def admit(self, now: float) -> bool:
        while self.accepted and self.accepted[0] <= now - self.seconds:
            self.accepted.popleft()
        if len(self.accepted) >= self.calls:
            return False
        self.accepted.append(now)
        return True


def _days_requested(params: dict[str, str]) -> str:
    """How many days a KMA request spans (startDt..endDt), as text; "?" when the dates are unusable."""
    try:
        first = dt.datetime.strptime(params.get("startDt", "").strip(), "%Y%m%d").date()
        last = dt.datetime.strptime(params.get("endDt", "").strip(), "%Y%m%d").date()
    except ValueError:
        return "?"
    return str((last - first).days + 1)


def _check_yn(name: str, value: object) -> str:
    if value not in ("Y", "N"):
        raise ValueError(f"{name} must be Y or N")
    return str(value)


def _check_quota(value: object) -> int | None:
    return None if value is None else _check_int("ekape_daily_quota", value, 0)


class _DailyQuota:
    """Accepted calls per day of the emulator clock."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used: Counter[dt.date] = Counter()

    def admit(self, today: dt.date) -> bool:
        if self.limit is not None and self.used[today] >= self.limit:
            return False
        self.used[today] += 1
        return True


APIS = ("kma", "kosis", "ekape")


class _Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.requests = dict.fromkeys(APIS, 0)
        self.by_status: dict[str, Counter[str]] = {api: Counter() for api in APIS}
        self.by_result: dict[str, Counter[str]] = {api: Counter() for api in APIS}
        self.by_fault: dict[str, Counter[str]] = {api: Counter() for api in APIS}
        self.by_station: Counter[str] = Counter()
        self.by_table: Counter[str] = Counter()
        self.by_days: Counter[str] = Counter()
        self.by_day: Counter[str] = Counter()
        self.by_sex: Counter[str] = Counter()
        self.rate_limited = dict.fromkeys(APIS, 0)
        self.in_flight = dict.fromkeys(APIS, 0)
        self.max_in_flight = dict.fromkeys(APIS, 0)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            common = {
                api: {
                    "requests": self.requests[api],
                    "by_status": dict(self.by_status[api]),
                    "by_result": dict(self.by_result[api]),
                    "by_fault": dict(self.by_fault[api]),
                    "rate_limited": self.rate_limited[api],
                    "max_in_flight": self.max_in_flight[api],
                }
                for api in APIS
            }
            common["kma"]["by_station"] = dict(self.by_station)
            common["kma"]["by_days"] = dict(self.by_days)
            common["kosis"]["by_table"] = dict(self.by_table)
            common["ekape"]["by_day"] = dict(self.by_day)
            common["ekape"]["by_sex"] = dict(self.by_sex)
            return common


# What ``EmulatorState.configure`` changes at run time (each an EmulatorConfig field of the same name).
RUNTIME_SETTINGS = (
    "latency_ms",
    "publish_hour",
    "now",
    "kosis_max_cells",
    "kosis_lag_days",
    "kma_rate_limit",
    "ekape_daily_quota",
    "ekape_tangbak_skin_yn",
    "ekape_egrade_include_yn",
)


class EmulatorState:
    """Configuration, fault queue and counters shared by the request threads."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.lock = threading.Lock()
        self.kma_key = config.kma_key
        self.kosis_key = config.kosis_key
        self.ekape_key = config.ekape_key
        self.ekape_quota = _DailyQuota(_check_quota(config.ekape_daily_quota))
        self.ekape_tangbak_skin_yn = _check_yn("ekape_tangbak_skin_yn", config.ekape_tangbak_skin_yn)
        self.ekape_egrade_include_yn = _check_yn("ekape_egrade_include_yn", config.ekape_egrade_include_yn)
        self.latency_ms = _check_int("latency_ms", config.latency_ms, 0)
        self.publish_hour = _check_int("publish_hour", config.publish_hour, 0, 23)
        self.kosis_max_cells = _check_int("kosis_max_cells", config.kosis_max_cells, 1)
        self.kosis_lag_days = kosis.lag_days(config.kosis_lag_days)
        self.fixed_now = parse_now(config.now)
        self.kma_rate_limit = parse_rate_limit(config.kma_rate_limit)
        self.kma_limiter = _RateLimiter(self.kma_rate_limit) if self.kma_rate_limit else None
        self.stations = kma.load_stations(config.stations_file)
        self.faults = FaultQueue()
        self.counters = _Counters()
        self.stopping = threading.Event()

    def now(self) -> dt.datetime:
        with self.lock:
            fixed = self.fixed_now
        return fixed if fixed is not None else dt.datetime.now(KST)

    def public_config(self) -> dict[str, Any]:
        """The run-time settings (never the keys)."""
        with self.lock:
            return {
                "latency_ms": self.latency_ms,
                "publish_hour": self.publish_hour,
                "now": self.fixed_now.isoformat() if self.fixed_now else None,
                "kosis_max_cells": self.kosis_max_cells,
                "kosis_lag_days": dict(self.kosis_lag_days),
                "kma_rate_limit": list(self.kma_rate_limit) if self.kma_rate_limit else None,
                "ekape_daily_quota": self.ekape_quota.limit,
                "ekape_tangbak_skin_yn": self.ekape_tangbak_skin_yn,
                "ekape_egrade_include_yn": self.ekape_egrade_include_yn,
            }

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply any of latency_ms, publish_hour, now, kosis_max_cells, kosis_lag_days (an int for every
        period type, a mapping of the types to change, null for the defaults), kma_rate_limit,
        ekape_daily_quota, ekape_tangbak_skin_yn, ekape_egrade_include_yn; ValueError on a bad value. A new
        rate limit starts with an empty window; a new EKAPE quota keeps the calls already counted."""
        unknown = set(changes) - set(RUNTIME_SETTINGS)
        if unknown:
            raise ValueError(f"unknown setting(s): {sorted(unknown)}")
        latency = _check_int("latency_ms", changes.get("latency_ms", self.latency_ms), 0)
        hour = _check_int("publish_hour", changes.get("publish_hour", self.publish_hour), 0, 23)
        cells = _check_int("kosis_max_cells", changes.get("kosis_max_cells", self.kosis_max_cells), 1)
        with self.lock:  # null: the defaults again
            lags = self.kosis_lag_days
        if "kosis_lag_days" in changes:
            value = changes["kosis_lag_days"]
            lags = kosis.lag_days(value, kosis.DEFAULT_LAG_DAYS if value is None else lags)
        fixed = parse_now(changes["now"]) if "now" in changes else self.fixed_now
        limit = parse_rate_limit(changes["kma_rate_limit"]) if "kma_rate_limit" in changes else None
        quota = _check_quota(changes.get("ekape_daily_quota", self.ekape_quota.limit))
        skin = _check_yn(
            "ekape_tangbak_skin_yn", changes.get("ekape_tangbak_skin_yn", self.ekape_tangbak_skin_yn)
        )
        egrade = _check_yn(
            "ekape_egrade_include_yn", changes.get("ekape_egrade_include_yn", self.ekape_egrade_include_yn)
        )
        with self.lock:
            self.ekape_quota.limit = quota
            self.ekape_tangbak_skin_yn, self.ekape_egrade_include_yn = skin, egrade
            self.latency_ms, self.publish_hour = latency, hour
            self.kosis_max_cells, self.fixed_now = cells, fixed
            self.kosis_lag_days = lags
            if "kma_rate_limit" in changes:
                self.kma_rate_limit = limit
                self.kma_limiter = _RateLimiter(limit) if limit else None
        return self.public_config()

    def reset(self) -> None:
        """Clear counters, faults, the rate-limit window and the EKAPE calls counted against the quota (the
        configuration stays)."""
        self.faults.clear()
        with self.lock:
            self.ekape_quota = _DailyQuota(self.ekape_quota.limit)
            if self.kma_rate_limit:
                self.kma_limiter = _RateLimiter(self.kma_rate_limit)
        with self.counters.lock:
            in_flight = dict(self.counters.in_flight)
            self.counters.clear()
            self.counters.in_flight = in_flight

    def _admitted(self, api: str, params: dict[str, str]) -> bool:
        """False when the request exceeds the API's rate limit or daily quota (it is then not counted)."""
        if api == "ekape":
            key = params.get("serviceKey") or params.get("ServiceKey") or ""
            if key != self.ekape_key:
                return True  # the gateway refuses an unknown key first; it uses no quota
            today = self.now().date()
            with self.lock:
                return self.ekape_quota.admit(today)
        if api != "kma":
            return True
        with self.lock:
            limiter = self.kma_limiter
            return limiter is None or limiter.admit(time.monotonic())

    def answer_api(self, api: str, params: dict[str, str]) -> Answer:
        counters = self.counters
        with counters.lock:
            counters.requests[api] += 1
            counters.in_flight[api] += 1
            counters.max_in_flight[api] = max(counters.max_in_flight[api], counters.in_flight[api])
            if api == "kma":
                counters.by_station[params.get("stnIds", "")] += 1
                counters.by_days[_days_requested(params)] += 1
            elif api == "ekape":
                counters.by_day[params.get("startYmd", "")] += 1
                counters.by_sex[params.get("sexCd", "")] += 1
            else:
                counters.by_table[params.get("tblId", "")] += 1
        try:
            # The gateway's request limit comes before the provider: a refused request consumes no fault.
            admitted = self._admitted(api, params)
            rule = self.faults.take(api, params) if admitted else None
            # A transport fault bends the normal answer (the API's handler sees no rule).
            shape = rule if rule is not None and rule.scenario in TRANSPORT_SCENARIOS else None
            rule = None if shape is not None else rule
            now = self.now()
            with self.lock:
                latency, hour, cells = self.latency_ms, self.publish_hour, self.kosis_max_cells
                lags = self.kosis_lag_days
                skin, egrade = self.ekape_tangbak_skin_yn, self.ekape_egrade_include_yn
            if not admitted and api == "ekape":
                answer = ekape.gateway(ekape.QUOTA_EXCEEDED)
            elif not admitted:
                answer = kma.classic_gateway(kma.QUOTA_EXCEEDED)
            elif api == "ekape":
                answer = ekape.handle(params, ekape.EkapeContext(now, self.ekape_key, skin, egrade), rule)
            elif api == "kma":
                answer = kma.handle(params, kma.KmaContext(now, hour, self.kma_key, self.stations), rule)
            else:
                answer = kosis.handle(params, kosis.KosisContext(now, self.kosis_key, cells, lags), rule)
            if shape is not None:
                answer, rule = transport.bend(shape, answer), shape
            delay = latency / 1000 + answer.delay_s
            if delay > 0:
                self.stopping.wait(delay)
        finally:
            with counters.lock:
                counters.in_flight[api] -= 1
        with counters.lock:
            counters.by_status[api]["reset" if answer.reset else str(answer.status)] += 1
            counters.by_result[api][answer.result or "-"] += 1
            if not admitted:
                counters.rate_limited[api] += 1
            if rule is not None:
                counters.by_fault[api][rule.scenario] += 1
        return answer


_ROUTES = {kma.PATH: "kma", kosis.PATH: "kosis", ekape.PATH: "ekape"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ins-report-emulator"
    sys_version = ""
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # no per-request logging (URLs carry keys)
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            payload = self.rfile.read(length) if length > 0 else b""
            url = urlsplit(self.path)
            state = self.server.state
            if url.path.startswith(CONTROL_PREFIX):
                answer = _control(state, method, url.path[len(CONTROL_PREFIX) :].rstrip("/"), payload)
            elif url.path in _ROUTES:
                if method != "GET":
                    answer = Answer(status=405, body=b"Method Not Allowed", content_type=TEXT_TYPE)
                else:
                    query = parse_qs(url.query, keep_blank_values=True)
                    params = {key: values[0] for key, values in query.items()}
                    answer = state.answer_api(_ROUTES[url.path], params)
            else:
                answer = Answer(status=404, body=b"Not Found", content_type=TEXT_TYPE)
            if answer.reset:
                self._reset()
            elif isinstance(answer, transport.Delivery):
                transport.deliver(self, answer, self.server.state.stopping)
            else:
                self._send(answer)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # keep serving; the request line is not printed (it may carry a key)
            print(f"emulator: internal error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            try:
                self._send(Answer(status=500, body=b"emulator internal error", content_type=TEXT_TYPE))
            except OSError:
                self.close_connection = True

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)
        self.wfile.flush()

    def _reset(self) -> None:
        """Drop the connection without a response (RST rather than FIN where the OS allows)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


def _control(state: EmulatorState, method: str, name: str, payload: bytes) -> Answer:
    try:
        document = json.loads(payload.decode("utf-8")) if payload.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        return json_answer({"error": "the request body is not JSON"}, status=400)
    try:
        if name == "health" and method == "GET":
            return json_answer({"status": "ok"})
        if name == "stats" and method == "GET":
            return json_answer(state.counters.snapshot())
        if name == "reset" and method == "POST":
            state.reset()
            return json_answer({"status": "reset"})
        if name == "config" and method == "GET":
            return json_answer(state.public_config())
        if name == "config" and method == "POST":
            if not isinstance(document, dict):
                raise ValueError("the configuration is a JSON object")
            return json_answer(state.configure(document))
        if name == "faults" and method == "GET":
            return json_answer({"faults": state.faults.list()})
        if name == "faults" and method == "POST":
            rule = state.faults.add(document)
            return json_answer({"queued": rule.as_dict(), "faults": state.faults.list()})
        if name == "faults" and method == "DELETE":
            return json_answer({"cleared": state.faults.clear()})
    except (FaultError, ValueError) as exc:
        return json_answer({"error": str(exc)}, status=400)
    return json_answer({"error": f"no control endpoint {method} {CONTROL_PREFIX}{name}"}, status=404)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a handler sleeping in a "timeout" fault
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: EmulatorState) -> None:
        self.state = state
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return
        print(f"emulator: connection error: {type(error).__name__}", file=sys.stderr, flush=True)


class EmulatorHandle:
    """A running emulator: ``url``, ``port``, ``stop()``; also usable as a context manager."""

    def __init__(self, server: _Server, thread: threading.Thread, state: EmulatorState, host: str) -> None:
        self._server = server
        self._thread = thread
        self.state = state
        self.host = host
        self.port: int = server.server_address[1]
        url_host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
        self.url = f"http://[{url_host}]:{self.port}" if ":" in url_host else f"http://{url_host}:{self.port}"
        self._stopped = False

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.state.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # Shortcuts for in-process tests (the same operations as the control API).
    def add_fault(
        self,
        api: str,
        scenario: str,
        count: int | None = 1,
        match: dict[str, str] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        return self.state.faults.add(
            {"api": api, "scenario": scenario, "count": count, "match": match or {}, **options}
        ).as_dict()

    def configure(self, **changes: Any) -> dict[str, Any]:
        return self.state.configure(changes)

    def stats(self) -> dict[str, Any]:
        return self.state.counters.snapshot()

    def reset(self) -> None:
        self.state.reset()

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_emulator(config: EmulatorConfig | None = None, **overrides: Any) -> EmulatorHandle:
    """Bind, start serving in a daemon thread, and return the handle (the port is known on return).

    Keyword overrides are the fields of EmulatorConfig: host, port, latency_ms, kma_key, kosis_key,
    ekape_key, publish_hour, now, stations_file, kosis_max_cells, kosis_lag_days, kma_rate_limit,
    ekape_daily_quota, ekape_tangbak_skin_yn, ekape_egrade_include_yn.
    """
    config = replace(config or EmulatorConfig(), **overrides)
    state = EmulatorState(config)
    server = _Server((config.host, config.port), state)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="ins-report-emulator", daemon=True
    )
    thread.start()
    return EmulatorHandle(server, thread, state, config.host)
