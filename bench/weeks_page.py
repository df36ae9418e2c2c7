"""The INS weeks page at history scale (issue #21 part 5): how long the page's reads and charts take on the
cached history database (bench/history.py: 3 years of weekly history at 10,000 farms), read-only.

Measured: the first page of weeks (12 rows), a page deep in the history, the latest week's page and its
three charts, each as the plugin serves it (its reads and its drawing); each the best of ``--repeat`` tries,
with the statements it sent. The target: each request under a second.

``python -m bench.weeks_page`` prints the figures and writes bench/results/weeks_page.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

from bench.history import history_database
from include.ins_report.config.settings import Settings
from include.ins_report.model.week import ReportWeek
from include.ins_report.store.farm_db import METRICS

RESULTS = Path(__file__).parent / "results" / "weeks_page.json"
TARGET_SECONDS = 1.0


def _best(action, repeat: int) -> tuple[float, int, object]:
    best, statements, result = float("inf"), 0, None
    for _ in range(repeat):
        before = METRICS.statements
        started = time.perf_counter()
        result = action()
        elapsed = time.perf_counter() - started
        if elapsed < best:
            best, statements = elapsed, METRICS.statements - before
    return best, statements, result


def measure(path: Path, repeat: int = 3) -> dict:
    from include.ins_report.weeks import charts, queries

    os.environ["AIRFLOW_CONN_INS_WEEKS_BENCH"] = json.dumps({"conn_type": "sqlite", "host": str(path)})
    from include.ins_report.airflow_edge.connections import farm_database

    farm_db = farm_database("ins_weeks_bench")
    settings = Settings()
    figures: dict[str, dict] = {}

    def record(name: str, action) -> object:
        seconds, statements, result = _best(action, repeat)
        figures[name] = {"seconds": round(seconds, 4), "statements": statements}
        return result

    first = record("page 1 (12 weeks)", lambda: queries.weeks_page(farm_db, settings, 1))
    record(f"page {first.pages} (oldest weeks)", lambda: queries.weeks_page(farm_db, settings, first.pages))
    latest = next(row for row in first.rows if row.report_rows)
    detail = record("a week's page (its row, farms, stations, price, diff)", lambda: queries.week_detail(
        farm_db, settings, latest.week_key
    ))  # fmt: skip
    week = ReportWeek(dt.datetime.strptime(latest.week_key, "%Y%m%d").date())
    # The charts as the plugin serves them (plugins/ins_weeks.py week_chart): each reads what it draws.
    record("map.png", lambda: charts.farm_map(*queries.farm_points(farm_db, settings, week), week.label()))
    record(
        "stations.png", lambda: charts.station_multiples(queries.station_days(farm_db, week), week.label())
    )
    record(
        "price.png", lambda: charts.price_chart(queries.price_days(farm_db, week), week.start, week.label())
    )
    return {
        "database": path.name,
        "weeks": first.weeks,
        "farms": len(detail.farms),
        "stations": len(detail.stations),
        "week": latest.week_key,
        "target_seconds": TARGET_SECONDS,
        "figures": figures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.weeks_page", description=__doc__.split("\n\n")[0])
    parser.add_argument("--farms", type=int, default=10_000)
    parser.add_argument("--years", type=float, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", type=Path, help="a farm database to read instead of the cached history")
    args = parser.parse_args(argv)
    path = args.database or history_database(args.farms, args.years)
    result = measure(path, args.repeat)
    print(f"INS weeks page on {result['database']}: {result['weeks']} weeks, {result['farms']:,} farms")
    for name, figure in result["figures"].items():
        mark = "" if figure["seconds"] < TARGET_SECONDS else "  (over the 1 s target)"
        print(f"  {name:<46} {figure['seconds'] * 1000:8.1f} ms  {figure['statements']:3d} statements{mark}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
