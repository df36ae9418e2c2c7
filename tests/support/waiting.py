"""The one wait loop of the tests: poll until something is true, or fail saying what did not happen."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

import requests

T = TypeVar("T")

# A server that is still starting, or a row that is not there yet, is "not yet", not a failure.
NOT_YET = (requests.RequestException, KeyError, ValueError, LookupError)

# Every ceiling is stretched by this factor: a ceiling only bounds how long a failing test takes, and CI's
# machine is often busy (a scheduler loop there can take several times as long as on a quiet one).
PATIENCE = float(os.environ.get("TEST_PATIENCE", "3"))


def wait_for(check: Callable[[], T], *, timeout: float, what: str, poll: float = 1.0) -> T:
    """Call ``check`` until it returns something truthy and return that; after ``timeout`` seconds fail
    with ``what`` (and the last error seen, if any). ``timeout`` is stretched by ``PATIENCE``."""
    timeout *= PATIENCE
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while True:
        try:
            value = check()
        except NOT_YET as exc:
            value, last = None, exc
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"{what}: not within {timeout:.0f} s" + (f" (last error: {last})" if last else "")
            )
        time.sleep(poll)
