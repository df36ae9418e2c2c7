"""When the batch runs: every Monday 02:00 Asia/Seoul, reporting the week before (DESIGN, "Week semantics").

Defined once here and read by the DAG (its timetable), the deadline alert (``INS_REPORT_DEADLINE`` as a time
of day counts from the trigger) and the report-week arithmetic (``ReportWeek.trigger_time``).
"""

from __future__ import annotations

import datetime as dt

from include.ins_report.settings import TIMEZONE

CRON = "0 2 * * 1"  # Mondays 02:00
TRIGGER_TIME = dt.time(2, 0)  # the cron's hour and minute, in TIMEZONE
INTERVAL = dt.timedelta(weeks=1)  # data_interval = the week before the trigger
START = dt.date(2026, 1, 5)  # the first scheduled Monday


def timetable():
    """The DAG's timetable: a one-week interval, so that data_interval_end is the trigger time."""
    from airflow.sdk import CronTriggerTimetable

    return CronTriggerTimetable(CRON, timezone=TIMEZONE, interval=INTERVAL)


def start_date():
    import pendulum

    return pendulum.datetime(START.year, START.month, START.day, TRIGGER_TIME.hour, tz=TIMEZONE)
