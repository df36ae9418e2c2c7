"""The INS weeks page in the Airflow UI (issue #21): a FastAPI app the API server serves under ``/ins-weeks``
and a navigation entry that embeds it. Thin: the rows, queries, charts and HTML are
include/ins_report/weeks/.

Every route requires the API server's own authentication and read access to the ins_weekly_report DAG
(``requires_access_dag``): the UI's session cookie or a bearer token; an anonymous request gets 401."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from airflow.api_fastapi.core_api.security import requires_access_dag
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from include.ins_report.airflow_edge.connections import farm_database
from include.ins_report.config.settings import DAG_ID, Settings
from include.ins_report.model.week import ReportWeek
from include.ins_report.weeks import queries, render
from include.ins_report.weeks.model import URL_PREFIX

app = FastAPI(
    title="INS weeks",
    description="The INS weekly report's weeks: one row per week, a week's map and charts.",
    dependencies=[Depends(requires_access_dag("GET", param_dag_id=DAG_ID))],
)


def _context(request: Request) -> tuple[Settings, object, str, str]:
    settings = Settings.from_env()
    prefix = request.scope.get("root_path", "") or URL_PREFIX
    ui_base = prefix.removesuffix(URL_PREFIX)
    return settings, farm_database(settings.farm_db_conn_id), prefix, ui_base


def _week_key(week_key: str) -> str:
    try:
        day = dt.datetime.strptime(week_key, "%Y%m%d").date()
    except ValueError:
        day = None
    if day is None or day.weekday() != 0:
        raise HTTPException(status_code=404, detail=f"{week_key!r} is not a report week (YYYYMMDD, a Monday)")
    return week_key


@app.get("/", response_class=HTMLResponse)
def weeks_index(request: Request, page: int = Query(1, ge=1)) -> str:
    settings, farm_db, prefix, ui_base = _context(request)
    return render.index_page(queries.weeks_page(farm_db, settings, page), prefix, ui_base)


@app.get("/api/weeks")
def weeks_json(request: Request, page: int = Query(1, ge=1)) -> dict:
    settings, farm_db, _prefix, _ui = _context(request)
    found = queries.weeks_page(farm_db, settings, page)
    return {
        "page": found.page,
        "pages": found.pages,
        "weeks": found.weeks,
        "rows": [row.as_dict() for row in found.rows],
    }


@app.get("/week/{week_key}", response_class=HTMLResponse)
def week_html(request: Request, week_key: str) -> str:
    settings, farm_db, prefix, ui_base = _context(request)
    key = _week_key(week_key)
    return render.week_page(queries.week_detail(farm_db, settings, key), key, prefix, ui_base)


@app.get("/api/week/{week_key}")
def week_json(request: Request, week_key: str) -> dict:
    settings, farm_db, _prefix, _ui = _context(request)
    detail = queries.week_detail(farm_db, settings, _week_key(week_key))
    return {
        "row": detail.row.as_dict() if detail.row else None,
        "farms": [vars(farm) for farm in detail.farms],
        "stations": [vars(station) for station in detail.stations],
        "days": [vars(day) for day in detail.days],
        "prices": detail.prices,
        "diff_rows": [list(row) for row in detail.diff_rows],
    }


@app.get("/week/{week_key}/{chart}.png")
def week_chart(request: Request, week_key: str, chart: str) -> Response:
    """One chart of the week's page; each reads only what it draws."""
    from include.ins_report.weeks import charts  # matplotlib: only in the API server, on the first chart

    settings, farm_db, _prefix, _ui = _context(request)
    week = ReportWeek(dt.datetime.strptime(_week_key(week_key), "%Y%m%d").date())
    if chart == "map":
        farms, stations = queries.farm_points(farm_db, settings, week)
        png = charts.farm_map(farms, stations, f"{week.label()} 농장·관측소")
    elif chart == "stations":
        png = charts.station_multiples(
            queries.station_days(farm_db, week), f"{week.label()} 관측소별 일별 기온·THI·강수"
        )
    elif chart == "price":
        png = charts.price_chart(
            queries.price_days(farm_db, week), week.start, "EKAPE 전국 지육가격 (탕박, 등외 제외)"
        )
    else:
        raise HTTPException(status_code=404, detail=f"no chart {chart!r}")
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


class InsWeeksPlugin(AirflowPlugin):
    name = "ins_weeks"
    fastapi_apps: ClassVar[list[dict]] = [{"app": app, "url_prefix": URL_PREFIX, "name": "INS weeks"}]
    external_views: ClassVar[list[dict]] = [
        {
            "name": "INS 주별 현황",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "url_route": "ins-weeks",
            "nav_top_level": True,  # its own entry in the navigation, not under "Plugins"
        }
    ]
