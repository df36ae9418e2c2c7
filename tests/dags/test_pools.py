"""Pools: a task whose pool does not exist is never scheduled and raises no error, so the DAG may only use
the pools that include/ins_report/airflow_edge/pools.py defines (and every launcher creates), or Airflow's
default pool."""

from __future__ import annotations

import json
import subprocess
import sys
from unittest import mock

import pytest

from include.ins_report.airflow_edge.pools import DEFAULT_POOL, pool_definitions
from include.ins_report.config.settings import DAG_ID, Settings
from tests.conftest import ROOT
from tests.support.dags import parse_dags

KMA_TASKS = {"collect_weather.wait_for_weather_publication", "collect_weather.collect_station_weather"}
KOSIS_TASKS = {"collect_stats.collect_kosis_series"}


def dag_with(env: dict[str, str]):
    return parse_dags(env=env).dags[DAG_ID]


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.dags[DAG_ID]


def test_every_pool_the_dag_uses_is_defined(dag):
    defined = set(pool_definitions(Settings.from_env())) | {DEFAULT_POOL}
    used = {task.task_id: task.pool for task in dag.tasks}
    assert set(used.values()) <= defined, used


def test_api_tasks_run_in_their_apis_pool(dag):
    settings = Settings.from_env()
    for task in dag.tasks:
        if task.task_id in KMA_TASKS:
            assert task.pool == settings.kma_pool == "kma_api", task.task_id
        elif task.task_id in KOSIS_TASKS:
            assert task.pool == settings.kosis_pool == "kosis_api", task.task_id
        elif task.task_id == "collect_stats.collect_ekape_prices":
            assert task.pool == settings.ekape_pool == "ekape_api", task.task_id
        else:
            assert task.pool == DEFAULT_POOL, task.task_id
    fetch = dag.get_task("collect_weather.collect_station_weather")
    assert fetch.max_active_tis_per_dagrun == settings.kma_pool_slots
    assert set(pool_definitions(settings)) == {"kma_api", "kosis_api", "ekape_api"}


def test_pool_names_and_sizes_are_configuration():
    env = {"INS_KMA_POOL": "data_go_kr", "INS_KMA_POOL_SLOTS": "6", "INS_KOSIS_POOL": "default_pool"}
    dag = dag_with(env)
    assert dag.get_task("collect_weather.collect_station_weather").pool == "data_go_kr"
    assert dag.get_task("collect_weather.collect_station_weather").max_active_tis_per_dagrun == 6
    assert dag.get_task("collect_stats.collect_kosis_series").pool == DEFAULT_POOL
    with mock.patch.dict("os.environ", env):
        pools = pool_definitions(Settings.from_env())
    # default_pool is Airflow's own: opting out creates nothing.
    assert set(pools) == {"data_go_kr", "ekape_api"}
    assert pools["data_go_kr"]["slots"] == 6


def test_a_pool_needs_a_slot():
    with pytest.raises(ValueError, match="at least one slot"):
        pool_definitions(Settings(kma_pool_slots=0))


def test_the_pools_file_for_airflow_pools_import():
    result = subprocess.run(
        [sys.executable, "-m", "include.ins_report.airflow_edge.pools"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    pools = json.loads(result.stdout)
    assert pools["kma_api"]["slots"] == Settings().kma_pool_slots
    assert set(pools["kma_api"]) == {"slots", "description", "include_deferred"}
