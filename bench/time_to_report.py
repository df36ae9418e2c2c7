"""Time to report (issue #22 part 4): how soon after the last source is final the report is built, and
what the waits cost while they wait, for the deferrable waits against the reschedule sensors they replaced.

Each variant gets a deployment of its own (emulator and Airflow), its whole clock moved with libfaketime to
a Monday morning (tests/support/faketime.py, as `make test-monday`): the run starts at 08:59:30 KST, the
emulator publishes Sunday's ASOS values at 09:00 (its publish hour) and EKAPE's week is final at 09:01
(INS_EKAPE_FINAL_AT), so both sources become final within two minutes of the run's start. Measured per run:

- report finished (``run_weekly_report``'s end) minus the last source final (09:01 on the moved clock);
- each wait's delay: its end minus its source's moment (ASOS 09:00, EKAPE 09:01), what the wait itself
  adds; the weather collection's end (its 7-day fetches follow the ASOS wait);
- the waits' worker starts: every time a wait's task process started (the bench plugin's ``running``
  record): the deferrable waits start twice (the check that defers, the check after the trigger), the
  reschedule sensors once per poke; their tries (``try_number``) and the publication probes KMA answered.

The deferrable waits run with the production defaults (ASOS probed every 60 s, EKAPE woken at its final
time). The reschedule sensors poke every 120 s instead of production's 900 s (scaled down 7.5 x to keep the
bench short): their delay after the data is final is up to one poke, so up to 900 s in production.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from unittest import mock

import pendulum

from bench.generator import generate, write_farm_db
from devtools.embedded import emulator_process
from include.ins_report.config.settings import DAG_ID
from include.ins_report.model import clock
from include.ins_report.model.farms import classify_farms
from include.ins_report.model.week import week_before
from tests.support.airflow_stack import AirflowStack
from tests.support.faketime import faketime_env, latest_monday_at

DEFERRABLE, RESCHEDULE = "deferrable", "reschedule"
WAITS = ("collect_stats.wait_for_ekape_final", "collect_weather.wait_for_weather_publication")
PUBLISHED_AT = dt.time(9, 0)  # the emulator's publish hour: Sunday's ASOS values appear Monday 09:00 KST
FINAL_AT = dt.time(9, 1)  # INS_EKAPE_FINAL_AT of these runs: the last source final
# On the moved clock; 30 s before the publication, so the first probe (or poke) finds nothing yet.
RUN_STARTS_AT = dt.time(8, 59, 30)
STARTUP_S = 45  # the moved clock starts this long before RUN_STARTS_AT: the start-up (about 20 s idle)
PROBE_SECONDS = 60  # production default (INS_PUBLICATION_PROBE_SECONDS)
POKE_SECONDS = 120  # production: 900 (INS_PUBLICATION_POKE_SECONDS), scaled down 7.5 x
TARGET_S = 120  # report at most 2 minutes after the last source final


@dataclass
class LatencyRun:
    waits: str  # deferrable | reschedule
    interval_s: int  # the ASOS probe (deferrable) or the sensors' poke (reschedule)
    farm_rows: int
    usable_farms: int
    run_id: str = ""
    state: str = ""
    run_started: str = ""  # the moved clock, KST
    last_final: str = ""
    weather_collected: str = ""  # the last collect_station_weather's end
    report_finished: str = ""
    time_to_report_s: float | None = None
    wait_delays_s: dict[str, float | None] = field(default_factory=dict)  # a wait's end after its moment
    wait_worker_starts: dict[str, int] = field(default_factory=dict)
    wait_tries: dict[str, int] = field(default_factory=dict)
    wait_reschedules: int = 0
    probe_calls: int = 0
    report_rows: int = 0
    complete: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def worker_starts(self) -> int:
        return sum(self.wait_worker_starts.values())


def _moment(text: str | None) -> pendulum.DateTime | None:
    if not text:
        return None
    return pendulum.parse(str(text).replace(" ", "T")).in_timezone(clock.KST)


def _kst(moment: pendulum.DateTime | None) -> str:
    return moment.in_timezone(clock.KST).format("YYYY-MM-DD HH:mm:ss") if moment else ""


def run_variant(bench_options, waits: str, size: int, work: Path) -> LatencyRun:
    """One run of ``size`` farms on a deployment of its own, its clock moved to a Monday morning."""
    from bench.harness import Bench  # the product bench's environment (pools, pace, plugin)

    real_now = clock.now()
    monday = latest_monday_at(real_now, PUBLISHED_AT)
    week = week_before(monday)
    run_starts = monday.replace(
        hour=RUN_STARTS_AT.hour, minute=RUN_STARTS_AT.minute, second=RUN_STARTS_AT.second
    )
    published = monday.replace(hour=PUBLISHED_AT.hour, minute=PUBLISHED_AT.minute)
    final = monday.replace(hour=FINAL_AT.hour, minute=FINAL_AT.minute)
    farm_set = generate(size, bench_options.seed)
    interval = PROBE_SECONDS if waits == DEFERRABLE else POKE_SECONDS
    result = LatencyRun(waits, interval, size, len(classify_farms(farm_set.rows).valid))
    extra = {
        "INS_PUBLICATION_WAIT_MODE": waits,
        "INS_PUBLICATION_PROBE_SECONDS": str(PROBE_SECONDS),
        "INS_PUBLICATION_POKE_SECONDS": str(POKE_SECONDS),
        "INS_EKAPE_FINAL_AT": FINAL_AT.strftime("%H:%M"),
    }
    bench = Bench(replace(bench_options, work_dir=work, week=week.start.isoformat(), extra_env=extra))
    if work.exists():
        shutil.rmtree(work)  # a fresh deployment: no run of an earlier bench in its metadata
    work.mkdir(parents=True)
    write_farm_db(bench.farm_db, farm_set)
    moved = faketime_env(run_starts.subtract(seconds=STARTUP_S), clock.now())
    offset = run_starts.subtract(seconds=STARTUP_S) - clock.now()
    limit = bench_options.rate_limit
    args = ("--publish-hour", str(PUBLISHED_AT.hour))
    args += ("--kma-rate-limit", f"{limit[0]}/{limit[1]:g}") if limit else ()
    with contextlib.ExitStack() as stack:
        with mock.patch.dict(os.environ, moved):  # the emulator's process starts on the moved clock
            port = stack.enter_context(
                emulator_process(work, latency_ms=bench_options.latency_ms, extra_args=args)
            )
        airflow = stack.enter_context(AirflowStack(work / "airflow", {**bench.env(port), **moved}))
        airflow.unpause(DAG_ID)
        left = (run_starts - (clock.now() + offset)).total_seconds()
        if left > 0:
            time.sleep(left)  # the run starts at RUN_STARTS_AT on the moved clock
        else:
            result.notes.append(
                f"the deployment started {-left:.0f} s late: the run started after {RUN_STARTS_AT:%H:%M:%S}"
            )
        result.run_id = airflow.trigger(conf={"week": week.start.isoformat()})
        print(f"  time to report, {waits} waits, {size:,} farms: {result.run_id} ...", flush=True)
        result.state = airflow.wait_for_run(result.run_id, timeout=1800, poll=2)
        stats = requests_json(f"http://127.0.0.1:{port}/_emulator/stats")
        result.probe_calls = stats["kma"].get("by_days", {}).get("1", 0)
        moments = {WAITS[0]: final, WAITS[1]: published}
        _measure(result, airflow.home / "airflow.db", bench.metrics_file, bench.farm_db, week, moments)
    print(
        f"  time to report, {waits} waits: {result.state}, report {result.time_to_report_s} s after the last "
        f"final, {result.worker_starts} worker starts of the waits",
        flush=True,
    )
    return result


def requests_json(url: str) -> dict:
    import requests

    response = requests.get(url, timeout=30)
    response.raise_for_status()
    return response.json()


def _measure(result: LatencyRun, metadata: Path, metrics: Path, farm_db: Path, week, moments: dict) -> None:
    final = max(moments.values())
    with contextlib.closing(sqlite3.connect(f"file:{metadata}?mode=ro", uri=True, timeout=60)) as conn:
        start = conn.execute(
            "SELECT start_date FROM dag_run WHERE dag_id = ? AND run_id = ?", (DAG_ID, result.run_id)
        ).fetchone()[0]
        tis = conn.execute(
            "SELECT id, task_id, end_date, try_number FROM task_instance WHERE dag_id = ? AND run_id = ?",
            (DAG_ID, result.run_id),
        ).fetchall()
        by_task = {task: (ti_id, end, tries) for ti_id, task, end, tries in tis}
        collected = max(
            (end for _, task, end, _ in tis if task.endswith("collect_station_weather") and end), default=None
        )
        wait_ids = [by_task[task][0] for task in WAITS if task in by_task]
        marks = ",".join("?" * len(wait_ids))
        result.wait_reschedules = conn.execute(
            f"SELECT COUNT(*) FROM task_reschedule WHERE ti_id IN ({marks})", wait_ids
        ).fetchone()[0]
    result.wait_tries = {task: int(by_task[task][2] or 0) for task in WAITS if task in by_task}
    started, finished = _moment(start), _moment(by_task.get("run_weekly_report", (None, None))[1])
    result.run_started, result.last_final = _kst(started), _kst(final)
    result.report_finished = _kst(finished)
    result.weather_collected = _kst(_moment(collected))
    for task, moment in moments.items():
        ended = _moment(by_task.get(task, (None, None))[1])
        result.wait_delays_s[task] = round((ended - moment).total_seconds(), 1) if ended else None
    if finished:
        result.time_to_report_s = round((finished - final).total_seconds(), 1)
    if started and started >= final:
        result.notes.append("the run started after the sources were final: not a time-to-report measure")
    starts = dict.fromkeys(WAITS, 0)
    if metrics.exists():
        for line in metrics.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if (
                record["run_id"] == result.run_id
                and record["state"] == "running"
                and record["task_id"] in starts
            ):
                starts[record["task_id"]] += 1
    result.wait_worker_starts = starts
    with contextlib.closing(sqlite3.connect(farm_db, timeout=60)) as conn:
        result.report_rows = conn.execute(
            "SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ?", (week.start.strftime("%Y%m%d"),)
        ).fetchone()[0]
    result.complete = result.state == "success" and result.report_rows == result.usable_farms


def run_time_to_report(bench_options, size: int) -> dict:
    """Both variants at ``size`` farms, one after the other; the document's ``time_to_report`` part."""
    started = clock.now()
    runs = [
        run_variant(bench_options, waits, size, bench_options.work_dir.with_name(f"bench-ttr-{waits}"))
        for waits in (DEFERRABLE, RESCHEDULE)
    ]
    return {
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round((clock.now() - started).total_seconds()),
        "probe_seconds": PROBE_SECONDS,
        "poke_seconds": POKE_SECONDS,
        "production_poke_seconds": 900,
        "runs": [asdict(run) | {"worker_starts": run.worker_starts} for run in runs],
    }


