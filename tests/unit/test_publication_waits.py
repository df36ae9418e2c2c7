"""The publication waits in the triggerer (include/ins_report/airflow_edge/triggers.py, waits.py), against the
real emulator: the ASOS trigger probes once per interval (one call each) until Sunday is published, the
window ends or a fault needs the worker; a quota inside the window is waited out in the triggerer. EKAPE's
wait is the standard provider's date-time trigger, set from the project's clock.

The trigger's sleeps are recorded instead of slept: each moves the project's clock (INS_NOW) on by its
seconds, so a test walks through the wait's minutes at once and reads when each probe happened."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pendulum
import pytest
from airflow.sdk._shared.module_loading import import_string

from include.ins_report.airflow_edge import triggers
from include.ins_report.airflow_edge.triggers import FAULT, PUBLISHED, WINDOW_ENDED, AsosPublicationTrigger
from include.ins_report.airflow_edge.waits import FinalTimeWait, WeatherPublicationWait
from include.ins_report.config.settings import Settings
from include.ins_report.model import clock
from include.ins_report.model.week import ReportWeek
from tests.support.steps import step_context

WEEK = ReportWeek(dt.date(2026, 11, 16))  # Sunday 2026-11-22; its window ends Monday 11-23 12:00 KST
WINDOW_END = "2026-11-23T12:00:00+09:00"
ATTEMPTS = 2


@pytest.fixture
def kma(emulator, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_KMA_API",
        json.dumps(
            {"conn_type": "http", "host": "127.0.0.1", "port": emulator.port, "password": "dev-kma-key"}
        ),
    )
    for name, value in {
        "INS_HTTP_ATTEMPTS": str(ATTEMPTS),
        "INS_HTTP_BACKOFF_SECONDS": "0.01",
        "INS_KMA_CALLS_PER_SECOND": "0",
    }.items():
        monkeypatch.setenv(name, value)
    yield emulator
    emulator.configure(now=None, publish_hour=9)


@pytest.fixture
def slept(kma, monkeypatch):
    """The trigger's sleeps, in seconds; each moves the project's clock (INS_NOW) and the emulator's on."""
    recorded: list[float] = []

    async def sleep(seconds: float) -> None:
        recorded.append(seconds)
        moved = clock.now().add(seconds=seconds).isoformat()
        monkeypatch.setenv(clock.NOW_ENV, moved)
        kma.configure(now=moved)

    monkeypatch.setattr(triggers.asyncio, "sleep", sleep)
    return recorded


def at(kma, monkeypatch, moment: str, **emulator) -> None:
    """Both clocks at ``moment``; ``emulator``: more of its runtime settings."""
    monkeypatch.setenv(clock.NOW_ENV, moment)
    kma.configure(now=moment, **emulator)


def first_event(trigger: AsosPublicationTrigger) -> dict:
    async def run() -> dict:
        return (await anext(trigger.run())).payload

    return asyncio.run(run())


def asos_trigger(probe_seconds: int = 60) -> AsosPublicationTrigger:
    return AsosPublicationTrigger(
        point_id="108",
        day="2026-11-22",
        window_end=WINDOW_END,
        probe_seconds=probe_seconds,
        first_probe_in=probe_seconds,
    )


def kma_calls(emulator) -> int:
    return emulator.stats()["kma"]["requests"]


def test_probes_once_a_minute_until_sunday_is_published(kma, slept, monkeypatch):
    """Sunday appears at Monday 09:00 (the emulator's publish hour): the probe at 08:59 finds no row, the
    one at 09:00 finds the day. One call each, a minute apart, the first a minute after the worker's."""
    at(kma, monkeypatch, "2026-11-23T08:58:00+09:00", publish_hour=9)
    assert first_event(asos_trigger()) == {"status": PUBLISHED, "probes": 2}
    assert slept == [60, 60]
    assert kma_calls(kma) == 2
    assert clock.now() == pendulum.parse("2026-11-23T09:00:00+09:00")


