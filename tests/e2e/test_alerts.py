"""The admins' alerts end to end (``dag.test()`` runs against the emulators), received by a real SMTP server,
a Slack incoming-webhook endpoint (``slackwebhook`` connection, slack provider) and a JSON webhook.

One alert per failed run on each channel, whatever the number of failed mapped tasks; retries are quiet
until they are used up; a failure of the procedure itself is reported with its ORA code; the weekly digest
goes out on success only when INS_DIGEST_CHANNELS names channels."""

from __future__ import annotations

import json
import os
import re
from unittest import mock
from urllib.parse import quote

import oracledb
import pytest
from oracledb.errors import _Error as OracleErrorDetail

from tests.conftest import ROOT
from tests.support.receivers import WebhookReceiver

SLACK_TOKEN = "T0INS/B0INS/slack-SECRET-token-7c2f"
CHANNEL_KEYS = ("mails", "slack", "hooks")


@pytest.fixture(scope="module")
def slack(stack):
    """A Slack incoming webhook receiver behind a ``slackwebhook`` connection (the URL is its password)."""
    with WebhookReceiver() as receiver:
        base = receiver.url.rsplit("/hooks/", 1)[0]
        conn = {"conn_type": "slackwebhook", "password": f"{base}/services/{SLACK_TOKEN}"}
        os.environ["AIRFLOW_CONN_SLACK_ALERTS"] = json.dumps(conn)
        try:
            yield receiver
        finally:
            os.environ.pop("AIRFLOW_CONN_SLACK_ALERTS", None)


class Inboxes:
    def __init__(self, stack, slack) -> None:
        self.stack, self.slack_receiver = stack, slack
        self.marks = self.counts()

    def counts(self) -> tuple[int, int, int]:
        return (
            len(self.stack.smtp.messages),
            len(self.slack_receiver.requests),
            len(self.stack.webhook.requests),
        )

    def new(self) -> dict[str, list]:
        mails, slack, hooks = self.marks
        return {
            "mails": self.stack.smtp.messages[mails:],
            "slack": self.slack_receiver.requests[slack:],
            "hooks": self.stack.webhook.requests[hooks:],
        }


@pytest.fixture
def inboxes(stack, slack):
    stack.emulator("POST", "reset")
    yield Inboxes(stack, slack)
    stack.emulator("POST", "reset")


ARTIFACTS = ROOT / "tests" / "artifacts" / "alerts"


def body(mail) -> str:
    return mail.get_body(("html", "plain")).get_content()


