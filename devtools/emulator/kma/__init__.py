"""Fake KMA ASOS daily service (data.go.kr ``AsosDalyInfoService/getWthrDataList``), in three parts: the
stations and their synthetic climate (``climate``), the answers' envelopes and error layers (``envelopes``),
and request handling (``routes``). What the server and the tests use is re-exported here."""

from devtools.emulator.kma.climate import (
    DEFAULT_STATIONS_FILE,
    MEASURED_KEYS,
    NON_DAILY_STATIONS,
    ROW_KEYS,
    Station,
    daily_row,
    load_stations,
)
from devtools.emulator.kma.envelopes import KEY_NOT_REGISTERED, QUOTA_EXCEEDED, classic_gateway
from devtools.emulator.kma.routes import PATH, KmaContext, handle, is_published

__all__ = [
    "DEFAULT_STATIONS_FILE",
    "KEY_NOT_REGISTERED",
    "MEASURED_KEYS",
    "NON_DAILY_STATIONS",
    "PATH",
    "QUOTA_EXCEEDED",
    "ROW_KEYS",
    "KmaContext",
    "Station",
    "classic_gateway",
    "daily_row",
    "handle",
    "is_published",
    "load_stations",
]
