"""The weather wait deferred through Airflow (``dag.test()`` runs a deferred task's trigger in-process, as
`make run` does): the worker's check finds Sunday not served yet, the task defers, the ASOS trigger's
probe finds it, and the run goes on with no retry spent and no job-log row of the wait."""

from __future__ import annotations

import logging

WEEK = "2026-11-09"
# Inside the week's waiting window (Monday 11-16 until 12:00 KST), after EKAPE's final time (10:00).
INSIDE_THE_WINDOW = "2026-11-16T10:30:00+09:00"


def test_the_weather_wait_defers_and_its_trigger_finds_sunday(stack, monkeypatch, caplog):
    monkeypatch.setenv("INS_NOW", INSIDE_THE_WINDOW)
    monkeypatch.setenv("INS_PUBLICATION_PROBE_SECONDS", "1")
    stack.emulator("POST", "reset")
    # KMA's "data only up to yesterday" (code 99) for the worker's check, both of its HTTP attempts.
    stack.emulator("POST", "faults", {"api": "kma", "scenario": "not_published", "count": 2})
    with caplog.at_level(logging.INFO, logger="include.ins_report.airflow_edge"):
        dag_run = stack.run_week(WEEK)
    assert dag_run.state == "success"
    assert "not published yet for station 108" in caplog.text  # the worker's check, before it defers
    kma = stack.emulator("GET", "stats")["kma"]
    assert kma["by_days"]["1"] == 3  # probes: the worker's two attempts, then the trigger's one call
    wait = dag_run.get_task_instance("collect_weather.wait_for_weather_publication")
    assert wait.try_number == 1  # deferring spends no try
    steps = {row.step for row in stack.job_log(dag_run.run_id)}
    assert "WAIT_FOR_WEATHER_PUBLICATION" not in steps  # a wait writes no row unless it fails
    assert "RUN_WEEKLY_REPORT" in steps
