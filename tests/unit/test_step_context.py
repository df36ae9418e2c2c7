"""What a step touches is built once per task, on first use (include/ins_report/steps/context.py): the
Airflow edge gives the ways to build them (airflow_edge/context.step_context), a test gives stand-ins
(tests/support/steps.py)."""

from __future__ import annotations

import pendulum

from include.ins_report.airflow_edge import context as airflow_context
from include.ins_report.config.settings import Settings
from include.ins_report.sources import catalog
from include.ins_report.sources.kma_asos import AsosWeatherProvider
from tests.support.steps import WEEK, answering, step_context


def test_the_edge_builds_each_client_once_per_task_and_nothing_before_it_is_used(monkeypatch):
    built: list[str] = []
    real = airflow_context.api_endpoint

    def counted(conn_id: str):
        built.append(conn_id)
        return real(conn_id)

    monkeypatch.setattr(airflow_context, "api_endpoint", counted)
    monkeypatch.setattr(airflow_context, "farm_database", lambda conn_id: built.append(conn_id) or object())
    context = {"run_id": "r", "data_interval_end": pendulum.datetime(2026, 11, 23, 2, tz="Asia/Seoul")}
    ctx = airflow_context.step_context(context, Settings())
    assert built == []  # nothing is connected before a step touches it
    assert ctx.week == WEEK
    provider = ctx.weather
    assert isinstance(provider, AsosWeatherProvider)
    assert ctx.weather is provider is ctx.client(catalog.KMA_SOURCE)  # one weather provider per task
    assert ctx.farm_db is ctx.farm_db
    assert built == ["kma_api", "farm_db"]
    assert ctx.interrupts == airflow_context.TASK_INTERRUPTS


def test_a_test_passes_stand_ins_for_what_the_step_touches():
    provider = AsosWeatherProvider(Settings(), answering(""), stations=[])
    ctx = step_context(clients={"kma": provider})
    assert ctx.weather is provider
