"""The one boundary between Airflow and the batch: what a task's, a callback's or a deadline's Airflow
context means for the steps and the alerts (the report week, the run id, the settings, a weather location's
farm list, the run's task states), read through public Airflow APIs only (the context's keys and
``RuntimeTaskInstanceProtocol``). Below this module nothing sees ``ti`` or a context. A failed task and
its run, as the callbacks and alerts read them, are airflow_edge/failures.py's.

A task body runs its step in ``task_step``: the step's context, with the farm database and the API clients
it touches (each built once per task, on first use), and a domain error that a retry cannot help mapped
onto Airflow's failure (airflow_edge/errors.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pendulum
from airflow.sdk import get_current_context
from airflow.sdk.exceptions import (
    AirflowFailException,
    AirflowRescheduleException,
    AirflowTaskTerminated,
    AirflowTaskTimeout,
)

from include.ins_report.airflow_edge.connections import api_endpoint, farm_database
from include.ins_report.airflow_edge.errors import failing_at_once
from include.ins_report.config.settings import DAG_ID, Settings
from include.ins_report.joblog import PLAN, step_for_task
from include.ins_report.model.farms import WeatherLocation, farms_xcom_key, unpack_farm_nos
from include.ins_report.model.week import KST, InvalidWeekError, ReportWeek, resolve_report_week
from include.ins_report.sources import catalog
from include.ins_report.sources.errors import RetryLaterError
from include.ins_report.steps.context import StepContext
from include.ins_report.steps.waiting import publication_window_end

log = logging.getLogger(__name__)


# --- the report week and the step's inputs -----------------------------------------------------------


def trigger_time(context: dict) -> dt.datetime | None:
    """When the run was triggered: its data interval's end, or ``run_after`` for a run without a data
    interval (a manual run triggered with no logical date has none in Airflow 3)."""
    end = context.get("data_interval_end")
    if end is None:
        end = getattr(context.get("dag_run"), "run_after", None)
    return end


def report_week_of(context: dict) -> ReportWeek:
    params = context.get("params") or {}
    end = trigger_time(context)
    if end is None and not params.get("week"):
        raise InvalidWeekError("the run has no data interval and no run_after time; pass week=YYYY-MM-DD")
    return resolve_report_week(end, params.get("week"))


# What Airflow's task runner raises into a task it stops (its execution timeout, SIGTERM).
TASK_INTERRUPTS: tuple[type[BaseException], ...] = (AirflowTaskTimeout, AirflowTaskTerminated)


def step_context(context: dict, settings: Settings | None = None) -> StepContext:
    """Run id, report week and settings of the running task, and the farm database and API clients on their
    Airflow connections, each built on first use and kept for the task; an invalid ``week`` param fails at
    once."""
    try:
        week = report_week_of(context)
    except InvalidWeekError as exc:
        raise AirflowFailException(str(exc)) from None
    settings = settings or Settings.from_env()

    def open_client(source: catalog.Source) -> Any:
        return source.client(settings, api_endpoint(source.conn_id(settings)))

    return StepContext(
        run_id=context["run_id"],
        week=week,
        settings=settings,
        open_farm_db=lambda: farm_database(settings.farm_db_conn_id),
        open_client=open_client,
        interrupts=TASK_INTERRUPTS,
    )


@contextmanager
def task_step(settings: Settings) -> Iterator[tuple[dict, StepContext]]:
    """The running task's Airflow context and its step's context, for one task body; a domain error that a
    retry cannot help fails the task at once (``errors.failing_at_once``)."""
    context = get_current_context()
    with failing_at_once():
        yield context, step_context(context, settings)


def planned_location(context: dict, location: dict) -> WeatherLocation:
    """A weather task's location with its farm numbers, from its descriptor and the plan's XCom for it."""
    if "farm_nos" in location:  # planned inline
        return WeatherLocation.from_xcom(location)
    packed = context["ti"].xcom_pull(
        task_ids=PLAN.task_id, key=farms_xcom_key(location["point_id"]), map_indexes=-1
    )
    if not packed:
        raise AirflowFailException(
            f"{location['label']}: the plan's farm list for this location is missing; clear "
            "plan_weather_locations with Downstream ticked"
        )
    farm_nos = unpack_farm_nos(packed)
    if len(farm_nos) != location["farms"]:
        raise AirflowFailException(
            f"{location['label']}: the plan lists {len(farm_nos)} farms, the label {location['farms']}; "
            "clear plan_weather_locations with Downstream ticked"
        )
    return WeatherLocation(str(location["point_id"]), str(location["name"]), farm_nos)


@contextmanager
def waiting_for_the_source(inputs: StepContext) -> Iterator[None]:
    """A source that answers again only later (not published yet, a quota or ``Retry-After`` of an hour):
    inside the week's waiting window the task is rescheduled to that moment, freeing its worker slot and
    spending no retry; past the window it fails at once, saying when the source answers again."""
    try:
        yield
    except RetryLaterError as exc:
        end = publication_window_end(inputs.week, inputs.settings)
        retry_at = pendulum.instance(exc.retry_at)
        if retry_at <= end:
            log.info("%s; rescheduled to %s", exc, retry_at.in_timezone(KST).format("YYYY-MM-DD HH:mm"))
            raise AirflowRescheduleException(reschedule_date=retry_at.in_timezone("UTC")) from None
        raise AirflowFailException(
            f"{exc} (after the waiting window, {end.format('YYYY-MM-DD HH:mm')} KST: not retried; clear the "
            "task once the source answers again)"
        ) from None


def announce_week_on_asset(context: dict, asset: Any, inputs: StepContext, **more: str) -> None:
    """Give this task's event of ``asset`` (an outlet) the report week, for downstream DAGs."""
    from include.ins_report.airflow_edge.assets import event_extra

    context["outlet_events"][asset].extra = event_extra(inputs.week, inputs.run_id, **more)


def task_states(context: dict) -> dict[str, str]:
    """This run's task states by task id (``RuntimeTaskInstanceProtocol.get_task_states``); a mapped task's
    instances count under the task id, failed if any failed."""
    run_id = context["run_id"]
    states = context["ti"].get_task_states(dag_id=DAG_ID, run_ids=[run_id]).get(run_id, {})
    merged: dict[str, str] = {}
    for key, state in states.items():
        task_id, _, index = key.rpartition("_")
        task_id = task_id if index.isdigit() and task_id else key
        if merged.get(task_id) != "failed":
            merged[task_id] = str(state)
    return merged


def step_of(task_id: str) -> str:
    """TS_INS_JOB_LOG.STEP_NM of a task id (the registry's)."""
    return step_for_task(task_id).name
