"""Farm master rows: which farms can be reported, which are excluded and why, and their weather locations."""

from __future__ import annotations

import base64
import decimal
import json
import math
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass

from include.ins_report.model.decimals import decimal_value
from include.ins_report.model.stations import Station, StationIndex

# --- the farm rule ----------------------------------------------------------------------------------
# ONE farm identity for the batch and the report procedure (docs/data-contract.md). A TA_FARM row
# is a farm of the week when, taken AS STORED (nothing is trimmed or upper-cased):
#   1. USE_YN is exactly 'Y'. Exactly 'N' is inactive (counted). Anything else ('y', ' Y ', '', NULL) is
#      excluded with a reason: the customer's procedure reads USE_YN = 'Y' only.
#   2. FARM_NO is not empty and has no leading or trailing space (FARM_NO = TRIM(FARM_NO)): TM_WEATHER and
#      TR_INS_WEEK_REPORT are keyed by it and the procedure joins TA_FARM on it exactly, so a padded number
#      would be a second identity of the same farm.
#   3. FARM_NO is on exactly one row that passes 1 and 2 (duplicates: all of its rows are excluded).
#   4. LAT and LON are numbers inside LAT_RANGE / LON_RANGE (South Korea with Jeju, Ulleungdo and Dokdo):
#      finite numbers or plain decimal texts, by the strict decimal rule ('3_7.5' or '1e3' are excluded,
#      with the column and the value as the reason).
# Why "as stored" rather than normalised: in production the procedure is the customer's, joining exactly;
# the batch can follow it but cannot change it. Rows the rule cannot use are excluded, visibly (the
# PLAN_WEATHER_LOCATIONS row of TS_INS_JOB_LOG), for the master data's owner to fix.
# The same rule in SQL: include/sql/{sqlite,oracle}/sp_ins_week_main.sql (checked against this module by
# tests/unit/test_thi_stations_farms.py).
ACTIVE = "Y"
INACTIVE = "N"
LAT_RANGE = (32.9, 38.7)
LON_RANGE = (124.5, 132.0)


@dataclass(frozen=True)
class Farm:
    farm_no: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class ExcludedFarm:
    farm_no: str
    name: str
    reason: str


@dataclass(frozen=True)
class FarmSelection:
    valid: list[Farm]
    excluded: list[ExcludedFarm]
    inactive: int


class CoordinateError(ValueError):
    """A LAT or LON value that is not a number (the message is the farm's exclusion reason)."""


def _number(value: object, column: str = "value") -> float | None:
    """A coordinate as stored, by the strict decimal rule (include/ins_report/model/decimals.py): a finite
    number or a plain decimal text ("36.6"); None when there is none (NULL, "", blanks, and a NaN REAL, which
    SQLite itself stores as NULL). Anything else, such as '3_7.5', '1e3', 'NaN' or 'inf' (all of which
    ``float()`` takes), is a ``CoordinateError`` naming the column and the value: SQLite keeps such text in a
    REAL column, Oracle's NUMBER cannot hold it."""
    if value is None:
        return None
    if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return None
        number = float(value)
        if not math.isfinite(number):
            raise CoordinateError(f"{column} {value!r} is not a finite number")
        return number
    if isinstance(value, str):
        if not value.strip():
            return None
        number = decimal_value(value.strip())
        if number is not None:
            return number
    raise CoordinateError(f"{column} {value!r} is not a decimal number")


def _coordinates(lat_raw: object, lon_raw: object) -> tuple[float | None, float | None, str | None]:
    """(lat, lon, why they are unusable as numbers): the reason names each bad column."""
    values, problems = [], []
    for column, raw in (("LAT", lat_raw), ("LON", lon_raw)):
        try:
            values.append(_number(raw, column))
        except CoordinateError as error:
            values.append(None)
            problems.append(str(error))
    return values[0], values[1], "; ".join(problems) or None


def _text(value: object) -> str:
    return "" if value is None else str(value)


def farm_number_problem(farm_no: str) -> str | None:
    """Why a FARM_NO (as stored) cannot key a farm (rule 2), or None."""
    if not farm_no.strip(" "):
        return "no farm number"
    if farm_no != farm_no.strip(" "):
        return f"farm number {farm_no!r} has leading or trailing spaces (FARM_NO is used as stored)"
    return None


