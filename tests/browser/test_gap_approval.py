"""Flow 5 of docs/runbook-monday.md: a week with gaps, decided by the operator in the Airflow UI, in Korean,
in a phone-sized browser window. A station is down for the whole week (inside the ask band): the run asks,
the request reaches the alert channels with its link, the operator opens the link, reads the gaps, and
approves with a reason (the report is built; the decision is in TS_INS_JOB_LOG) or rejects (no report; the
run fails with one alert naming the operator and the reason).

The REST API only sets the scene (the runs) and reads the outcome; the decisions are clicks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import quote

import pytest

from include.ins_report.config.settings import DAG_ID
from include.ins_report.model.week import ReportWeek
from tests.browser.conftest import logged_in_context
from tests.browser.ui import open_run, shoot, state_text, wait_translated
from tests.support.gap_question import STATION, assert_the_question_lists_the_gaps, station_farms
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.scheduler, pytest.mark.browser]

APPROVE = "approve_gaps"
PHONE = {"width": 390, "height": 844}
RUN_TIMEOUT = 400


@pytest.fixture(scope="module")
def phone_context(playwright_driver, deployment, tmp_path_factory):
    """The on-call operator's phone: Korean, Asia/Seoul, 390x844, signed in."""
    profile: Path = tmp_path_factory.mktemp("chromium-profile-phone")
    context = logged_in_context(playwright_driver, deployment, profile, locale="ko-KR", viewport=PHONE)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def phone(phone_context, request):
    page = phone_context.new_page()
    yield page
    page.close()


@pytest.fixture(scope="module")
def station_down(deployment):
    deployment.emulator(
        "POST", "faults", {"api": "kma", "scenario": "nodata", "count": None, "match": {"stnIds": STATION}}
    )
    yield
    deployment.emulator("DELETE", "faults")


def asked_run(deployment, weeks_back: int) -> tuple[str, ReportWeek, dict]:
    """A run of a missed week that waits for the decision (its parked try seen by the scheduler: see
    ``AirflowStack.parked``), and the request the alert channels got."""
    week = ReportWeek(deployment.week.start - dt.timedelta(weeks=weeks_back))
    run_id = deployment.airflow.trigger(conf={"week": week.start.isoformat()})
    wait_for(
        lambda: deployment.airflow.parked(run_id, APPROVE),
        timeout=RUN_TIMEOUT,
        what=f"{run_id}: the approval task's parked try seen by the scheduler",
    )
    request = wait_for(
        lambda: next(
            iter(hooks_of(deployment, run_id, "ins_weekly_report_gaps_question")),
            None,
        ),
        timeout=RUN_TIMEOUT,
        what=f"{run_id}: the question on the alert channels",
    )
    return run_id, week, request


def read_the_question(page, request: dict, week: ReportWeek) -> None:
    """Open the request's link and read the gaps: the week, the station with its label, the farms."""
    page.goto(request["url"])
    wait_translated(page)
    page.get_by_text(f"Week {week.label()}: build the INS report with these gaps?").first.wait_for()
    page.get_by_text(f"{STATION} 이천", exact=False).first.wait_for()
    page.get_by_text("Farms affected", exact=False).first.wait_for()


def answer(page, option: str, reason: str, shot: str) -> None:
    """Type the reason and choose; the page takes the answer (its buttons go)."""
    button = page.get_by_test_id(f"hitl-option-{option}")
    page.locator("input[name=element_reason]").fill(reason)
    shoot(page, shot)
    assert button.is_enabled()
    button.click()
    wait_for(
        lambda: not button.is_visible() or button.is_disabled(),
        timeout=60,
        what="the answer taken by the page",
    )


def assert_the_question_and_its_mail(deployment, run_id: str, week: ReportWeek, request: dict) -> None:
    """The question as Airflow holds it (what the Required Actions page shows) and its e-mail."""
    path = f"dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances/{APPROVE}/-1/hitlDetails"
    question = deployment.airflow.get(path)
    down = assert_the_question_lists_the_gaps(deployment, week, question)
    assert f"without the {down} farms that have no weather day at all" in question["body"]
    assert request["default"] == "reject"
    wait_for(
        lambda: [m for m in deployment.smtp.messages if "decide:" in m["Subject"] and run_id in m["Subject"]],
        timeout=60,
        what="the question's e-mail",
    )


