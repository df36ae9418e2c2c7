"""The deadline alert on a real Airflow stack (API server, scheduler, DAG processor, triggerer): a run kept
slow by the emulators' latency misses a short configured deadline, and the admins are alerted by the
triggerer (Airflow DeadlineAlert, AsyncCallback) while the run is still going; it then finishes normally,
without a failure alert."""

from __future__ import annotations

import json

import pendulum
import pytest
import requests

from tests.conftest import ROOT
from tests.support.deployment import airflow_deployment
from tests.support.waiting import wait_for

DEADLINE = "25s"
LATENCY_MS = 4000  # every API call takes 4 s: the run needs well over a minute
ARTIFACTS = ROOT / "tests" / "artifacts" / "alerts"
SLACK_TOKEN = "T0DL/B0DL/deadline-token"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    settings = {
        "INS_ALERT_EMAILS": "ops@example.com",
        "INS_REPORT_DEADLINE": DEADLINE,
        # The digest (dag-processor, after the run's end) is the sign that every callback has spoken.
        "INS_DIGEST_CHANNELS": "webhook",
        "INS_TASK_RETRIES": "0",
        "INS_HTTP_TIMEOUT_SECONDS": "60",
    }
    with airflow_deployment(tmp_path_factory.mktemp("deadline"), settings, slack=SLACK_TOKEN) as deployment:
        yield deployment


def deadline_alerts(deployment) -> list[dict]:
    return [
        r for r in deployment.webhook.requests if r["json"]["event"] == "ins_weekly_report_deadline_missed"
    ]


def test_a_slow_run_misses_its_deadline_and_the_admins_hear_while_it_runs(deployment):
    airflow = deployment.airflow
    deployment.emulator("POST", "config", {"latency_ms": LATENCY_MS})
    # Unpausing queues the scheduled run of the latest week, as on a Monday at 02:00 KST.
    run_id, week = deployment.start_scheduled_run(timeout=60)
    wait_for(
        lambda: deadline_alerts(deployment), timeout=150, what=f"a deadline alert; see {airflow.home}/logs"
    )
    state_at_alert = airflow.run_state(run_id)
    # The channels are sent at once, in parallel (alerts/delivery.py): the mail and Slack may land after the
    # webhook.
    wait_for(
        lambda: deployment.smtp.messages and deployment.slack.requests,
        timeout=60,
        what="the deadline alert by mail and on Slack too",
    )
    deployment.emulator("POST", "config", {"latency_ms": 0})
    assert state_at_alert == "running", "the alert came while the run was still going"

    (received,) = deadline_alerts(deployment)
    payload = received["json"]
    assert payload["run_id"] == run_id
    assert payload["state"] == "running"
    assert payload["deadline"] == DEADLINE
    assert payload["week_start"] == week.start.isoformat()
    assert (
        payload["url"] == f"{airflow.url}/dags/ins_weekly_report/runs/{requests.utils.quote(run_id, safe='')}"
    )
    assert "FINISH_JOB" not in payload["steps_done"]  # what was done by then (START_JOB, if the machine
    # was not too busy to start it within 25 s): checked against the job log once the run is over, below
    text = payload["text"]
    assert "was NOT FINISHED by its deadline (25s" in text
    assert "The run is still running: the report is not built yet." in text
    assert "Run SP_INS_WEEK_MAIN for the week: not done yet" in text

    (mail,) = deployment.smtp.messages
    assert mail["Subject"].startswith(
        f"[INS weekly report] NOT FINISHED by the deadline: week {week.label()}"
    )
    assert run_id in mail["Subject"]
    (slack,) = deployment.slack.requests
    assert slack["path"] == "/services/T0DL/B0DL/deadline-token"
    assert slack["json"]["text"] == mail["Subject"]

    # The run goes on and succeeds: no failure alert, and the deadline alert is not repeated.
    assert airflow.wait_for_run(run_id, timeout=400) == "success"
    assert set(payload["steps_done"]) < {row.step for row in deployment.job_log(run_id)}
    events = lambda: [r["json"]["event"] for r in deployment.webhook.requests]  # noqa: E731
    wait_for(lambda: "ins_weekly_report_digest" in events(), timeout=120, what="the digest after the run")
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


