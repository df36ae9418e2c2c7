"""EKAPE's auction calendar: on which days the pig carcass auctions are expected, and what is odd.

One rule (the emulator's closed days follow it too, ``devtools/emulator/ekape.py``):

- Monday to Friday are working days: an auction is expected, unless the day is a Korean public holiday.
- Saturday: the markets may trade (fewer of them, fewer heads) or not; either is normal.
- Sunday and the public holidays are closed days: no auction is expected.

The public holidays are the maintained ``holidays`` package's (``holidays.country_holidays("KR")``, names in
Korean): 설날 and 추석 with their days around, the substitute holidays (대체 휴일), election days, and what
the law adds later, without a list kept here by hand.

A day against the rule is a warning for the job log, never a failure: the data is what EKAPE published
(a market may close on a working day, or trade on a holiday). Pure: no I/O, no Airflow.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import holidays

COUNTRY = "KR"
LANGUAGE = "ko"  # holiday names as the operators know them (개천절, 추석)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # not strftime("%a"): that follows the locale
SATURDAY, SUNDAY = 5, 6


@functools.lru_cache(maxsize=32)
def _holidays(year: int) -> holidays.HolidayBase:
    # Imported on first use, not on parsing: every task process parses the DAG file, few ask for a holiday.
    import holidays

    return holidays.country_holidays(COUNTRY, years=year, language=LANGUAGE)


def holiday_name(day: dt.date) -> str | None:
    """The Korean public holiday on ``day`` (e.g. ``개천절``), or None on an ordinary day."""
    return _holidays(day.year).get(day)


def is_closed(day: dt.date) -> bool:
    """A day without auctions by rule: a Sunday or a public holiday."""
    return day.weekday() == SUNDAY or holiday_name(day) is not None


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a public holiday: an auction is expected."""
    return day.weekday() < SATURDAY and holiday_name(day) is None


def describe_day(day: dt.date) -> str:
    """``2026-10-03 (Sat, 개천절)``, ``2026-11-18 (Wed)``."""
    name = holiday_name(day)
    return f"{day.isoformat()} ({WEEKDAYS[day.weekday()]}{f', {name}' if name else ''})"


def warning(day: dt.date, held: bool) -> str | None:
    """One short sentence when the day is against the rule (``held``: the day had auctions), else None."""
    if not held and is_working_day(day):
        return f"{describe_day(day)}: no auction on a working day"
    if held and holiday_name(day) is not None:
        return f"{describe_day(day)}: auction on a public holiday"
    if held and day.weekday() == SUNDAY:
        return f"{describe_day(day)}: auction on a Sunday"
    return None
