"""What every step receives: the run id, the report week and the settings, and what the step touches: the
farm database and the sources' API clients, each built on first use and then kept for the task (the Airflow
edge gives the ways to build them: include/ins_report/airflow_edge/context.py; a test gives stand-ins:
tests/support/steps.py). The steps import it from here, never from each other, so the step modules import
downwards only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from include.ins_report.config.settings import Settings
from include.ins_report.joblog import SUCCESS
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import catalog
from include.ins_report.sources.kma_asos import AsosWeatherProvider
from include.ins_report.store.farm_db import FarmDatabase


@dataclass(frozen=True)
class StepContext:
    run_id: str
    week: ReportWeek
    settings: Settings
    open_farm_db: Callable[[], FarmDatabase] = field(repr=False, compare=False)
    # A source's API client on its connection (``catalog.Source.client`` on the source's endpoint).
    open_client: Callable[[catalog.Source], Any] = field(repr=False, compare=False)
    # What the task runner raises into a step when it stops the task (Airflow's timeout and SIGTERM derive
    # from BaseException only): the report call counts them as errors of the call (steps/report_call.py).
    interrupts: tuple[type[BaseException], ...] = ()
    _clients: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def week_key(self) -> str:
        return self.week.key

    @cached_property
    def farm_db(self) -> FarmDatabase:
        """The farm database, connected on first use (a failure is not kept: the next use tries again)."""
        return self.open_farm_db()

    def client(self, source: catalog.Source) -> Any:
        """``source``'s API client, built once for the task."""
        if source.name not in self._clients:
            self._clients[source.name] = self.open_client(source)
        return self._clients[source.name]

    @property
    def weather(self) -> AsosWeatherProvider:
        """The weather provider (KMA ASOS): the plan's locations, the publication probe, a location's week."""
        return self.client(catalog.KMA_SOURCE)

    def log(
        self,
        farm_db: FarmDatabase,
        step: str,
        started_at: str,
        rows: int | None,
        message: str,
        status: str = SUCCESS,
    ) -> None:
        farm_db.log_step(
            run_id=self.run_id,
            report_week=self.week_key,
            step=step,
            status=status,
            started_at=started_at,
            row_count=rows,
            message=message,
        )
