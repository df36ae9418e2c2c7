"""The naive design, for the benchmark's baseline only: a task and an API call per farm, an INSERT per row.

Used by bench/dags/ins_weekly_report_naive.py; never by the product. The rest of the run (statistics, the
publication wait, the gate, the report) is the product's own steps, so both variants end in the same rows.
"""

from __future__ import annotations

from include.ins_report.model.farms import WeatherLocation
from include.ins_report.model.manifest import PlannedFarm
from include.ins_report.sources import catalog
from include.ins_report.steps.context import StepContext
from include.ins_report.steps.weather import select_farms
from include.ins_report.store.farm_db import now_text

NAIVE_DAG_ID = "ins_weekly_report_naive"


def plan_farms(ctx: StepContext) -> list[dict]:
    """Every usable farm with its station: the list the per-farm tasks are mapped over."""
    started = now_text()
    farm_db = ctx.farm_db
    selection = select_farms(farm_db)
    farms = [
        {"farm_no": farm_no, "point_id": location.point_id, "name": location.name}
        for location in ctx.weather.locations(selection.valid)
        for farm_no in location.farm_nos
    ]
    # The week's manifest, farm part, as the product's plan writes it (the gate and the report read it).
    names = {farm.farm_no: farm.name for farm in selection.valid}
    planned = [
        PlannedFarm(farm["farm_no"], names[farm["farm_no"]], farm["point_id"], farm["name"]) for farm in farms
    ]
    farm_db.replace_manifest_farms(ctx.week_key, ctx.run_id, planned)
    ctx.log(farm_db, "PLAN_WEATHER_LOCATIONS", started, len(farms), f"{len(farms)} farms, one task each")
    return farms


def collect_farm_weather(ctx: StepContext, farm: dict) -> dict:
    """One API call for the farm's station and week, then its seven rows one INSERT at a time. The task
    gives settings without pacing (the naive design calls as fast as its tasks start)."""
    started = now_text()
    location = WeatherLocation(farm["point_id"], farm["name"], (farm["farm_no"],))
    rows = catalog.KMA_SOURCE.fetch(ctx.weather, ctx.week, location, ctx.run_id, now_text()).rows
    farm_db = ctx.farm_db
    statement = farm_db.sql("upsert_weather")
    with farm_db.transaction() as cursor:
        for row in rows:  # one statement and one round trip per row
            cursor.executemany(statement, [row])
    ctx.log(
        farm_db, "COLLECT_STATION_WEATHER", started, len(rows), f"farm {farm['farm_no']}: {len(rows)} rows"
    )
    return {"farm_no": farm["farm_no"], "rows": len(rows)}
