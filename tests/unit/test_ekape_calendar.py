"""EKAPE's auction calendar: Korean public holidays from the `holidays` package, the warnings for days
against the rule (a working day without auction, an auction on a holiday or a Sunday), and the emulator's
closed days following the same rule."""

from __future__ import annotations

import datetime as dt

import pytest

from devtools.emulator import ekape as emulator_ekape
from include.ins_report.sources import ekape, ekape_calendar
from include.ins_report.sources import ekape_answers as answers


def day_of(day: dt.date, held: bool) -> answers.AuctionDay:
    price = answers.Price(6000.0, 7000) if held else answers.Price(None, 0)
    grades = {grade: price for grade in answers.GRADES}
    return answers.AuctionDay(day=day, held=held, headline=price, grades=grades)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (dt.date(2026, 10, 3), "개천절"),
        (dt.date(2026, 9, 25), "추석"),
        (dt.date(2026, 2, 17), "설날"),
        (dt.date(2026, 11, 18), None),
        (dt.date(2026, 11, 21), None),
    ],
)
def test_holiday_names_are_the_korean_ones(day, name):
    assert ekape_calendar.holiday_name(day) == name


def test_substitute_and_election_days_are_holidays():
    assert "대체" in ekape_calendar.holiday_name(dt.date(2026, 10, 5))  # 개천절 fell on a Saturday
    assert ekape_calendar.holiday_name(dt.date(2026, 6, 3)) is not None  # 지방선거
    assert ekape_calendar.holiday_name(dt.date(2025, 6, 3)) is not None  # 대통령선거


def test_the_rule():
    monday, saturday, sunday = dt.date(2026, 11, 16), dt.date(2026, 11, 21), dt.date(2026, 11, 22)
    holiday_friday, holiday_saturday = dt.date(2026, 9, 25), dt.date(2026, 10, 3)
    assert [ekape_calendar.is_working_day(day) for day in (monday, saturday, sunday, holiday_friday)] == [
        True, False, False, False
    ]  # fmt: skip
    assert [ekape_calendar.is_closed(day) for day in (monday, saturday, sunday, holiday_saturday)] == [
        False, False, True, True
    ]  # fmt: skip


def test_a_weekday_holiday_without_auction_is_no_warning():
    assert ekape_calendar.warning(dt.date(2026, 9, 25), held=False) is None  # 추석, a Friday
    assert ekape_calendar.warning(dt.date(2026, 10, 5), held=False) is None  # 개천절's substitute, a Monday


def test_a_normal_weekday_without_auction_is_a_warning():
    assert ekape_calendar.warning(dt.date(2026, 11, 18), held=False) == (
        "2026-11-18 (Wed): no auction on a working day"
    )


def test_an_auction_on_a_holiday_is_a_warning():
    assert ekape_calendar.warning(dt.date(2026, 10, 3), held=True) == (
        "2026-10-03 (Sat, 개천절): auction on a public holiday"
    )
    assert ekape_calendar.warning(dt.date(2026, 9, 25), held=True) == (
        "2026-09-25 (Fri, 추석): auction on a public holiday"
    )


def test_weekends_are_normal_either_way_except_an_auction_on_a_sunday():
    saturday, sunday = dt.date(2026, 11, 21), dt.date(2026, 11, 22)
    assert ekape_calendar.warning(saturday, held=True) is None
    assert ekape_calendar.warning(saturday, held=False) is None
    assert ekape_calendar.warning(sunday, held=False) is None
    assert ekape_calendar.warning(sunday, held=True) == "2026-11-22 (Sun): auction on a Sunday"
    assert ekape_calendar.warning(dt.date(2026, 11, 18), held=True) is None


def test_calendar_warnings_of_fetched_days_one_per_odd_day_in_day_order():
    week = [dt.date(2026, 11, 16) + dt.timedelta(days=offset) for offset in range(7)]
    ordinary = [day_of(day, held=day.weekday() < 6) for day in week]
    assert ekape.calendar_warnings(ordinary) == ()
    odd = [day_of(day, held=day.isoformat() not in ("2026-11-18", "2026-11-20")) for day in week]
    assert ekape.calendar_warnings(reversed(odd)) == (
        "2026-11-18 (Wed): no auction on a working day",
        "2026-11-20 (Fri): no auction on a working day",
        "2026-11-22 (Sun): auction on a Sunday",
    )
    holiday_week = [day_of(dt.date(2026, 10, 3), held=True), day_of(dt.date(2026, 10, 5), held=False)]
    assert ekape.calendar_warnings(holiday_week) == ("2026-10-03 (Sat, 개천절): auction on a public holiday",)


def test_the_emulator_closes_on_the_same_days_as_the_rule():
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=offset) for offset in range(3 * 365)]
    assert [emulator_ekape.is_closed(day) for day in days] == [ekape_calendar.is_closed(day) for day in days]
    assert sum(emulator_ekape.is_closed(day) for day in days) > 3 * 52 + 3 * 10  # Sundays and holidays
