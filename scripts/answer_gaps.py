"""Answer the INS weekly report's question on a week's gaps from the command line, through Airflow's REST API
(the same call the UI's Required Actions page makes): `make answer DECISION=approve REASON="..."`.

    python scripts/answer_gaps.py approve "station 203 is being repaired"
    python scripts/answer_gaps.py reject "wait for KMA's corrected values" --run-id manual__2026-11-23...
    python scripts/answer_gaps.py list

Without --run-id it answers the one question waiting (or says which ones wait). The API server and the user
come from --url / --user / --password, or INS_AIRFLOW_BASE_URL / AIRFLOW_USER / AIRFLOW_PASSWORD; the
embedded default (`make run`) is http://127.0.0.1:8080 with admin / admin.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from include.ins_report.config.settings import DAG_ID  # noqa: E402
from include.ins_report.joblog import APPROVE  # noqa: E402

OPTIONS = {"approve": "Approve", "reject": "Reject"}


class Api:
    def __init__(self, url: str, user: str, password: str) -> None:
        self.url = url.rstrip("/")
        response = requests.post(
            f"{self.url}/auth/token", json={"username": user, "password": password}, timeout=15
        )
        if not response.ok:
            raise SystemExit(f"answer: login to {self.url} as {user} refused (HTTP {response.status_code})")
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    def call(self, method: str, path: str, **kwargs) -> dict:
        response = requests.request(
            method, f"{self.url}/api/v2/{path}", headers=self.headers, timeout=30, **kwargs
        )
        if not response.ok:
            raise SystemExit(f"answer: {method} {path}: HTTP {response.status_code} {response.text[:300]}")
        return response.json()


def waiting(api: Api) -> list[dict]:
    """The questions of the DAG's approval task that wait for an answer, newest first."""
    found = api.call(
        "GET",
        f"dags/{DAG_ID}/dagRuns/~/hitlDetails",
        params={"task_id": APPROVE.task_id, "response_received": "false", "order_by": "-created_at"},
    )
    return [
        item
        for item in found.get("hitl_details", [])
        if (item.get("task_instance") or {}).get("state") == "awaiting_input"
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("decision", choices=[*OPTIONS, "list"])
    parser.add_argument(
        "reason", nargs="?", default="", help="why (recorded in TS_INS_JOB_LOG and the alerts)"
    )
    parser.add_argument("--run-id", default="", help="the run whose question to answer")
    parser.add_argument("--url", default=os.environ.get("INS_AIRFLOW_BASE_URL") or "http://127.0.0.1:8080")
    parser.add_argument("--user", default=os.environ.get("AIRFLOW_USER") or "admin")
    parser.add_argument("--password", default=os.environ.get("AIRFLOW_PASSWORD") or "admin")
    args = parser.parse_args(argv)
    api = Api(args.url, args.user, args.password)
    questions = waiting(api)
    if args.decision == "list" or not questions:
        for item in questions:
            print(f"{item['task_instance']['dag_run_id']}: {item['subject']}")
        if not questions:
            print("answer: no question waits for an answer", file=sys.stderr)
        return 0 if questions or args.decision == "list" else 1
    runs = [item["task_instance"]["dag_run_id"] for item in questions]
    run_id = args.run_id or (runs[0] if len(runs) == 1 else "")
    if not run_id or run_id not in runs:
        listed = "\n".join(f"  --run-id {run}" for run in runs)
        print(f"answer: choose the run ({len(runs)} questions wait):\n{listed}", file=sys.stderr)
        return 2
    answered = api.call(
        "PATCH",
        f"dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances/{APPROVE.task_id}/-1/hitlDetails",
        json={"chosen_options": [OPTIONS[args.decision]], "params_input": {"reason": args.reason}},
    )
    who = (answered.get("responded_by") or {}).get("name", args.user)
    print(f"{run_id}: {OPTIONS[args.decision]} by {who}" + (f' ("{args.reason}")' if args.reason else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
