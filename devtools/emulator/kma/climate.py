"""Fake KMA ASOS: the stations and the synthetic climate behind the rows (deterministic per station and day,
seasonally plausible for Korea)."""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

from devtools.emulator.common import (
    fmt1,
    fmt2,
    hhmm,
    stable_rng,
)

PATH = "/1360000/AsosDalyInfoService/getWthrDataList"
DEFAULT_STATIONS_FILE = (
    Path(__file__).resolve().parents[3] / "include" / "ins_report" / "data" / "asos_stations.csv"
)

# Radar sites (116, 160, 175) and island stations (96, 229): listed, but no daily rows.
NON_DAILY_STATIONS = frozenset({"96", "116", "160", "175", "229"})

# The 62 keys of a getWthrDataList item, in the order of the captured Busan answer.
ROW_KEYS = (
    "stnId",
    "stnNm",
    "tm",
    "avgTa",
    "minTa",
    "minTaHrmt",
    "maxTa",
    "maxTaHrmt",
    "mi10MaxRn",
    "mi10MaxRnHrmt",
    "hr1MaxRn",
    "hr1MaxRnHrmt",
    "sumRnDur",
    "sumRn",
    "maxInsWs",
    "maxInsWsWd",
    "maxInsWsHrmt",
    "maxWs",
    "maxWsWd",
    "maxWsHrmt",
    "avgWs",
    "hr24SumRws",
    "maxWd",
    "avgTd",
    "minRhm",
    "minRhmHrmt",
    "avgRhm",
    "avgPv",
    "avgPa",
    "maxPs",
    "maxPsHrmt",
    "minPs",
    "minPsHrmt",
    "avgPs",
    "ssDur",
    "sumSsHr",
    "hr1MaxIcsrHrmt",
    "hr1MaxIcsr",
    "sumGsr",
    "ddMefs",
    "ddMefsHrmt",
    "ddMes",
    "ddMesHrmt",
    "sumDpthFhsc",
    "avgTca",
    "avgLmac",
    "avgTs",
    "minTg",
    "avgCm5Te",
    "avgCm10Te",
    "avgCm20Te",
    "avgCm30Te",
    "avgM05Te",
    "avgM10Te",
    "avgM15Te",
    "avgM30Te",
    "avgM50Te",
    "sumLrgEv",
    "sumSmlEv",
    "n99Rn",
    "iscs",
    "sumFogDur",
)
MEASURED_KEYS = ROW_KEYS[3:]
assert len(ROW_KEYS) == 62

# --------------------------------------------------------------------------------------------------------- #
# Stations and climate                                                                                      #
# --------------------------------------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Station:
    stn_id: str
    name: str
    lat: float
    lon: float


def load_stations(path: Path | None = None) -> dict[str, Station]:
    """Every station of the seed CSV (stn_id,stn_name,lat,lon), by id."""
    with (path or DEFAULT_STATIONS_FILE).open(encoding="utf-8") as handle:
        return {
            row["stn_id"].strip(): Station(
                row["stn_id"].strip(), row["stn_name"].strip(), float(row["lat"]), float(row["lon"])
            )
            for row in csv.DictReader(handle)
        }


# Approximate elevations (m) of the higher inland stations; the others are taken as low-lying.
_ELEVATION_M = {
    "100": 772, "216": 712, "248": 406, "271": 320, "217": 307, "221": 264, "264": 251, "244": 247,
    "135": 245, "121": 241, "284": 221, "272": 211, "276": 206, "211": 200, "226": 175, "273": 171,
    "238": 170, "95": 155, "114": 150, "212": 140, "136": 140, "289": 138, "127": 115, "137": 96,
    "93": 95, "108": 86, "203": 78, "101": 77, "156": 73, "159": 70, "133": 68, "143": 64, "146": 61,
    "131": 58, "202": 48,
}  # fmt: skip
_DEFAULT_ELEVATION_M = 30
# Small islands and capes: damped annual cycle, windier.
_MARITIME = frozenset({"96", "102", "115", "169", "185", "229"})
_WIND_DIRECTIONS = (20, 50, 70, 90, 110, 140, 160, 180, 200, 230, 250, 270, 290, 320, 340, 360)
_SOIL_DEPTHS_M = (
    ("avgCm5Te", 0.05),
    ("avgCm10Te", 0.1),
    ("avgCm20Te", 0.2),
    ("avgCm30Te", 0.3),
    ("avgM05Te", 0.5),
    ("avgM10Te", 1.0),
    ("avgM15Te", 1.5),
    ("avgM30Te", 3.0),
    ("avgM50Te", 5.0),
)
_STANDARD_NORMAL = NormalDist()


