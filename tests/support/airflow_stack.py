"""A real Airflow deployment on loopback for tests: API server, scheduler, DAG processor and triggerer as
their own processes, driven through the public REST API (and the CLI where operators use it).

The executor is whatever ``env`` configures (LocalExecutor by default); with CeleryExecutor, start the
workers with ``start_celery_worker``. The DAG's pools are created before anything starts, as every
deployment must (include/ins_report/airflow_edge/pools.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from devtools.embedded import ROOT, airflow_env
from include.ins_report.config.settings import DAG_ID
from tests.support.receivers import free_port
from tests.support.waiting import wait_for

USER, PASSWORD = "admin", "admin"
FINISHED = {"success", "failed"}


class AirflowStack:
    def __init__(
        self,
        home: Path,
        env: dict[str, str],
        components: tuple[str, ...] | None = None,
        *,
        dag_ids: tuple[str, ...] = (DAG_ID,),
    ) -> None:
        self.home = home
        self.port = free_port()
        self.env = {**os.environ, **airflow_env(home, api_port=self.port), **env}
        if not self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("sqlite"):
            self.env.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS", None)  # sqlite3's busy timeout only
        self.url = f"http://127.0.0.1:{self.port}"
        self.components = components or ("api-server", "scheduler", "dag-processor", "triggerer")
        self.dag_ids = dag_ids  # waited for at start-up
        self.processes: dict[str, subprocess.Popen] = {}
        self._token: str | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    def airflow(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        """The Airflow CLI against this stack; with ``check``, a failure raises with what the CLI said."""
        airflow_bin = str(Path(sys.executable).with_name("airflow"))
        result = subprocess.run(
            [airflow_bin, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode:
            raise AssertionError(
                f"airflow {' '.join(args)} exited {result.returncode}:\n{result.stdout[-3000:]}\n"
                f"{result.stderr[-3000:]}"
            )
        return result

    def start(self) -> AirflowStack:
        (self.home / "logs").mkdir(parents=True, exist_ok=True)
        Path(self.env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).write_text(
            json.dumps({USER: PASSWORD})
        )
        self.airflow("db", "migrate")
        self.create_pools()
        for component in self.components:
            self.start_component(component)
        wait_for(
            lambda: requests.get(f"{self.url}/api/v2/monitor/health", timeout=2).ok,
            timeout=120,
            what=f"API server; see {self.home / 'logs'}",
        )
        for dag_id in self.dag_ids:
            wait_for(
                lambda d=dag_id: (
                    requests.get(f"{self.url}/api/v2/dags/{d}", headers=self._headers(), timeout=5).ok
                ),
                timeout=120,
                what=f"DAG {dag_id} parsed; see {self.home / 'logs'}",
            )
        return self

    def create_pools(self) -> None:
        """The DAG's pools, by the command every launcher runs (make airflow, compose airflow-init)."""
        subprocess.run(
            [sys.executable, "-m", "include.ins_report.airflow_edge.pools", "--apply"],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start_component(
        self, component: str, *extra: str, name: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.Popen:
        name = name or component.replace(" ", "-")
        args = component.split()
        if component == "api-server":
            args += ["--host", "127.0.0.1", "--port", str(self.port)]
        airflow_bin = str(Path(sys.executable).with_name("airflow"))
        log = (self.home / "logs" / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [airflow_bin, *args, *extra],
            env={**self.env, **(env or {})},
            cwd=ROOT,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def start_celery_worker(self, name: str, *, concurrency: int = 2, queues: str = "default") -> None:
        """A Celery worker with its own name: TaskInstance.hostname shows the name of the worker that ran
        it (tests/support/worker_hostname.py), and its log server gets its own port."""
        self.start_component(
            "celery worker",
            "--celery-hostname", f"{name}@127.0.0.1",
            "--concurrency", str(concurrency),
            "--queues", queues,
            "--without-mingle", "--without-gossip",
            name=name,
            env={
                "INS_WORKER_NAME": name,
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.support.worker_hostname.worker_hostname",
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            },
        )  # fmt: skip

    def stop_component(self, name: str, sig: int = signal.SIGTERM) -> None:
        self._stop_all([name], sig)

    def stop(self) -> None:
        self._stop_all(list(self.processes))

    def _stop_all(self, names: list[str], sig: int = signal.SIGTERM, grace: float = 30) -> None:
        """Signal every named component at once, then give them ``grace`` seconds together (a stack stops in
        the time of its slowest component, not the sum); whatever is left is killed."""
        processes = [self.processes.pop(name) for name in names]
        for process in processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, sig)
        deadline = time.monotonic() + grace
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def __enter__(self) -> AirflowStack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def alive(self, name: str) -> bool:
        return name in self.processes and self.processes[name].poll() is None

    # --- REST API ----------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        if not self._token:
            response = requests.post(
                f"{self.url}/auth/token", json={"username": USER, "password": PASSWORD}, timeout=10
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(
            method, f"{self.url}/api/v2/{path}", headers=self._headers(), timeout=30, **kwargs
        )
        if not response.ok:
            raise AssertionError(f"{method} {path}: HTTP {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def create_backfill(
        self, *args: str, dag_id: str = DAG_ID, attempts: int = 5
    ) -> subprocess.CompletedProcess:
        """``airflow backfill create --dag-id <dag_id> <args>``, as an operator types it. On the SQLite
        metadata database the command can meet SQLite's lock-upgrade deadlock with the busy scheduler: SQLite
        answers "database is locked" at once (it does not call the busy handler when waiting could deadlock)
        and leaves a backfill without runs, which the scheduler then marks complete. The operator's remedy,
        running the command again once no backfill is active, is done here, a bounded number of times."""
        for attempt in range(1, attempts + 1):
            result = self.airflow("backfill", "create", "--dag-id", dag_id, *args, check=False)
            locked = "database is locked" in result.stdout + result.stderr
            if result.returncode == 0 or not locked or attempt == attempts:
                break
            wait_for(
                lambda: (
                    not [
                        b
                        for b in self.get("backfills", dag_id=dag_id).get("backfills", [])
                        if not b.get("completed_at")
                    ]
                ),
                timeout=120,
                what="the backfill left by SQLite's lock error to be completed by the scheduler",
            )
        if result.returncode:
            raise AssertionError(
                f"airflow backfill create exited {result.returncode}:\n{result.stderr[-3000:]}"
            )
        return result

    def unpause(self, dag_id: str = DAG_ID) -> None:
        self.request("PATCH", f"dags/{dag_id}", json={"is_paused": False})

    def trigger(self, conf: dict | None = None, logical_date: str | None = None, dag_id: str = DAG_ID) -> str:
        body = {"logical_date": logical_date, "conf": conf or {}}
        return self.request("POST", f"dags/{dag_id}/dagRuns", json=body)["dag_run_id"]

    def runs(self, dag_id: str = DAG_ID) -> list[dict]:
        return self.get(f"dags/{dag_id}/dagRuns", order_by="run_after", limit=100)["dag_runs"]

    def run_state(self, run_id: str, dag_id: str = DAG_ID) -> str:
        return self.get(f"dags/{dag_id}/dagRuns/{run_id}")["state"]

    def wait_for_run(self, run_id: str, timeout: float = 300, dag_id: str = DAG_ID, poll: float = 2) -> str:
        """The run's final state (success or failed)."""
        return wait_for(
            lambda: (state := self.run_state(run_id, dag_id)) in FINISHED and state,
            timeout=timeout,
            poll=poll,
            what=f"run {run_id} finished; see {self.home / 'logs'}",
        )

    def parked(self, run_id: str, task_id: str) -> int:
        """How many times the scheduler has processed the executor event of a try of ``task_id`` that parked
        for an answer (``state=awaiting_input`` in its "TaskInstance Finished" line). Airflow 3.3 takes a
        task answered before that for changed externally and retries it: the tests answer after it, as a
        person reading the question does (docs/operations.md, "Gaps: the operator decides")."""
        log = self.home / "logs" / "scheduler.log"
        if not log.exists():
            return 0
        needle = f"task_id={task_id}, run_id={run_id},"
        with log.open(encoding="utf-8", errors="replace") as lines:
            return sum(
                1
                for line in lines
                if "TaskInstance Finished" in line and needle in line and "state=awaiting_input" in line
            )

    def task_instances(self, run_id: str, dag_id: str = DAG_ID) -> list[dict]:
        """Every task instance of the run (the API pages by 100)."""
        found: list[dict] = []
        while True:
            page = self.get(f"dags/{dag_id}/dagRuns/{run_id}/taskInstances", limit=100, offset=len(found))
            found += page["task_instances"]
            if not page["task_instances"] or len(found) >= page["total_entries"]:
                return found

    def clear(self, run_id: str, task_ids: list | None, *, include_downstream: bool = True) -> list[dict]:
        """POST clearTaskInstances like the UI: task ids or [task_id, map_index] pairs; None = every task."""
        body = {
            "dag_run_id": run_id,
            "task_ids": task_ids,
            "dry_run": False,
            "only_failed": False,
            "include_downstream": include_downstream,
        }
        return self.request("POST", f"dags/{DAG_ID}/clearTaskInstances", json=body)["task_instances"]
