"""Runs the weekly DAG on a real Airflow (API server, scheduler, DAG processor, triggerer; LocalExecutor) for
each farm-set size, against the API emulator with latency and a request limit, and measures each run.

One Airflow deployment serves every run: its home, metadata database and farm database live under
``.local/bench/``. Between runs the farm database file is replaced by the next synthetic farm set and the
emulator's counters are reset. What is measured, per run:

- wall time of the run (its start to its end) and of the collection phase (first collect task start to last
  collect task end), from the metadata database;
- API calls: KMA requests by kind (a 7-day station fetch or a 1-day publication probe), quota errors
  answered, the peak number of calls served at once, KOSIS and EKAPE requests (emulator counters);
- farm database statements and rows written, and the peak resident memory of every task process (recorded
  by the bench plugin at the end of each task, bench/plugins/bench_metrics.py);
- the largest XCom and the largest rendered task fields, and the number of task instances;
- the outcome: run state, weather rows and report rows against the usable farms;
- the gate's and the report's own time: their task durations (metadata database) and their job-log rows'
  ENDED_AT - STARTED_AT (whole seconds).

The history variant (bench/history.py) is the product run on a copy of a farm database with years of
history, next to the product run of the same size on an empty one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

from bench.generator import FarmSet, generate, write_farm_db
from bench.history import copy_history_database, history_database, history_weeks
from bench.naive import NAIVE_DAG_ID
from bench.time_to_report import run_time_to_report
from devtools.embedded import LOCAL_DIR, ROOT, connection_env, emulator_process
from include.ins_report.config.settings import DAG_ID, Settings
from include.ins_report.model import clock
from include.ins_report.model.farms import classify_farms
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import catalog
from tests.support.airflow_stack import AirflowStack

BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
PRODUCT, BASELINE, HISTORY = "product", "baseline", "history"


@dataclass(frozen=True)
class BenchOptions:
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    repeat: int = 1  # runs per product size (the table shows their median); their targets have the margin
    # The history pair, interleaved: its ratio's target (1.1 x) is within one run's noise (up to 17 %).
    history_repeat: int = 2
    warmup_size: int | None = 200  # a first, unrecorded run: the deployment's cold start is not measured
    baseline_size: int | None = 1_000  # the per-farm variant, run once; None: not run
    history_size: int | None = 10_000  # the product on a database with history, next to that size; None: not
    history_years: float = 3
    time_to_report_size: int | None = 10_000  # bench/time_to_report.py at that size; None: not run
    latency_ms: int = 150  # emulator delay per API call
    rate_limit: tuple[int, float] = (10, 1.0)  # emulator: KMA calls per window, beyond: quota error
    calls_per_second: float = 8.0  # the product's client-side pace (INS_KMA_CALLS_PER_SECOND)
    pool_slots: int = 4  # the KMA pool (INS_KMA_POOL_SLOTS)
    parallelism: int = 8  # [core] parallelism: LocalExecutor worker processes
    seed: int = 1
    week: str | None = None  # Monday; default: the week before last (KST)
    run_timeout_s: float = 1800
    work_dir: Path = LOCAL_DIR / "bench"
    extra_env: dict[str, str] = field(default_factory=dict)

    def report_week(self) -> ReportWeek:
        if self.week:
            return ReportWeek(dt.date.fromisoformat(self.week))
        return catalog.latest_ready_week(clock.now(), Settings())


@dataclass
class RunResult:
    variant: str
    dag_id: str
    farm_rows: int
    usable_farms: int
    repeat: int = 1
    run_id: str = ""
    state: str = ""
    wall_s: float = 0.0
    collection_s: float = 0.0
    task_instances: int = 0
    tries: int = 0
    stations: int = 0
    kma_calls: int = 0
    kma_fetch_calls: int = 0
    kma_probe_calls: int = 0
    kma_quota_errors: int = 0
    kma_peak_concurrency: int = 0
    kosis_calls: int = 0
    ekape_calls: int = 0
    db_statements: int = 0
    db_rows_written: int = 0
    peak_task_rss_mb: float = 0.0
    peak_task: str = ""
    largest_xcom_bytes: int = 0
    largest_xcom: str = ""
    total_xcom_bytes: int = 0
    largest_rendered_bytes: int = 0
    weather_rows: int = 0
    report_rows: int = 0
    history_weeks: int = 0  # weeks of history in the farm database before the run
    farm_db_mb: float = 0.0
    gate_task_s: float = 0.0  # check_collection's task duration
    report_task_s: float = 0.0  # run_weekly_report's
    gate_step_s: float | None = None  # the job log's CHECK_COLLECTION row: ENDED_AT - STARTED_AT
    report_step_s: float | None = None  # its RUN_WEEKLY_REPORT row
    complete: bool = False
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    moment = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Bench:
    def __init__(self, options: BenchOptions) -> None:
        self.options = options
        self.week = options.report_week()
        self.work = options.work_dir
        self.farm_db = self.work / "farm.db"
        self.metrics_file = self.work / "task-metrics.jsonl"
        self.airflow: AirflowStack | None = None
        self.emulator_url = ""
        self.history: Path | None = None  # the cached history database (history_database)

    # --- deployment --------------------------------------------------------------------------------

    def env(self, emulator_port: int) -> dict[str, str]:
        options = self.options
        bundles = [
            {
                "name": "dags-folder",
                "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                "kwargs": {"path": str(ROOT / "dags")},
            },
            {
                "name": "bench",
                "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                "kwargs": {"path": str(BENCH_DIR / "dags")},
            },
        ]
        return {
            **connection_env(self.farm_db, emulator_port),
            "AIRFLOW__CORE__PARALLELISM": str(options.parallelism),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(BENCH_DIR / "plugins"),
            "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(bundles),
            # The per-farm baseline maps one task per farm: far above the default of 1024.
            "AIRFLOW__CORE__MAX_MAP_LENGTH": str(max(100_000, (options.baseline_size or 0) * 2)),
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(max(16, options.parallelism)),
            # Only the runs the bench triggers: no scheduled run appears when a DAG is unpaused.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "INS_BENCH_METRICS_FILE": str(self.metrics_file),
            "INS_KMA_POOL_SLOTS": str(options.pool_slots),
            "INS_KMA_CALLS_PER_SECOND": str(options.calls_per_second),
            "INS_TASK_RETRIES": "3",
            "INS_RETRY_DELAY_SECONDS": "10",
            "INS_HTTP_ATTEMPTS": "4",
            "INS_HTTP_BACKOFF_SECONDS": "0.5",
            "INS_PUBLICATION_POKE_SECONDS": "10",
            "INS_REPORT_DEADLINE": "off",
            **options.extra_env,
        }

    @contextlib.contextmanager
    def deployment(self) -> Iterator[Bench]:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        write_farm_db(self.farm_db, generate(100, self.options.seed))  # something to parse against
        limit = self.options.rate_limit
        extra = ("--kma-rate-limit", f"{limit[0]}/{limit[1]:g}") if limit else ()
        with emulator_process(self.work, latency_ms=self.options.latency_ms, extra_args=extra) as port:
            self.emulator_url = f"http://127.0.0.1:{port}"
            dag_ids = (DAG_ID, NAIVE_DAG_ID) if self.options.baseline_size else (DAG_ID,)
            with AirflowStack(self.work / "airflow", self.env(port), dag_ids=dag_ids) as airflow:
                self.airflow = airflow
                for dag_id in dag_ids:
                    airflow.unpause(dag_id)
                yield self

    def emulator(self, method: str, path: str) -> dict:
        response = requests.request(method, f"{self.emulator_url}/_emulator/{path}", timeout=30)
        response.raise_for_status()
        return response.json()

    # --- one run -----------------------------------------------------------------------------------

    def run(self, variant: str, size: int, repeat: int = 1) -> RunResult:
        assert self.airflow is not None
        dag_id = NAIVE_DAG_ID if variant == BASELINE else DAG_ID
        farm_set = generate(size, self.options.seed)
        if variant == HISTORY:
            assert self.history is not None
            copy_history_database(self.history, self.farm_db)  # TA_FARM holds the same farm set
        else:
            write_farm_db(self.farm_db, farm_set)
        usable = len(classify_farms(farm_set.rows).valid)
        result = RunResult(variant=variant, dag_id=dag_id, farm_rows=size, usable_farms=usable, repeat=repeat)
        if variant == HISTORY:
            result.history_weeks = history_weeks(self.options.history_years)
        self.emulator("POST", "reset")
        started = time.monotonic()
        result.run_id = self.airflow.trigger(conf={"week": self.week.start.isoformat()}, dag_id=dag_id)
        print(f"  {variant} {size:>7} farms #{repeat}: {result.run_id} ...", flush=True)
        result.state = self.airflow.wait_for_run(
            result.run_id, timeout=self.options.run_timeout_s, dag_id=dag_id, poll=1
        )
        print(
            f"  {variant} {size:>7} farms #{repeat}: {result.state} after {time.monotonic() - started:.0f} s",
            flush=True,
        )
        self._measure(result, farm_set)
        return result

    def _measure(self, result: RunResult, farm_set: FarmSet) -> None:
        stats = self.emulator("GET", "stats")
        kma = stats["kma"]
        by_days = kma.get("by_days", {})
        result.kma_calls = kma["requests"]
        result.kma_fetch_calls = by_days.get("7", 0)
        result.kma_probe_calls = by_days.get("1", 0)
        result.kma_quota_errors = kma.get("rate_limited", 0)
        result.kma_peak_concurrency = kma.get("max_in_flight", 0)
        result.kosis_calls = stats["kosis"]["requests"]
        result.ekape_calls = stats["ekape"]["requests"]
        self._measure_metadata(result)
        self._measure_tasks(result)
        self._measure_farm_db(result)

    def _metadata(self) -> sqlite3.Connection:
        assert self.airflow is not None
        path = self.airflow.home / "airflow.db"
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)

    def _measure_metadata(self, result: RunResult) -> None:
        with contextlib.closing(self._metadata()) as conn:
            start, end = conn.execute(
                "SELECT start_date, end_date FROM dag_run WHERE dag_id = ? AND run_id = ?",
                (result.dag_id, result.run_id),
            ).fetchone()
            if _time(start) and _time(end):
                result.wall_s = round((_time(end) - _time(start)).total_seconds(), 1)
            tis = conn.execute(
                "SELECT task_id, start_date, end_date, try_number FROM task_instance "
                "WHERE dag_id = ? AND run_id = ?",
                (result.dag_id, result.run_id),
            ).fetchall()
            result.task_instances = len(tis)
            for task, s, e, _ in tis:
                if task in ("check_collection", "run_weekly_report") and _time(s) and _time(e):
                    seconds = round((_time(e) - _time(s)).total_seconds(), 2)
                    setattr(result, "gate_task_s" if task == "check_collection" else "report_task_s", seconds)
            result.tries = sum(int(tries or 0) for *_, tries in tis)
            collect = [
                (_time(s), _time(e)) for task, s, e, _ in tis if task.startswith("collect_") and s and e
            ]
            if collect:
                first = min(s for s, _ in collect)
                last = max(e for _, e in collect)
                result.collection_s = round((last - first).total_seconds(), 1)
            xcoms = conn.execute(
                "SELECT task_id, map_index, key, length(CAST(value AS BLOB)) FROM xcom "
                "WHERE dag_id = ? AND run_id = ?",
                (result.dag_id, result.run_id),
            ).fetchall()
            if xcoms:
                task, index, key, size = max(xcoms, key=lambda row: row[3] or 0)
                result.largest_xcom_bytes = int(size or 0)
                result.largest_xcom = f"{task}[{index}] {key}" if index >= 0 else f"{task} {key}"
                result.total_xcom_bytes = sum(int(row[3] or 0) for row in xcoms)
            rendered = conn.execute(
                "SELECT max(length(CAST(rendered_fields AS BLOB))) FROM rendered_task_instance_fields "
                "WHERE dag_id = ? AND run_id = ?",
                (result.dag_id, result.run_id),
            ).fetchone()
            result.largest_rendered_bytes = int(rendered[0] or 0)

    def _measure_tasks(self, result: RunResult) -> None:
        records = []
        if self.metrics_file.exists():
            for line in self.metrics_file.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                # A task's end: its peak memory and statements (a "running" record is its start).
                ended = record.get("state") != "running"
                if record["dag_id"] == result.dag_id and record["run_id"] == result.run_id and ended:
                    records.append(record)
        if not records:
            result.notes.append("no task metrics recorded (bench plugin not loaded?)")
            return
        result.db_statements = sum(record["db_statements"] for record in records)
        result.db_rows_written = sum(record["db_rows_written"] for record in records)
        peak = max(records, key=lambda record: record["maxrss_kb"])
        result.peak_task_rss_mb = round(peak["maxrss_kb"] / 1024, 1)
        index = f"[{peak['map_index']}]" if peak["map_index"] >= 0 else ""
        result.peak_task = f"{peak['task_id']}{index}"

    def _measure_farm_db(self, result: RunResult) -> None:
        first, last = self.week.start.isoformat(), self.week.end.isoformat()
        with contextlib.closing(sqlite3.connect(self.farm_db, timeout=60)) as conn:
            result.weather_rows, result.stations = conn.execute(
                "SELECT COUNT(*), COUNT(DISTINCT POINT_ID) FROM TM_WEATHER "
                "WHERE WEATHER_DATE BETWEEN ? AND ?",
                (first, last),
            ).fetchone()
            result.report_rows = conn.execute(
                "SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ?",
                (self.week.start.strftime("%Y%m%d"),),
            ).fetchone()[0]
            steps = conn.execute(
                "SELECT STEP_NM, (JULIANDAY(ENDED_AT) - JULIANDAY(STARTED_AT)) * 86400 FROM TS_INS_JOB_LOG "
                "WHERE RUN_ID = ? AND STEP_NM IN ('CHECK_COLLECTION', 'RUN_WEEKLY_REPORT') ORDER BY LOG_ID",
                (result.run_id,),
            ).fetchall()
        for step, seconds in steps:  # the latest row of each step
            if seconds is not None:
                name = "gate_step_s" if step == "CHECK_COLLECTION" else "report_step_s"
                setattr(result, name, round(seconds))
        result.farm_db_mb = round(self.farm_db.stat().st_size / 2**20, 1)
        result.complete = (
            result.state == "success"
            and result.weather_rows == result.usable_farms * 7
            and result.report_rows == result.usable_farms
        )


def machine() -> dict:
    import platform

    from airflow import __version__ as airflow_version

    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": sys.version.split()[0],
        "airflow": airflow_version,
        "platform": platform.platform(),
    }


def run_bench(options: BenchOptions) -> dict:
    bench = Bench(options)
    results: list[RunResult] = []
    started = clock.now()
    if options.history_size:  # generated (or found in the cache) before Airflow starts
        bench.history = history_database(options.history_size, options.history_years, week=bench.week,
                                         seed=options.seed)  # fmt: skip
    with bench.deployment():
        print(f"Airflow up at {bench.airflow.url if bench.airflow else '?'}; week {bench.week}", flush=True)
        if options.warmup_size:
            warmup = bench.run(PRODUCT, options.warmup_size, repeat=0)
            if not warmup.complete:
                raise RuntimeError(f"the warm-up run did not complete: {warmup.state}; see {bench.work}")
        history_size = {options.history_size} if options.history_size else set()
        for size in sorted({*options.sizes, *history_size}):  # the history variant needs its empty twin
            paired = size == options.history_size
            runs = max(options.repeat, options.history_repeat) if paired else options.repeat
            for repeat in range(1, runs + 1):
                results.append(bench.run(PRODUCT, size, repeat))
                if size == options.history_size:  # interleaved: the pair sees the same machine
                    results.append(bench.run(HISTORY, size, repeat))
        if options.baseline_size:
            results.append(bench.run(BASELINE, options.baseline_size))
    # Deployments of their own, on a moved clock (bench/time_to_report.py).
    latency = (
        run_time_to_report(options, options.time_to_report_size) if options.time_to_report_size else None
    )
    return {
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round((clock.now() - started).total_seconds()),
        "week": bench.week.start.isoformat(),
        "machine": machine(),
        "options": {
            key: (str(value) if isinstance(value, Path) else value)
            for key, value in asdict(options).items()
            if key not in ("work_dir", "extra_env")
        }
        | {"extra_env": options.extra_env},
        "runs": [result.as_dict() for result in results],
        "time_to_report": latency,
    }
