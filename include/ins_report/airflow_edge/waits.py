"""The DAG's two waits for data published or final after the run starts: Sunday's ASOS values
(``WeatherPublicationWait``) and a statistics source's final time (``FinalTimeWait``, EKAPE's 10:00 KST).

Each is a sensor whose check is the batch's own step (``weather.weather_published``,
``job.statistics_final``): the same answer, the same failure at the waiting window's end and the same
job-log rows (the task callbacks' FAILED and RETRY) whichever way it waits. By default it waits in the
triggerer (INS_PUBLICATION_WAIT_MODE=deferrable): the worker checks once, defers, and is woken within a
probe interval of the data (ASOS: ``triggers.AsosPublicationTrigger``, one call a minute) or at the final
time (the standard provider's date-time trigger), then checks again; no worker slot is held in between.
``reschedule`` keeps the sensors as they were before issue #22: a worker start every
INS_PUBLICATION_POKE_SECONDS (the bench's comparison; a deployment without a triggerer).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from airflow.providers.standard.triggers.temporal import TimeDeltaTrigger
from airflow.sdk import BaseSensorOperator, PokeReturnValue

from include.ins_report.airflow_edge.context import task_step, waiting_for_the_source
from include.ins_report.airflow_edge.triggers import PUBLISHED, AsosPublicationTrigger
from include.ins_report.config.settings import Settings
from include.ins_report.model import clock
from include.ins_report.sources import catalog
from include.ins_report.steps import job, weather
from include.ins_report.steps.context import StepContext
from include.ins_report.steps.waiting import publication_window_end

log = logging.getLogger(__name__)

WAIT_TIMEOUT = dt.timedelta(days=2)  # a bound far past any window; the window's end fails the wait first


class StepWait(BaseSensorOperator):
    """A wait whose check is a step: ``ready`` (True once the data is there; a PermanentError once the
    window is over) and, to wait deferred, the ``trigger`` that wakes the task when it is worth checking."""

    def __init__(self, *, settings: Settings, **kwargs: Any) -> None:
        self.deferrable = settings.publication_wait_mode == "deferrable"
        kwargs.setdefault("timeout", WAIT_TIMEOUT)
        super().__init__(
            mode="poke" if self.deferrable else "reschedule",
            poke_interval=settings.publication_poke_seconds,
            **kwargs,
        )
        self.settings = settings

    def ready(self, inputs: StepContext) -> bool:
        raise NotImplementedError

    def trigger(self, inputs: StepContext) -> Any:
        raise NotImplementedError

    def poke(self, context: Any) -> PokeReturnValue:
        # A quota or a long Retry-After: waited for like a publication (rescheduled within the window).
        with task_step(self.settings) as (_, inputs), waiting_for_the_source(inputs):
            return PokeReturnValue(is_done=self.ready(inputs))

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)  # the sensor's reschedule mode
        with task_step(self.settings) as (_, inputs), waiting_for_the_source(inputs):
            if self.ready(inputs):
                return None
            trigger = self.trigger(inputs)
        self.defer(trigger=trigger, method_name="execute_complete", timeout=self.timeout)

    def execute_complete(self, context: Any, event: Any = None) -> Any:
        """Woken by the trigger: published (the trigger's probe said so) ends the wait; anything else (the
        final time, the window's end, a fault) is checked again here, as the sensor would."""
        if isinstance(event, dict) and event.get("status") == PUBLISHED:
            log.info("published (after %s probe(s) in the triggerer)", event.get("probes"))
            return None
        return self.execute(context)


class WeatherPublicationWait(StepWait):
    """Until the week's Sunday is published for the probe station (INS_PUBLICATION_PROBE_STATION)."""

    def ready(self, inputs: StepContext) -> bool:
        return weather.weather_published(inputs)

    def trigger(self, inputs: StepContext) -> AsosPublicationTrigger:
        every = inputs.settings.publication_probe_seconds
        return AsosPublicationTrigger(
            point_id=inputs.settings.publication_probe_station,
            day=inputs.week.end.isoformat(),
            window_end=publication_window_end(inputs.week, inputs.settings).isoformat(),
            probe_seconds=every,
            first_probe_in=every,  # the worker has just probed
        )


class FinalTimeWait(StepWait):
    """Until a statistics source's week is final (``Source.ready_at``: EKAPE's INS_EKAPE_FINAL_AT)."""

    def __init__(self, *, source: str, settings: Settings, **kwargs: Any) -> None:
        super().__init__(settings=settings, **kwargs)
        self.source = source

    def ready(self, inputs: StepContext) -> bool:
        return job.statistics_final(inputs, catalog.BY_NAME[self.source])

    def trigger(self, inputs: StepContext) -> TimeDeltaTrigger:
        final = catalog.BY_NAME[self.source].ready_at(inputs.week, inputs.settings)
        # The time left on the project's clock, waited on the triggerer's: the same moment in production
        # and under libfaketime; a demo's fixed INS_NOW waits that long again instead of waking at once.
        left = max(1.0, (final - clock.now()).total_seconds()) if final else 1.0
        return TimeDeltaTrigger(dt.timedelta(seconds=left))