def classify_farms(rows: list[tuple]) -> FarmSelection:
    """Split TA_FARM rows (FARM_NO, FARM_NM, LAT, LON, USE_YN) by the farm rule (above) into the week's
    farms and the excluded rows, each with its reason.

    Inactive rows (USE_YN 'N') are counted, not listed. A farm number on more than one active row is
    excluded on every row: which coordinates are right is for the master data's owner to decide.
    """
    inactive = 0
    active: list[tuple[str, str, object, object]] = []
    excluded: list[ExcludedFarm] = []
    for farm_no_raw, name_raw, lat_raw, lon_raw, use_yn_raw in rows:
        farm_no, name, use_yn = _text(farm_no_raw), _text(name_raw).strip(), _text(use_yn_raw)
        if use_yn == INACTIVE:
            inactive += 1
            continue
        if use_yn != ACTIVE:
            shown = "NULL" if use_yn_raw is None else repr(use_yn)
            excluded.append(
                ExcludedFarm(
                    farm_no.strip(),
                    name,
                    f"USE_YN {shown} is neither 'Y' nor 'N' (the report reads USE_YN = 'Y' exactly)",
                )
            )
            continue
        problem = farm_number_problem(farm_no)
        if problem:
            excluded.append(ExcludedFarm(farm_no.strip(), name, problem))
            continue
        active.append((farm_no, name, lat_raw, lon_raw))
    counts = Counter(farm_no for farm_no, *_ in active)
    valid: list[Farm] = []
    for farm_no, name, lat_raw, lon_raw in active:
        lat, lon, not_numbers = _coordinates(lat_raw, lon_raw)
        if counts[farm_no] > 1:
            excluded.append(
                ExcludedFarm(farm_no, name, f"duplicate farm number ({counts[farm_no]} active rows)")
            )
        elif not_numbers:
            excluded.append(ExcludedFarm(farm_no, name, not_numbers))
        elif lat is None or lon is None:
            excluded.append(ExcludedFarm(farm_no, name, "missing coordinates"))
        elif not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
            excluded.append(ExcludedFarm(farm_no, name, f"coordinates outside Korea ({lat:.4f}, {lon:.4f})"))
        else:
            valid.append(Farm(farm_no, name, lat, lon))
    valid.sort(key=lambda farm: farm.farm_no)
    excluded.sort(key=lambda farm: (farm.farm_no, farm.reason))
    return FarmSelection(valid=valid, excluded=excluded, inactive=inactive)


@dataclass(frozen=True)
class WeatherLocation:
    """One observation point and the farms it serves: one API call per week, one mapped task.

    Between the plan and the mapped tasks a location travels in two parts, so that no XCom grows with the
    number of farms in all: the mapped task's argument is the small ``descriptor()`` (station, label, farm
    count), and the farm numbers are one compressed XCom per location (``farms_xcom_key``,
    ``pack_farm_nos``), pulled only by that location's task.
    """

    point_id: str
    name: str
    farm_nos: tuple[str, ...]

    @property
    def label(self) -> str:
        count = len(self.farm_nos)
        return f"{self.point_id} {self.name} ({count} farm{'' if count == 1 else 's'})"

    def to_xcom(self) -> dict:
        return {
            "point_id": self.point_id,
            "name": self.name,
            "label": self.label,
            "farm_nos": list(self.farm_nos),
        }

    @classmethod
    def from_xcom(cls, data: dict) -> WeatherLocation:
        return cls(str(data["point_id"]), str(data["name"]), tuple(str(no) for no in data["farm_nos"]))

    def descriptor(self) -> dict:
        """The mapped task's argument: everything but the farm numbers."""
        return {
            "point_id": self.point_id,
            "name": self.name,
            "label": self.label,
            "farms": len(self.farm_nos),
        }

    @property
    def farms_xcom_key(self) -> str:
        return farms_xcom_key(self.point_id)


def farms_xcom_key(point_id: str) -> str:
    """XCom key (on the plan task) of one location's farm numbers."""
    return f"farms_{point_id}"


def pack_farm_nos(farm_nos: tuple[str, ...] | list[str]) -> str:
    """Farm numbers as compact text for an XCom: zlib-compressed JSON, base64 (about 3.5 bytes a farm)."""
    raw = json.dumps(list(farm_nos), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def unpack_farm_nos(packed: str) -> tuple[str, ...]:
    return tuple(str(no) for no in json.loads(zlib.decompress(base64.b64decode(packed)).decode("utf-8")))


def weather_locations(farms: list[Farm], stations: list[Station]) -> list[WeatherLocation]:
    """Group farms by their nearest station, ordered by station id."""
    by_station: dict[str, list[str]] = defaultdict(list)
    station_by_id = {station.stn_id: station for station in stations}
    index = StationIndex(stations)
    for farm in farms:
        station, _distance = index.nearest(farm.lat, farm.lon)
        by_station[station.stn_id].append(farm.farm_no)
    return [
        WeatherLocation(stn_id, station_by_id[stn_id].name, tuple(sorted(farm_nos)))
        for stn_id, farm_nos in sorted(by_station.items(), key=lambda item: int(item[0]))
    ]
