"""Farm master rows: which farms can be reported, which are excluded and why, and their weather locations."""

from __future__ import annotations

import base64
import json
import math
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass

from include.ins_report.stations import Station, StationIndex

# South Korea including Jeju, Ulleungdo and Dokdo, with a small margin. A farm outside is a data error.
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


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def classify_farms(rows: list[tuple]) -> FarmSelection:
    """Split TA_FARM rows (FARM_NO, FARM_NM, LAT, LON, USE_YN) into reportable and excluded farms.

    Inactive farms are counted, not listed. A farm number that appears on more than one active row is
    excluded on every row: which coordinates are right is for the master data's owner to decide.
    """
    active = [row for row in rows if str(row[4] or "").strip().upper() == "Y"]
    inactive = len(rows) - len(active)
    counts = Counter(str(row[0]).strip() for row in active if row[0] is not None)
    valid: list[Farm] = []
    excluded: list[ExcludedFarm] = []
    for farm_no_raw, name_raw, lat_raw, lon_raw, _use_yn in active:
        farm_no = str(farm_no_raw).strip() if farm_no_raw is not None else ""
        name = str(name_raw or "").strip()
        lat, lon = _number(lat_raw), _number(lon_raw)
        if not farm_no:
            excluded.append(ExcludedFarm("", name, "no farm number"))
        elif counts[farm_no] > 1:
            excluded.append(
                ExcludedFarm(farm_no, name, f"duplicate farm number ({counts[farm_no]} active rows)")
            )
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
