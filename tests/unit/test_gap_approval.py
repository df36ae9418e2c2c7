"""Gaps an operator decides on: the banding of the gate's coverage, when an unanswered question ends, the
question's Markdown body, and the decision in TS_INS_JOB_LOG (approve: a WARNING row; reject: the task's
error, naming who and why)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from include.ins_report.alerts.messages import approval as messages
from include.ins_report.alerts.messages.gaps import accepted_gaps
from include.ins_report.config.settings import Settings
from include.ins_report.joblog import GateMessage, RunLog
from include.ins_report.model import clock
from include.ins_report.model.gap_policy import (
    DEADLINE_MARGIN,
    MIN_RESPONSE,
    GapOutcome,
    GapPolicy,
    response_deadline,
)
from include.ins_report.model.gate_result import GateResult, Issue
from include.ins_report.steps.approval import (
    GapsRejectedError,
    gaps_to_decide,
    reapply,
    record_decision,
    recorded_decision,
)
from include.ins_report.steps.gate import CollectionIncompleteError, check_collection
from tests.support.steps import step_context
from tests.unit.test_gate import CPI, KOSIS_AND_WEATHER, WEEK, fill, sql

UTC = dt.UTC


def result(farms: int, good_days: int, cells: int = 9, good_cells: int = 9) -> GateResult:
    gate = GateResult(farms=farms, good_farm_days=good_days, stats_cells=cells, good_stats_cells=good_cells)
    for _ in range(farms * 7 - good_days):
        gate.add(Issue("missing_day", "203 이천", "F0001", "2026-11-16"))
    for _ in range(cells - good_cells):
        gate.add(Issue("stats_missing", "101/DT_1J22003 cpi", "", "T A01114 202610"))
    return gate


# --- the band ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("good_days", "good_cells", "expected"),
    [
        (308, 9, GapOutcome.COMPLETE),
        (301, 9, GapOutcome.ASK),  # one station's farm down for the week: 97.7%
        (247, 9, GapOutcome.ASK),  # 80.2%: still asked
        (246, 9, GapOutcome.STOP),  # 79.9%: below the floor
        (100, 9, GapOutcome.STOP),  # most of the week missing
        (308, 8, GapOutcome.ASK),  # one statistics cell of nine missing
        (308, 7, GapOutcome.STOP),  # 77.8% of the cells: below the floor
        (308, 4, GapOutcome.STOP),
        (301, 4, GapOutcome.STOP),  # one kind below its floor stops the week
    ],
)
def test_the_defaults_ask_about_a_station_down_not_about_a_week_mostly_missing(
    good_days, good_cells, expected
):
    settings = Settings()
    policy = GapPolicy(
        settings.min_weather_coverage,
        settings.min_stats_coverage,
        settings.ask_weather_coverage,
        settings.ask_stats_coverage,
    )
    assert policy.outcome(result(44, good_days, 9, good_cells)) is expected


def test_stats_floor_applies_to_stats_cells():
    policy = GapPolicy(ask_stats=0.9)
    assert policy.outcome(result(44, 308, 9, 8)) is GapOutcome.STOP  # 88.9% < 90%
    assert policy.outcome(result(44, 301, 9, 9)) is GapOutcome.ASK


def test_gaps_the_policy_accepts_are_not_asked_and_a_floor_at_the_threshold_asks_nothing():
    assert GapPolicy(min_weather=0.95).outcome(result(44, 301)) is GapOutcome.ACCEPTED
    no_band = GapPolicy(ask_weather=1.0, ask_stats=1.0)
    assert not no_band.asks
    assert no_band.outcome(result(44, 307)) is GapOutcome.STOP
    # A floor above a lowered threshold: no band either (not an error, nothing to ask).
    assert GapPolicy(min_weather=0.5, ask_weather=0.8).outcome(result(44, 100)) is GapOutcome.STOP
    assert GapPolicy(min_weather=0.5, ask_weather=0.8).outcome(result(44, 160)) is GapOutcome.ACCEPTED


# --- when nobody answered ------------------------------------------------------------------------------


STARTED = dt.datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # Monday 02:00 KST


def test_a_time_of_day_counts_from_the_run_start_and_ends_before_the_report_deadline():
    asked = STARTED + dt.timedelta(hours=8)  # 10:00 KST
    until_noon = dt.timedelta(hours=10)  # "12:00" as interval after the trigger
    deadline = dt.timedelta(hours=10, minutes=30)  # "12:30"
    assert response_deadline(asked, STARTED, until_noon, None, deadline) == STARTED + until_noon
    # A timeout after the deadline is pulled in before it, so a rejection by default is the one alert.
    late = dt.timedelta(hours=11)
    assert response_deadline(asked, STARTED, late, None, deadline) == STARTED + deadline - DEADLINE_MARGIN


def test_a_duration_counts_from_the_question_and_a_late_question_still_gets_time():
    asked = STARTED + dt.timedelta(hours=8)
    assert response_deadline(asked, STARTED, None, dt.timedelta(minutes=45), None) == asked + dt.timedelta(
        minutes=45
    )
    very_late = STARTED + dt.timedelta(hours=10, minutes=29)
    deadline = dt.timedelta(hours=10, minutes=30)
    assert (
        response_deadline(very_late, STARTED, dt.timedelta(hours=10), None, deadline)
        == very_late + MIN_RESPONSE
    )


# --- the gate in the band, the question, the answer ---------------------------------------------------


def asking(**more) -> Settings:
    return Settings(sources=KOSIS_AND_WEATHER, **more)


@pytest.fixture
def ctx(farm_db):
    return step_context(WEEK, asking(), run_id="ask-test")


def job_log(farm_db) -> list[tuple]:
    with sqlite3.connect(farm_db) as conn:
        return conn.execute(
            "SELECT STEP_NM, STATUS, ROW_COUNT, MESSAGE FROM TS_INS_JOB_LOG ORDER BY LOG_ID"
        ).fetchall()


def a_station_down(farm_db) -> None:
    """Station 203's farm (F0001) has no weather for the week."""
    sql(farm_db, "DELETE FROM TM_WEATHER WHERE FARM_NO = 'F0001'")


