"""When the fake KOSIS serves a period: a number of days after the period ends, per period type (``prdSe``).

A period ends at 00:00 KST of the day after its last day; with a lag of N days it is served from 00:00 KST
N days later, counted on the emulator's clock. So with the defaults the monthly CPI of December is served
from 4 January and the quarterly livestock census of Q4 from 26 January (real KOSIS publishes the CPI a few
days into the next month and the census three to four weeks after the quarter). A lag of 0 serves a period
the moment it ends.

The setting (``kosis_lag_days``) is a mapping ``{"M": 3, "Q": 25, "H": 40, "Y": 60}``, or one integer for
every type; a mapping that names some types changes only those. On the command line: ``0`` or
``M=3,Q=25``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType

from devtools.emulator.kosis.tables import Table, period_end

PERIOD_TYPES = ("M", "Q", "H", "Y")
DEFAULT_LAG_DAYS: Mapping[str, int] = MappingProxyType({"M": 3, "Q": 25, "H": 40, "Y": 60})
MAX_LAG_DAYS = 3_660  # ten years: anything beyond is a typo


def _days(prd_se: str, value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LAG_DAYS:
        raise ValueError(f"kosis_lag_days {prd_se} must be an integer 0..{MAX_LAG_DAYS}, not {value!r}")
    return value


def lag_days(value: object, base: Mapping[str, int] = DEFAULT_LAG_DAYS) -> dict[str, int]:
    """The lag per period type: ``None`` (``base``), an integer for every type, a mapping of some types
    (the others keep ``base``), or its text form (``"0"``, ``"M=3,Q=25"``); ValueError otherwise."""
    lags = {prd_se: base[prd_se] for prd_se in PERIOD_TYPES}
    if value is None or value == "":
        return lags
    if isinstance(value, str) and "=" not in value:
        return dict.fromkeys(PERIOD_TYPES, _days("(every type)", value.strip()))
    if isinstance(value, str):
        pairs = [part.partition("=") for part in value.split(",") if part.strip()]
        value = {name.strip(): days.strip() for name, _, days in pairs}
    if isinstance(value, Mapping):
        for name, days in value.items():
            prd_se = str(name).strip().upper()
            if prd_se not in lags:
                raise ValueError(
                    f"kosis_lag_days names {name!r}; the period types are {', '.join(PERIOD_TYPES)}"
                )
            lags[prd_se] = _days(prd_se, days)
        return lags
    return dict.fromkeys(PERIOD_TYPES, _days("(every type)", value))


def served_from(index: int, prd_se: str, lags: Mapping[str, int]) -> dt.date:
    """The first day (KST) the period ``index`` of type ``prd_se`` is served."""
    return period_end(index, prd_se) + dt.timedelta(days=1 + lags[prd_se])


def is_served(index: int, prd_se: str, lags: Mapping[str, int], today: dt.date) -> bool:
    return served_from(index, prd_se, lags) <= today


def published_periods(table: Table, lags: Mapping[str, int], today: dt.date) -> list[int]:
    """The table's periods served on ``today``, from its first one."""
    periods: list[int] = []
    index = table.first_index
    while is_served(index, table.prd_se, lags, today):
        periods.append(index)
        index += 1
    return periods


def describe(lags: Mapping[str, int]) -> str:
    """``M=3,Q=25,H=40,Y=60``: the command line's form."""
    return ",".join(f"{prd_se}={lags[prd_se]}" for prd_se in PERIOD_TYPES)
