"""Weather locations: ASOS stations that report daily data, and the nearest one to a farm."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

# Radar sites and island stations in the seed list that return no ASOS daily rows: never a candidate.
NON_DAILY_STATIONS = frozenset({"116", "160", "175", "96", "229"})

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Station:
    stn_id: str
    name: str
    lat: float
    lon: float


def load_stations(path: Path) -> list[Station]:
    """Candidate stations from the seed CSV (stn_id,stn_name,lat,lon), without non-daily sites."""
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    stations = [
        Station(row["stn_id"].strip(), row["stn_name"].strip(), float(row["lat"]), float(row["lon"]))
        for row in rows
        if row["stn_id"].strip() not in NON_DAILY_STATIONS
    ]
    if not stations:
        raise ValueError(f"{path} lists no usable ASOS station")
    return stations


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def nearest_station(lat: float, lon: float, stations: list[Station]) -> tuple[Station, float]:
    """The closest candidate station and its distance in km (ties go to the lower station id)."""
    return min(
        ((station, distance_km(lat, lon, station.lat, station.lon)) for station in stations),
        key=lambda pair: (pair[1], int(pair[0].stn_id)),
    )