def test_gaps_in_the_band_pass_the_gate_for_an_operator_to_decide(ctx, farm_db):
    farms = fill(ctx)
    a_station_down(farm_db)
    outcome = check_collection(ctx)
    assert outcome["decision"] == "ask"
    assert outcome["kinds"]["missing_day"] == 7
    step, status, rows, message = job_log(farm_db)[-1]
    assert (step, status, rows) == ("CHECK_COLLECTION", "WARNING", farms * 7 - 7)
    assert message.startswith(GateMessage.ASKED)
    gate = GateMessage.parse(message)
    assert gate.asked
    assert not gate.accepted_gaps
    # Not "gaps accepted": nobody has accepted them yet.
    assert (
        accepted_gaps(RunLog.from_dicts([{"log_id": 1, "step": step, "status": status, "message": message}]))
        is None
    )


def test_gaps_below_the_floor_stop_the_run_and_say_the_band(ctx, farm_db):
    fill(ctx)
    sql(farm_db, "DELETE FROM TM_WEATHER WHERE WEATHER_DATE >= '2026-11-18'")  # 5 of 7 days gone
    with pytest.raises(CollectionIncompleteError, match=r"an operator is asked down to weather 80%"):
        check_collection(ctx)


def test_the_question_lists_stations_farms_series_coverage_and_both_answers(ctx, farm_db):
    farms = fill(ctx)
    a_station_down(farm_db)
    sql(
        farm_db, f"UPDATE TA_STATS_DATA SET VALUE = NULL WHERE SERIES_ID = '{CPI}' AND CATEGORY_ID = 'A01114'"
    )
    settings = asking(ask_stats_coverage=0.5)
    ctx = step_context(WEEK, settings, run_id="ask-test")
    assert check_collection(ctx)["decision"] == "ask"
    started = clock.now().subtract(hours=8)  # the run started 8 hours before the question
    question = gaps_to_decide(ctx, "ask", started)
    assert question is not None
    body = messages.body(question)
    subject = messages.subject(question)
    assert subject.startswith("Week 2026-11-16..2026-11-22")  # a backfill's questions tell themselves apart
    station = question.farms["F0001"][1]
    assert f"**{station}**: 1 of {question.station_farms()[station]} farms; missing weather 7" in body
    assert f"- F0001 {question.farms['F0001'][0]} ({station}): all 7 days" in body
    assert f"Weather: {farms * 7 - 7} of {farms * 7} farm-days" in body
    assert "built unasked from 100%, asked from 80%" in body
    assert "Statistics: 1 of 2 cells (50.0%)" in body
    assert "asked from 50%" in body
    assert "### Statistics: series and periods (1 cells)" in body
    assert "T A01114 202610 (stats value NULL)" in body
    assert "### Approve" in body
    assert "without the 1 farms that have no weather day at all (F0001)" in body
    assert "### Reject" in body
    assert "No report for this week" in body
    assert "the default applies (**reject**)" in body
    # Answer by "12:00" (INS_ASK_TIMEOUT: 10 hours after the 02:00 trigger), before the 12:30 deadline.
    assert question.answer_by == started.add(hours=10)
    assert f"No answer by {started.add(hours=10).in_timezone(clock.KST):%Y-%m-%d %H:%M} KST" in body


