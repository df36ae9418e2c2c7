"""The one clock and the weeks it picks: which week is published, which is scheduled, at every hour of the
week, including Monday 02:00-09:00 KST when the week that just ended is not published yet."""

import datetime as dt
import importlib.util

import pendulum
import pytest

from include.ins_report.config.settings import Settings
from include.ins_report.model import clock
from include.ins_report.model.week import (
    InvalidWeekError,
    ReportWeek,
    latest_published_week,
    latest_scheduled_week,
    week_before,
)
from include.ins_report.sources import catalog
from tests.conftest import ROOT

NINE = dt.time(9)
LAST_WEEK = ReportWeek(dt.date(2026, 11, 23))  # Mon 11-23 .. Sun 11-29
WEEK_BEFORE = ReportWeek(dt.date(2026, 11, 16))


def kst(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="Asia/Seoul")


def load_run_week():
    spec = importlib.util.spec_from_file_location("run_week", ROOT / "scripts" / "run_week.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Every hour from Monday 00:00 to the next Monday 00:00 KST: what is published and what is scheduled.
@pytest.mark.parametrize("hour", range(0, 7 * 24))
def test_published_and_scheduled_weeks_at_every_hour(hour):
    moment = kst(2026, 11, 30).add(hours=hour)
    published = latest_published_week(moment, NINE)
    scheduled = latest_scheduled_week(moment)
    assert published == (WEEK_BEFORE if hour < 9 else LAST_WEEK)
    assert scheduled == (WEEK_BEFORE if hour < 2 else LAST_WEEK)
    assert published <= scheduled <= week_before(moment)


def test_the_edges_of_monday_morning():
    assert latest_published_week(kst(2026, 11, 30, 8, 59, 59), NINE) == WEEK_BEFORE
    assert latest_published_week(kst(2026, 11, 30, 9), NINE) == LAST_WEEK
    assert latest_scheduled_week(kst(2026, 11, 30, 1, 59, 59)) == WEEK_BEFORE
    assert latest_scheduled_week(kst(2026, 11, 30, 2)) == LAST_WEEK
    # The same instants in UTC (Sunday evening) give the same answers.
    assert latest_published_week(pendulum.datetime(2026, 11, 29, 18, 30, tz="UTC"), NINE) == WEEK_BEFORE


def test_naive_moments_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        latest_published_week(dt.datetime(2026, 11, 30, 3), NINE)


def test_clock_is_kst_and_ins_now_fixes_it(monkeypatch):
    monkeypatch.delenv("INS_NOW", raising=False)
    assert clock.now().timezone_name == "Asia/Seoul"
    monkeypatch.setenv("INS_NOW", "2026-11-29T18:30:00+00:00")
    assert clock.now() == kst(2026, 11, 30, 3, 30)
    assert clock.now().timezone_name == "Asia/Seoul"


@pytest.mark.parametrize("value", ["2026-11-30", "2026-11-30T03:00", "monday", "2026-13-01T00:00+09:00"])
def test_ins_now_without_an_offset_or_garbage_is_refused(monkeypatch, value):
    monkeypatch.setenv("INS_NOW", value)
    with pytest.raises(ValueError, match="INS_NOW"):
        clock.now()


def test_make_run_defaults_to_the_latest_week_every_source_published_and_says_why():
    choose_week = load_run_week().choose_week
    week, said = choose_week("", Settings(), kst(2026, 11, 30, 3, 30))
    assert week == WEEK_BEFORE
    assert said == (
        "week 2026-11-16: the latest published; 2026-11-23 waits for Sunday's ASOS values until ~09:00 KST "
        "and EKAPE's final prices until ~10:00 KST"
    )
    # Between KMA's publication and EKAPE's finalisation only EKAPE is waited for.
    week, said = choose_week("", Settings(), kst(2026, 11, 30, 9, 30))
    assert week == WEEK_BEFORE
    assert said.endswith("2026-11-23 waits for EKAPE's final prices until ~10:00 KST")
    week, said = choose_week("", Settings(), kst(2026, 11, 30, 10))
    assert (week, said) == (LAST_WEEK, "week 2026-11-23: the latest published")
    # Without EKAPE, the weather decides; the times are settings.
    only_weather = Settings(sources=["kosis", "kma"])
    assert choose_week("", only_weather, kst(2026, 11, 30, 9, 30))[0] == LAST_WEEK
    week, said = choose_week(
        "", Settings(sources=["kma"], publication_expected_at="11:30"), kst(2026, 11, 30, 10)
    )
    assert week == WEEK_BEFORE
    assert said.endswith("until ~11:30 KST")


def test_make_run_of_a_week_still_waiting_says_what_for_and_until_when():
    choose_week = load_run_week().choose_week
    week, said = choose_week("2026-11-23", Settings(), kst(2026, 11, 30, 3, 30))
    assert week == LAST_WEEK
    assert said == (
        "week 2026-11-23: waits for Sunday's ASOS values until ~09:00 KST and EKAPE's final prices until "
        "~10:00 KST; the run waits for them until 2026-11-30 12:00 KST, as the scheduled Monday run does"
    )
    assert choose_week("2026-11-16", Settings(), kst(2026, 11, 30, 3, 30))[1] == "week 2026-11-16: published"
    with pytest.raises(InvalidWeekError, match="has not ended yet"):
        choose_week("2026-11-30", Settings(), kst(2026, 11, 30, 3, 30))


@pytest.mark.parametrize("hour", range(0, 7 * 24, 5))
def test_the_week_make_run_picks_is_ready_for_every_source(hour):
    moment = kst(2026, 11, 30).add(hours=hour)
    week = catalog.latest_ready_week(moment, Settings())
    assert catalog.pending(week, Settings(), moment) == []
    assert week == (WEEK_BEFORE if hour < 10 else LAST_WEEK)


def test_a_bad_publication_time_is_a_clear_error():
    with pytest.raises(ValueError, match="INS_PUBLICATION_EXPECTED_AT must be a time of day"):
        _ = Settings(publication_expected_at="9am").publication_expected_time
