"""Fake KOSIS OpenAPI (``/openapi/Param/statisticsParameterData.do?method=getList``), in three parts: the
tables with their periods and deterministic values (``tables``), when a period is served (``publication``)
and request handling (``routes``). What the server and the tests use is re-exported here.

Publication as the real service does it: a period is served only from ``kosis_lag_days`` days after it
ends, per period type, counted in KST on the emulator's clock (defaults M 3, Q 25, H 40, Y 60: the CPI of
December from 4 January, the Q4 pig census from 26 January). A request whose whole range is unpublished
gets err 30 (``{"err":"30","errMsg":"데이터가 존재하지 않습니다."}``, as for any empty answer), a range partly
published its published periods only; ``newEstPrdCnt`` counts published periods. A lag of 0 serves a
period the moment it ends. Set it with ``--kosis-lag-days 0`` / ``M=3,Q=25`` on the command line,
``kosis_lag_days`` in ``EmulatorConfig`` / ``start_emulator``, or at run time with ``POST /_emulator/config``
``{"kosis_lag_days": {"Q": 40}}`` (the types named change, the others stay) or ``{"kosis_lag_days": 0}``.

The fault ``dash_cells`` answers normally but with DT ``"-"`` (KOSIS's "no value") in the cells it names:
classification ``level`` (default 1) code in ``codes`` (default ``["11"]``, 서울), of ``items`` (default
every item); unless the rule has a ``match`` it applies to the pig census table (``DT_1EO311``) only.
"""

from devtools.emulator.kosis.publication import DEFAULT_LAG_DAYS, describe, lag_days, served_from
from devtools.emulator.kosis.routes import (
    ERR_BAD_KEY,
    ERR_MISSING_PARAM,
    ERR_NO_DATA,
    ERR_SERVER,
    ERR_TOO_MANY_CELLS,
    MAX_CELLS,
    PATH,
    KosisContext,
    error,
    handle,
    loose_json,
    rows_for,
)
from devtools.emulator.kosis.tables import CATALOGUE, Table, period_code, period_end, period_index

__all__ = [
    "CATALOGUE",
    "DEFAULT_LAG_DAYS",
    "ERR_BAD_KEY",
    "ERR_MISSING_PARAM",
    "ERR_NO_DATA",
    "ERR_SERVER",
    "ERR_TOO_MANY_CELLS",
    "MAX_CELLS",
    "PATH",
    "KosisContext",
    "Table",
    "describe",
    "error",
    "handle",
    "lag_days",
    "loose_json",
    "period_code",
    "period_end",
    "period_index",
    "rows_for",
    "served_from",
]
