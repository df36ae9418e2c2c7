"""The batch's steps as plain functions: plain inputs (run id, week, settings), database and API effects.

The DAG file wires them; each step appends its outcome to TS_INS_JOB_LOG under its step name (the task
name in upper case), failures and retries are appended by the task callbacks in ``joblog``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pendulum
from airflow.sdk.exceptions import AirflowFailException

from include.ins_report.alerts import Alert, payload_head, run_url, send_alert
from include.ins_report.cutover import check_legacy_job
from include.ins_report.farms import (
    FarmSelection,
    WeatherLocation,
    classify_farms,
    farms_xcom_key,
    pack_farm_nos,
    unpack_farm_nos,
)
from include.ins_report.settings import TIMEZONE, Settings
from include.ins_report.sources import kosis
from include.ins_report.sources.errors import ApiError, PermanentApiError, TransientApiError
from include.ins_report.sources.kma_asos import AsosWeatherProvider, DailyObservation
from include.ins_report.thi import thi
from include.ins_report.warehouse import Warehouse, now_text
from include.ins_report.week import KST, InvalidWeekError, ReportWeek, resolve_report_week

log = logging.getLogger(__name__)

MAX_LISTED = 20  # how many missing items a message names before it summarises
GAPS_ACCEPTED = "gaps accepted by the coverage policy: "  # the CHECK_COLLECTION WARNING row's message


class CollectionIncompleteError(AirflowFailException):
    """The week's data is not complete in the database; retrying the gate cannot change that."""


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
    hour, _, minute = settings.publication_wait_until.partition(":")
    monday = week.end + dt.timedelta(days=1)
    return pendulum.datetime(monday.year, monday.month, monday.day, int(hour), int(minute or 0), tz=KST)


def weather_published(ctx: StepContext, now: dt.datetime | None = None) -> bool:
    """True once the week's Sunday is published for the probe station.

    Until the waiting window ends, a transient API failure only means "not yet"; after it the step fails
    with a message that says what was waited for. Permanent errors (a bad key) fail at once.
    """
    provider = AsosWeatherProvider(ctx.settings)
    probe = ctx.settings.publication_probe_station
    reason = ""
    try:
        if provider.fetch_days(probe, ctx.week.end, ctx.week.end):
            return True
        reason = "no row yet"
    except PermanentApiError:
        raise
    except ApiError as exc:
        reason = str(exc)
    moment = pendulum.instance(now) if now else pendulum.now(TIMEZONE)
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
    moment = pendulum.instance(now) if now else pendulum.now(TIMEZONE)
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


@dataclass(frozen=True)
class Completeness:
    farms: int
    weather_rows: int
    missing_weather: list[str]
    stats_periods: int
    missing_stats: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing_weather and not self.missing_stats

    @property
    def weather_coverage(self) -> float:
        expected = self.farms * 7
        return self.weather_rows / expected if expected else 0.0

    @property
    def stats_coverage(self) -> float:
        expected = self.stats_periods + len(self.missing_stats)
        return self.stats_periods / expected if expected else 1.0

    def gaps(self) -> str:
        details = []
        if self.missing_weather:
            details.append(f"missing weather ({len(self.missing_weather)}): {_listed(self.missing_weather)}")
        if self.missing_stats:
            details.append(f"missing stats ({len(self.missing_stats)}): {_listed(self.missing_stats)}")
        return "; ".join(details)