def test_the_request_on_the_alert_channels_links_to_the_required_action(ctx, farm_db):
    fill(ctx)
    a_station_down(farm_db)
    check_collection(ctx)
    question = gaps_to_decide(ctx, "ask", STARTED)
    alert = messages.build_question_alert("manual__x", WEEK, question, ctx.settings)
    link = "http://localhost:8080/dags/ins_weekly_report/runs/manual__x/tasks/approve_gaps/required_actions"
    assert alert.url.startswith(link)
    assert link in alert.text
    assert "default applies (reject)" in alert.text
    assert alert.payload["event"] == "ins_weekly_report_gaps_question"
    assert alert.payload["rest_path"] == (
        "/api/v2/dags/ins_weekly_report/dagRuns/manual__x/taskInstances/approve_gaps/-1/hitlDetails"
    )


def test_nothing_is_asked_for_a_complete_week_or_once_the_gaps_are_fixed(ctx, farm_db):
    fill(ctx)
    assert gaps_to_decide(ctx, "complete", STARTED) is None
    assert job_log(farm_db)[-1][0] != "APPROVE_GAPS"  # the gate did not ask: no row of its own
    # The gate asked, the gaps were fixed before the answer (the approval task cleared): no question.
    assert gaps_to_decide(ctx, "ask", STARTED) is None
    step, status, _, message = job_log(farm_db)[-1]
    assert (step, status) == ("APPROVE_GAPS", "SUCCESS")
    assert message.startswith("no decision needed: complete since the gate")


def test_a_week_worse_than_the_floor_by_now_fails_like_the_gate(ctx, farm_db):
    fill(ctx)
    sql(farm_db, "DELETE FROM TM_WEATHER")
    with pytest.raises(CollectionIncompleteError):
        gaps_to_decide(ctx, "ask", STARTED)


ANSWERED = dt.datetime(2026, 11, 23, 1, 12, 30, tzinfo=UTC)  # 10:12:30 KST


def test_approval_is_a_warning_row_with_who_when_why_and_the_accepted_gaps(ctx, farm_db):
    farms = fill(ctx)
    a_station_down(farm_db)
    outcome = record_decision(
        ctx, approved=True, by="kim", at=ANSWERED, reason="station 203 is being repaired"
    )
    assert outcome == {"approved": True, "by": "kim", "reason": "station 203 is being repaired", "gaps": 7}
    step, status, rows, message = job_log(farm_db)[-1]
    assert (step, status, rows) == ("APPROVE_GAPS", "WARNING", farms * 7 - 7)
    assert message.startswith('approved by kim at 2026-11-23 10:12:30 KST: "station 203 is being repaired"; ')
    assert f"accepted gaps: {farms} farms: {farms * 7 - 7}/{farms * 7} farm-days" in message
    assert "missing weather (7)" in message
    assert "F0001" in message