def test_the_window_end_hands_the_task_back_without_another_probe(kma, slept, monkeypatch):
    """Not published by 12:00: the last probe at 11:59:30, then a pause that stops at the window's end; the
    worker's check then fails the task with the sensor's message (tests/unit/test_fault_handling.py)."""
    at(kma, monkeypatch, "2026-11-23T11:58:30+09:00", publish_hour=13)
    assert first_event(asos_trigger()) == {"status": WINDOW_ENDED, "probes": 1}
    assert slept == [60, 30]
    assert kma_calls(kma) == 1


def test_a_trigger_started_after_the_window_ends_at_once(kma, slept, monkeypatch):
    at(kma, monkeypatch, "2026-11-23T12:00:00+09:00")
    assert first_event(asos_trigger()) == {"status": WINDOW_ENDED, "probes": 0}
    assert kma_calls(kma) == 0


@pytest.mark.parametrize(
    ("scenario", "error", "calls"),
    [("key_xml_200", "PermanentApiError", 1),  # fails at once in the worker
     ("http_500", "TransientApiError", ATTEMPTS)],  # the client's retries, then Airflow's in the worker
)  # fmt: skip
def test_a_fault_hands_the_task_back_to_its_worker(kma, slept, monkeypatch, scenario, error, calls):
    at(kma, monkeypatch, "2026-11-23T08:00:00+09:00")
    kma.add_fault("kma", scenario, count=None)
    event = first_event(asos_trigger())
    assert (event["status"], event["probes"]) == (FAULT, 1)
    assert event["error"].startswith(f"{error}: ")
    assert kma_calls(kma) == calls


def test_a_retry_after_inside_the_window_is_waited_out_in_the_triggerer(kma, slept, monkeypatch):
    """HTTP 429 with Retry-After 300 s: the next probe comes at that time, not at the next minute."""
    at(kma, monkeypatch, "2026-11-23T09:10:00+09:00")
    kma.add_fault("kma", "retry_after", count=1, retry_after=300)
    assert first_event(asos_trigger()) == {"status": PUBLISHED, "probes": 2}
    assert slept == [60, 300]
    assert kma_calls(kma) == 2


def test_a_quota_past_the_window_hands_the_task_back(kma, slept, monkeypatch):
    at(kma, monkeypatch, "2026-11-23T11:00:00+09:00")
    kma.add_fault("kma", "retry_after", count=None, retry_after=7200)
    event = first_event(asos_trigger())
    assert (event["status"], event["probes"]) == (FAULT, 1)
    assert "Retry-After 7200 s" in event["error"]


def test_the_trigger_serialises_to_plain_kwargs_the_triggerer_rebuilds_it_from():
    classpath, kwargs = asos_trigger().serialize()
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert import_string(classpath)(**kwargs).serialize() == (classpath, kwargs)


def test_the_weather_wait_defers_to_the_probe_of_its_week(monkeypatch):
    monkeypatch.setenv(clock.NOW_ENV, "2026-11-23T02:00:00+09:00")
    settings = Settings(publication_probe_seconds=45, publication_probe_station="133")
    wait = WeatherPublicationWait(task_id="wait", settings=settings)
    _, kwargs = wait.trigger(step_context(WEEK, settings)).serialize()
    assert kwargs == {
        "point_id": "133",
        "day": "2026-11-22",
        "window_end": WINDOW_END,
        "probe_seconds": 45,
        "first_probe_in": 45,
    }


def test_ekapes_wait_wakes_at_the_final_time_as_the_projects_clock_counts(monkeypatch):
    """EKAPE's week 2026-11-16 is final Monday 11-23 10:00 KST. At 09:59 on the project's clock the
    standard date-time trigger wakes 60 s later on the triggerer's clock (libfaketime moves both clocks
    alike; a demo's fixed INS_NOW moves only ours, and the wait still lasts the minute left)."""
    monkeypatch.setenv(clock.NOW_ENV, "2026-11-23T09:59:00+09:00")
    settings = Settings()
    wait = FinalTimeWait(task_id="wait", source="ekape", settings=settings)
    before = pendulum.now("UTC")
    trigger = wait.trigger(step_context(WEEK, settings))
    after = pendulum.now("UTC")
    assert before.add(seconds=60) <= trigger.moment <= after.add(seconds=60)
    assert trigger.serialize()[0] == "airflow.providers.standard.triggers.temporal.DateTimeTrigger"