@dataclass(frozen=True)
class _Climate:
    mean: float  # annual mean temperature °C
    amplitude: float  # half the January-to-July swing °C
    elevation: float
    wind: float  # typical daily mean wind m/s
    jeju: bool
    large_pan: bool  # measures large-pan evaporation


def _climate(station: Station) -> _Climate:
    rng = stable_rng("station", station.stn_id)
    elevation = float(_ELEVATION_M.get(station.stn_id, _DEFAULT_ELEVATION_M))
    maritime = station.stn_id in _MARITIME
    # ~12.5 °C in Seoul, 1 °C warmer per degree further south, lapse rate with height.
    mean = 13.1 - 1.0 * (station.lat - 37.57) - 0.0065 * elevation
    amplitude = (14.3 + 0.9 * (station.lat - 37.57)) * (0.85 if maritime else 1.0)
    wind = rng.uniform(1.3, 2.6) + (2.0 if maritime else 0.0)
    return _Climate(mean, amplitude, elevation, wind, station.lat < 34.0, rng.random() < 0.6)


def _z(*parts: object) -> float:
    return stable_rng(*parts).gauss(0.0, 1.0)


def _smoothed(kind: str, day: dt.date) -> float:
    """A nationwide standard-normal signal with a few days' persistence (shared by nearby stations)."""
    weights = (0.6, 0.5, 0.35)
    total = sum(w * _z(kind, (day - dt.timedelta(days=lag)).isoformat()) for lag, w in enumerate(weights))
    return total / math.sqrt(sum(w * w for w in weights))


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _dew_point(temp: float, rh: float) -> float:
    gamma = math.log(rh / 100.0) + 17.62 * temp / (243.12 + temp)
    return 243.12 * gamma / (17.62 - gamma)


