"""A week as a run leaves it, written straight into a test farm database for the INS weeks page's tests: the
manifest, the weather rows of the planned stations, EKAPE's daily prices, the report (the reference script)
and the job log's rows in the contract's texts."""

from __future__ import annotations

from devtools.embedded import sample_farms
from include.ins_report import joblog
from include.ins_report.config.settings import Settings
from include.ins_report.joblog.messages import GateMessage, PlanMessage, StatsMessage, WeatherMessage
from include.ins_report.model.farms import classify_farms, weather_locations
from include.ins_report.model.manifest import PlannedFarm
from include.ins_report.model.stations import load_stations
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import catalog
from include.ins_report.store.farm_db import FarmDatabase


def seed_week(
    farm_db: FarmDatabase,
    week: ReportWeek,
    *,
    run_id: str | None = None,
    temperature: float = 10.0,
    price: float = 5000.0,
    missing_days: int = 0,
    decision: str | None = None,
) -> str:
    """One finished run of ``week``: every valid sample farm planned at its nearest station, 7 days of
    weather at ``temperature`` (the first farm's station short of ``missing_days``), EKAPE's price each
    weekday; returns the run id."""
    settings = Settings()
    run_id = run_id or f"manual__{week.start.isoformat()}T00:00:00+00:00"
    key = week.key
    selection = classify_farms(sample_farms())
    locations = weather_locations(selection.valid, load_stations(settings.stations_file))
    cells = [
        cell for source in catalog.statistics_sources(settings) for cell in source.inputs(week, settings)
    ]
    farm_db.replace_manifest_inputs(key, run_id, cells)
    names = {farm.farm_no: farm.name for farm in selection.valid}
    planned = [
        PlannedFarm(farm_no, names[farm_no], location.point_id, location.name)
        for location in locations
        for farm_no in location.farm_nos
    ]
    farm_db.replace_manifest_farms(key, run_id, planned)
    short = locations[0].point_id
    weather = []
    for farm in planned:
        days = week.days[: 7 - missing_days] if farm.point_id == short else week.days
        for index, day in enumerate(days):
            weather.append(
                {
                    "farm_no": farm.farm_no,
                    "weather_date": day.isoformat(),
                    "point_id": farm.point_id,
                    "avg_ta": temperature + index * 0.1,
                    "min_ta": temperature - 4,
                    "max_ta": temperature + 4,
                    "avg_rhm": 60.0,
                    "sum_rn": 1.0,
                    "thi": 50.0 + temperature,
                    "source": "KMA",
                    "collected_at": "2026-11-23 10:00:00",
                    "run_id": run_id,
                }
            )
    farm_db.upsert_weather(weather)
    stats = [
        {
            "source": cell.source,
            "series_id": cell.series_id,
            "item_id": cell.item_id,
            "item_nm": cell.item_id,
            "category_id": cell.category_id,
            "category_nm": cell.category_id,
            "period_type": cell.period_type,
            "period": cell.period,
            "value": price if cell.report_column == "PIG_PRICE_AVG" else 1.0,
            "unit": "",
            "collected_at": "2026-11-23 10:00:00",
            "run_id": run_id,
        }
        for cell in cells
    ]
    farm_db.upsert_stats(stats)
    farm_db.run_report("SP_INS_WEEK_MAIN", "WEEK", key)
    reported = farm_db.report_row_count(key)

    def log(step: str, status: str, message: str, rows: int | None = None) -> None:
        farm_db.log_step(
            run_id=run_id,
            report_week=key,
            step=step,
            status=status,
            started_at="2026-11-23 02:00:00",
            row_count=rows,
            message=message,
        )

    log(joblog.START.name, joblog.SUCCESS, joblog.StartMessage(week.label()).text())
    log(joblog.KOSIS.name, joblog.SUCCESS, StatsMessage(()).text(), 3)
    excluded = tuple(f"{farm.farm_no} {farm.name}: {farm.reason}" for farm in selection.excluded)
    log(
        joblog.PLAN.name,
        joblog.SUCCESS,
        PlanMessage(len(planned), len(locations), selection.inactive, excluded).text(),
        len(planned),
    )
    log(joblog.EKAPE.name, joblog.SUCCESS, StatsMessage(()).text(), len(stats))
    for location in locations:
        days = 7 - missing_days if location.point_id == short else 7
        rows = days * len(location.farm_nos)
        log(joblog.WEATHER.name, joblog.SUCCESS, WeatherMessage(location.label, days, rows).text(), rows)
    counts = {"missing_day": missing_days * len(locations[0].farm_nos)}
    gate = GateMessage(f"{len(planned)} farms", counts, "missing days" if missing_days else "")
    log(joblog.GATE.name, joblog.WARNING if missing_days else joblog.SUCCESS, gate.text(), len(weather))
    if decision:
        log("APPROVE_GAPS", joblog.SUCCESS, decision)
    log(joblog.REPORT.name, joblog.SUCCESS, f"SP_INS_WEEK_MAIN('WEEK', '{key}') done", reported)
    log(joblog.FINISH.name, joblog.SUCCESS, "report built")
    return run_id
