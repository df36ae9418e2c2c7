"""The triggers of the publication waits, run by Airflow's triggerer (no worker slot held while they wait).

``AsosPublicationTrigger`` probes the probe station for the week's Sunday about once a minute
(INS_PUBLICATION_PROBE_SECONDS, one KMA call each) until the day is published, the probe fails in a way a
retry in seconds cannot help, or the waiting window ends; it then hands the task back to its worker
(airflow_edge/waits.py), which decides as the sensor always did. EKAPE's wait needs no trigger of ours: the
standard provider's date-time trigger wakes it at its final time.

The probe is the worker's own (``kma_asos.publication_probe`` on the KMA connection's ``ApiEndpoint``: the
http provider's session, the pace, the retries and the parser of every KMA call), run in a thread: it is
synchronous, and one call a minute costs a thread nothing. No async HTTP client is a dependency of ours.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pendulum
from airflow.triggers.base import BaseTrigger, TriggerEvent

from include.ins_report.airflow_edge.connections import api_endpoint
from include.ins_report.config.settings import Settings
from include.ins_report.model import clock
from include.ins_report.sources import catalog
from include.ins_report.sources.errors import RetryLaterError
from include.ins_report.sources.kma_asos import publication_probe

PUBLISHED, WINDOW_ENDED, FAULT = "published", "window_ended", "fault"


class AsosPublicationTrigger(BaseTrigger):
    """Probe ``point_id`` for ``day`` every ``probe_seconds`` until it is published or ``window_end``.

    Its one event says why it stopped: ``published``, ``window_ended`` or ``fault`` (an error the worker
    meets again and handles as its sensor did: a transient one retried by Airflow, a permanent one failing
    at once). A quota or a ``Retry-After`` inside the window is waited out here, in the triggerer.
    """

    def __init__(
        self, *, point_id: str, day: str, window_end: str, probe_seconds: int, first_probe_in: float = 0
    ) -> None:
        super().__init__()
        self.point_id = point_id
        self.day = day  # ISO dates and times: the kwargs are stored as JSON
        self.window_end = window_end
        self.probe_seconds = probe_seconds
        self.first_probe_in = first_probe_in

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "point_id": self.point_id,
                "day": self.day,
                "window_end": self.window_end,
                "probe_seconds": self.probe_seconds,
                "first_probe_in": self.first_probe_in,
            },
        )

    def _probe(self) -> str | None:
        """One probe (in a worker thread): None once published, else why not yet."""
        settings = Settings.from_env()
        source = catalog.KMA_SOURCE
        if not hasattr(self, "_provider"):
            self._provider = source.client(settings, api_endpoint(source.conn_id(settings)))
        return publication_probe(self._provider, self.point_id, dt.date.fromisoformat(self.day))

    async def _pause(self, seconds: float, end: pendulum.DateTime) -> None:
        """Sleep ``seconds``, never past the window's end (as the project's clock reads it)."""
        left = (end - clock.now()).total_seconds()
        await asyncio.sleep(max(0.0, min(seconds, left)))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        end = pendulum.parse(self.window_end)
        until = end.in_timezone(clock.KST).format("YYYY-MM-DD HH:mm")
        await self._pause(self.first_probe_in, end)
        probes = 0
        while True:
            if clock.now() >= end:
                yield TriggerEvent({"status": WINDOW_ENDED, "probes": probes})
                return
            try:
                probes += 1
                reason = await asyncio.to_thread(self._probe)
            except RetryLaterError as exc:
                retry_at = pendulum.instance(exc.retry_at)
                if retry_at > end:
                    yield TriggerEvent({"status": FAULT, "probes": probes, "error": str(exc)})
                    return
                self.log.info("%s; probing again at %s, waiting until %s KST", exc, retry_at, until)
                await self._pause((retry_at - clock.now()).total_seconds(), end)
                continue
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                self.log.warning("the publication probe failed (the worker checks again): %s", error)
                yield TriggerEvent({"status": FAULT, "probes": probes, "error": error})
                return
            if reason is None:
                self.log.info("ASOS %s published for station %s", self.day, self.point_id)
                yield TriggerEvent({"status": PUBLISHED, "probes": probes})
                return
            # "waiting until": the line `make run` shows while a run waits.
            self.log.info(
                "ASOS %s not published yet for station %s (%s); probing every %d s, waiting until %s KST",
                self.day,
                self.point_id,
                reason,
                self.probe_seconds,
                until,
            )
            await self._pause(self.probe_seconds, end)
