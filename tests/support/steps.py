"""The one way tests build a step's context (``StepContext``): the ``step_context`` factory, also the
fixture of that name in tests/conftest.py. A test passes stand-ins for what the step touches (a farm
database, a source's client) and gets the real thing on its Airflow connection for the rest, built on first
use as the Airflow edge builds it (include/ins_report/airflow_edge/context.py). A client's stand-in
connection is an ``AnsweringEndpoint``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from include.ins_report.config.settings import Settings
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import catalog
from include.ins_report.steps.context import StepContext
from include.ins_report.store.farm_db import FarmDatabase

WEEK = ReportWeek(dt.date(2026, 11, 16))


def step_context(
    week: ReportWeek = WEEK,
    settings: Settings | None = None,
    *,
    run_id: str = "test",
    farm_db: FarmDatabase | None = None,
    clients: dict[str, Any] | None = None,
) -> StepContext:
    """The context of a step of run ``run_id`` for ``week``; ``settings`` default to the environment's.

    ``farm_db``: the farm database the step uses (else the ``farm_db`` connection's); ``clients``: stand-in
    API clients by source name (``kma``, ``kosis``, ``ekape``), else each source's real client on its
    connection. Airflow's timeout and SIGTERM are the interrupts, as in a task."""
    from include.ins_report.airflow_edge.connections import api_endpoint, farm_database
    from include.ins_report.airflow_edge.context import TASK_INTERRUPTS

    settings = settings if settings is not None else Settings.from_env()
    stand_ins = dict(clients or {})

    def open_client(source: catalog.Source) -> Any:
        if source.name in stand_ins:
            return stand_ins[source.name]
        return source.client(settings, api_endpoint(source.conn_id(settings)))

    return StepContext(
        run_id=run_id,
        week=week,
        settings=settings,
        open_farm_db=(lambda: farm_db)
        if farm_db is not None
        else lambda: farm_database(settings.farm_db_conn_id),
        open_client=open_client,
        interrupts=TASK_INTERRUPTS,
    )


@dataclass
class AnsweringEndpoint:
    """A stand-in ``ApiEndpoint`` without HTTP: every GET is ``answer(path, params, parse)`` (e.g. the
    parser applied to a canned body, or the emulator's handler), each call's params recorded."""

    answer: Callable[[str, dict, Callable[[int, str], Any]], Any]
    key: str = "key"
    conn_id: str = "stand_in"
    calls: list[dict] = field(default_factory=list)

    def get(self, api: str, path: str, params: dict, parse: Callable[[int, str], Any], policy: Any) -> Any:
        self.calls.append(params)
        return self.answer(path, params, parse)


def answering(body: str, status: int = 200) -> AnsweringEndpoint:
    """A stand-in endpoint whose every answer is ``body`` with ``status``, parsed by the client's parser."""
    return AnsweringEndpoint(lambda path, params, parse: parse(status, body))