# --- a failed run: one alert, and a down channel's token URL in no log -------------------------------

FAILED_RUN_DEADLINE = "60s"
WEBHOOK_TOKEN = "wh-SECRET-4d2e8a"
SLACK_HTTP_PATH = "/services/T0DOWN/B0DOWN/slack-SECRET-0c7f"


@pytest.fixture(scope="module")
def failing_deployment(tmp_path_factory):
    from tests.support.receivers import free_port

    down = f"http://127.0.0.1:{free_port()}"  # nothing listens: both HTTP channels are down
    settings = {
        "INS_ALERT_EMAILS": "ops@example.com",
        "INS_REPORT_DEADLINE": FAILED_RUN_DEADLINE,
        "INS_TASK_RETRIES": "0",
        "INS_SOURCES": "kosis",  # the run fails in seconds, no station tasks to wait for
        "AIRFLOW_CONN_ALERT_WEBHOOK": json.dumps(
            {"conn_type": "http", "host": f"{down}/hooks/ins?token={WEBHOOK_TOKEN}"}
        ),
        "AIRFLOW_CONN_SLACK_ALERTS": json.dumps({"conn_type": "http", "host": f"{down}{SLACK_HTTP_PATH}"}),
    }
    with airflow_deployment(tmp_path_factory.mktemp("failed_run"), settings) as deployment:
        yield deployment


def test_a_failed_run_gets_one_alert_and_no_log_shows_a_channels_token(failing_deployment):
    """The run fails long before its deadline (KOSIS refuses the key): the failure alert goes out (e-mail;
    the webhook and the http-type Slack channel are down), and when the deadline passes Airflow still
    calls the deadline callback (it drops deadlines of successful runs only), which sends nothing. No log
    of the deployment (tasks, dag-processor, triggerer, scheduler) shows either channel's token."""
    deployment = failing_deployment
    airflow = deployment.airflow
    deployment.emulator("POST", "faults", {"api": "kosis", "scenario": "http_401", "count": None})
    run_id, week = deployment.start_scheduled_run(timeout=60)
    assert airflow.wait_for_run(run_id, timeout=300) == "failed"
    wait_for(lambda: deployment.smtp.messages, timeout=120, what="the failure alert (dag-processor)")
    triggerer_log = airflow.home / "logs" / "triggerer.log"
    wait_for(
        lambda: "deadline alert not sent" in triggerer_log.read_text(encoding="utf-8", errors="replace"),
        timeout=240,
        what=f"the deadline callback of the failed run; see {triggerer_log}",
    )
    (mail,) = deployment.smtp.messages  # exactly one alert for the failed run
    assert mail["Subject"].startswith(f"[INS weekly report] FAILED week {week.label()}")
    deadlines = requests.get(
        f"{airflow.url}/ui/dags/ins_weekly_report/dagRuns/{run_id}/deadlines",
        headers=airflow._headers(),
        timeout=10,
    ).json()["deadlines"]
    assert [d["missed"] for d in deadlines] == [True]  # Airflow did fire it: the notifier held it back

    logs = {path: path.read_text(encoding="utf-8", errors="replace") for path in airflow.home.rglob("*.log")}
    logs |= {
        path: path.read_text(encoding="utf-8", errors="replace") for path in airflow.home.rglob("*.json")
    }
    everything = "\n".join(logs.values())
    assert "alert via webhook failed" in everything  # the channels were tried, and failed
    assert "alert via slack failed" in everything
    leaks = [str(path) for path, text in logs.items() if WEBHOOK_TOKEN in text or "slack-SECRET" in text]
    assert leaks == []
