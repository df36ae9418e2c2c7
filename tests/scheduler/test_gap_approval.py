"""An operator decides on a week with gaps, on the real stack: a station outage inside the ask band parks
the run in Required Actions, the answer comes through the REST API (as the UI sends it), and the job log and
the alerts say who decided what and why. Clearing asks again; nobody answering applies the default; a
re-run after the gaps were fixed asks nothing.

The tests share one deployment and run in file order, like an operator's Monday."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest

from include.ins_report.config.settings import DAG_ID
from include.ins_report.model.week import ReportWeek
from tests.scheduler.conftest import OPERATIONS_SETTINGS, dags_folder
from tests.support.deployment import ASKING, airflow_deployment
from tests.support.gap_question import STATION, assert_the_question_lists_the_gaps, station_farms
from tests.support.waiting import wait_for

# Extended (make test-all): in the default run the browser flow (tests/browser/test_gap_approval.py) asks,
# approves and rejects on a real stack, and `make run`'s question test lets the default apply; this module
# adds the REST answers, clearing the approval, the scheduler's own timeout and a re-run after the fix.
pytestmark = pytest.mark.extended

APPROVE = "approve_gaps"
ANSWER_WITHIN = 90  # INS_ASK_TIMEOUT here, seconds after the question


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gap_approval")
    dags = dags_folder(tmp)
    settings = {
        **OPERATIONS_SETTINGS,
        **ASKING,  # the default ask band: a station down is asked about
        "INS_ASK_TIMEOUT": f"{ANSWER_WITHIN}s",
        "INS_ASK_ASSIGNEES": "admin",
        "INS_DIGEST_CHANNELS": "webhook",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
    }
    with airflow_deployment(tmp, settings) as deployment:
        yield deployment


def station_down(deployment) -> None:
    deployment.emulator(
        "POST", "faults", {"api": "kma", "scenario": "nodata", "count": None, "match": {"stnIds": STATION}}
    )


def hitl_path(run_id: str) -> str:
    return f"dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances/{APPROVE}/-1/hitlDetails"


def approval_state(deployment, run_id: str) -> str:
    ti = deployment.airflow.get(f"dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances/{APPROVE}")
    return ti["state"]


def asked(deployment, run_id: str) -> dict:
    """Wait until the run waits for an answer and the scheduler has seen the try park; the question as the
    UI shows it."""
    before = deployment.airflow.parked(run_id, APPROVE)
    wait_for(
        lambda: (
            approval_state(deployment, run_id) == "awaiting_input"
            and deployment.airflow.parked(run_id, APPROVE) > before
        ),
        timeout=400,
        what=f"{run_id}: the approval task awaiting input, its parked try seen by the scheduler",
    )
    return deployment.airflow.get(hitl_path(run_id))


def answer(deployment, run_id: str, option: str, reason: str) -> dict:
    return deployment.airflow.request(
        "PATCH", hitl_path(run_id), json={"chosen_options": [option], "params_input": {"reason": reason}}
    )


def hooks_of(deployment, run_id: str, event: str | None = None) -> list[dict]:
    return [
        r["json"]
        for r in deployment.webhook.requests
        if r["json"].get("run_id") == run_id and (event is None or r["json"].get("event") == event)
    ]


def rows(deployment, run_id: str) -> list[tuple[str, str, str]]:
    return [(row.step, row.status, row.message) for row in deployment.job_log(run_id)]


@pytest.fixture(scope="module")
def approved_run(deployment):
    """Monday: the DAG is unpaused and its scheduled run reports the latest week, complete. Then the station
    is down for a missed week, triggered by hand: its waiting window is long over (at any hour, Monday
    morning included, when the latest week's missing station would still be waited for), so its gaps are
    gaps, and the run asks."""
    scheduled, latest = deployment.start_scheduled_run()
    assert deployment.airflow.wait_for_run(scheduled, timeout=400) == "success"
    station_down(deployment)
    week = ReportWeek(latest.start - dt.timedelta(weeks=1))
    run_id = deployment.airflow.trigger(conf={"week": week.start.isoformat()})
    question = asked(deployment, run_id)
    answered = answer(deployment, run_id, "Approve", "station 203 is being repaired")
    return run_id, week, question, answered, deployment.airflow.wait_for_run(run_id, timeout=400)


def test_a_station_outage_inside_the_band_is_asked_with_the_gaps_listed(deployment, approved_run):
    run_id, week, question, _, _ = approved_run
    assert_the_question_lists_the_gaps(deployment, week, question)
    # The request went out on the alert channels with the link to the required action.
    # Once; twice when Airflow retried the task after a fast answer (docs/operations.md).
    request = hooks_of(deployment, run_id, "ins_weekly_report_gaps_question")[0]
    assert request["url"].endswith(
        f"/runs/{quote(run_id, safe='')}/tasks/{APPROVE}/required_actions?map_index=-1"
    )
    assert request["default"] == "reject"
    mails = [m for m in deployment.smtp.messages if "decide:" in m["Subject"] and run_id in m["Subject"]]
    assert mails


def test_approving_builds_the_report_and_records_who_when_and_why(deployment, approved_run):
    run_id, week, _, answered, state = approved_run
    assert answered["responded_by"]["id"] == "admin"
    assert state == "success"
    log = rows(deployment, run_id)
    decision = [row for row in log if row[0] == "APPROVE_GAPS" and row[1] != "RETRY"]
    assert len({message for _, _, message in decision}) == 1  # one decision, re-applied after a retry
    _, status, message = decision[-1]
    assert status == "WARNING"
    assert message.startswith("approved by admin at ")
    down = station_farms(deployment, week)
    accepted = f"accepted gaps: 44 farms: {308 - 7 * down}/308 farm-days"
    assert f'"station 203 is being repaired"; {accepted}' in message
    assert ("RUN_WEEKLY_REPORT", "SUCCESS") in [(s, st) for s, st, _ in log]
    # The farms of the station that is down have no weather day: the procedure leaves them out, and the
    # report step's reconciliation accepts that because the gaps were approved.
    ((reported,),) = deployment.sql(
        "SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ?", (week.key,)
    )
    assert reported == 44 - down
    assert f"without the {down} farms that have no weather day at all" in approved_run[2]["body"]
    # The success notifier: the approved gaps on every channel and in the digest, naming the decision.
    wait_for(lambda: hooks_of(deployment, run_id, "ins_weekly_report_digest"), timeout=120, what="the digest")
    (warning,) = hooks_of(deployment, run_id, "ins_weekly_report_gaps_approved")
    assert warning["decision"] == message
    (digest,) = hooks_of(deployment, run_id, "ins_weekly_report_digest")
    assert message in digest["gaps_accepted"]


@pytest.fixture(scope="module")
def rejected_run(deployment, approved_run):
    """Another missed week: asked too."""
    week = ReportWeek(approved_run[1].start - dt.timedelta(weeks=1))
    run_id = deployment.airflow.trigger(conf={"week": week.start.isoformat()})
    asked(deployment, run_id)
    answer(deployment, run_id, "Reject", "wait for KMA's corrected values")
    state = deployment.airflow.wait_for_run(run_id, timeout=400)
    wait_for(
        lambda: hooks_of(deployment, run_id, "ins_weekly_report_failed"),
        timeout=120,
        what="the failure alert from the dag-processor",
    )
    return run_id, week, state


def test_rejecting_fails_the_run_with_one_alert_naming_who_and_why(deployment, rejected_run):
    run_id, week, state = rejected_run
    assert state == "failed"
    log = rows(deployment, run_id)
    failed = [row for row in log if row[:2] == ("APPROVE_GAPS", "FAILED")]
    # An answer within a second of the question can beat the scheduler to the parked try's executor event:
    # Airflow 3.3 then retries the task ("state changed externally"), which asks again and gets the same
    # recorded answer. Whatever the timing, one decision: the same operator, reason and time.
    assert failed
    assert "rejected by admin at " in failed[0][2]
    assert "wait for KMA's corrected values" in failed[0][2]
    first = failed[0][2].split(" (task approve_gaps")[0]
    assert all(first in message for _, _, message in failed[1:])  # a retry re-applies it, never re-asks
    assert "RUN_WEEKLY_REPORT" not in {row[0] for row in log}
    assert deployment.sql("SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ?", (week.key,)) == [
        (0,)
    ]
    wait_for(
        lambda: any(r[0] == "FINISH_JOB" for r in rows(deployment, run_id)), timeout=60, what="finish row"
    )
    alerts = hooks_of(deployment, run_id, "ins_weekly_report_failed")
    assert len(alerts) == 1
    assert alerts[0]["failed_steps"] == ["APPROVE_GAPS"]
    assert "rejected by admin" in " ".join(alerts[0]["errors"])
    assert "wait for KMA's corrected values" in alerts[0]["text"]


def test_clearing_the_approval_asks_again_and_nobody_answering_applies_the_default(deployment, rejected_run):
    run_id, _, _ = rejected_run
    alerts_before = len(hooks_of(deployment, run_id, "ins_weekly_report_failed"))
    deployment.airflow.clear(run_id, [APPROVE])
    question = asked(deployment, run_id)
    assert question["responded_at"] is None  # a new question, not the old answer
    assert "missing weather " in question["body"]  # with the gaps as they are now
    # Nobody answers: after INS_ASK_TIMEOUT the scheduler applies the default (reject).
    assert deployment.airflow.wait_for_run(run_id, timeout=ANSWER_WITHIN + 300) == "failed"
    wait_for(
        lambda: len(hooks_of(deployment, run_id, "ins_weekly_report_failed")) > alerts_before,
        timeout=120,
        what="the failure alert of the timed-out question",
    )
    failed = [row for row in rows(deployment, run_id) if row[:2] == ("APPROVE_GAPS", "FAILED")]
    assert "nobody answered by " in failed[-1][2]
    assert "the default (reject) applied" in failed[-1][2]
    alert = hooks_of(deployment, run_id, "ins_weekly_report_failed")[-1]
    assert "nobody answered" in alert["text"]


def test_a_rerun_after_the_gaps_are_fixed_asks_nothing(deployment, rejected_run):
    run_id, week, _ = rejected_run
    deployment.emulator("POST", "reset")  # the station answers again
    deployment.airflow.clear(run_id, None)
    assert deployment.airflow.wait_for_run(run_id, timeout=400) == "success"
    assert approval_state(deployment, run_id) == "success"
    log = rows(deployment, run_id)
    starts = [index for index, row in enumerate(log) if row[0] == "START_JOB"]
    attempt = log[starts[-1] :]  # the re-run's rows
    assert [row[1] for row in attempt if row[0] == "CHECK_COLLECTION"] == ["SUCCESS"]
    assert [row for row in attempt if row[0] == "APPROVE_GAPS"] == []  # nothing asked, nothing recorded
    assert deployment.sql("SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ?", (week.key,)) == [
        (44,)
    ]
