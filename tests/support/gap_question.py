"""The gap question of a week with one ASOS station down, as the stack tiers check it (the browser flow and
the scheduler tier's extended module): the station, its farms and the question Airflow holds."""

from __future__ import annotations

from include.ins_report.model.week import ReportWeek

STATION = "203"  # one station of the sample farms: its farms lack the whole week (3 of 44)


def station_farms(deployment, week: ReportWeek) -> int:
    """The week's planned farms of the station that is down."""
    ((farms,),) = deployment.sql(
        "SELECT COUNT(*) FROM TS_INS_WEEK_FARM WHERE REPORT_WEEK = ? AND POINT_ID = ?", (week.key, STATION)
    )
    return farms


def assert_the_question_lists_the_gaps(deployment, week: ReportWeek, question: dict) -> int:
    """The question (its hitlDetails) names the week, the station and its farms, both answers, the default
    and the assignee; returns the station's farms."""
    assert question["subject"].startswith(f"Week {week.label()}")  # which week it is about
    body = question["body"]
    down = station_farms(deployment, week)
    assert down >= 1
    assert f"**{STATION} " in body  # the station with its label
    assert f"{down} of {down} farms; missing weather {7 * down}" in body
    assert f"Weather: {308 - 7 * down} of 308 farm-days" in body
    assert "### Approve" in body
    assert "### Reject" in body
    assert question["options"] == ["Approve", "Reject"]
    assert question["defaults"] == ["Reject"]
    assert [user["id"] for user in question["assigned_users"]] == ["admin"]
    return down
