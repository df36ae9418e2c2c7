import datetime as dt

import pendulum
import pytest

from include.ins_report.model.week import (
    InvalidWeekError,
    ReportWeek,
    parse_week_param,
    resolve_report_week,
    week_before,
)

KST = "Asia/Seoul"


def kst(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=KST)


def test_scheduled_run_reports_the_week_before_its_trigger():
    # The run that fires Monday 2026-11-23 02:00 KST (data_interval_end) reports 11-16 .. 11-22.
    week = resolve_report_week(kst(2026, 11, 23, 2), None)
    assert (week.start, week.end) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))


def test_trigger_is_read_in_kst_not_utc():
    # 2026-11-22T17:00Z is Monday 02:00 KST but still Sunday in UTC.
    end = pendulum.datetime(2026, 11, 22, 17, tz="UTC")
    assert week_before(end).start == dt.date(2026, 11, 16)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (kst(2026, 11, 23, 0, 0), dt.date(2026, 11, 16)),  # Monday midnight: last week is complete
        (kst(2026, 11, 26, 15, 30), dt.date(2026, 11, 16)),  # a manual run on Thursday
        (kst(2026, 11, 29, 23, 59), dt.date(2026, 11, 16)),  # Sunday night: this week is not over
        (kst(2026, 11, 30, 2, 0), dt.date(2026, 11, 23)),
    ],
)
def test_monday_rule(moment, expected):
    assert week_before(moment).start == expected


def test_year_boundary():
    # Week of Mon 2026-12-28 .. Sun 2027-01-03 is reported by the run of Mon 2027-01-04.
    week = week_before(kst(2027, 1, 4, 2))
    assert (week.start, week.end) == (dt.date(2026, 12, 28), dt.date(2027, 1, 3))
    assert week.trigger_time == kst(2027, 1, 4, 2)
    assert week_before(kst(2026, 1, 1, 12)).start == dt.date(2025, 12, 22)


def test_week_days_and_label():
    week = ReportWeek(dt.date(2026, 11, 16))
    assert week.days[0] == dt.date(2026, 11, 16)
    assert week.days[-1] == dt.date(2026, 11, 22)
    assert len(week.days) == 7
    assert week.label() == "2026-11-16..2026-11-22"


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        week_before(dt.datetime(2026, 11, 23, 2))


def test_week_param_overrides_the_interval():
    week = resolve_report_week(kst(2026, 11, 26, 10), "2026-11-02", now=kst(2026, 11, 26, 10))
    assert week.start == dt.date(2026, 11, 2)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-11-18", r"is a Wednesday; pass the Monday that starts the week, e\.g\. week=2026-11-16"),
        ("16/11/2026", "is not a date"),
        ("", "is not a date"),
        ("2026-11-23", "has not ended yet"),  # the running week
        ("2026-12-07", "has not ended yet"),  # the future
    ],
)
def test_week_param_validation(value, message):
    with pytest.raises(InvalidWeekError, match=message):
        parse_week_param(value, now=kst(2026, 11, 26, 10))


def test_report_week_must_start_on_monday():
    with pytest.raises(InvalidWeekError):
        ReportWeek(dt.date(2026, 11, 17))


def test_report_week_of_an_airflow_context():
    from types import SimpleNamespace

    from include.ins_report.airflow_edge.context import report_week_of

    scheduled = {"data_interval_end": kst(2026, 11, 23, 2), "params": {"week": None}}
    assert report_week_of(scheduled).start == dt.date(2026, 11, 16)
    # A manual run triggered without a logical date has no data interval: its run_after is the trigger.
    no_interval = {"dag_run": SimpleNamespace(run_after=kst(2026, 11, 26, 15)), "params": {}}
    assert report_week_of(no_interval).start == dt.date(2026, 11, 16)
    named = {"dag_run": SimpleNamespace(run_after=kst(2026, 11, 26, 15)), "params": {"week": "2026-11-02"}}
    assert report_week_of(named).start == dt.date(2026, 11, 2)
    with pytest.raises(InvalidWeekError, match="pass week="):
        report_week_of({"params": {}})


@pytest.mark.parametrize("value", ["0001-01-01", "2025-12-22", "2025-12-28", "1999-12-31"])
def test_a_week_before_the_dags_first_week_is_refused(value):
    with pytest.raises(InvalidWeekError, match=f"week={value} is before the DAG's first week 2025-12-29"):
        resolve_report_week(kst(2026, 11, 23, 2), value, now=kst(2026, 11, 26, 10))


def test_the_dags_first_week_is_accepted():
    from include.ins_report.model.schedule import FIRST_WEEK, START

    first = resolve_report_week(kst(2026, 11, 23, 2), FIRST_WEEK.isoformat(), now=kst(2026, 11, 26, 10))
    assert first.start == FIRST_WEEK == week_before(kst(2026, 1, 5, 2)).start  # the first scheduled run's
    # The data interval's week has no lower bound of its own (a backfill names no week).
    assert week_before(kst(2026, 1, 12, 2)).start == START
