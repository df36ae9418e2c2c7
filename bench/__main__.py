"""``python -m bench`` (``make bench``): the weekly DAG on a real scheduler at 1,000 / 10,000 / 100,000 farms
and the per-farm baseline at 1,000, against the emulated APIs; writes bench/results/ and prints the table."""

from __future__ import annotations

import argparse
import signal
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import history, report, time_to_report  # noqa: E402
from bench.harness import RESULTS_DIR, BenchOptions, run_bench  # noqa: E402


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())


def _limit(text: str) -> tuple[int, float] | None:
    if text.lower() in ("", "none", "off"):
        return None
    calls, _, seconds = text.partition("/")
    return int(calls), float(seconds or 1)


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the deployment: every process the bench started is stopped


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    defaults = BenchOptions()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", type=_sizes, default=defaults.sizes, help="farm counts, e.g. 1000,10000")
    parser.add_argument(
        "--baseline-size", type=int, default=defaults.baseline_size, help="per-farm baseline size; 0: none"
    )
    parser.add_argument("--repeat", type=int, default=defaults.repeat, help="runs per product size")
    parser.add_argument(
        "--history-repeat", type=int, default=defaults.history_repeat, help="runs of the history pair"
    )
    parser.add_argument(
        "--history-size",
        type=int,
        default=defaults.history_size,
        help="farms of the history variant (bench/history.py), run next to that size; 0: none",
    )
    parser.add_argument("--history-years", type=float, default=defaults.history_years)
    parser.add_argument(
        "--time-to-report-size",
        type=int,
        default=defaults.time_to_report_size,
        help="farms of the time-to-report runs on a moved clock (bench/time_to_report.py); 0: none",
    )
    parser.add_argument(
        "--history-only",
        action="store_true",
        help="only the history variant and its empty twin (no other size, no baseline); "
        "results in bench/results/history/ unless --out",
    )
    parser.add_argument(
        "--warmup-size", type=int, default=defaults.warmup_size, help="unrecorded first run; 0: none"
    )
    parser.add_argument("--latency-ms", type=int, default=defaults.latency_ms)
    parser.add_argument(
        "--rate-limit", type=_limit, default=defaults.rate_limit, help="emulator KMA limit CALLS/SECONDS"
    )
    parser.add_argument("--calls-per-second", type=float, default=defaults.calls_per_second)
    parser.add_argument("--pool-slots", type=int, default=defaults.pool_slots)
    parser.add_argument("--parallelism", type=int, default=defaults.parallelism)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--week", help="Monday of the report week (default: the week before last)")
    parser.add_argument("--out", type=Path, help="results folder (default bench/results)")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="extra environment for Airflow"
    )
    args = parser.parse_args(argv)
    if args.history_only and not args.history_size:
        parser.error("--history-only needs a --history-size")
    if args.out is None:  # a partial run never replaces the published results
        args.out = RESULTS_DIR / "history" if args.history_only else RESULTS_DIR
    # The report's header states these from their own options; --env must not change them behind its back.
    owned = {"INS_KMA_POOL_SLOTS": "--pool-slots", "INS_KMA_CALLS_PER_SECOND": "--calls-per-second"}
    for item in args.env:
        name = item.split("=", 1)[0]
        if "=" not in item:
            parser.error(f"--env {item!r}: expected NAME=VALUE")
        if name in owned:
            parser.error(f"--env {name}: use {owned[name]}, which the results report")
    options = replace(
        defaults,
        sizes=() if args.history_only else args.sizes,
        baseline_size=None if args.history_only else args.baseline_size or None,
        history_size=args.history_size or None,
        history_years=args.history_years,
        time_to_report_size=None if args.history_only else args.time_to_report_size or None,
        repeat=max(1, args.repeat),
        history_repeat=max(1, args.history_repeat),
        warmup_size=args.warmup_size or None,
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit,
        calls_per_second=args.calls_per_second,
        pool_slots=args.pool_slots,
        parallelism=args.parallelism,
        seed=args.seed,
        week=args.week,
        extra_env=dict(item.split("=", 1) for item in args.env),
    )
    document = run_bench(options)
    paths = report.write(document, args.out)
    if args.out.resolve() == RESULTS_DIR.resolve():  # the published results: keep the docs showing them
        for name, doc in (("doc", ROOT / "docs" / "performance.md"), ("readme", ROOT / "README.md")):
            if report.update_doc(document, doc):
                paths[name] = doc
        time_to_report.update_doc(document.get("time_to_report"), ROOT / "docs" / "performance.md")
    published = args.out.resolve() in (RESULTS_DIR.resolve(), (RESULTS_DIR / "history").resolve())
    if published and history.update_doc(document, ROOT / "docs" / "performance.md"):  # its "History"
        paths["history doc"] = ROOT / "docs" / "performance.md"
    print()
    print(report.markdown(document))
    print("written: " + ", ".join(str(path) for path in paths.values()))
    found = report.targets(document["runs"]) + time_to_report.targets(document.get("time_to_report"))
    met = [ok for _, ok, _ in found if ok is not None]
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
