"""Waiting for a source's publication: inside the week's waiting window a missing period or day is "not
published yet" and the task asks again later without spending a retry (``NotYetPublishedError``, turned
into a reschedule at the Airflow edge); after the window it is a failure that names what never appeared."""

from __future__ import annotations

import datetime as dt
from typing import NoReturn

import pendulum

from include.ins_report.config.settings import Settings
from include.ins_report.model import clock
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources.errors import NotYetPublishedError, PermanentApiError


def publication_window_end(week: ReportWeek, settings: Settings) -> pendulum.DateTime:
    """Until when the run waits for the week's data (INS_PUBLICATION_WAIT_UNTIL, the Monday after, KST)."""
    return week.monday_after(settings.publication_wait_time)


def not_published(
    api: str, code: str, what: str, week: ReportWeek, settings: Settings, now: dt.datetime | None = None
) -> NoReturn:
    """Raise for ``what`` (e.g. "KOSIS consumer_price_index_meat period 202610") missing from an answer:
    NotYetPublishedError with the next try (one poke interval on, never past the window) inside the window,
    a permanent error after it."""
    moment = pendulum.instance(now) if now else clock.now()
    end = publication_window_end(week, settings)
    until = end.format("YYYY-MM-DD HH:mm")
    if moment >= end:
        raise PermanentApiError(
            api,
            code,
            f"{what} was not published by {until} KST, the end of the waiting window "
            "(INS_PUBLICATION_WAIT_UNTIL); clear this task once it is",
        )
    retry_at = min(moment.add(seconds=settings.publication_poke_seconds), end)
    raise NotYetPublishedError(
        api,
        code,
        f"{what} not published yet; asking again at {retry_at.in_timezone(clock.KST).format('HH:mm')} KST, "
        f"waiting until {until} KST",
        retry_at=retry_at,
    )
