"""Command line: ``python -m devtools.emulator [--host H] [--port P] [--port-file PATH] ...``.

Serves until SIGTERM or SIGINT, then exits with code 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from devtools.emulator import kosis
from devtools.emulator.common import parse_now
from devtools.emulator.server import EmulatorConfig, parse_rate_limit, start_emulator


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = EmulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m devtools.emulator",
        description="Local emulator of the KMA ASOS daily, KOSIS and EKAPE pig price OpenAPIs (one server).",
    )
    parser.add_argument("--host", default=defaults.host, help="interface to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=defaults.port, help="port; 0 picks a free one")
    parser.add_argument("--port-file", type=Path, help="write the bound port here once listening")
    parser.add_argument(
        "--latency-ms", type=int, default=defaults.latency_ms, help="delay before API answers"
    )
    parser.add_argument("--kma-key", default=defaults.kma_key, help="accepted data.go.kr serviceKey")
    parser.add_argument("--kosis-key", default=defaults.kosis_key, help="accepted KOSIS apiKey")
    parser.add_argument(
        "--ekape-key", default=defaults.ekape_key, help="accepted EKAPE (data.go.kr) serviceKey"
    )
    parser.add_argument(
        "--ekape-daily-quota",
        type=int,
        default=defaults.ekape_daily_quota,
        help="EKAPE calls per emulator day before the quota error 22 (default %(default)s; -1: no limit)",
    )
    parser.add_argument(
        "--publish-hour", type=int, default=defaults.publish_hour, help="KST hour when day D-1 is published"
    )
    parser.add_argument(
        "--kosis-lag-days",
        metavar="DAYS|TYPE=DAYS,...",
        help="days after a period ends before KOSIS serves it, for every period type (0: at once) or per "
        f"type, e.g. Q=25,M=3 (default {kosis.describe(kosis.DEFAULT_LAG_DAYS)})",
    )
    parser.add_argument(
        "--now",
        default=os.environ.get("INS_NOW") or None,
        help="fix the emulator clock (ISO 8601; naive = KST); default: $INS_NOW, the clock the batch "
        "reads too, else the real clock",
    )
    parser.add_argument(
        "--stations-file", type=Path, help="ASOS station CSV (default: the packaged seed list)"
    )
    parser.add_argument(
        "--kma-rate-limit",
        metavar="CALLS/SECONDS",
        help="answer KMA requests beyond CALLS in any SECONDS with the quota error (code 22); e.g. 10/1",
    )
    args = parser.parse_args(argv)
    try:
        args.kma_rate_limit = parse_rate_limit(args.kma_rate_limit)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        args.kosis_lag_days = kosis.lag_days(args.kosis_lag_days)
    except ValueError as exc:
        parser.error(str(exc))
    if args.now:
        try:
            parse_now(args.now)
        except ValueError:
            parser.error(f"--now {args.now!r} is not an ISO 8601 date-time")
    if not 0 <= args.publish_hour <= 23:
        parser.error("--publish-hour must be 0..23")
    if args.ekape_daily_quota is not None and args.ekape_daily_quota < 0:
        args.ekape_daily_quota = None
    if args.latency_ms < 0:
        parser.error("--latency-ms must be >= 0")
    return args


def _write_port_file(path: Path, port: int) -> None:
    """Write atomically: a reader never sees an empty or partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(f"{port}\n", encoding="ascii")
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emulator = start_emulator(
        host=args.host,
        port=args.port,
        latency_ms=args.latency_ms,
        kma_key=args.kma_key,
        kosis_key=args.kosis_key,
        ekape_key=args.ekape_key,
        ekape_daily_quota=args.ekape_daily_quota,
        publish_hour=args.publish_hour,
        now=args.now,
        stations_file=args.stations_file,
        kma_rate_limit=args.kma_rate_limit,
        kosis_lag_days=args.kosis_lag_days,
    )
    try:
        if args.port_file:
            _write_port_file(args.port_file, emulator.port)
        clock = f"fixed clock {args.now}" if args.now else "real clock"
        limit = args.kma_rate_limit
        limit_text = f", KMA limit {limit[0]} calls per {limit[1]:g} s" if limit else ""
        print(
            f"ins-report emulator (KMA ASOS + KOSIS + EKAPE) listening on {emulator.url}, {clock}, "
            f"publish hour {args.publish_hour} KST, KOSIS lag days {kosis.describe(args.kosis_lag_days)}, "
            f"latency {args.latency_ms} ms{limit_text}",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
