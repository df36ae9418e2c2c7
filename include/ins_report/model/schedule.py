"""When the batch runs: every Monday 02:00 Asia/Seoul, reporting the week before (docs/design.md).

Defined once here and read by the DAG (its timetable, include/ins_report/airflow_edge/timetable.py), the
deadline alert (``INS_REPORT_DEADLINE`` as a time of day counts from the trigger, ``deadline_interval``), the
settings (which validate that deadline at parse time) and the report-week arithmetic
(``ReportWeek.trigger_time``, the ``week`` param's first week). This module imports nothing of the package,
so the settings can read it.
"""

from __future__ import annotations

import datetime as dt
import re

TIMEZONE = "Asia/Seoul"  # re-exported by include.ins_report.config.settings
CRON = "0 2 * * 1"  # Mondays 02:00
TRIGGER_TIME = dt.time(2, 0)  # the cron's hour and minute, in TIMEZONE
INTERVAL = dt.timedelta(weeks=1)  # data_interval = the week before the trigger
START = dt.date(2026, 1, 5)  # the first scheduled Monday
FIRST_WEEK = START - INTERVAL  # the week its run reports: the first a run may name (the week param)

_DURATION = re.compile(r"(\d+)\s*([smh])")


def start_date():
    import pendulum

    return pendulum.datetime(START.year, START.month, START.day, TRIGGER_TIME.hour, tz=TIMEZONE)


def is_time_of_day(value: str) -> bool:
    """``HH:MM`` (counted from the trigger), as opposed to a duration."""
    return bool(re.fullmatch(r"\d{1,2}:\d{2}", (value or "").strip()))


def deadline_interval(value: str, name: str = "INS_REPORT_DEADLINE") -> dt.timedelta | None:
    """INS_REPORT_DEADLINE (or another setting ``name`` of its form, INS_ASK_TIMEOUT) as the interval after
    the run is queued: ``HH:MM`` (KST, on the Monday of the scheduled run, counted from its trigger time,
    ``TRIGGER_TIME``), a duration (``90s``, ``45m``, ``10h``), or ``off``."""
    text = (value or "").strip().lower()
    if text in ("", "off", "none", "no"):
        return None
    clock = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if clock:
        hour, minute = int(clock[1]), int(clock[2])
        if hour > 23 or minute > 59:
            raise ValueError(f"{name} {value!r} is not a time of day")
        after = dt.timedelta(hours=hour, minutes=minute) - dt.timedelta(
            hours=TRIGGER_TIME.hour, minutes=TRIGGER_TIME.minute
        )
        if after <= dt.timedelta(0):
            raise ValueError(f"{name} {value!r} must be after the {TRIGGER_TIME:%H:%M} KST trigger")
        return after
    duration = _DURATION.fullmatch(text)
    if duration and int(duration[1]) > 0:
        return dt.timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours"}[duration[2]]: int(duration[1])})
    raise ValueError(
        f"{name} must be HH:MM (KST on the Monday of the run), a duration such as 90s, 45m "
        f"or 10h, or off; got {value!r}"
    )
