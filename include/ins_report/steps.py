"""The batch's steps as plain functions: plain inputs (run id, week, settings), database and API effects.

The DAG file wires them; each step appends its outcome to TS_INS_JOB_LOG under its step name (the task
name in upper case), failures and retries are appended by the task callbacks in ``joblog``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pendulum
from airflow.sdk.exceptions import AirflowFailException

from include.ins_report import clock, gate
from include.ins_report.cutover import check_legacy_job
from include.ins_report.farms import (
    FarmSelection,
    WeatherLocation,
    classify_farms,
    farms_xcom_key,
    pack_farm_nos,
    unpack_farm_nos,
)
from include.ins_report.gate import GAPS_ACCEPTED, CollectionIncompleteError  # noqa: F401 (re-exported)
from include.ins_report.settings import Settings
from include.ins_report.sources import kosis
from include.ins_report.sources.errors import ApiError, TransientApiError
from include.ins_report.sources.kma_asos import AsosWeatherProvider, DailyObservation, not_yet_published
from include.ins_report.thi import thi
from include.ins_report.warehouse import Warehouse, now_text
from include.ins_report.week import InvalidWeekError, ReportWeek, resolve_report_week

log = logging.getLogger(__name__)

MAX_LISTED = 20  # how many missing items a message names before it summarises


class ReportNotBuiltError(AirflowFailException):
    """The run ended without the report: the finish step fails so that the run fails and alerts."""


def step_name(task_id: str) -> str:
    """TS_INS_JOB_LOG.STEP_NM of a task: its name without the group, in upper case."""
    return task_id.rsplit(".", 1)[-1].upper()


def _listed(items: list[str]) -> str:
    head = ", ".join(items[:MAX_LISTED])
    return head if len(items) <= MAX_LISTED else f"{head} … and {len(items) - MAX_LISTED} more"


@dataclass(frozen=True)
class StepContext:
    run_id: str
    week: ReportWeek
    settings: Settings

    @property
    def week_key(self) -> str:
        return self.week.start.strftime("%Y%m%d")

    def warehouse(self) -> Warehouse:
        return Warehouse(self.settings.farm_db_conn_id)

    def log(
        self,
        warehouse: Warehouse,
        step: str,
        started_at: str,
        rows: int | None,
        message: str,
        status: str = "SUCCESS",
    ) -> None:
        warehouse.log_step(
            run_id=self.run_id,
            report_week=self.week_key,
            step=step,
            status=status,
            started_at=started_at,
            row_count=rows,
            message=message,
        )


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


def step_context(context: dict) -> StepContext:
    """Run id and report week of the running task; an invalid ``week`` param fails at once."""
    try:
        week = report_week_of(context)
    except InvalidWeekError as exc:
        raise AirflowFailException(str(exc)) from None
    return StepContext(run_id=context["run_id"], week=week, settings=Settings.from_env())


# --- start ------------------------------------------------------------------------------------------


def start_job(ctx: StepContext) -> dict:
    started = now_text()
    ctx.log(ctx.warehouse(), "START_JOB", started, None, f"report week {ctx.week.label()}")
    return {"week_start": ctx.week.start.isoformat(), "week_end": ctx.week.end.isoformat()}


# --- statistics --------------------------------------------------------------------------------------


def collect_kosis_series(ctx: StepContext) -> dict:
    """Fetch every configured KOSIS series for the periods of the week and upsert TA_STATS_DATA."""
    started = now_text()
    client = kosis.KosisClient(ctx.settings)
    warehouse = ctx.warehouse()
    summary: dict[str, dict] = {}
    for series in kosis.load_series(ctx.settings.kosis_series_file):
        periods = kosis.periods_for_week(series, ctx.week)
        rows = client.fetch(series, periods)
        collected_at = now_text()
        written = warehouse.upsert_stats(
            [
                {
                    "source": kosis.SOURCE,
                    "series_id": row.series_id,
                    "item_id": row.item_id,
                    "item_nm": row.item_nm,
                    "category_id": row.category_id,
                    "category_nm": row.category_nm,
                    "period_type": row.period_type,
                    "period": row.period,
                    "value": row.value,
                    "unit": row.unit,
                    "collected_at": collected_at,
                    "run_id": ctx.run_id,
                }
                for row in rows
            ]
        )
        summary[series.name] = {"series_id": series.series_id, "periods": periods, "rows": written}
        log.info("KOSIS %s (%s) periods %s: %d rows", series.name, series.series_id, periods, written)
    total = sum(item["rows"] for item in summary.values())
    message = "; ".join(f"{name} {item['periods']}: {item['rows']} rows" for name, item in summary.items())
    ctx.log(warehouse, "COLLECT_KOSIS_SERIES", started, total, message)
    return {"rows": total, "series": summary}


# --- weather -----------------------------------------------------------------------------------------


def select_farms(warehouse: Warehouse) -> FarmSelection:
    return classify_farms(warehouse.read_farms())


PLAN_TASK_ID = "collect_weather.plan_weather_locations"


def plan_weather_locations(ctx: StepContext, publish: Callable[..., Any] | None = None) -> list[dict]:
    """Active, usable farms grouped by their weather location; exclusions are logged with reasons.

    With ``publish`` (the task instance's ``xcom_push``), each location's farm numbers are published as one
    compact XCom of their own and the returned list, which the weather task is mapped over, holds only
    each location's descriptor: its size does not grow with the farms. Without it, the farm numbers are
    inline (``WeatherLocation.to_xcom``).
    """
    started = now_text()
    warehouse = ctx.warehouse()
    selection = select_farms(warehouse)
    provider = AsosWeatherProvider(ctx.settings)
    locations = provider.locations(selection.valid)
    calls = len(locations) + 1  # one per location and week, plus the publication probe
    if calls > ctx.settings.kma_daily_quota:
        raise AirflowFailException(
            f"the week needs {calls} KMA calls ({len(locations)} weather locations), more than the daily "
            f"quota of {ctx.settings.kma_daily_quota} (INS_KMA_DAILY_QUOTA): raise the key's quota first"
        )
    for farm in selection.excluded:
        log.warning("farm %s (%s) excluded: %s", farm.farm_no or "?", farm.name, farm.reason)
    excluded = [f"{farm.farm_no or '?'} {farm.name}: {farm.reason}" for farm in selection.excluded]
    message = (
        f"{len(selection.valid)} farms at {len(locations)} weather locations; "
        f"{selection.inactive} inactive; {len(selection.excluded)} excluded"
        + (f" ({_listed(excluded)})" if excluded else "")
    )
    ctx.log(warehouse, "PLAN_WEATHER_LOCATIONS", started, len(selection.valid), message)
    if publish is None:
        return [location.to_xcom() for location in locations]
    for location in locations:
        publish(key=location.farms_xcom_key, value=pack_farm_nos(location.farm_nos))
    return [location.descriptor() for location in locations]


def planned_location(ti: Any, location: dict) -> WeatherLocation:
    """A weather task's location with its farm numbers, from its descriptor and the plan's XCom for it."""
    if "farm_nos" in location:  # planned inline
        return WeatherLocation.from_xcom(location)
    packed = ti.xcom_pull(task_ids=PLAN_TASK_ID, key=farms_xcom_key(location["point_id"]), map_indexes=-1)
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


def publication_window_end(week: ReportWeek, settings: Settings) -> pendulum.DateTime:
    """Until when the run waits for the week's last day to be published (the Monday after, KST)."""
    return week.monday_after(settings.publication_wait_time)


def weather_published(ctx: StepContext, now: dt.datetime | None = None) -> bool:
    """True once the week's Sunday is published for the probe station.

    "Not yet" is an answer without that day (NO_DATA, or KMA's code 99 "전날 자료까지 제공됩니다"): False
    until the waiting window ends, then the step fails saying what was waited for. A fault keeps its class
    at any time: a transient one (5xx, quota code 22, timeout, malformed answer) is raised as it is, so
    Airflow retries the task like any other; a permanent one (bad key, data error) fails at once.
    """
    provider = AsosWeatherProvider(ctx.settings)
    probe = ctx.settings.publication_probe_station
    try:
        if provider.fetch_days(probe, ctx.week.end, ctx.week.end):
            return True
        reason = "no row yet"
    except ApiError as exc:
        if not not_yet_published(exc):
            raise
        reason = f"KMA answered {exc.code} {exc.message}"
    moment = pendulum.instance(now) if now else clock.now()
    deadline = publication_window_end(ctx.week, ctx.settings)
    if moment >= deadline:
        raise AirflowFailException(
            f"ASOS daily values for {ctx.week.end} (station {probe}) were not published by "
            f"{deadline.format('YYYY-MM-DD HH:mm')} KST ({reason}); clear this task once they are"
        )
    log.info(
        "ASOS %s not published yet for station %s (%s); waiting until %s",
        ctx.week.end,
        probe,
        reason,
        deadline,
    )
    return False


def weather_rows(
    location: WeatherLocation, observations: list[DailyObservation], run_id: str, source: str
) -> list[dict]:
    collected_at = now_text()
    return [
        {
            "farm_no": farm_no,
            "weather_date": obs.day.isoformat(),
            "point_id": location.point_id,
            "avg_ta": obs.avg_ta,
            "min_ta": obs.min_ta,
            "max_ta": obs.max_ta,
            "avg_rhm": obs.avg_rhm,
            "sum_rn": obs.sum_rn,
            "thi": thi(obs.max_ta, obs.avg_rhm),
            "source": source,
            "collected_at": collected_at,
            "run_id": run_id,
        }
        for farm_no in location.farm_nos
        for obs in observations
    ]


def collect_station_weather(
    ctx: StepContext, location: WeatherLocation, now: dt.datetime | None = None
) -> dict:
    """One API call for the location's week; one TM_WEATHER row per farm per observed day."""
    started = now_text()
    provider = AsosWeatherProvider(ctx.settings)
    observations = provider.fetch_week(location, ctx.week)
    observed = {obs.day for obs in observations}
    missing = [day.isoformat() for day in ctx.week.days if day not in observed]
    deadline = publication_window_end(ctx.week, ctx.settings)
    moment = pendulum.instance(now) if now else clock.now()
    if ctx.week.end.isoformat() in missing and moment < deadline:
        # Sunday missing inside the waiting window means "not published yet" (NO_DATA): Airflow retries
        # the task later. Gaps earlier in the week, or after the window, are written as they are and the
        # completeness gate decides.
        raise TransientApiError(
            "KMA ASOS",
            "03",
            f"{location.label}: {', '.join(missing)} not published yet; retrying until "
            f"{deadline.format('YYYY-MM-DD HH:mm')} KST",
        )
    warehouse = ctx.warehouse()
    written = warehouse.upsert_weather(weather_rows(location, observations, ctx.run_id, provider.source))
    message = f"{location.label}: {len(observations)} days, {written} rows"
    if missing:
        message += f"; no observation for {', '.join(missing)}"
        log.warning("%s: no observation for %s", location.label, ", ".join(missing))
    ctx.log(warehouse, "COLLECT_STATION_WEATHER", started, written, message)
    return {
        "point_id": location.point_id,
        "farms": len(location.farm_nos),
        "rows": written,
        "missing": missing,
    }


# --- completeness gate -------------------------------------------------------------------------------


def check_collection(ctx: StepContext) -> dict:
    """The completeness gate (include/ins_report/gate.py): content per farm-day and per series, by kind."""
    return gate.check_collection(ctx)


# --- report ------------------------------------------------------------------------------------------


class ReportMismatchError(AirflowFailException):
    """The report's rows for the week are not the week's farms: the procedure ran, its output is wrong."""


def reconcile_report(warehouse: Warehouse, week: ReportWeek, week_text: str) -> tuple[int, str]:
    """TR_INS_WEEK_REPORT's farms for the week against the week's farms (the farm rule): the row count and
    a note, or ReportMismatchError naming the farms missing or extra.

    A farm of the week with no TM_WEATHER row at all for the week is expected to be missing: only the
    coverage policy can have let the report proceed without it (its farm-days are the gate's accepted gaps).
    """
    expected = {farm.farm_no for farm in select_farms(warehouse).valid}
    reported = Counter(warehouse.report_farms(week_text))
    with_weather = set(warehouse.weather_day_masks([day.isoformat() for day in week.days]))
    missing = sorted((expected - set(reported)) & with_weather)
    accepted = sorted(expected - set(reported) - with_weather)
    extra = sorted(set(reported) - expected)
    repeated = sorted(farm for farm, count in reported.items() if count > 1)
    rows = sum(reported.values())
    if missing or extra or repeated:
        problems = []
        if missing:
            problems.append(f"{len(missing)} farms of the week missing: {_listed(missing)}")
        if extra:
            problems.append(f"{len(extra)} extra farms (not farms of the week): {_listed(extra)}")
        if repeated:
            problems.append(f"farms on more than one row: {_listed(repeated)}")
        raise ReportMismatchError(
            f"TR_INS_WEEK_REPORT for {week_text} does not match the farms of the week: {rows} rows for "
            f"{len(expected)} farms (TA_FARM by the farm rule); {'; '.join(problems)}. The report procedure "
            "selects or keys farms differently from the batch (README, 'Where the data lands'); "
            "INS_RECONCILE_REPORT=off only if the report table is not the reference TR_INS_WEEK_REPORT"
        )
    note = f"{rows} report rows = the farms of the week"
    if accepted:
        note += f", less {len(accepted)} without any weather (accepted gaps): {_listed(accepted)}"
    return rows, note


def run_weekly_report(ctx: StepContext) -> dict:
    """Call the report procedure for the week, passed explicitly (never NULL: see DESIGN), then reconcile its
    rows with the week's farms (INS_RECONCILE_REPORT, on for the reference schema)."""
    started = now_text()
    settings = ctx.settings
    week_text = ctx.week.start.strftime(settings.report_week_format)
    warehouse = ctx.warehouse()
    # Oracle: stops here (INS_LEGACY_JOB_GUARD=fail) or warns while JOB_INS_WEEKLY_REPORT is still enabled.
    legacy_warning = check_legacy_job(warehouse, settings.legacy_job_guard, settings.legacy_job_name)
    call = f"{settings.report_procedure}('{settings.report_proc_type}', '{week_text}')"
    log.info("calling %s", call)
    warehouse.run_report(settings.report_procedure, settings.report_proc_type, week_text)
    note = ""
    if settings.reconcile_report:
        rows, note = reconcile_report(warehouse, ctx.week, week_text)
    else:
        try:
            rows = warehouse.report_row_count(week_text)
        except Exception as exc:  # the customer's report table may differ from the reference one
            log.warning("report rows not counted: %s", exc)
            rows = None
    message = f"{call} done" + (f"; {note}" if note else "")
    message += f"; WARNING: {legacy_warning}" if legacy_warning else ""
    ctx.log(warehouse, "RUN_WEEKLY_REPORT", started, rows, message)
    return {"call": call, "report_rows": rows}


def finish_job(ctx: StepContext, task_states: dict[str, str], report_task_id: str) -> dict:
    """Record the run's outcome; fail (so the run fails and alerts) unless the report was built."""
    started = now_text()
    warehouse = ctx.warehouse()
    failed = sorted(task for task, state in task_states.items() if state == "failed")
    if task_states.get(report_task_id) == "success":
        ctx.log(warehouse, "FINISH_JOB", started, None, "report built")
        return {"outcome": "SUCCESS"}
    if report_task_id in failed:
        message = f"report procedure failed; failed steps: {', '.join(failed)}"
    else:
        message = f"report not built: failed steps {', '.join(failed) or 'none'}; the procedure did not run"
    ctx.log(warehouse, "FINISH_JOB", started, None, message, status="FAILED")
    raise ReportNotBuiltError(message)
