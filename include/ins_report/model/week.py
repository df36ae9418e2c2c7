"""Report-week arithmetic.

A run reports the Monday-to-Sunday week (KST) before its trigger time. The trigger time is the end of the
run's data interval for scheduled runs, backfills and manual runs alike, so the week is derived from
``data_interval_end`` only (``logical_date`` means different things for scheduled and manual runs in 3.3).
A manual run may name the week explicitly with the ``week`` param (the Monday, ``YYYY-MM-DD``), from the
DAG's first week (``schedule.FIRST_WEEK``, the week of its first scheduled run) to the latest complete one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pendulum

from include.ins_report.model import clock
from include.ins_report.model.clock import KST
from include.ins_report.model.errors import PermanentError
from include.ins_report.model.schedule import FIRST_WEEK, TRIGGER_TIME


class InvalidWeekError(ValueError, PermanentError):
    """The requested report week cannot be used; the message says why and what to pass instead."""


@dataclass(frozen=True, order=True)
class ReportWeek:
    start: dt.date  # Monday

    def __post_init__(self) -> None:
        if self.start.weekday() != 0:
            raise InvalidWeekError(f"a report week starts on a Monday, {self.start} is a {self.start:%A}")

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=offset) for offset in range(7)]

    def monday_after(self, at: dt.time) -> pendulum.DateTime:
        """The Monday after the week, at ``at`` KST."""
        monday = self.start + dt.timedelta(days=7)
        return pendulum.datetime(monday.year, monday.month, monday.day, at.hour, at.minute, tz=KST)

    @property
    def trigger_time(self) -> pendulum.DateTime:
        """When the scheduled run for this week fires: the following Monday at the schedule's trigger time."""
        return self.monday_after(TRIGGER_TIME)

    @property
    def key(self) -> str:
        """The week as TS_INS_JOB_LOG.REPORT_WEEK and the manifest tables key it (``20261116``)."""
        return self.start.strftime("%Y%m%d")

    def label(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def __str__(self) -> str:
        return self.start.isoformat()


def week_before(moment: dt.datetime) -> ReportWeek:
    """The last complete Monday-to-Sunday week (KST) strictly before ``moment``."""
    if moment.tzinfo is None:
        raise ValueError("week_before needs a timezone-aware datetime")
    local_day = pendulum.instance(moment).in_timezone(KST).date()
    this_monday = local_day - dt.timedelta(days=local_day.weekday())
    return ReportWeek(this_monday - dt.timedelta(days=7))


def latest_scheduled_week(moment: dt.datetime) -> ReportWeek:
    """The week of the latest scheduled run at ``moment``: the run that unpausing the DAG starts."""
    week = week_before(moment)
    if week.trigger_time > moment:  # Monday before 02:00 KST: this week's run has not fired yet
        return ReportWeek(week.start - dt.timedelta(days=7))
    return week


def latest_published_week(moment: dt.datetime, published_at: dt.time) -> ReportWeek:
    """The latest week whose last day (Sunday) is published at ``moment``: day D is published at D+1
    ``published_at`` KST, so before Monday ``published_at`` this is the week before last."""
    if moment.tzinfo is None:
        raise ValueError("latest_published_week needs a timezone-aware datetime")
    latest = week_before(moment)
    if latest.monday_after(published_at) > moment:  # Monday before Sunday's values appear
        return ReportWeek(latest.start - dt.timedelta(days=7))
    return latest


def parse_week_param(value: str, *, now: dt.datetime) -> ReportWeek:
    """Validate a manual ``week`` param: a Monday, as YYYY-MM-DD, no earlier than the DAG's first week
    (``schedule.FIRST_WEEK``, the week of its first scheduled run), whose week is already over in KST."""
    text = (value or "").strip()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidWeekError(
            f"week={value!r} is not a date; pass the Monday of the week as YYYY-MM-DD, e.g. 2026-11-16"
        ) from None
    if day < FIRST_WEEK:
        raise InvalidWeekError(
            f"week={text} is before the DAG's first week {FIRST_WEEK.isoformat()}; pass a Monday from "
            f"{FIRST_WEEK.isoformat()} on"
        )
    if day.weekday() != 0:
        monday = day - dt.timedelta(days=day.weekday())
        raise InvalidWeekError(
            f"week={text} is a {day:%A}; pass the Monday that starts the week, e.g. week={monday.isoformat()}"
        )
    week = ReportWeek(day)
    latest = week_before(now)
    if week > latest:
        raise InvalidWeekError(
            f"week={text} has not ended yet in KST; the latest complete week is {latest.start.isoformat()}"
        )
    return week


def resolve_report_week(
    data_interval_end: dt.datetime, week_param: str | None, *, now: dt.datetime | None = None
) -> ReportWeek:
    """The run's report week: the explicit ``week`` param when given, else the week before the trigger."""
    if week_param:
        return parse_week_param(week_param, now=now or clock.now())
    return week_before(data_interval_end)