def daily_row(station: Station, day: dt.date) -> dict[str, str]:
    """One getWthrDataList item: every value a string, ``""`` when not observed (no rain, no snow...)."""
    rng = stable_rng(station.stn_id, day.isoformat())
    clim = _climate(station)
    doy = day.timetuple().tm_yday
    phase = 2 * math.pi * (doy - 25) / 365.25
    season = -math.cos(phase)  # -1 in late January, +1 in late July

    # Temperature: climatology + a regional and a local anomaly.
    anomaly = 0.8 * _smoothed("ta", day) + 0.6 * _z("ta", station.stn_id, day.isoformat())
    spread = 2.4 - 0.45 * (season + 1)
    avg_ta = clim.mean + clim.amplitude * season + spread * anomaly

    # Rain on ~30 % of days: ~13 % in winter, ~47 % in the monsoon, a little more on Jeju.
    p_rain = _clip(0.30 + 0.17 * season + (0.05 if clim.jeju else 0.0), 0.05, 0.8)
    rain_score = 0.8 * _smoothed("rn", day) + 0.6 * _z("rn", station.stn_id, day.isoformat())
    rainy = rain_score > _STANDARD_NORMAL.inv_cdf(1.0 - p_rain)

    day_range = rng.uniform(3.0, 6.5) if rainy else rng.uniform(6.5, 12.0)
    min_ta = avg_ta - day_range * rng.uniform(0.42, 0.58)
    max_ta = min_ta + day_range
    min_ta_at = rng.randint(0, 1439) if rng.random() < 0.15 else rng.randint(300, 470)
    max_ta_at = rng.randint(750, 960)

    rh = _clip(63 + 13 * season + (12 if rainy else 0) + (4 if clim.jeju else 0) + rng.gauss(0, 6), 40, 90)
    min_rhm = int(_clip(rh - rng.uniform(12, 30), 8, rh - 1))
    min_rhm_at = rng.randint(720, 960)
    dew = _dew_point(avg_ta, rh)
    vapour = 6.112 * math.exp(17.62 * dew / (243.12 + dew))

    sea_ps = 1016.5 - 7.5 * season + 4.5 * _smoothed("ps", day) - (3.0 if rainy else 0.0)
    max_ps = sea_ps + rng.uniform(0.8, 5.0)
    min_ps = sea_ps - rng.uniform(0.8, 5.0)
    local_pa = sea_ps - clim.elevation / 8.3 - rng.uniform(0.0, 0.4)

    avg_ws = clim.wind * math.exp(rng.gauss(0, 0.35)) * (1.1 if season < -0.3 else 1.0)
    max_ws = avg_ws * rng.uniform(1.8, 3.0)
    max_ins_ws = max_ws * rng.uniform(1.4, 1.9)
    max_ws_at = rng.randint(0, 1439)
    max_ins_at = _clip(max_ws_at + rng.randint(-40, 40), 0, 1439)

    # Sunshine and radiation from the day length at the station's latitude.
    lat = math.radians(station.lat)
    decl = math.radians(23.44) * math.sin(2 * math.pi * (284 + doy) / 365)
    sunset = math.acos(_clip(-math.tan(lat) * math.tan(decl), -1.0, 1.0))
    day_length = 24 / math.pi * sunset + 0.2
    cloud = rng.uniform(7.0, 10.0) if rainy else min(10.0, rng.triangular(0.0, 8.5, 2.5))
    sun_fraction = _clip(1 - (cloud / 10) ** 1.3 * rng.uniform(0.85, 1.05), 0.0, 1.0) * (0.5 if rainy else 1)
    extraterrestrial = (
        24 * 60 / math.pi * 0.0820 * (1 + 0.033 * math.cos(2 * math.pi * doy / 365))
        * (sunset * math.sin(lat) * math.sin(decl) + math.cos(lat) * math.cos(decl) * math.sin(sunset))
    )  # fmt: skip
    global_radiation = extraterrestrial * (0.22 + 0.53 * sun_fraction)
    low_cloud = cloud * rng.uniform(0.1, 0.8)

    avg_ts = avg_ta + rng.uniform(-0.5, 1.5) + 2.5 * sun_fraction * max(season, 0.0)
    min_tg = min_ta - rng.uniform(0.5, 5.0) * (0.4 if rainy else 1.0)

    small_pan = max(
        0.1,
        (0.6 + 0.16 * max(avg_ta, 0.0)) * (1.35 - rh / 100) * (0.6 + sun_fraction) * (0.8 + 0.1 * avg_ws)
        + rng.gauss(0, 0.2),
    )
    large_pan = small_pan * rng.uniform(0.65, 0.8)

    row = dict.fromkeys(ROW_KEYS, "")
    row.update(
        stnId=station.stn_id,
        stnNm=station.name,
        tm=day.isoformat(),
        avgTa=fmt1(avg_ta),
        minTa=fmt1(min_ta),
        minTaHrmt=hhmm(min_ta_at),
        maxTa=fmt1(max_ta),
        maxTaHrmt=hhmm(max_ta_at),
        maxInsWs=fmt1(max_ins_ws),
        maxInsWsWd=str(rng.choice(_WIND_DIRECTIONS)),
        maxInsWsHrmt=hhmm(max_ins_at),
        maxWs=fmt1(max_ws),
        maxWsWd=str(rng.choice(_WIND_DIRECTIONS)),
        maxWsHrmt=hhmm(max_ws_at),
        avgWs=fmt1(avg_ws),
        hr24SumRws=str(round(avg_ws * 864)),
        maxWd=str(rng.choice(_WIND_DIRECTIONS)),
        avgTd=fmt1(dew),
        minRhm=str(min_rhm),
        minRhmHrmt=hhmm(min_rhm_at),
        avgRhm=fmt1(rh),
        avgPv=fmt1(vapour),
        avgPa=fmt1(local_pa),
        maxPs=fmt1(max_ps),
        maxPsHrmt=hhmm(rng.randint(0, 1439)),
        minPs=fmt1(min_ps),
        minPsHrmt=hhmm(rng.randint(0, 1439)),
        avgPs=fmt1(sea_ps),
        ssDur=fmt1(day_length),
        sumSsHr=fmt1(day_length * sun_fraction),
        hr1MaxIcsrHrmt=hhmm(60 * rng.choice((11, 12, 12, 13))),
        hr1MaxIcsr=fmt2(global_radiation * rng.uniform(0.13, 0.19)),
        sumGsr=fmt2(global_radiation),
        avgTca=fmt1(cloud),
        avgLmac=fmt1(low_cloud),
        avgTs=fmt1(avg_ts),
        minTg=fmt1(min_tg),
        sumLrgEv=fmt1(large_pan) if clim.large_pan else "",
        sumSmlEv=fmt1(small_pan),
    )
    for key, depth in _SOIL_DEPTHS_M:
        damping = math.exp(-depth / 2.2)
        soil = (
            clim.mean + 1.5
            - clim.amplitude * 1.05 * damping * math.cos(phase - depth / 2.2)
            + spread * anomaly * math.exp(-depth / 0.25)
            + rng.gauss(0, 0.1)
        )  # fmt: skip
        row[key] = fmt1(soil)

    if rainy:
        amount = round(max(0.1, rng.expovariate(1 / (8 + 7 * season))), 1)
        hours = _clip(amount / rng.uniform(0.6, 3.0), 0.2, 23.9)
        start = rng.randint(0, int(1439 - hours * 60))
        end = int(start + hours * 60)
        hour_max = round(min(amount, max(0.1, amount * rng.uniform(0.15, 0.55))), 1)
        ten_min_max = round(min(hour_max, max(0.1, hour_max * rng.uniform(0.2, 0.5))), 1)
        peak = rng.randint(start, max(start, end))
        snow = avg_ta < 0.5
        row.update(
            mi10MaxRn=fmt1(ten_min_max),
            mi10MaxRnHrmt=hhmm(peak),
            hr1MaxRn=fmt1(hour_max),
            hr1MaxRnHrmt=hhmm(peak - peak % 60 + 60 if peak < 1380 else 1439),
            sumRnDur=fmt2(hours),
            sumRn=fmt1(amount),
            n99Rn=fmt1(amount * rng.uniform(0.7, 1.2)),
            iscs=f"{{{'눈' if snow else '비'}}}{hhmm(start)}-{hhmm(end)}.",
        )
        if snow:
            fresh = amount * rng.uniform(0.8, 1.4)
            row.update(
                ddMefs=fmt1(fresh),
                ddMefsHrmt=hhmm(end),
                ddMes=fmt1(fresh + rng.uniform(0.0, 3.0)),
                ddMesHrmt=hhmm(end),
                sumDpthFhsc=fmt1(fresh * rng.uniform(0.9, 1.2)),
            )
    elif rh > 75 and rng.random() < 0.3:
        fog_start = rng.randint(180, 330)
        fog_end = fog_start + rng.randint(30, 240)
        row.update(
            sumFogDur=fmt2((fog_end - fog_start) / 60), iscs=f"{{안개}}{hhmm(fog_start)}-{hhmm(fog_end)}."
        )
    return row


def blank_measurements(row: dict[str, str]) -> dict[str, str]:
    return {key: (value if key not in MEASURED_KEYS else "") for key, value in row.items()}
