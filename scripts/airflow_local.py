"""`make airflow`: Airflow locally (API server + UI, scheduler, DAG processor, triggerer) with the emulators.

Everything runs on loopback with the embedded default (SQLite metadata and farm databases under .local/).
Ctrl-C stops every process this script started.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
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
from include.ins_report.settings import DAG_ID  # noqa: E402

USER, PASSWORD = "admin", "admin"


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


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
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
    subprocess.run([airflow_bin, "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    # Without its pools the API tasks would wait in "scheduled" for ever.
    subprocess.run(
        [sys.executable, "-m", "include.ins_report.pools", "--apply"], env=env, cwd=ROOT, check=True
    )

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
                    subprocess.Popen(
                        [airflow_bin, *component],
                        env=env,
                        cwd=ROOT,
                        stdout=log,
                        stderr=log,
                        start_new_session=True,
                    )
                )
            wait_for_api(args.port, processes)
            url = f"http://127.0.0.1:{args.port}"
            print(
                f"\nAirflow UI  {url}   login {USER} / {json.loads(passwords.read_text()).get(USER, '?')}\n"
                f"DAG         {url}/dags/{DAG_ID}  (paused at creation: unpause, or trigger a week)\n"
                f"emulators   http://127.0.0.1:{emulator_port}   farm database {farm_db.relative_to(ROOT)}\n"
                f"logs        {logs.relative_to(ROOT)}/   Ctrl-C stops everything\n",
                flush=True,
            )
            while all(process.poll() is None for process in processes):
                time.sleep(1)
            print("an Airflow component exited; stopping the others (see .local/logs/)", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nstopping ...")
            return 0
        finally:
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
