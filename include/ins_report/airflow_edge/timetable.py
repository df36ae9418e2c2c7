"""The DAG's timetable, built from the schedule's facts (include/ins_report/model/schedule.py), which stay
free of Airflow so that the settings and the week arithmetic can read them."""

from __future__ import annotations

from airflow.sdk import CronTriggerTimetable

from include.ins_report.model.schedule import CRON, INTERVAL, TIMEZONE


def timetable() -> CronTriggerTimetable:
    """Mondays 02:00 Asia/Seoul with a one-week interval, so that data_interval_end is the trigger time."""
    return CronTriggerTimetable(CRON, timezone=TIMEZONE, interval=INTERVAL)
