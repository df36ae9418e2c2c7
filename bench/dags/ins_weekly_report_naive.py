"""
## INS weekly report, naive variant (benchmark baseline only)

The weekly report built the naive way: **one mapped task and one KMA API call per farm**, and one INSERT
per weather row, without an API pool. It exists only in the benchmark's Airflow (bench/, `make bench`) to
measure the product's design against; it needs `[core] max_map_length` above the farm count.

### Triage notes
- Not a production DAG: it is never deployed. Owner: the INS data platform team.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Param, PokeReturnValue, TaskGroup, TriggerRule, chain, task
from airflow.sdk import get_current_context as current_context

from bench import naive
from include.ins_report import steps
from include.ins_report.settings import TIMEZONE, Settings

SETTINGS = Settings.from_env()

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
    default_args={
        "owner": "ins-data-platform",
        "retries": SETTINGS.task_retries,
        "retry_delay": timedelta(seconds=SETTINGS.retry_delay_seconds),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(hours=1),
        "execution_timeout": timedelta(hours=1),
    },
):

    @task(task_display_name="Start: record the run")
    def start_job() -> dict:
        return steps.start_job(steps.step_context(current_context()))

    with TaskGroup("collect_stats") as collect_stats:

        @task(task_display_name="Fetch KOSIS series into TA_STATS_DATA")
        def collect_kosis_series() -> dict:
            return steps.collect_kosis_series(steps.step_context(current_context()))

        collect_kosis_series()

    with TaskGroup("collect_weather") as collect_weather:

        @task(task_display_name="Plan farms (one task each)")
        def plan_farms() -> list[dict]:
            return naive.plan_farms(steps.step_context(current_context()))

        @task.sensor(
            task_display_name="Wait for Sunday's weather to be published",
            mode="reschedule",
            poke_interval=SETTINGS.publication_poke_seconds,
            timeout=timedelta(days=2).total_seconds(),
        )
        def wait_for_weather_publication() -> PokeReturnValue:
            return PokeReturnValue(is_done=steps.weather_published(steps.step_context(current_context())))

        @task(
            task_display_name="Fetch one farm's week into TM_WEATHER",
            map_index_template="{{ task.op_kwargs['farm']['farm_no'] }}",
        )
        def collect_farm_weather(farm: dict) -> dict:
            return naive.collect_farm_weather(steps.step_context(current_context()), farm)

        farms = plan_farms()
        chain(farms, wait_for_weather_publication(), collect_farm_weather.expand(farm=farms))

    @task(task_display_name="Check the week's data is complete", trigger_rule=TriggerRule.NONE_FAILED)
    def check_collection() -> dict:
        return steps.check_collection(steps.step_context(current_context()))

    @task(task_display_name="Run SP_INS_WEEK_MAIN for the week", max_active_tis_per_dag=1)
    def run_weekly_report() -> dict:
        return steps.run_weekly_report(steps.step_context(current_context()))

    chain(start_job(), [collect_stats, collect_weather], check_collection(), run_weekly_report())
