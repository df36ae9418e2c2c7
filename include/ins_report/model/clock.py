"""The product's one clock: every "what time is it" in the batch, the launcher and the tests comes from here.

``now()`` is the process clock in KST. ``INS_NOW`` (ISO-8601 with an offset, e.g. ``2026-11-30T03:00+09:00``)
fixes it for one process tree of ours (a demo, a test); Airflow's own scheduler keeps the process clock, so to
move a whole deployment use libfaketime (docs/design.md, "One clock").

A week is never picked from this clock at import time: callers ask when they need it.
"""

from __future__ import annotations

import datetime as dt
import os

import pendulum

from include.ins_report.model.schedule import TIMEZONE

KST = pendulum.timezone(TIMEZONE)
NOW_ENV = "INS_NOW"


def now() -> pendulum.DateTime:
    """The current moment in KST, or the fixed moment ``INS_NOW`` names."""
    fixed = os.environ.get(NOW_ENV, "").strip()
    if not fixed:
        return pendulum.now(KST)
    try:
        moment = dt.datetime.fromisoformat(fixed)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(
            f"{NOW_ENV}={fixed!r} needs a date, a time and an offset, e.g. 2026-11-30T03:00+09:00"
        )
    return pendulum.instance(moment).in_timezone(KST)


def now_text() -> str:
    """Now as the farm database writes timestamps: KST wall-clock text, as its monitoring reads them."""
    return now().strftime("%Y-%m-%d %H:%M:%S")
