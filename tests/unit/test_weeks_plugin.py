"""The INS weeks plugin (plugins/ins_weeks.py) through the API server's own app (``create_app``) and test
client: registered under /ins-weeks with its navigation entry, and behind the API server's authentication:
an anonymous request gets no data, a user without a role is refused, an authenticated viewer gets the
weeks."""

from __future__ import annotations

import datetime as dt

import pytest

from include.ins_report.model.week import ReportWeek
from tests.support.weeks import seed_week

WEEK = ReportWeek(dt.date(2026, 11, 16))


@pytest.fixture(scope="module")
def api_app():
    from airflow import plugins_manager
    from airflow.api_fastapi.app import create_app, purge_cached_app
    from airflow.utils.db import resetdb

    resetdb()
    plugins_manager.get_fastapi_plugins.cache_clear()
    purge_cached_app()
    return create_app("core")


@pytest.fixture
def client(api_app, farm_db):
    from fastapi.testclient import TestClient

    seed_week(farm_db, ReportWeek(WEEK.start - dt.timedelta(weeks=1)), temperature=11.0)
    seed_week(farm_db, WEEK, temperature=10.0, missing_days=1)
    with TestClient(api_app) as client:
        yield client


def _token(role: str | None) -> dict[str, str]:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    token = get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="ops", role=role))
    return {"Authorization": f"Bearer {token}"}


PATHS = (
    "/ins-weeks/",
    "/ins-weeks/api/weeks",
    f"/ins-weeks/week/{WEEK.key}",
    f"/ins-weeks/week/{WEEK.key}/map.png",
)


@pytest.mark.parametrize("path", PATHS)
def test_an_anonymous_request_gets_no_data(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert "20261116" not in response.text


def test_a_user_without_a_role_is_refused(client):
    assert client.get("/ins-weeks/api/weeks", headers=_token(None)).status_code == 403


def test_a_viewer_gets_the_weeks_and_a_week_with_its_charts(client, farm_db):
    viewer = _token("viewer")
    weeks = client.get("/ins-weeks/api/weeks", headers=viewer)
    assert weeks.status_code == 200
    rows = weeks.json()["rows"]
    assert [row["week"] for row in rows] == ["20261116", "20261109"]
    assert rows[0]["report_rows"] > 0
    assert rows[0]["gate"]["status"] == "WARNING"
    page = client.get("/ins-weeks/", headers=viewer)
    assert page.status_code == 200
    assert "INS 주간 보고서" in page.text
    assert 'href="/dags/ins_weekly_report/runs/manual__2026-11-16' in page.text
    week = client.get(f"/ins-weeks/week/{WEEK.key}", headers=viewer)
    assert week.status_code == 200
    assert "map.png" in week.text
    for chart in ("map", "stations", "price"):
        png = client.get(f"/ins-weeks/week/{WEEK.key}/{chart}.png", headers=viewer)
        assert png.status_code == 200
        assert png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG")
    assert client.get("/ins-weeks/week/20261117", headers=viewer).status_code == 404  # not a Monday


def test_the_navigation_entry_is_registered(client):
    response = client.get("/api/v2/plugins", headers=_token("admin"))
    assert response.status_code == 200
    plugins = {plugin["name"]: plugin for plugin in response.json()["plugins"]}
    view = plugins["ins_weeks"]["external_views"][0]
    assert view["href"] == "/ins-weeks/"
    assert view["url_route"] == "ins-weeks"
    assert plugins["ins_weeks"]["fastapi_apps"][0]["url_prefix"] == "/ins-weeks"
