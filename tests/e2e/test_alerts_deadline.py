"""The deadline alert on a real Airflow stack (API server, scheduler, DAG processor, triggerer): a run kept
slow by the emulators' latency misses a short configured deadline, and the admins are alerted by the
triggerer (Airflow DeadlineAlert, AsyncCallback) while the run is still going; it then finishes normally,
without a failure alert."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pendulum
import pytest
import requests

from include.ins_report.localdev import connection_env, emulator_process, init_farm_db
from include.ins_report.week import week_before
from tests.conftest import ROOT
from tests.support.airflow_stack import AirflowStack
from tests.support.deployment import DeploymentAccess
from tests.support.receivers import SmtpReceiver, WebhookReceiver

pytestmark = pytest.mark.scheduler

DEADLINE = "25s"
LATENCY_MS = 4000  # every API call takes 4 s: the run needs well over a minute
LATEST = week_before(pendulum.now("Asia/Seoul"))
ARTIFACTS = ROOT / "tests" / "artifacts" / "alerts"


@dataclass
class Deployment(DeploymentAccess):
    airflow: AirflowStack
    farm_db: Path
    emulator_url: str
    smtp: SmtpReceiver
    slack: WebhookReceiver
    webhook: WebhookReceiver


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deadline")
    farm_db = tmp / "farm.db"
    init_farm_db(farm_db)
    with (
        SmtpReceiver() as smtp,
        WebhookReceiver() as slack,
        WebhookReceiver() as webhook,
        emulator_process(tmp) as port,
    ):
        slack_url = slack.url.rsplit("/hooks/", 1)[0] + "/services/T0DL/B0DL/deadline-token"
        env = {
            **connection_env(farm_db, port, smtp_port=smtp.port, webhook_url=webhook.url),
            "AIRFLOW_CONN_SLACK_ALERTS": json.dumps({"conn_type": "slackwebhook", "password": slack_url}),
            "INS_ALERT_EMAILS": "ops@example.com",
            "INS_REPORT_DEADLINE": DEADLINE,
            # The digest (dag-processor, after the run's end) is the sign that every callback has spoken.
            "INS_DIGEST_CHANNELS": "webhook",
            "INS_TASK_RETRIES": "0",
            "INS_HTTP_TIMEOUT_SECONDS": "60",
        }
        with AirflowStack(tmp / "airflow", env) as airflow:
            yield Deployment(airflow, farm_db, f"http://127.0.0.1:{port}", smtp, slack, webhook)


def deadline_alerts(deployment) -> list[dict]:
    return [
        r for r in deployment.webhook.requests if r["json"]["event"] == "ins_weekly_report_deadline_missed"
    ]


def test_a_slow_run_misses_its_deadline_and_the_admins_hear_while_it_runs(deployment):
    airflow = deployment.airflow
    deployment.emulator("POST", "config", {"latency_ms": LATENCY_MS})
    # Unpausing queues the scheduled run of the latest week, as on a Monday at 02:00 KST.
    airflow.unpause()
    queued = time.monotonic()
    while not (runs := airflow.runs()):
        assert time.monotonic() - queued < 60, "no scheduled run after unpausing"
        time.sleep(1)
    (run,) = runs
    run_id = run["dag_run_id"]
    assert run["run_type"] == "scheduled"
    while not deadline_alerts(deployment):
        assert time.monotonic() - queued < 150, f"no deadline alert; see {airflow.home / 'logs'}"
        time.sleep(1)
    state_at_alert = airflow.run_state(run_id)
    deployment.emulator("POST", "config", {"latency_ms": 0})
    assert state_at_alert == "running", "the alert came while the run was still going"

    (received,) = deadline_alerts(deployment)
    payload = received["json"]
    assert payload["run_id"] == run_id
    assert payload["state"] == "running"
    assert payload["deadline"] == DEADLINE
    assert payload["week_start"] == LATEST.start.isoformat()
    assert (
        payload["url"] == f"{airflow.url}/dags/ins_weekly_report/runs/{requests.utils.quote(run_id, safe='')}"
    )
    assert "START_JOB" in payload["steps_done"]
    assert "FINISH_JOB" not in payload["steps_done"]
    text = payload["text"]
    assert "was NOT FINISHED by its deadline (25s" in text
    assert "The run is still running: the report is not built yet." in text
    assert "Run SP_INS_WEEK_MAIN for the week: not done yet" in text

    (mail,) = deployment.smtp.messages
    assert mail["Subject"].startswith(
        f"[INS weekly report] NOT FINISHED by the deadline: week {LATEST.label()}"
    )
    assert run_id in mail["Subject"]
    (slack,) = deployment.slack.requests
    assert slack["path"] == "/services/T0DL/B0DL/deadline-token"
    assert slack["json"]["text"] == mail["Subject"]

    # The run goes on and succeeds: no failure alert, and the deadline alert is not repeated.
    assert airflow.wait_for_run(run_id, timeout=400) == "success"
    events = lambda: [r["json"]["event"] for r in deployment.webhook.requests]  # noqa: E731
    finished = time.monotonic()
    while "ins_weekly_report_digest" not in events():
        assert time.monotonic() - finished < 120, "no digest from the dag-processor after the run"
        time.sleep(1)
    assert events() == ["ins_weekly_report_deadline_missed", "ins_weekly_report_digest"]
    assert len(deployment.smtp.messages) == 1  # the digest goes to the webhook only
    # Airflow recorded the deadline as missed (the UI's Deadlines view reads the same), 25 s after queueing.
    deadlines = requests.get(
        f"{airflow.url}/ui/dags/ins_weekly_report/dagRuns/{run_id}/deadlines",
        headers=airflow._headers(),
        timeout=10,
    ).json()["deadlines"]
    assert [(d["missed"], d["alert_name"]) for d in deadlines] == [
        (True, f"report not finished by {DEADLINE}")
    ]
    queued_at = pendulum.parse(airflow.get(f"dags/ins_weekly_report/dagRuns/{run_id}")["queued_at"])
    deadline_time = pendulum.parse(deadlines[0]["deadline_time"])
    assert deadline_time - queued_at == pendulum.duration(seconds=25)
    # Sent once the deadline had passed, about the deadline Airflow recorded.
    assert pendulum.parse(payload["deadline_time"]) == deadline_time
    assert received["received_at"] >= deadline_time
    # The triggerer ran the callback (AsyncCallback).
    triggerer_log = (airflow.home / "logs" / "triggerer.log").read_text(encoding="utf-8", errors="replace")
    assert "ins_weekly_report_deadline_missed sent via email, slack, webhook" in triggerer_log
    assert "'body': 'deadline alert sent via email, slack, webhook'" in triggerer_log  # the callback's result
    assert "Traceback" not in triggerer_log
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "deadline.txt").write_text(f"Subject: {mail['Subject']}\n\n{text}", encoding="utf-8")
