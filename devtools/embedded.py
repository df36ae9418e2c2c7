"""The embedded default: environment, farm database and emulator process for local runs and tests.

Used by ``make run``, ``make airflow`` and the test suite, so all three run the same configuration.
Nothing here is used by the DAG in production.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from devtools import processes
from include.ins_report.config.settings import PACKAGE_DIR, TIMEZONE
from include.ins_report.store.sqlfiles import load_sql, split_statements

ROOT = PACKAGE_DIR.parents[1]
# Where the embedded default keeps its databases and logs; INS_LOCAL_DIR gives a test its own.
LOCAL_DIR = Path(os.environ.get("INS_LOCAL_DIR") or ROOT / ".local")
SAMPLE_FARMS = PACKAGE_DIR / "data" / "sample_farms.csv"
DEV_KMA_KEY = "dev-kma-key"
DEV_KOSIS_KEY = "dev-kosis-key"
DEV_EKAPE_KEY = "dev-ekape-key"
# The SQLite metadata database's connection arguments (AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS): a CLI
# command next to a busy scheduler (a backfill, a clear) waits up to 60 s for the write lock instead of
# failing with "database is locked" after sqlite3's default 5 s, as it did on a loaded 2-core machine.
SQLITE_CONNECT_ARGS = {"timeout": 60}


def airflow_env(airflow_home: Path, api_port: int = 8080) -> dict[str, str]:
    """Airflow settings of the embedded default: SQLite metadata, LocalExecutor, this project's DAGs."""
    return {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # unit_test_mode would turn cron strings into data-interval timetables: keep prod behaviour.
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": TIMEZONE,
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "devtools.embedded.SQLITE_CONNECT_ARGS",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(airflow_home / "passwords.json"),
        "INS_AIRFLOW_BASE_URL": f"http://127.0.0.1:{api_port}",
        # The emulator enforces no request rate unless told to: no client-side pacing by default here.
        "INS_KMA_CALLS_PER_SECOND": os.environ.get("INS_KMA_CALLS_PER_SECOND", "0"),
        "INS_KOSIS_CALLS_PER_SECOND": os.environ.get("INS_KOSIS_CALLS_PER_SECOND", "0"),
        "INS_EKAPE_CALLS_PER_SECOND": os.environ.get("INS_EKAPE_CALLS_PER_SECOND", "0"),
        # config/: Airflow's local settings, which preload the providers' modules every task imports.
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT), str(ROOT / "config"), os.environ.get("PYTHONPATH", "")])
        ),
        # Every task process imports the project's ~80 modules to parse the DAG file: without the compiled
        # bytecode (a shell that sets PYTHONDONTWRITEBYTECODE) each one compiles them again, about 0.15 s.
        # Empty means unset to Python, so Airflow's processes write and reuse include/'s __pycache__.
        "PYTHONDONTWRITEBYTECODE": "",
    }


def connection_env(
    farm_db: Path,
    emulator_port: int,
    *,
    smtp_port: int | None = None,
    webhook_url: str | None = None,
    kma_key: str = DEV_KMA_KEY,
    kosis_key: str = DEV_KOSIS_KEY,
    ekape_key: str = DEV_EKAPE_KEY,
) -> dict[str, str]:
    """Airflow connections (JSON form) for the farm database, the emulated APIs and the alert channels."""

    def api(key: str) -> str:
        return json.dumps(
            {
                "conn_type": "http",
                "host": "127.0.0.1",
                "port": emulator_port,
                "schema": "http",
                "password": key,
            }
        )

    env = {
        "AIRFLOW_CONN_FARM_DB": json.dumps({"conn_type": "sqlite", "host": str(farm_db)}),
        "AIRFLOW_CONN_KMA_API": api(kma_key),
        "AIRFLOW_CONN_KOSIS_API": api(kosis_key),
        "AIRFLOW_CONN_EKAPE_API": api(ekape_key),
    }
    if smtp_port:
        env["AIRFLOW_CONN_SMTP_ALERTS"] = json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": smtp_port,
                "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "airflow@localhost"},
            }
        )
    if webhook_url:
        env["AIRFLOW_CONN_ALERT_WEBHOOK"] = json.dumps({"conn_type": "http", "host": webhook_url})
    return env


def sample_farms(farms_csv: Path = SAMPLE_FARMS) -> list[tuple]:
    """The sample farms as TA_FARM rows (FARM_NO, FARM_NM, LAT, LON, USE_YN)."""
    with farms_csv.open(encoding="utf-8") as handle:
        return [
            (row["farm_no"], row["farm_nm"], row["lat"] or None, row["lon"] or None, row["use_yn"])
            for row in csv.DictReader(handle)
        ]


def init_farm_db(path: Path, rows: list[tuple] | None = None) -> int:
    """Create the reference tables (idempotent) and seed TA_FARM when it is empty, with ``rows`` (default:
    the sample farms); returns the farms seeded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as conn, conn:
        for statement in split_statements(load_sql("sqlite", "schema")):
            conn.execute(statement)
        # A database created before the report gained PIG_PRICE_AVG (EKAPE) gets the column.
        report_columns = {row[1] for row in conn.execute("PRAGMA table_info(TR_INS_WEEK_REPORT)")}
        if "PIG_PRICE_AVG" not in report_columns:
            conn.execute("ALTER TABLE TR_INS_WEEK_REPORT ADD COLUMN PIG_PRICE_AVG REAL")
        if conn.execute("SELECT COUNT(*) FROM TA_FARM").fetchone()[0]:
            return 0
        rows = sample_farms() if rows is None else rows
        conn.executemany(
            "INSERT INTO TA_FARM (FARM_NO, FARM_NM, LAT, LON, USE_YN) VALUES (?, ?, ?, ?, ?)", rows
        )
        return len(rows)


@contextmanager
def emulator_process(
    state_dir: Path, *, latency_ms: int = 0, extra_args: tuple[str, ...] = ()
) -> Iterator[int]:
    """Run the API emulator as its own process, in a session of its own, on a free loopback port; yields the
    port. On the way out its whole session is stopped (SIGTERM, 10 s, SIGKILL)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    port_file = state_dir / "emulator.port"
    port_file.unlink(missing_ok=True)
    log_file = (state_dir / "emulator.log").open("ab")
    command = [
        sys.executable,
        "-m",
        "devtools.emulator",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--latency-ms",
        str(latency_ms),
        *extra_args,
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = processes.start(command, cwd=ROOT, env=env, stdout=log_file, stderr=log_file)
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API emulator did not start; see {state_dir / 'emulator.log'}")
            time.sleep(0.05)
        yield int(port_file.read_text().strip())
    finally:
        processes.stop_sessions({process.pid}, grace=10, reap=[process])
        log_file.close()