def test_rejection_fails_the_task_naming_who_and_why(ctx, farm_db):
    fill(ctx)
    a_station_down(farm_db)
    with pytest.raises(GapsRejectedError) as raised:
        record_decision(ctx, approved=False, by="lee", at=ANSWERED, reason="  wait for KMA's correction ")
    assert str(raised.value).startswith(
        'rejected by lee at 2026-11-23 10:12:30 KST: "wait for KMA\'s correction": no report for week'
    )
    assert all(row[0] != "APPROVE_GAPS" for row in job_log(farm_db))  # the task's FAILED row carries it


def test_nobody_answering_says_so_and_which_default_applied(ctx, farm_db):
    fill(ctx)
    a_station_down(farm_db)
    with pytest.raises(
        GapsRejectedError, match=r"^nobody answered by 2026-11-23 10:12:30 KST; the default \(reject\)"
    ):
        record_decision(ctx, approved=False, by=None, at=ANSWERED, reason="")
    record_decision(ctx, approved=True, by=None, at=ANSWERED, reason="")
    assert job_log(farm_db)[-1][3].startswith(
        "nobody answered by 2026-11-23 10:12:30 KST; the default (approve) applied: no reason given; "
        "accepted gaps:"
    )


# --- Airflow's retry after a recorded answer ------------------------------------------------------------


def retry_row(ctx, farm_db) -> None:
    """What the scheduler side's callback writes when Airflow retries the task after its answer."""
    farm_db.log_step(
        run_id=ctx.run_id,
        report_week=ctx.week_key,
        step="APPROVE_GAPS",
        status="RETRY",
        started_at="2026-11-23 10:13:00",
        message="no exception reported: the task was killed, timed out or lost its heartbeat",
    )


def test_a_decision_recorded_before_airflow_retried_the_task_stands(ctx, farm_db):
    fill(ctx)
    a_station_down(farm_db)
    check_collection(ctx)
    assert recorded_decision(ctx) is None  # nothing answered yet: ask
    record_decision(ctx, approved=True, by="kim", at=ANSWERED, reason="repair")
    assert recorded_decision(ctx) is None  # a cleared task (no RETRY row after the decision): ask again
    retry_row(ctx, farm_db)
    decision = recorded_decision(ctx)
    assert decision.status == "WARNING"
    assert reapply(ctx, decision) == {"approved": True, "reapplied": True}
    step, status, _, message = job_log(farm_db)[-1]
    assert (step, status) == ("APPROVE_GAPS", "WARNING")  # the digest and the report read the latest
    assert message.startswith('approved by kim at 2026-11-23 10:12:30 KST: "repair"')


def test_a_rejection_recorded_before_airflow_retried_the_task_stands(ctx, farm_db):
    fill(ctx)
    a_station_down(farm_db)
    check_collection(ctx)
    farm_db.log_step(  # the task's FAILED row of the rejection, as its callback writes it
        run_id=ctx.run_id,
        report_week=ctx.week_key,
        step="APPROVE_GAPS",
        status="FAILED",
        started_at="2026-11-23 10:12:30",
        message='GapsRejectedError: rejected by lee at 2026-11-23 10:12:30 KST: "wait"',
    )
    retry_row(ctx, farm_db)
    with pytest.raises(
        GapsRejectedError, match=r'stands .*rejected by lee at 2026-11-23 10:12:30 KST: "wait"'
    ):
        reapply(ctx, recorded_decision(ctx))
    # A new gate (the gate cleared) starts over: its question is asked.
    check_collection(ctx)
    assert recorded_decision(ctx) is None