def hooks_of(deployment, run_id: str, event: str) -> list[dict]:
    return [
        r["json"]
        for r in deployment.webhook.requests
        if r["json"].get("run_id") == run_id and r["json"].get("event") == event
    ]


def decision_rows(deployment, run_id: str) -> list[tuple[str, str]]:
    return [(row.status, row.message) for row in deployment.job_log(run_id) if row.step == "APPROVE_GAPS"]


def test_the_operator_approves_the_gaps_on_the_phone_and_the_report_is_built(
    deployment, station_down, phone, operator_page
):
    run_id, week, request = asked_run(deployment, 6)
    assert request["url"].endswith(
        f"/runs/{quote(run_id, safe='')}/tasks/{APPROVE}/required_actions?map_index=-1"
    )
    assert_the_question_and_its_mail(deployment, run_id, week, request)
    # The question as the desktop shows it (the runbook's picture), then answered on the phone, where
    # Airflow 3.3's page scrolls sideways but takes the answer.
    read_the_question(operator_page, request, week)
    shoot(operator_page, "6-gaps-question")
    read_the_question(phone, request, week)
    answer(phone, "Approve", "203 이천 관측소 수리 중", "6-gaps-approve-phone")
    assert deployment.airflow.wait_for_run(run_id, timeout=RUN_TIMEOUT) == "success"
    (message,) = {message for status, message in decision_rows(deployment, run_id) if status == "WARNING"}
    assert message.startswith("approved by admin at ")
    assert '"203 이천 관측소 수리 중"; accepted gaps: 44 farms: ' in message
    # The report rows in the farm database: the week's farms but the station's, which have no weather day.
    ((rows,),) = deployment.sql("SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ?", (week.key,))
    down = station_farms(deployment, week)
    assert rows == 44 - down
    assert f"accepted gaps: 44 farms: {308 - 7 * down}/308 farm-days" in message
    # The success notifier: the approved gaps on every alert channel, naming the decision.
    (warning,) = wait_for(
        lambda: hooks_of(deployment, run_id, "ins_weekly_report_gaps_approved"),
        timeout=120,
        what="the approved-gaps alert",
    )
    assert warning["decision"] == message
    # The run, done, in the operator's desktop browser.
    open_run(operator_page, deployment.airflow.url, run_id)
    operator_page.get_by_test_id("header-card").get_by_text(
        state_text(operator_page, "success")
    ).first.wait_for()
    shoot(operator_page, "6-gaps-approved-run")


def test_the_operator_rejects_the_gaps_and_the_run_fails_with_one_alert(
    deployment, station_down, operator_page
):
    run_id, week, request = asked_run(deployment, 7)
    read_the_question(operator_page, request, week)
    answer(operator_page, "Reject", "KMA 보정값을 기다립니다", "6-gaps-reject")
    assert deployment.airflow.wait_for_run(run_id, timeout=RUN_TIMEOUT) == "failed"
    failed = [message for status, message in decision_rows(deployment, run_id) if status == "FAILED"]
    assert failed  # one decision; twice if the click beat the scheduler (docs/operations.md)
    assert "rejected by admin at " in failed[-1]
    assert "KMA 보정값을 기다립니다" in failed[-1]
    first = failed[0].split(" (task approve_gaps")[0]
    assert all(first in message for message in failed[1:])  # a retry re-applies it, never re-asks
    assert deployment.sql("SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ?", (week.key,)) == [
        (0,)
    ]
    alerts = wait_for(
        lambda: hooks_of(deployment, run_id, "ins_weekly_report_failed"),
        timeout=120,
        what="the failure alert",
    )
    assert len(alerts) == 1
    assert alerts[0]["failed_steps"] == ["APPROVE_GAPS"]
    assert "rejected by admin" in " ".join(alerts[0]["errors"])
    assert "KMA 보정값을 기다립니다" in alerts[0]["text"]
    assert "RUN_WEEKLY_REPORT" not in {row.step for row in deployment.job_log(run_id)}
