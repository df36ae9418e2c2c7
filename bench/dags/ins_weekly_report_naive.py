"""
## INS weekly report, naive variant (benchmark baseline only)

The weekly report built the naive way: **one mapped task and one KMA API call per farm**, and one INSERT
per weather row, without an API pool. It exists only in the benchmark's Airflow (bench/, `make bench`) to
measure the product's design against; it needs `[core] max_map_length` above the farm count.

### Triage notes
- Not a production DAG: it is never deployed. Owner: the INS data platform team.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Param, PokeReturnValue, TaskGroup, TriggerRule, chain, task

from bench import naive
from include.ins_report.airflow_edge.callbacks import task_defaults
from include.ins_report.airflow_edge.context import task_step
from include.ins_report.config.settings import TIMEZONE, Settings
from include.ins_report.sources import catalog
from include.ins_report.steps import gate, job, report, weather

SETTINGS = Settings.from_env()
# The naive design has no pacing either: its per-farm calls go as fast as their tasks start.
UNPACED = dataclasses.replace(SETTINGS, kma_calls_per_second=0)


def collect_statistics(source: str) -> dict:
    with task_step(SETTINGS) as (_, inputs):
        return job.collect_statistics(inputs, catalog.BY_NAME[source])


with DAG(
    dag_id=naive.NAIVE_DAG_ID,
    dag_display_name="INS weekly report (naive baseline)",
    description="Benchmark baseline: one task and one API call per farm, row-by-row writes",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 5, 2, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    tags=["ins", "bench"],
    params={"week": Param(None, type=["null", "string"], format="date", title="Report week")},
    default_args=task_defaults(SETTINGS),  # the product's own
):

    @task(task_display_name="Start: record the run")
    def start_job() -> dict:
        with task_step(SETTINGS) as (_, inputs):
            return job.start_job(inputs)

    # The statistics sources as the product collects them (the bench's week is final for every source).
    with TaskGroup("collect_stats") as collect_stats:
        for source in catalog.statistics_sources(SETTINGS):
            task(
                collect_statistics,
                task_id=source.collect_step.task_id.rsplit(".", 1)[-1],
                task_display_name=source.collect_step.title,
            )(source.name)

    with TaskGroup("collect_weather") as collect_weather:

        @task(task_display_name="Plan farms (one task each)")
        def plan_farms() -> list[dict]:
            with task_step(SETTINGS) as (_, inputs):
                return naive.plan_farms(inputs)

        @task.sensor(
            task_display_name="Wait for Sunday's weather to be published",
            mode="reschedule",
            poke_interval=SETTINGS.publication_poke_seconds,
            timeout=timedelta(days=2).total_seconds(),
        )
        def wait_for_weather_publication() -> PokeReturnValue:
            with task_step(SETTINGS) as (_, inputs):
                return PokeReturnValue(is_done=weather.weather_published(inputs))

        @task(
            task_display_name="Fetch one farm's week into TM_WEATHER",
            map_index_template="{{ task.op_kwargs['farm']['farm_no'] }}",
        )
        def collect_farm_weather(farm: dict) -> dict:
            with task_step(UNPACED) as (_, inputs):
                return naive.collect_farm_weather(inputs, farm)

        farms = plan_farms()
        chain(farms, wait_for_weather_publication(), collect_farm_weather.expand(farm=farms))

    @task(task_display_name="Check the week's data is complete", trigger_rule=TriggerRule.NONE_FAILED)
    def check_collection() -> dict:
        with task_step(SETTINGS) as (_, inputs):
            return gate.check_collection(inputs)

    @task(task_display_name="Run SP_INS_WEEK_MAIN for the week", max_active_tis_per_dag=1)
    def run_weekly_report() -> dict:
        with task_step(SETTINGS) as (_, inputs):
            return report.run_weekly_report(inputs)

    chain(start_job(), [collect_stats, collect_weather], check_collection(), run_weekly_report())