# --- the report's part ------------------------------------------------------------------------------------


def table(part: dict) -> str:
    """Times on the moved clock (KST, Monday); delays in seconds."""
    lines = [
        "| waits | farms | interval s | ASOS wait ended after 09:00 s | EKAPE wait ended after final s "
        "| weather collected | report finished | report after the last final s | worker starts of the waits "
        "| tries | probes | complete |",
        "|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for run in part["runs"]:
        delays = run["wait_delays_s"]
        lines.append(
            f"| {run['waits']} | {run['farm_rows']:,} | {run['interval_s']} | {delays.get(WAITS[1])} "
            f"| {delays.get(WAITS[0])} | {run['weather_collected'][11:]} | {run['report_finished'][11:]} "
            f"| {run['time_to_report_s']} | {run['worker_starts']} | {sum(run['wait_tries'].values())} "
            f"| {run['probe_calls']} | {'yes' if run['complete'] else 'NO'} |"
        )
    return "\n".join(lines)


def targets(part: dict | None) -> list[tuple[str, bool | None, str]]:
    if not part:
        return []
    runs = {run["waits"]: run for run in part["runs"]}
    new, old = runs.get(DEFERRABLE), runs.get(RESCHEDULE)
    found: list[tuple[str, bool | None, str]] = []
    if new:
        seconds = new["time_to_report_s"]
        found.append(
            (
                f"report <= {TARGET_S // 60} min after the last source final ({new['farm_rows']:,} farms)",
                seconds is not None and seconds <= TARGET_S and new["complete"],
                f"{seconds} s (deferrable waits)"
                + (
                    f"; reschedule sensors poking every {old['interval_s']} s: {old['time_to_report_s']} s"
                    if old
                    else ""
                ),
            )
        )
        found.append(
            (
                "about 0 worker slots held while waiting (the waits' worker starts: 2 each, however long)",
                new["worker_starts"] <= 2 * len(WAITS)
                and all(tries <= 1 for tries in new["wait_tries"].values()),
                f"{new['worker_starts']} starts, {sum(new['wait_tries'].values())} tries"
                + (f"; reschedule sensors: {old['worker_starts']} starts" if old else ""),
            )
        )
    return found


def markdown(part: dict) -> str:
    lines = ["# Time to report", "", table(part), "", "| target | met | measured |", "|---|---|---|"]
    for name, met, measured in targets(part):
        mark = "n/a" if met is None else ("yes" if met else "**NO**")
        lines.append(f"| {name} | {mark} | {measured} |")
    notes = [f"- {run['waits']}: {note}" for run in part["runs"] for note in run["notes"]]
    return "\n".join([*lines, *(["", *notes] if notes else []), ""])


MARKERS = ("<!-- time-to-report:results -->", "<!-- /time-to-report:results -->")


def update_doc(part: dict | None, path: Path) -> bool:
    """Replace the figures between the markers of ``path`` (docs/performance.md) by this run's."""
    if not part or not path.exists():
        return False
    text = path.read_text(encoding="utf-8")
    start, end = text.find(MARKERS[0]), text.find(MARKERS[1])
    if start < 0 or end < start:
        return False
    body = markdown(part).split("\n", 2)[2].strip()  # without the heading
    started = str(part.get("started_at", "?"))[:16].replace("T", " ")
    when = f"Run {started} KST ({part.get('duration_s', '?')} s for both deployments)."
    path.write_text(f"{text[: start + len(MARKERS[0])]}\n{when}\n\n{body}\n{text[end:]}", encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.time_to_report``: this part alone (bench/results/time-to-report/ by default; the
    published bench results are left as they are)."""
    import argparse
    import sys

    from bench.harness import RESULTS_DIR, BenchOptions

    parser = argparse.ArgumentParser(prog="python -m bench.time_to_report", description=__doc__)
    parser.add_argument("--size", type=int, default=BenchOptions().time_to_report_size)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "time-to-report")
    args = parser.parse_args(argv)
    part = run_time_to_report(BenchOptions(), args.size)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(part, indent=2) + "\n", encoding="utf-8")
    (args.out / "results.md").write_text(markdown(part), encoding="utf-8")
    if args.out.resolve() == (RESULTS_DIR / "time-to-report").resolve():
        update_doc(part, RESULTS_DIR.parents[1] / "docs" / "performance.md")
    print(markdown(part))
    print(f"written: {args.out}", file=sys.stderr)
    return 0 if all(met for _, met, _ in targets(part) if met is not None) else 1


if __name__ == "__main__":
    raise SystemExit(main())
