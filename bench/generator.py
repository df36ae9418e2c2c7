"""Deterministic synthetic farm sets, spread over Korea the way pig farms are.

Most farms sit around the known pig-farming districts (Hongseong, Icheon, Gimje, Jeju ...), the rest near
any ASOS station, so every region is represented. A small share of rows is bad on purpose (no coordinates,
coordinates outside Korea, a duplicated farm number, no farm number) and a few farms are inactive: the
batch must exclude them with a reason, never crash. The same size and seed always give the same rows.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from devtools.embedded import init_farm_db
from devtools.emulator.common import stable_rng
from include.ins_report.config.settings import Settings
from include.ins_report.model.farms import LAT_RANGE, LON_RANGE
from include.ins_report.model.stations import load_stations

# (district, latitude, longitude, weight): weights follow the regions' share of Korean pig farms.
HOTSPOTS: tuple[tuple[str, float, float, float], ...] = (
    ("홍성", 36.60, 126.66, 8.0), ("당진", 36.89, 126.63, 3.0), ("논산", 36.19, 127.10, 2.5),
    ("천안", 36.81, 127.15, 2.5), ("예산", 36.68, 126.85, 2.0), ("보령", 36.33, 126.61, 2.0),
    ("이천", 37.27, 127.44, 4.0), ("안성", 37.01, 127.28, 4.0), ("포천", 37.89, 127.20, 3.0),
    ("여주", 37.30, 127.64, 2.0), ("평택", 36.99, 127.11, 1.5), ("화성", 37.20, 126.83, 1.5),
    ("연천", 38.10, 127.07, 1.0), ("김제", 35.80, 126.88, 3.5), ("정읍", 35.57, 126.86, 3.0),
    ("익산", 35.95, 126.96, 2.5), ("고창", 35.43, 126.70, 1.5), ("경주", 35.86, 129.22, 2.0),
    ("영천", 35.97, 128.94, 2.0), ("상주", 36.41, 128.16, 2.0), ("안동", 36.57, 128.73, 1.5),
    ("고령", 35.73, 128.26, 1.5), ("군위", 36.24, 128.57, 1.5), ("김해", 35.23, 128.89, 2.0),
    ("합천", 35.57, 128.17, 2.0), ("창녕", 35.54, 128.49, 1.5), ("사천", 35.00, 128.06, 1.0),
    ("고성", 34.97, 128.32, 1.0), ("나주", 35.02, 126.71, 2.0), ("함평", 35.07, 126.52, 1.5),
    ("무안", 34.99, 126.48, 1.5), ("영암", 34.80, 126.70, 1.5), ("보성", 34.77, 127.08, 1.0),
    ("해남", 34.57, 126.60, 1.0), ("진천", 36.86, 127.44, 2.0), ("음성", 36.94, 127.69, 2.0),
    ("청주", 36.64, 127.49, 1.0), ("충주", 36.99, 127.93, 1.0), ("철원", 38.15, 127.31, 1.5),
    ("홍천", 37.70, 127.89, 1.0), ("원주", 37.34, 127.92, 1.0), ("강릉", 37.75, 128.88, 0.5),
    ("한림", 33.41, 126.27, 3.0), ("제주", 33.48, 126.50, 1.0), ("서귀포", 33.30, 126.56, 1.0),
    ("강화", 37.75, 126.49, 0.5), ("울산", 35.55, 129.25, 0.5),
)  # fmt: skip
HOTSPOT_SPREAD_DEG = 0.08  # ~9 km: a district
BACKGROUND_SHARE = 0.15  # farms placed near any station instead of a district
BACKGROUND_SPREAD_DEG = 0.12

# Shares of the rows that are deliberately unusable, and of inactive farms.
BAD_SHARES = {
    "no_coordinates": 0.005,
    "outside_korea": 0.003,
    "duplicate_number": 0.004,
    "no_number": 0.001,
}
INACTIVE_SHARE = 0.02


@dataclass(frozen=True)
class FarmSet:
    size: int
    seed: int
    rows: list[tuple]  # (FARM_NO, FARM_NM, LAT, LON, USE_YN), as TA_FARM holds them

    @property
    def bad_rows(self) -> int:
        return bad_row_count(self.size)


def bad_row_count(size: int) -> int:
    return sum(round(size * share) for share in BAD_SHARES.values())


def _point(rng: random.Random, lat: float, lon: float, spread: float) -> tuple[float, float]:
    """A point around (lat, lon), inside the accepted coordinate range."""
    while True:
        plat, plon = rng.gauss(lat, spread), rng.gauss(lon, spread)
        if LAT_RANGE[0] <= plat <= LAT_RANGE[1] and LON_RANGE[0] <= plon <= LON_RANGE[1]:
            return round(plat, 5), round(plon, 5)


def generate(size: int, seed: int = 1) -> FarmSet:
    """``size`` TA_FARM rows: about 1.3 % bad rows and 2 % inactive farms,
    so about 96 % usable active farms (the bench measured 96.1 to 96.3 %)."""
    rng = stable_rng("ins-bench-farms", size, seed)
    stations = load_stations(Settings().stations_file)
    weights = [weight for *_, weight in HOTSPOTS]
    rows: list[tuple] = []
    for n in range(1, size + 1):
        if rng.random() < BACKGROUND_SHARE:
            station = rng.choice(stations)
            district = station.name
            lat, lon = _point(rng, station.lat, station.lon, BACKGROUND_SPREAD_DEG)
        else:
            district, hlat, hlon, _ = rng.choices(HOTSPOTS, weights=weights)[0]
            lat, lon = _point(rng, hlat, hlon, HOTSPOT_SPREAD_DEG)
        use_yn = "N" if rng.random() < INACTIVE_SHARE else "Y"
        rows.append((f"B{n:07d}", f"{district} 양돈 {n}", lat, lon, use_yn))

    # Deliberately bad rows replace (or, for duplicates, are added next to) regular ones.
    picks = rng.sample(range(size), bad_row_count(size))
    cursor = 0
    for kind, share in BAD_SHARES.items():
        for index in picks[cursor : cursor + round(size * share)]:
            farm_no, name, lat, lon, _ = rows[index]
            if kind == "no_coordinates":
                rows[index] = (farm_no, name, None, None, "Y")
            elif kind == "outside_korea":
                rows[index] = (farm_no, name, lon, lat, "Y")  # latitude and longitude swapped
            elif kind == "duplicate_number":
                rows[index] = (rows[index - 1][0], name, lat, lon, "Y")
            else:
                rows[index] = (None, name, lat, lon, "Y")
        cursor += round(size * share)
    # Duplicates must be active on both rows to count as duplicates.
    for index in picks:
        farm_no = rows[index][0]
        if farm_no is not None and index > 0 and rows[index - 1][0] == farm_no:
            rows[index - 1] = (*rows[index - 1][:4], "Y")
    return FarmSet(size=size, seed=seed, rows=rows)


def write_farm_db(path: Path, farm_set: FarmSet) -> None:
    """A fresh SQLite farm database with the reference schema and the farm set in TA_FARM."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    init_farm_db(path, farm_set.rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic farm database (SQLite).")
    parser.add_argument("size", type=int, help="number of TA_FARM rows")
    parser.add_argument("path", type=Path, help="the SQLite file to (re)create")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    write_farm_db(args.path, generate(args.size, args.seed))
    print(f"{args.path}: {args.size} farm rows (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
