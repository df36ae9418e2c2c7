"""Fake KOSIS OpenAPI (``/openapi/Param/statisticsParameterData.do?method=getList``), in two parts: the
tables with their periods and deterministic values (``tables``) and request handling (``routes``). What
the server and the tests use is re-exported here."""

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
    "ERR_BAD_KEY",
    "ERR_MISSING_PARAM",
    "ERR_NO_DATA",
    "ERR_SERVER",
    "ERR_TOO_MANY_CELLS",
    "MAX_CELLS",
    "PATH",
    "KosisContext",
    "Table",
    "error",
    "handle",
    "loose_json",
    "period_code",
    "period_end",
    "period_index",
    "rows_for",
]
