"""The weather steps: plan the week's weather locations (farms to stations), wait for Sunday's values,
fetch one location's week into TM_WEATHER."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pendulum

from include.ins_report.joblog import PLAN, WEATHER, PlanMessage, WeatherMessage
from include.ins_report.model import clock
from include.ins_report.model.errors import PermanentError
from include.ins_report.model.farms import FarmSelection, WeatherLocation, classify_farms, pack_farm_nos
from include.ins_report.model.manifest import PlannedFarm
from include.ins_report.sources import catalog
from include.ins_report.sources.kma_asos import publication_probe
from include.ins_report.steps.waiting import not_published, publication_window_end
from include.ins_report.store.farm_db import FarmDatabase, now_text

if TYPE_CHECKING:
    from include.ins_report.steps.context import StepContext

log = logging.getLogger(__name__)


def select_farms(farm_db: FarmDatabase) -> FarmSelection:
    return classify_farms(farm_db.read_farms())


def plan_weather_locations(ctx: StepContext, publish: Callable[..., Any] | None = None) -> list[dict]:
    """Active, usable farms grouped by their weather location; exclusions are logged with reasons.

    With ``publish`` (the task instance's ``xcom_push``), each location's farm numbers are published as one
    compact XCom of their own and the returned list, which the weather task is mapped over, holds only
    each location's descriptor: its size does not grow with the farms. Without it, the farm numbers are
    inline (``WeatherLocation.to_xcom``).
    """
    started = now_text()
    farm_db = ctx.farm_db
    selection = select_farms(farm_db)
    locations = ctx.weather.locations(selection.valid)
    probes = publication_probes(ctx)
    calls = len(locations) + probes  # one per location and week, plus the publication probes
    if calls > ctx.settings.kma_daily_quota:
        raise PermanentError(
            f"the week needs {calls} KMA calls ({len(locations)} weather locations, up to {probes} "
            f"publication probes), more than the daily quota of {ctx.settings.kma_daily_quota} "
            "(INS_KMA_DAILY_QUOTA): raise the key's quota first"
        )
    for farm in selection.excluded:
        log.warning("farm %s (%s) excluded: %s", farm.farm_no or "?", farm.name, farm.reason)
    message = PlanMessage(
        farms=len(selection.valid),
        locations=len(locations),
        inactive=selection.inactive,
        excluded=tuple(f"{farm.farm_no or '?'} {farm.name}: {farm.reason}" for farm in selection.excluded),
    )
    names = {farm.farm_no: farm.name for farm in selection.valid}
    planned = [
        PlannedFarm(farm_no, names[farm_no], location.point_id, location.name)
        for location in locations
        for farm_no in location.farm_nos
    ]
    # The farm part of the week's manifest: the gate, the procedure and the reconciliation read these farms.
    farm_db.replace_manifest_farms(ctx.week_key, ctx.run_id, planned)
    ctx.log(farm_db, PLAN.name, started, len(selection.valid), message.text())
    if publish is None:
        return [location.to_xcom() for location in locations]
    for location in locations:
        publish(key=location.farms_xcom_key, value=pack_farm_nos(location.farm_nos))
    return [location.descriptor() for location in locations]


def publication_probes(ctx: StepContext, now: dt.datetime | None = None) -> int:
    """The most probes the publication wait makes from ``now``: the first, then one every probe interval
    (INS_PUBLICATION_PROBE_SECONDS; POKE_SECONDS for the reschedule sensor) until the window's end."""
    moment = pendulum.instance(now) if now else clock.now()
    settings = ctx.settings
    every = settings.publication_poke_seconds
    if settings.publication_wait_mode == "deferrable":
        every = settings.publication_probe_seconds
    remaining = (publication_window_end(ctx.week, settings) - moment).total_seconds()
    return 1 + max(0, int(remaining // every))


def weather_published(ctx: StepContext, now: dt.datetime | None = None) -> bool:
    """True once the week's Sunday is published for the probe station.

    "Not yet" is an answer without that day (NO_DATA, or KMA's code 99 "전날 자료까지 제공됩니다"): False
    until the waiting window ends, then the step fails saying what was waited for. A fault keeps its class
    at any time: a transient one (5xx, quota code 22, timeout, malformed answer) is raised as it is, so
    Airflow retries the task like any other; a permanent one (bad key, data error) fails at once.
    """
    probe = ctx.settings.publication_probe_station
    reason = publication_probe(ctx.weather, probe, ctx.week.end)
    if reason is None:
        return True
    moment = pendulum.instance(now) if now else clock.now()
    deadline = publication_window_end(ctx.week, ctx.settings)
    if moment >= deadline:
        raise PermanentError(
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


def collect_station_weather(
    ctx: StepContext, location: WeatherLocation, now: dt.datetime | None = None
) -> dict:
    """One API call for the location's week (``catalog.KmaSource.fetch``); one TM_WEATHER row per farm per
    observed day."""
    started = now_text()
    fetched = catalog.KMA_SOURCE.fetch(ctx.weather, ctx.week, location, ctx.run_id, now_text())
    observed = set(fetched.days)
    missing = [day.isoformat() for day in ctx.week.days if day not in observed]
    deadline = publication_window_end(ctx.week, ctx.settings)
    moment = pendulum.instance(now) if now else clock.now()
    if ctx.week.end.isoformat() in missing and moment < deadline:
        # Sunday missing inside the waiting window means "not published yet" for this station (it can be
        # later than the probe station's): the task asks again later, until the window ends, without
        # spending a retry. Gaps earlier in the week, or after the window, are written as they are and the
        # completeness gate decides.
        not_published(
            "KMA ASOS", "03", f"{location.label}: {', '.join(missing)}", ctx.week, ctx.settings, moment
        )
    farm_db = ctx.farm_db
    written = farm_db.upsert_weather(fetched.rows)
    if missing:
        log.warning("%s: no observation for %s", location.label, ", ".join(missing))
    message = WeatherMessage(location.label, len(fetched.days), written, tuple(missing))
    ctx.log(farm_db, WEATHER.name, started, written, message.text())
    return {
        "point_id": location.point_id,
        "farms": len(location.farm_nos),
        "rows": written,
        "missing": missing,
    }