def measure_completeness(ctx: StepContext, warehouse: Warehouse) -> Completeness:
    """What the database holds for the week, against what the week needs (reads the database only)."""
    farms = select_farms(warehouse).valid
    days = [day.isoformat() for day in ctx.week.days]
    # One small number per farm (a bit per day), read as a stream: memory grows with the farms, not with
    # their rows (100,000 farms: a few MB instead of a few hundred).
    present = warehouse.weather_day_masks(days)
    everything = (1 << len(days)) - 1
    missing_weather = [
        f"{farm.farm_no} {day}"
        for farm in farms
        if present.get(farm.farm_no, 0) != everything
        for index, day in enumerate(days)
        if not present.get(farm.farm_no, 0) >> index & 1
    ]
    missing_stats: list[str] = []
    expected_periods = 0
    for series in kosis.load_series(ctx.settings.kosis_series_file):
        periods = kosis.periods_for_week(series, ctx.week)
        expected_periods += len(periods)
        found = warehouse.stats_periods(kosis.SOURCE, series.prd_se, min(periods), max(periods))
        missing_stats += [
            f"{series.series_id} {period}" for period in periods if not found.get((series.series_id, period))
        ]
    weather_rows = sum(present.get(farm.farm_no, 0).bit_count() for farm in farms)
    return Completeness(
        farms=len(farms),
        weather_rows=weather_rows,
        missing_weather=missing_weather,
        stats_periods=expected_periods - len(missing_stats),
        missing_stats=missing_stats,
    )


def check_collection(ctx: StepContext) -> dict:
    started = now_text()
    warehouse = ctx.warehouse()
    result = measure_completeness(ctx, warehouse)
    if result.farms == 0:
        raise CollectionIncompleteError("no usable active farm in TA_FARM: nothing to report")
    settings = ctx.settings
    summary = (
        f"{result.farms} farms: {result.weather_rows}/{result.farms * 7} farm-days "
        f"({result.weather_coverage:.1%}); stats periods {result.stats_periods}/"
        f"{result.stats_periods + len(result.missing_stats)} ({result.stats_coverage:.1%})"
    )
    outcome = {
        "farms": result.farms,
        "weather_rows": result.weather_rows,
        "stats_periods": result.stats_periods,
        "gaps": len(result.missing_weather) + len(result.missing_stats),
    }
    if result.complete:
        ctx.log(warehouse, "CHECK_COLLECTION", started, result.weather_rows, f"complete: {summary}")
        return outcome
    accepted = (
        result.weather_coverage >= settings.min_weather_coverage
        and result.stats_coverage >= settings.min_stats_coverage
    )
    if not accepted:
        raise CollectionIncompleteError(
            f"collection incomplete for week {ctx.week}: {summary}; {result.gaps()} "
            f"(minimum coverage: weather {settings.min_weather_coverage:.0%}, "
            f"stats {settings.min_stats_coverage:.0%})"
        )
    message = f"{GAPS_ACCEPTED}{summary}; {result.gaps()}"
    ctx.log(warehouse, "CHECK_COLLECTION", started, result.weather_rows, message, status="WARNING")
    url = run_url(settings, ctx.run_id)
    send_alert(
        Alert(
            subject=f"[INS weekly report] week {ctx.week.label()}: report built with gaps ({ctx.run_id})",
            text=f"The report for week {ctx.week.label()} proceeds with accepted gaps.\n\n{message}\n\n{url}",
            payload={
                **payload_head("ins_weekly_report_gaps_accepted", ctx.run_id, url, ctx.week),
                "gaps": result.missing_weather + result.missing_stats,
                "text": message,
            },
            url=url,
        ),
        settings,
    )
    return outcome


# --- report ------------------------------------------------------------------------------------------


def run_weekly_report(ctx: StepContext) -> dict:
    """Call the report procedure for the week, passed explicitly (never NULL: see DESIGN)."""
    started = now_text()
    settings = ctx.settings
    week_text = ctx.week.start.strftime(settings.report_week_format)
    warehouse = ctx.warehouse()
    # Oracle: stops here (INS_LEGACY_JOB_GUARD=fail) or warns while JOB_INS_WEEKLY_REPORT is still enabled.
    legacy_warning = check_legacy_job(warehouse, settings.legacy_job_guard, settings.legacy_job_name)
    call = f"{settings.report_procedure}('{settings.report_proc_type}', '{week_text}')"
    log.info("calling %s", call)
    warehouse.run_report(settings.report_procedure, settings.report_proc_type, week_text)
    try:
        rows: int | None = warehouse.report_row_count(week_text)
    except Exception as exc:  # the customer's report table may differ from the reference one
        log.warning("report rows not counted: %s", exc)
        rows = None
    message = f"{call} done" + (f"; WARNING: {legacy_warning}" if legacy_warning else "")
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
