"""Move a whole process tree's clock with libfaketime (the build vendored by PyPI's ``libfaketime``; Debian's
0.9.10 breaks CPython's timed waits), keeping the monotonic clock real so timeouts and sleeps still work."""

from __future__ import annotations

import datetime as dt
import os
import re

import pendulum

from include.ins_report.model.clock import KST


def latest_monday_at(now: dt.datetime, at: dt.time) -> pendulum.DateTime:
    """The latest Monday ``at`` KST at or before ``now``."""
    local = pendulum.instance(now).in_timezone(KST)
    monday = local.date() - dt.timedelta(days=local.weekday())
    moment = pendulum.datetime(monday.year, monday.month, monday.day, at.hour, at.minute, tz=KST)
    return moment if moment <= local else moment.subtract(weeks=1)


def faketime_env(target: dt.datetime, now: dt.datetime) -> dict[str, str]:
    """Environment for a child process whose clock reads ``target`` when this process reads ``now``
    (libfaketime offsets count from the real clock, so an offset this process already runs under is kept)."""
    from libfaketime import get_reload_information

    _, preload = get_reload_information()
    inherited = re.fullmatch(r"([+-]?\d+)s", os.environ.get("FAKETIME", "").strip())
    offset = (int(inherited.group(1)) if inherited else 0) + round((target - now).total_seconds())
    return {
        "LD_LIBRARY_PATH": preload["LD_LIBRARY_PATH"],
        "LD_PRELOAD": preload["LD_PRELOAD"],
        "FAKETIME": f"{offset:+d}s",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "DONT_FAKE_MONOTONIC": "1",
        # With the monotonic clock real, libfaketime's "forced monotonic fix" of pthread_cond_timedwait (on by
        # default for glibc >= 2.30) turns CPython's GIL wait into an immediate timeout: two busy threads ran
        # 2.5 to 7 times slower, and a scheduler-stack run under the moved clock missed its 300 s wait.
        # Off, the GIL and timed waits behave as without libfaketime (measured: Event.wait, Condition.wait,
        # sleep and Queue.get keep their timeouts).
        "FAKETIME_FORCE_MONOTONIC_FIX": "0",
    }