def keep(name: str, new: dict[str, list]) -> None:
    """The alerts as received, under tests/artifacts/alerts/ (git-ignored), to read them as an admin would."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    parts = [f"Subject: {mail['Subject']}\n\n{body(mail)}" for mail in new["mails"]]
    parts += [
        json.dumps(request["json"], ensure_ascii=False, indent=1) for request in new["slack"] + new["hooks"]
    ]
    (ARTIFACTS / f"{name}.txt").write_text("\n\n-----\n\n".join(parts), encoding="utf-8")


def slack_text(request: dict) -> str:
    return "\n".join(block["text"]["text"] for block in request["json"]["blocks"])


def test_two_failed_stations_make_one_alert_per_channel_naming_both(stack, inboxes):
    for station in ("203", "232"):
        stack.emulator(
            "POST",
            "faults",
            {"api": "kma", "scenario": "key_xml_403", "count": None, "match": {"stnIds": station}},
        )
    dag_run = stack.run_week("2026-10-26")
    assert dag_run.state == "failed"
    new = inboxes.new()
    keep("two_failed_stations", new)
    assert [len(new[key]) for key in CHANNEL_KEYS] == [1, 1, 1], "one alert per failed run on each channel"

    log = stack.job_log(dag_run.run_id)
    failed = [row.message for row in log if (row.step, row.status) == ("COLLECT_STATION_WEATHER", "FAILED")]
    assert len(failed) == 2
    assert any(
        m.startswith("203 이천 (3 farms) [farms F0001, F0004, F0007]: PermanentApiError: ") for m in failed
    )
    assert all(
        re.search(r"\(task collect_weather\.collect_station_weather, map \d+, try 1 of 1\)$", m)
        for m in failed
    )

    payload = new["hooks"][0]["json"]
    assert payload["event"] == "ins_weekly_report_failed"
    assert payload["failed_steps"] == ["COLLECT_STATION_WEATHER"]
    stations = {failure["label"]: failure for failure in payload["failures"]}
    assert set(stations) == {"203 이천 (3 farms)", "232 천안 (5 farms)"}
    icheon = stations["203 이천 (3 farms)"]
    assert icheon["farms"] == ["F0001", "F0004", "F0007"]
    assert icheon["error_class"] == "PermanentApiError"
    assert "SERVICE_KEY_IS_NOT_REGISTERED_ERROR" in icheon["error"]
    assert icheon["url"].endswith(
        f"/tasks/collect_weather.collect_station_weather/mapped/{icheon['map_index']}"
    )
    assert payload["written"]["TM_WEATHER"]["parts"] == 32  # the 32 other stations were written and kept
    assert payload["written"]["TM_WEATHER"]["rows"] == (44 - 8) * 7
    assert payload["report_built"] is False

    mail = new["mails"][0]
    text = body(mail)
    assert "2026-10-26" in mail["Subject"]
    assert dag_run.run_id in mail["Subject"]
    for expected in (
        "Fetch station week into TM_WEATHER: 203 이천 (3 farms)",
        "farms: F0001, F0004, F0007",
        "Fetch station week into TM_WEATHER: 232 천안 (5 farms)",
        "farms: F0002, F0005, F0015, F0021, F0022",
        "error: PermanentApiError: ",
        "TM_WEATHER: 252 rows from 32 of 34 weather locations",
        "TR_INS_WEEK_REPORT: not rebuilt for this week (the procedure did not run)",
        "select each of these instances and clear it with “Downstream” ticked",
        "Trigger with week = 2026-10-26",
        "--from-date 2026-11-02T02:00+09:00",
    ):
        assert expected in text, expected
    (action,) = [line for line in text.splitlines() if line.startswith("  - Weather stations ")]
    assert "“203 이천 (3 farms)”" in action
    assert "“232 천안 (5 farms)”" in action
    assert f"href='{payload['url']}'" in text  # the run's link is clickable in the e-mail
    assert "dev-kma-key" not in text

    slack = new["slack"][0]
    assert slack["path"] == f"/services/{SLACK_TOKEN}"
    assert slack["json"]["text"] == mail["Subject"]
    assert f"<{payload['url']}|Open the run in Airflow>" in slack_text(slack)
    assert "203 이천 (3 farms)" in slack_text(slack)


def test_a_procedure_failure_is_reported_with_its_ora_code_and_not_retried(stack, inboxes, monkeypatch):
    monkeypatch.setenv("INS_TASK_RETRIES", "2")
    monkeypatch.setenv("INS_RETRY_DELAY_SECONDS", "0")
    error = oracledb.DatabaseError(
        OracleErrorDetail(
            "ORA-20001: SP_INS_WEEK_MAIN: no TM_WEATHER rows for week 20261019\n"
            'ORA-06512: at "INS.SP_INS_WEEK_MAIN", line 57',
            code=20001,
        )
    )

    def the_procedure_raises(self, *args):
        self.report_call_sent = True  # the call reached the database
        raise error

    with mock.patch("include.ins_report.store.farm_db.FarmDatabase.run_report", the_procedure_raises):
        dag_run = stack.run_week("2026-10-19")
    assert dag_run.state == "failed"
    log = stack.job_log(dag_run.run_id)
    (row,) = [row for row in log if row[:2] == ("RUN_WEEKLY_REPORT", "FAILED")]
    assert row.message.startswith("oracledb.DatabaseError: ORA-20001: SP_INS_WEEK_MAIN: no TM_WEATHER rows")
    assert "not retried automatically" in row.message
    assert row.message.endswith("(task run_weekly_report, try 1 of 1)")  # Airflow never retries the call
    assert ("RUN_WEEKLY_REPORT", "RETRY") not in {(step, status) for step, status, *_ in log}
    assert ("CHECK_COLLECTION", "SUCCESS") in {(step, status) for step, status, *_ in log}

    new = inboxes.new()
    keep("procedure_failure", new)
    assert [len(new[key]) for key in CHANNEL_KEYS] == [1, 1, 1]
    payload = new["hooks"][0]["json"]
    assert payload["failed_steps"] == ["RUN_WEEKLY_REPORT"]
    (failure,) = payload["failures"]
    assert failure["oracle_code"] == "ORA-20001"
    assert failure["error_class"] == "oracledb.DatabaseError"
    text = body(new["mails"][0])
    assert "Oracle error ORA-20001: raised by the procedure itself (RAISE_APPLICATION_ERROR)" in text
    assert "The report procedure failed with ORA-20001" in text
    assert "The week's data is complete (the gate passed)" in text
    assert "TM_WEATHER: 308 rows from 34 of 34 weather locations" in text


def test_a_retry_is_quiet_and_the_run_succeeds(stack, inboxes, monkeypatch):
    monkeypatch.setenv("INS_TASK_RETRIES", "1")
    monkeypatch.setenv("INS_RETRY_DELAY_SECONDS", "0")
    # Both HTTP attempts of the first try fail; the second try gets normal answers.
    stack.emulator("POST", "faults", {"api": "kosis", "scenario": "http_500", "count": 2})
    dag_run = stack.run_week("2026-09-21")
    assert dag_run.state == "success"
    steps = [(step, status) for step, status, *_ in stack.job_log(dag_run.run_id)]
    assert steps.count(("COLLECT_KOSIS_SERIES", "RETRY")) == 1
    assert ("COLLECT_KOSIS_SERIES", "SUCCESS") in steps
    assert ("COLLECT_KOSIS_SERIES", "FAILED") not in steps
    retry = next(row.message for row in stack.job_log(dag_run.run_id) if row.status == "RETRY")
    assert retry.endswith("(task collect_stats.collect_kosis_series, try 1 of 2)")
    assert inboxes.new() == {"mails": [], "slack": [], "hooks": []}, (
        "no alert for a retry, no digest by default"
    )


def test_retries_used_up_alert_once(stack, inboxes, monkeypatch):
    monkeypatch.setenv("INS_TASK_RETRIES", "1")
    monkeypatch.setenv("INS_RETRY_DELAY_SECONDS", "0")
    stack.emulator("POST", "faults", {"api": "kosis", "scenario": "http_500", "count": None})
    dag_run = stack.run_week("2026-10-05")
    assert dag_run.state == "failed"
    steps = [(step, status) for step, status, *_ in stack.job_log(dag_run.run_id)]
    assert steps.count(("COLLECT_KOSIS_SERIES", "RETRY")) == 1
    assert steps.count(("COLLECT_KOSIS_SERIES", "FAILED")) == 1
    new = inboxes.new()
    keep("retries_used_up", new)
    assert [len(new[key]) for key in CHANNEL_KEYS] == [1, 1, 1]
    (failure,) = new["hooks"][0]["json"]["failures"]
    assert (failure["try_number"], failure["tries"]) == (2, 2)
    assert "try 2 of 2" in body(new["mails"][0])


def test_the_digest_goes_to_the_configured_channels(stack, inboxes, monkeypatch):
    # The week before, built here (no digest yet), so that the digest has a previous week to compare with.
    assert stack.run_week("2026-09-21").state == "success"
    inboxes.marks = inboxes.counts()
    monkeypatch.setenv("INS_DIGEST_CHANNELS", "email,slack,webhook")
    monkeypatch.setenv("INS_MIN_WEATHER_COVERAGE", "0.9")
    # One station answers "no data" for the week: 3 farms x 7 days missing (93%), accepted by the policy.
    stack.emulator(
        "POST", "faults", {"api": "kma", "scenario": "nodata", "count": None, "match": {"stnIds": "203"}}
    )
    dag_run = stack.run_week(
        "2026-09-28"
    )  # a week not collected before; the retry test built the week before
    assert dag_run.state == "success"
    new = inboxes.new()
    keep("digest", new)
    digests = {
        "mails": [m for m in new["mails"] if " OK week " in m["Subject"]],
        "slack": [r for r in new["slack"] if " OK week " in r["json"]["text"]],
        "hooks": [r for r in new["hooks"] if r["json"]["event"] == "ins_weekly_report_digest"],
    }
    assert [len(digests[key]) for key in CHANNEL_KEYS] == [1, 1, 1]
    payload = digests["hooks"][0]["json"]
    assert payload["run_id"] == dag_run.run_id
    assert payload["farms_reported"] == 41  # the 3 farms of the silent station have no report row
    assert len(payload["gaps_accepted"]) == 1
    assert "missing weather (21)" in payload["gaps_accepted"][0]
    assert payload["previous_week"]["report_week"] == "20260921"
    assert payload["run_seconds"] is not None
    assert payload["run_seconds"] >= 0
    steps = [item["step"] for item in payload["step_seconds"]]
    assert steps[0] == "START_JOB"
    assert steps[-1] == "FINISH_JOB"
    assert "COLLECT_STATION_WEATHER" in steps
    assert "RUN_WEEKLY_REPORT" in steps
    text = body(digests["mails"][0])
    for expected in (
        "Farms reported:  41 of 44 usable farms; 4 excluded",
        "Gaps accepted:   44 farms: 287/308 farm-days (93.2%)",
        "previous week 20260921: ",
        "Fetch station week into TM_WEATHER",
        "34 locations, slowest ",
        "Run SP_INS_WEEK_MAIN for the week",
    ):
        assert expected in text, expected
    # The accepted gaps (the gate's WARNING row) also went out as their own warning, on every channel, from
    # the run's notifier (the gate itself sends nothing).
    (gaps,) = [r["json"] for r in new["hooks"] if r["json"]["event"] == "ins_weekly_report_gaps_accepted"]
    assert gaps["dag_id"] == "ins_weekly_report"
    assert (gaps["week_start"], gaps["week_end"]) == ("2026-09-28", "2026-10-04")
    assert gaps["url"].endswith(f"/dags/ins_weekly_report/runs/{quote(gaps['run_id'], safe='')}")
    assert gaps["kinds"]["missing_day"] == 21
    assert gaps["gaps"].startswith("missing weather (21): ")
    assert [m["Subject"] for m in new["mails"] if "report built with gaps" in m["Subject"]]
