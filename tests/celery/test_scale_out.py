"""The weekly run on CeleryExecutor with two workers: the tasks spread over both, the database ends exactly as
after the LocalExecutor run, and a worker killed in the middle of the run costs retries, not rows."""

from __future__ import annotations

import signal

import pendulum
import pytest

from tests.celery.conftest import KMA_POOL, KMA_POOL_SLOTS, WORKERS
from tests.support.waiting import wait_for

FETCH_TASK = "collect_weather.collect_station_weather"


def assert_clean_week(content: dict, usable_farms: int, week) -> None:
    weather = content["weather"]
    assert len(weather) == usable_farms * 7
    assert len({(row[0], row[1]) for row in weather}) == len(weather)  # no duplicate farm-day
    assert {row[1] for row in weather} == {day.isoformat() for day in week.days}
    assert len(content["report"]) == usable_farms
    assert all(row[4] == 7 for row in content["report"])


def most_running_at_once(tis: list[dict]) -> int:
    """The largest number of these task instances that were running at the same moment."""
    events = []
    for ti in tis:
        events += [(pendulum.parse(ti["start_date"]), 1), (pendulum.parse(ti["end_date"]), -1)]
    running = most = 0
    for _, change in sorted(events, key=lambda event: (event[0], event[1])):  # an end before a start
        running += change
        most = max(most, running)
    return most


def test_a_week_runs_on_both_workers_and_matches_the_local_run(local, celery, farm_set, usable_farms):
    celery.fresh_farm_db(farm_set)
    run_id, state = celery.run_week_on_stack()
    assert state == "success", f"{run_id}: {state}; see {celery.airflow.home / 'logs'}"
    tis = celery.airflow.task_instances(run_id)
    hosts = {ti["hostname"] for ti in tis}
    assert hosts == set(WORKERS), hosts
    fetches = [ti for ti in tis if ti["task_id"] == FETCH_TASK]
    assert {ti["hostname"] for ti in fetches} == set(WORKERS)
    # The pool bounds the KMA tasks across both workers (8 worker slots, a per-run limit of 8), and they
    # did run in parallel up to it.
    in_pool = [ti for ti in tis if ti["pool"] == KMA_POOL]
    assert len(in_pool) == len(fetches) + 1  # the stations and the publication wait
    assert 2 <= most_running_at_once(in_pool) <= KMA_POOL_SLOTS
    content = celery.week_content()
    assert len(fetches) == len({row[2] for row in content["weather"]})  # one task per station
    assert_clean_week(content, usable_farms, celery.week)
    assert content == local.content()


# Extended: a task killed mid-write on the LocalExecutor stack is the default run's (test_operations.py).
@pytest.mark.extended
def test_a_worker_killed_mid_run_costs_retries_not_rows(local, celery, farm_set, usable_farms):
    celery.fresh_farm_db(farm_set)
    airflow = celery.airflow
    victim, survivor = WORKERS
    assert airflow.alive(victim)
    assert airflow.alive(survivor)
    run_id = celery.trigger_week()
    killed = wait_for(
        lambda: [
            ti
            for ti in airflow.task_instances(run_id)
            if ti["task_id"] == FETCH_TASK and ti["state"] == "running" and ti["hostname"] == victim
        ],
        timeout=180,
        poll=0.2,
        what=f"a station task running on {victim}",
    )
    airflow.stop_component(victim, signal.SIGKILL)  # the worker, its pool and its task processes
    assert not airflow.alive(victim)
    state = airflow.wait_for_run(run_id, timeout=300, poll=1)
    assert state == "success", f"{run_id}: {state}; see {airflow.home / 'logs'}"

    by_index = {ti["map_index"]: ti for ti in airflow.task_instances(run_id) if ti["task_id"] == FETCH_TASK}
    for ti in killed:
        retried = by_index[ti["map_index"]]
        assert retried["try_number"] >= 2, retried
        assert retried["hostname"] == survivor, retried
    content = celery.week_content()
    assert_clean_week(content, usable_farms, celery.week)
    assert content == local.content()
