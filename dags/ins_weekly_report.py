"""
## INS weekly report

Builds the weekly insight (INS) report for every active pig farm. Replaces the Oracle scheduler job
`JOB_INS_WEEKLY_REPORT`: every **Monday 02:00 KST** it reports the previous Monday-to-Sunday week.

1. **collect_stats**: one task per statistics source (`INS_SOURCES`): KOSIS series and EKAPE daily pig
   carcass prices (after the week's last day is final, Monday 10:00 KST) into `TA_STATS_DATA` (upsert).
2. **collect_weather** (in parallel): active farms of `TA_FARM` are mapped to their nearest ASOS station;
   after Sunday's values are published, one task per station fetches the week and writes one
   `TM_WEATHER` row per farm per day, with THI (upsert).
3. **check_collection**: reads the database and checks the week's manifest (`TS_INS_WEEK_INPUT`,
   `TS_INS_WEEK_FARM`: written by the start and plan steps): every planned farm has its 7 days from its
   station and every cell the report reads its value at its period. Small gaps go to an operator (next
   step); larger ones stop the run here and the admins are alerted. The procedure reads the same manifest.
4. **approve_gaps**: only for a week with gaps within the ask band (`INS_ASK_*`): an operator approves or
   rejects the week in **Required Actions** (the question lists the gaps); nobody answering by
   `INS_ASK_TIMEOUT` applies `INS_ASK_DEFAULT` (reject). A complete week passes at once.
5. **run_weekly_report**: calls `SP_INS_WEEK_MAIN('WEEK', 'YYYYMMDD')` with the report week.
6. Every step appends its outcome to `TS_INS_JOB_LOG`.

**Report week**: derived from the run's data interval end (the trigger time), never from `logical_date`.
A manual run may name the week with the `week` param (the Monday, `YYYY-MM-DD`).

### Triage notes
- **Is a re-run safe?** Yes. Every write is an upsert on its natural key and the report replaces its week.
  Clear the failed task with *Downstream* ticked; for one weather station, clear just that mapped task.
- **Missed weeks**: backfill them (`airflow backfill create`), one run per week; see docs/operating.md.
- **Farms excluded** (no or out-of-range coordinates, duplicated farm numbers) are listed in the
  `PLAN_WEATHER_LOCATIONS` row of `TS_INS_JOB_LOG`; fix them in `TA_FARM`.
- **Alerts** (e-mail, Slack, webhook): exactly one per failed run, naming the failed step (a weather station
  by its label and farms), its error and what to clear; retries stay quiet until they are used up. If the
  run is not finished by Monday 12:30 KST a deadline alert goes out while it runs (`INS_REPORT_DEADLINE`);
  a run that already failed gets no deadline alert.
- **"Run SP_INS_WEEK_MAIN" failed with ORA-… or DPY-4024 (timeout)**: the week's data is complete (the gate
  passed); `ORA-20xxx` comes from the procedure itself. The call is bounded by `INS_REPORT_TIMEOUT` and
  never retried automatically: check on the database that it no longer runs (docs/operations.md, "The
  report procedure's sessions"), fix the cause, then clear that task with *Downstream* ticked.
- **Waiting for Sunday's weather** until Monday 12:00 KST is normal (KMA publishes around 09:00).
- **Weather or statistics tasks stay *scheduled*** with nothing running: their API pool (`kma_api`,
  `kosis_api`) is missing; create it with `python -m include.ins_report.airflow_edge.pools --apply`
  (docs/scale-out.md).
- **History**: `TS_INS_JOB_LOG`, one row per step outcome; docs/operations.md has the last-eight-weeks query.
- **Who to ask**: the INS data platform team (owner of this DAG); farm master data: the farm-service team.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Param, TaskGroup, TriggerRule, chain, task

from include.ins_report.airflow_edge import assets
from include.ins_report.airflow_edge import context as airflow_context
from include.ins_report.airflow_edge.approval import GapApprovalOperator
from include.ins_report.airflow_edge.callbacks import task_defaults
from include.ins_report.airflow_edge.context import task_step
from include.ins_report.airflow_edge.timetable import timetable
from include.ins_report.airflow_edge.waits import FinalTimeWait, WeatherPublicationWait
from include.ins_report.alerts.deadline import report_deadline
from include.ins_report.alerts.notifier import InsAlertNotifier
from include.ins_report.config.settings import DAG_ID, Settings
from include.ins_report.joblog import FINISH, GATE, PLAN, REPORT, START, WAIT, WEATHER
from include.ins_report.model import schedule
from include.ins_report.sources import catalog
from include.ins_report.steps import gate, job, report, weather

SETTINGS = Settings.from_env()  # names and retry numbers only; no I/O at import time


# Every task body runs its step in task_step(SETTINGS) (include/ins_report/airflow_edge/context.py): the
# step's inputs with the clients it touches, built once per task, and a domain error that a retry cannot
# help failing the task at once.


def collect_statistics(source: str) -> dict:
    with task_step(SETTINGS) as (context, inputs):
        with airflow_context.waiting_for_the_source(inputs):  # not published yet, a quota
            result = job.collect_statistics(inputs, catalog.BY_NAME[source])
        airflow_context.announce_week_on_asset(context, assets.of_source(catalog.BY_NAME[source]), inputs)
        return result


with DAG(
    dag_id=DAG_ID,
    dag_display_name="INS weekly report",
    description="Weekly insight report for pig farms: KOSIS, EKAPE, KMA weather, gate, SP_INS_WEEK_MAIN",
    doc_md=__doc__,
    # Mondays 02:00 KST; the one-week interval makes data_interval = the week before the trigger.
    schedule=timetable(),
    start_date=schedule.start_date(),
    catchup=False,
    max_active_runs=1,  # two report procedures never run at once
    dagrun_timeout=timedelta(hours=20),
    tags=["ins", "weekly", "report"],
    params={
        "week": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Report week",
            # JSON schema has no lower bound for a date: the first week is checked when the week is resolved
            # (week.parse_week_param), and said here.
            description=f"Monday of the week to report (YYYY-MM-DD), from {schedule.FIRST_WEEK} (the DAG's "
            "first week) to the latest complete week. Empty: the week before the run.",
        )
    },
    default_args=task_defaults(SETTINGS),  # retries, timeout, job-log callbacks
    # The admins' alerts, one notifier (include/ins_report/alerts/notifier.py), run by the dag-processor:
    on_failure_callback=InsAlertNotifier("failure"),  # one alert per failed run
    on_success_callback=InsAlertNotifier("success"),  # accepted gaps; the digest (INS_DIGEST_CHANNELS)
    # Not finished by Monday 12:30 KST (INS_REPORT_DEADLINE): the admins are alerted (triggerer), unless the
    # run has failed and had its failure alert.
    deadline=report_deadline(SETTINGS),
) as dag:

    @task(task_id=START.task_id, task_display_name=START.title)
    def start_job() -> dict:
        with task_step(SETTINGS) as (_, inputs):
            return job.start_job(inputs)

    statistics = catalog.statistics_sources(SETTINGS)
    with TaskGroup(
        "collect_stats",
        group_display_name=f"Collect statistics ({', '.join(source.label for source in statistics)})",
        tooltip="Statistics sources into TA_STATS_DATA, one task each (INS_SOURCES)",
    ) as collect_stats:
        for source in statistics:
            collect = task(
                collect_statistics,
                task_id=source.collect_step.task_id.rsplit(".", 1)[-1],
                task_display_name=source.collect_step.title,
                pool=source.pool(SETTINGS),
                outlets=[assets.of_source(source)],  # for downstream DAGs, with the week in the event
            )(source.name)
            if source.wait_step:
                # A source whose week is final later (EKAPE: Monday 10:00 KST) waits in the triggerer until
                # then, without a worker slot (include/ins_report/airflow_edge/waits.py).
                wait = FinalTimeWait(
                    task_id=source.wait_step.task_id.rsplit(".", 1)[-1],
                    task_display_name=source.wait_step.title,
                    source=source.name,
                    settings=SETTINGS,
                )
                chain(wait, collect)

    collections = [collect_stats]
    if catalog.weather_enabled(SETTINGS):
        with TaskGroup(
            "collect_weather",
            group_display_name="Collect weather (KMA ASOS)",
            tooltip="KMA ASOS daily weather into TM_WEATHER",
        ) as collect_weather:

            @task(task_display_name=PLAN.title)
            def plan_weather_locations() -> list[dict]:
                with task_step(SETTINGS) as (context, inputs):
                    # Each location's farm list goes to an XCom of its own; the mapped list stays small.
                    return weather.plan_weather_locations(inputs, publish=context["ti"].xcom_push)

            # Until Sunday's values are published (~Monday 09:00 KST): probed about once a minute from the
            # triggerer, without a worker slot (include/ins_report/airflow_edge/waits.py).
            wait_for_weather_publication = WeatherPublicationWait(
                task_id=WAIT.task_id.rsplit(".", 1)[-1],
                task_display_name=WAIT.title,
                settings=SETTINGS,
                pool=SETTINGS.kma_pool,
            )

            @task(
                task_display_name=WEATHER.title,
                # Rendered from the mapped argument, so the label shows while the task runs, not only after.
                map_index_template="{{ task.op_kwargs['location']['label'] }}",
                # At most the KMA pool's slots at once, across runs and workers
                # (include/ins_report/airflow_edge/pools.py).
                pool=SETTINGS.kma_pool,
                max_active_tis_per_dagrun=SETTINGS.kma_pool_slots,
                outlets=[assets.of_source(catalog.KMA_SOURCE)],
            )
            def collect_station_weather(location: dict) -> dict:
                with task_step(SETTINGS) as (context, inputs):
                    planned = airflow_context.planned_location(context, location)
                    with airflow_context.waiting_for_the_source(inputs):  # a Sunday later than the probe's
                        result = weather.collect_station_weather(inputs, planned)
                    weather_asset = assets.of_source(catalog.KMA_SOURCE)
                    airflow_context.announce_week_on_asset(
                        context, weather_asset, inputs, station=planned.point_id
                    )
                    return result

            locations = plan_weather_locations()
            fetched = collect_station_weather.expand(location=locations)
            chain(locations, wait_for_weather_publication, fetched)
        collections.append(collect_weather)

    # none_failed: with no weather location the mapped task is skipped and the gate itself decides.
    @task(task_id=GATE.task_id, task_display_name=GATE.title, trigger_rule=TriggerRule.NONE_FAILED)
    def check_collection() -> dict:
        with task_step(SETTINGS) as (_, inputs):
            return gate.check_collection(inputs)

    # One procedure at a time across all runs, backfills included (their max_active_runs is separate), and
    # at most one call per attempt: Airflow never retries this task (retries=0), since a timeout, a kill or
    # a lost worker may leave the first call running on the database; the steps before the call retry
    # inside the task, and an attempt first checks that no earlier call still runs
    # (include/ins_report/steps/report_call.py). Bounded by INS_REPORT_TIMEOUT on the database; Airflow's own
    # timeout comes after.
    @task(
        task_id=REPORT.task_id,
        task_display_name=REPORT.title,
        retries=0,
        max_active_tis_per_dag=1,
        outlets=[assets.REPORT],  # downstream DAGs scheduled on the report run after a built week
        execution_timeout=timedelta(seconds=SETTINGS.report_timeout_seconds + 600)
        if SETTINGS.report_timeout_seconds > 0
        else None,
    )
    def run_weekly_report() -> dict:
        with task_step(SETTINGS) as (context, inputs):
            result = report.run_weekly_report(inputs)
            airflow_context.announce_week_on_asset(context, assets.REPORT, inputs)
            return result

    @task(
        task_id=FINISH.task_id,
        task_display_name=FINISH.title,
        trigger_rule=TriggerRule.ALL_DONE,
        retries=0,
        on_failure_callback=None,  # it writes its own FAILED row
    )
    def finish_job() -> dict:
        with task_step(SETTINGS) as (context, inputs):
            return job.finish_job(inputs, airflow_context.task_states(context))

    # Gaps the coverage policy leaves to an operator (INS_ASK_*): asked in the UI's Required Actions,
    # without a worker slot; approved, the report is built; rejected or unanswered by INS_ASK_TIMEOUT (the
    # default INS_ASK_DEFAULT applies), the run fails with one alert. A complete week is never asked.
    approve_gaps = GapApprovalOperator(settings=SETTINGS, notifiers=[InsAlertNotifier("question")])

    chain(start_job(), collections, check_collection(), approve_gaps, run_weekly_report(), finish_job())
