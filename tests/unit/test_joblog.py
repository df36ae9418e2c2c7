"""The TS_INS_JOB_LOG contract (include/ins_report/joblog/): every MESSAGE kind written by its typed writer
is read back by its parser to the same value, and the registry answers for every task."""

from __future__ import annotations

import pytest

from include.ins_report import joblog
from include.ins_report.joblog import (
    FailureDetail,
    FinishMessage,
    GateMessage,
    PlanMessage,
    ReportMessage,
    SeriesCount,
    StartMessage,
    StatsMessage,
    WeatherMessage,
)

ALL_KINDS = dict.fromkeys(joblog.GATE_KINDS, 0)

MESSAGES = [
    StartMessage("2026-11-16..2026-11-22"),
    StatsMessage(
        (SeriesCount("pig_price", ("202611",), 12), SeriesCount("feed_index", ("2026Q3", "2026Q4"), 8))
    ),
    StatsMessage(()),
    PlanMessage(44, 34, 3),
    PlanMessage(44, 34, 0, ("F0009 무주농장: latitude 91.0 out of range", "? 빈 이름: no farm number")),
    # A reason with commas of its own stays one item (the INS weeks page lists them).
    PlanMessage(
        44,
        34,
        1,
        (
            "F0903 도쿄농장: coordinates outside Korea (35.6762, 139.6503)",
            "F0010 원주: duplicate farm number",
        ),
    ),
    WeatherMessage("203 이천 (3 farms)", 7, 21),
    WeatherMessage("108 서울 (2 farms)", 6, 12, ("2026-11-21", "2026-11-22")),
    GateMessage("44 farms: 308/308 farm-days (100.0%); stats 12/12 cells (100.0%)", ALL_KINDS),
    GateMessage(
        "44 farms: 287/308 farm-days (93.2%); stats 12/12 cells (100.0%)",
        {**ALL_KINDS, "missing_day": 21},
        "missing weather (21): 203 이천: F0001 2026-11-16, …; stale station (0)",
    ),
    ReportMessage("SP_INS_WEEK_MAIN('WEEK', '20261116')"),
    ReportMessage("SP_INS_WEEK_MAIN('WEEK', '20261116')", "44 report rows = the farms of the week"),
    ReportMessage("SP('W', '2026-11-16')", "41 rows; less 3", "JOB_INS_WEEKLY_REPORT is still ENABLED"),
    FinishMessage(True),
    FinishMessage(False, ("collect_stats.collect_kosis_series", "run_weekly_report"), procedure_failed=True),
    FinishMessage(False, ("check_collection",)),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_every_message_kind_round_trips(message):
    text = message.text()
    assert len(text.encode("utf-8")) <= joblog.MESSAGE_BYTES
    assert type(message).parse(text) == message


def test_the_failure_row_round_trips_through_plain_data():
    detail = FailureDetail(
        "E: boom", "collect_weather.collect_station_weather", 3, "203 이천 (3 farms)", ("F1",), 2, 4
    )
    assert FailureDetail.from_dict(detail.as_dict()) == detail
    # A weather row's key among the run's outcomes is its station, whatever its status.
    assert joblog.mapped_label(detail.message()) == "203 이천 (3 farms)"
    assert joblog.mapped_label(WeatherMessage("203 이천 (3 farms)", 7, 21).text()) == "203 이천 (3 farms)"


@pytest.mark.parametrize(
    "kind",
    [StartMessage, StatsMessage, PlanMessage, WeatherMessage, GateMessage, ReportMessage, FinishMessage],
)
def test_a_message_of_another_kind_is_not_parsed(kind):
    others = [m.text() for m in MESSAGES if not isinstance(m, kind)]
    assert all(kind.parse(text) is None for text in others if text)


def test_the_plan_row_says_how_many_locations_were_planned():
    rows = [
        {"log_id": 1, "step": "PLAN_WEATHER_LOCATIONS", "status": "SUCCESS", "row_count": 44,
         "message": PlanMessage(44, 34, 3, ("F9 x: no coordinates",)).text()},
    ]  # fmt: skip
    run = joblog.RunLog.from_dicts(rows)
    assert run.planned_locations() == 34
    assert run.plan().excluded_total == 1


def test_an_excluded_list_cut_short_keeps_its_count():
    excluded = tuple(f"F{n:04d} farm: no coordinates" for n in range(25))
    parsed = PlanMessage.parse(PlanMessage(10, 5, 0, excluded).text())
    assert parsed.excluded_total == 25
    assert parsed.excluded == excluded[:20]


def test_the_registry_knows_every_task_and_step():
    for step in joblog.STEPS.values():
        assert joblog.step_for_task(step.task_id) is step
        assert joblog.STEPS[step.name] is step
    assert joblog.step_for_task("some_group.new_task").name == "NEW_TASK"
    assert joblog.WEATHER.name == joblog.MAPPED_STEP
