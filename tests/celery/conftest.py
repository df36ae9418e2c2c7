"""Scale-out on Airflow's distributed executor: CeleryExecutor on PostgreSQL and Redis with two Celery workers
on loopback, against the API emulators and SQLite farm databases of synthetic farms (the central region of
10,000); and, for the reference content, the same week on a LocalExecutor deployment.

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) and Redis on 127.0.0.1:6379. The fixtures
are package-scoped: both deployments stop after this package's last test, not at the end of the whole run.
Each run creates its own database ``airflow_celery_test_<random>`` (dropped at the end) and uses a Redis
database number other than 0 (flushed at the end).
"""

from __future__ import annotations

import dataclasses
import os
import secrets

import pytest

from bench.generator import generate, write_farm_db
from devtools.embedded import connection_env, emulator_process
from include.ins_report.config.settings import Settings
from include.ins_report.model import clock
from include.ins_report.model.farms import LAT_RANGE, LON_RANGE, classify_farms
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import catalog
from tests.support.airflow_stack import AirflowStack
from tests.support.deployment import Deployment
from tests.support.farm_db import week_content

FARMS = 10_000
REGION_LAT, REGION_LON = (36.5, 38.0), (126.5, 127.8)  # Gyeonggi and north Chungcheong
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, os.environ.get("INS_TEST_PG_USER", "postgres")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
WORKERS = ("worker-a", "worker-b")
START_SERVICES = (
    "start them: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start; "
    'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
)

# Both deployments: eight KMA slots, paced as in production; retried quickly; only triggered runs.
COMMON_ENV = {
    "INS_TASK_RETRIES": "2",
    "INS_RETRY_DELAY_SECONDS": "3",
    "INS_HTTP_ATTEMPTS": "3",
    "INS_HTTP_BACKOFF_SECONDS": "0.2",
    "INS_PUBLICATION_POKE_SECONDS": "5",
    "INS_REPORT_DEADLINE": "off",
    "INS_KMA_POOL_SLOTS": "8",
    "INS_KMA_CALLS_PER_SECOND": "20",
    "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
}
COMPONENTS = ("api-server", "scheduler", "dag-processor")  # nothing here defers: no triggerer
# The Celery deployment's KMA pool is made smaller than the DAG's own per-run limit (INS_KMA_POOL_SLOTS=8 sets
# max_active_tis_per_dagrun), so that only the pool can explain a bound of 4 across the two workers.
KMA_POOL, KMA_POOL_SLOTS = "kma_api", 4


class LocalReference:
    """The same week on LocalExecutor (SQLite metadata): started first, it runs while the Celery deployment
    starts and runs; ``content()`` waits for it, stops it and gives the week's rows."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.run_id = deployment.trigger_week()
        self._content: dict[str, list[tuple]] | None = None

    def content(self) -> dict[str, list[tuple]]:
        if self._content is None:
            airflow = self.deployment.airflow
            state = airflow.wait_for_run(self.run_id, timeout=300, poll=1)
            assert state == "success", (
                f"LocalExecutor run {self.run_id}: {state}; see {airflow.home / 'logs'}"
            )
            airflow.stop()
            self._content = week_content(self.deployment.farm_db, self.deployment.week)
        return self._content


@pytest.fixture(scope="package")
def services():
    """PostgreSQL and Redis, reachable; the tests fail (not skip) without them, saying how to start them."""
    import psycopg2
    import redis

    try:
        psycopg2.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=5
        ).close()
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=5).ping()
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL ({PG_HOST}:{PG_PORT}) and Redis ({REDIS_HOST}:{REDIS_PORT}) are needed: {exc}; "
            f"{START_SERVICES}"
        )


@pytest.fixture(scope="package")
def postgres_url(services):
    import psycopg2

    name = f"airflow_celery_test_{secrets.token_hex(4)}"
    admin = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="package")
def redis_url(services):
    """A Redis database number other than 0 that holds no keys, flushed afterwards."""
    import redis

    for number in secrets.SystemRandom().sample(range(1, 16), 15):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number)
        if client.dbsize() == 0:
            break
    else:
        pytest.fail("no empty Redis database among 1..15")
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}"
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(scope="package")
def week() -> ReportWeek:
    """A week the emulators have published, whatever the hour the suite runs."""
    return catalog.latest_ready_week(clock.now(), Settings())


@pytest.fixture(scope="package")
def farm_set():
    """The central region's share of 10,000 synthetic farms (about 3,600 rows on 20 stations) with every bad
    row: what is tested is tasks spreading over workers, the pool bound and a lost worker, not the station
    count (the bench runs all 95), and three runs of 100 tasks each cost minutes on 2 cores."""
    full = generate(FARMS, seed=7)

    def kept(row: tuple) -> bool:
        lat, lon = row[2], row[3]
        if lat is None or not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
            return True  # an unusable row: the batch must still exclude it
        return REGION_LAT[0] <= lat <= REGION_LAT[1] and REGION_LON[0] <= lon <= REGION_LON[1]

    return dataclasses.replace(full, rows=[row for row in full.rows if kept(row)])


@pytest.fixture(scope="package")
def usable_farms(farm_set) -> int:
    return len(classify_farms(farm_set.rows).valid)


def emulator_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="package")
def emulator_port(tmp_path_factory):
    with emulator_process(tmp_path_factory.mktemp("emulator"), latency_ms=50) as port:
        yield port


@pytest.fixture(scope="package")
def local(tmp_path_factory, farm_set, emulator_port, week):
    """The reference run on LocalExecutor, triggered at once (see LocalReference)."""
    tmp = tmp_path_factory.mktemp("local")
    farm_db = tmp / "farm.db"
    write_farm_db(farm_db, farm_set)
    env = {**connection_env(farm_db, emulator_port), **COMMON_ENV, "AIRFLOW__CORE__PARALLELISM": "8"}
    airflow = AirflowStack(tmp / "airflow", env, components=COMPONENTS)
    try:
        airflow.start()
        airflow.unpause()
        yield LocalReference(Deployment(farm_db, emulator_url(emulator_port), airflow=airflow, week=week))
    finally:
        airflow.stop()


@pytest.fixture(scope="package")
def celery(tmp_path_factory, farm_set, emulator_port, postgres_url, redis_url, week):
    """CeleryExecutor on PostgreSQL and Redis; scheduler, API server, DAG processor and two Celery workers
    (four task slots each), all on loopback."""
    tmp = tmp_path_factory.mktemp("celery")
    farm_db = tmp / "farm.db"
    write_farm_db(farm_db, farm_set)
    env = {
        **connection_env(farm_db, emulator_port),
        **COMMON_ENV,
        # The executor's own limit of queued + running tasks; the workers' slots and the pools decide.
        "AIRFLOW__CORE__PARALLELISM": "32",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres_url,
        "AIRFLOW__CELERY__BROKER_URL": redis_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + postgres_url,
        # A message of a killed worker comes back after this long (acks_late): the task was already retried.
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "120",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "90",
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL": "15",
    }
    stack = AirflowStack(tmp / "airflow", env, components=COMPONENTS)
    try:
        stack.start()
        stack.airflow("pools", "set", KMA_POOL, str(KMA_POOL_SLOTS), "KMA: smaller than the per-run limit")
        for name in WORKERS:
            stack.start_celery_worker(name, concurrency=4)
        stack.unpause()
        yield Deployment(farm_db, emulator_url(emulator_port), airflow=stack, week=week)
    finally:
        stack.stop()
