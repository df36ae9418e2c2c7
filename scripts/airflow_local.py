"""`make airflow`: Airflow locally (API server + UI, scheduler, DAG processor, triggerer) with the emulators.

Everything runs on loopback with the embedded default (SQLite metadata and farm databases under .local/).
Ctrl-C (or SIGTERM) stops every process this script started, and whatever they started in turn (the
scheduler's task processes included): devtools/processes.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools.embedded import (  # noqa: E402
    LOCAL_DIR,
    airflow_env,
    connection_env,
    emulator_process,
    init_farm_db,
)
from devtools.processes import Supervisor, describe  # noqa: E402
from include.ins_report.config.settings import DAG_ID  # noqa: E402

USER, PASSWORD = "admin", "admin"
# Every process this script starts, each in a session of its own, and their stop: SIGTERM, 30 s, SIGKILL.
SUPERVISOR = Supervisor(grace=30)


def wait_for_api(port: int, processes: list[subprocess.Popen], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("an Airflow component exited during start-up; see .local/logs/")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"the API server did not answer on port {port} within {timeout:.0f} s")


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def run(command: list[str], env: dict[str, str], **popen_kwargs) -> None:
    """A set-up command in a session of its own (stopped with the rest on Ctrl-C); CalledProcessError if
    it fails."""
    process = SUPERVISOR.start(command, env=env, cwd=ROOT, **popen_kwargs)
    if process.wait() != 0:
        raise subprocess.CalledProcessError(process.returncode, command)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("INS_AIRFLOW_PORT", "8080")))
    args = parser.parse_args()

    airflow_home = LOCAL_DIR / "airflow"
    logs = LOCAL_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    farm_db = LOCAL_DIR / "farm.db"
    init_farm_db(farm_db)
    env = {**os.environ, **airflow_env(airflow_home, api_port=args.port)}
    passwords = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    passwords.parent.mkdir(parents=True, exist_ok=True)
    if not passwords.exists():
        passwords.write_text(json.dumps({USER: PASSWORD}))
    airflow_bin = str(Path(sys.executable).with_name("airflow"))
    run([airflow_bin, "db", "migrate"], env, stdout=subprocess.DEVNULL)
    # Without its pools the API tasks would wait in "scheduled" for ever.
    run([sys.executable, "-m", "include.ins_report.airflow_edge.pools", "--apply"], env)

    processes: list[subprocess.Popen] = []
    with emulator_process(LOCAL_DIR) as emulator_port:
        env.update(connection_env(farm_db, emulator_port))
        try:
            for component in (
                ["api-server", "--host", "127.0.0.1", "--port", str(args.port)],
                ["scheduler"],
                ["dag-processor"],
                ["triggerer"],
            ):
                log = (logs / f"{component[0]}.log").open("ab")
                processes.append(
                    SUPERVISOR.start([airflow_bin, *component], env=env, cwd=ROOT, stdout=log, stderr=log)
                )
            wait_for_api(args.port, processes)
            url = f"http://127.0.0.1:{args.port}"
            print(
                f"\nAirflow UI  {url}   login {USER} / {json.loads(passwords.read_text()).get(USER, '?')}\n"
                f"DAG         {url}/dags/{DAG_ID}  (paused at creation: unpause, or trigger a week)\n"
                f"emulators   http://127.0.0.1:{emulator_port}   farm database {shown(farm_db)}\n"
                f"logs        {shown(logs)}/   Ctrl-C stops everything\n",
                flush=True,
            )
            while all(process.poll() is None for process in processes):
                time.sleep(1)
            print("an Airflow component exited; stopping the others (see .local/logs/)", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nstopping ...", flush=True)
            raise
        finally:
            # Airflow first (its task processes included), then the emulator (on leaving the `with`).
            SUPERVISOR.stop(*processes)


def launch() -> int:
    """main() under the supervisor: Ctrl-C, SIGTERM or SIGHUP at any moment, an error or a component that
    exits: every process this script started (their whole sessions) is stopped before it returns."""
    code, left = SUPERVISOR.run(main)
    if left:
        print(f"make airflow: these processes did not stop: {describe(left)}", file=sys.stderr)
        return 1
    return 0 if code is None else code


if __name__ == "__main__":
    sys.exit(launch())
