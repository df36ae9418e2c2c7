"""Fake KMA ASOS daily service (data.go.kr ``AsosDalyInfoService/getWthrDataList``).

Speaks the two error layers of apis.data.go.kr: the portal gateway (``OpenAPI_ServiceResponse`` XML, HTTP 200,
even when JSON was asked for) and the provider envelope (``response/header`` with a non-``00`` resultCode and
no body, in the requested format). Rows are synthetic but deterministic per (station, day) and seasonally
plausible for Korea.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from xml.sax.saxutils import escape

from devtools.emulator.common import (
    HTML_TYPE,
    JSON_TYPE,
    KST,
    TEXT_TYPE,
    XML_TYPE,
    Answer,
    fmt1,
    fmt2,
    hhmm,
    json_answer,
    stable_rng,
    truncated,
)
from devtools.emulator.faults import FaultRule

PATH = "/1360000/AsosDalyInfoService/getWthrDataList"
DEFAULT_STATIONS_FILE = (
    Path(__file__).resolve().parents[2] / "include" / "ins_report" / "data" / "asos_stations.csv"
)

# Radar sites (116, 160, 175) and island stations (96, 229): listed, but no daily rows.
NON_DAILY_STATIONS = frozenset({"96", "116", "160", "175", "229"})

MANDATORY_PARAMS = ("pageNo", "numOfRows", "dataCd", "dateCd", "startDt", "endDt", "stnIds")

MSG_NORMAL = "NORMAL_SERVICE"
MSG_NO_DATA = "NO_DATA"
MSG_INVALID = "INVALID_REQUEST_PARAMETER_ERROR"
MSG_NO_MANDATORY = "NO_MANDATORY_REQUEST_PARAMETERS_ERROR"
MSG_NOT_PUBLISHED = "전날 자료까지 제공됩니다."
MSG_TOO_OLD = "최근 1일 간의 자료만 제공합니다."

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

_DATE = re.compile(r"^\d{8}$")

# Fault shapes: the fields "bad_values" / "bare_nan" overwrite, the totalCount "ignore_page_no" claims.
BAD_VALUE_FIELDS = ("avgTa", "maxTa")
IGNORED_PAGE_TOTAL = 1000


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


# --------------------------------------------------------------------------------------------------------- #
# Envelopes                                                                                                 #
# --------------------------------------------------------------------------------------------------------- #

_CLASSIC_GATEWAY = """<OpenAPI_ServiceResponse>
	<cmmMsgHeader>
		<errMsg>SERVICE ERROR</errMsg>
		<returnAuthMsg>{token}</returnAuthMsg>
		<returnReasonCode>{code}</returnReasonCode>
	</cmmMsgHeader>
</OpenAPI_ServiceResponse>"""

_NEW_GATEWAY = """<?xml version="1.0" encoding="UTF-8"?>
<OpenAPI_ServiceResponse>
<cmmMsgHeader>
  <errMsg>{token}</errMsg>
  <returnAuthMsg>{text}</returnAuthMsg>
  <returnReasonCode>{code}</returnReasonCode>
</cmmMsgHeader>
</OpenAPI_ServiceResponse>"""

KEY_NOT_REGISTERED = ("30", "SERVICE_KEY_IS_NOT_REGISTERED_ERROR", "등록되지 않은 서비스키")
QUOTA_EXCEEDED = ("22", "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR", "서비스 요청제한횟수 초과에러")

_HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


def classic_gateway(error: tuple[str, str, str], status: int = 200) -> Answer:
    code, token, _ = error
    body = _CLASSIC_GATEWAY.format(token=token, code=code).encode("utf-8")
    return Answer(status=status, body=body, content_type=XML_TYPE, result=f"gateway:{code}")


def new_gateway_xml(error: tuple[str, str, str], status: int = 403) -> Answer:
    code, token, text = error
    body = _NEW_GATEWAY.format(token=token, text=text, code=code).encode("utf-8")
    return Answer(status=status, body=body, content_type=XML_TYPE, result=f"gateway:{code}")


def gateway_json(error: tuple[str, str, str], status: int = 403) -> Answer:
    code, token, text = error
    document = {"OpenAPI_ServiceResponse": {"cmmMsgHeader": {"errMsg": token, "returnAuthMsg": text,
                                                              "returnReasonCode": code}}}  # fmt: skip
    return json_answer(document, status=status, result=f"gateway:{code}")


def _xml_item(row: dict[str, str]) -> str:
    return (
        "<item>" + "".join(f"<{key}>{escape(str(value))}</{key}>" for key, value in row.items()) + "</item>"
    )


def provider_error(code: str, message: str, fmt: str) -> Answer:
    """The provider envelope with a header only, in the requested format, HTTP 200."""
    if fmt == "JSON":
        return json_answer({"response": {"header": {"resultCode": code, "resultMsg": message}}}, result=code)
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f"<response><header><resultCode>{code}</resultCode><resultMsg>{escape(message)}</resultMsg>"
        "</header></response>"
    )
    return Answer(body=body.encode("utf-8"), content_type=XML_TYPE, result=code)


def success(
    rows: list[dict[str, str]], page_no: int, num_rows: int, total: int, fmt: str, items: str
) -> Answer:
    """``items``: "list" (normal), "object" (one row as an object), "empty_string" (``""``), "missing"."""
    if fmt == "JSON":
        body: dict[str, object] = {"dataType": "JSON"}
        if items == "list":
            body["items"] = {"item": rows}
        elif items == "object":
            body["items"] = {"item": rows[0]}
        elif items == "empty_string":
            body["items"] = ""
        body.update(pageNo=page_no, numOfRows=num_rows, totalCount=total)
        document = {"response": {"header": {"resultCode": "00", "resultMsg": MSG_NORMAL}, "body": body}}
        return json_answer(document, result="00")
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f"<response><header><resultCode>00</resultCode><resultMsg>{MSG_NORMAL}</resultMsg></header>",
        "<body><dataType>XML</dataType>",
    ]
    if items in ("list", "object"):
        parts.append("<items>" + "".join(_xml_item(row) for row in rows) + "</items>")
    elif items == "empty_string":
        parts.append("<items></items>")
    parts.append(
        f"<numOfRows>{num_rows}</numOfRows><pageNo>{page_no}</pageNo><totalCount>{total}</totalCount>"
        "</body></response>"
    )
    return Answer(body="".join(parts).encode("utf-8"), content_type=XML_TYPE, result="00")


# --------------------------------------------------------------------------------------------------------- #
# Request handling                                                                                          #
# --------------------------------------------------------------------------------------------------------- #


@dataclass(frozen=True)
class KmaContext:
    now: dt.datetime  # KST
    publish_hour: int
    service_key: str
    stations: Mapping[str, Station]


def request_format(params: Mapping[str, str]) -> str:
    return "JSON" if params.get("dataType", "").strip().upper() == "JSON" else "XML"


def _date(text: str) -> dt.date | None:
    if not _DATE.match(text):
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def _positive(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) > 0 else None


def is_published(day: dt.date, ctx: KmaContext) -> bool:
    """Day D is published at D+1, publish_hour KST."""
    release = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(ctx.publish_hour), tzinfo=KST)
    return ctx.now >= release


def _normal(
    params: Mapping[str, str], ctx: KmaContext, shape: str | None, options: Mapping[str, object] | None = None
) -> Answer:
    """The service's answer; ``shape`` (a fault scenario) bends it as that scenario says."""
    options = options or {}
    fmt = request_format(params)
    key = params.get("serviceKey") or params.get("ServiceKey") or ""
    if key != ctx.service_key:
        return classic_gateway(KEY_NOT_REGISTERED)
    if any(not params.get(name, "").strip() for name in MANDATORY_PARAMS):
        return provider_error("11", MSG_NO_MANDATORY, fmt)
    page_no = _positive(params["pageNo"].strip())
    num_rows = _positive(params["numOfRows"].strip())
    start = _date(params["startDt"].strip())
    end = _date(params["endDt"].strip())
    if (
        page_no is None
        or num_rows is None
        or start is None
        or end is None
        or start > end
        or params["dataCd"].strip() != "ASOS"
        or params["dateCd"].strip() != "DAY"
    ):
        return provider_error("10", MSG_INVALID, fmt)
    if end >= ctx.now.date():
        return provider_error("99", MSG_NOT_PUBLISHED, fmt)

    station = ctx.stations.get(params["stnIds"].strip())
    days: list[dt.date] = []
    if station is not None and station.stn_id not in NON_DAILY_STATIONS:
        # Only the days already published; the newest is the latest, so stop at the first unpublished one.
        day = start
        while day <= end and is_published(day, ctx):
            days.append(day)
            day += dt.timedelta(days=1)
    if shape in ("item_empty_string", "item_missing"):
        return success([], page_no, num_rows, 0, fmt, shape.removeprefix("item_"))
    if not days:
        return provider_error("03", MSG_NO_DATA, fmt)
    assert station is not None
    if shape == "duplicate_days":
        days = [day for day in days for _ in range(2)]  # every day twice, the true total counts both
    if shape == "ignore_page_no":
        # Always the first page, whatever pageNo asks, with an inflated totalCount.
        rows = [daily_row(station, day) for day in days[:num_rows]]
        total = options.get("total", IGNORED_PAGE_TOTAL)
        return success(rows, page_no, num_rows, int(str(total)), fmt, "list")
    page_days = days[(page_no - 1) * num_rows : page_no * num_rows]
    if shape == "item_object":
        row = daily_row(station, (page_days or days)[0])
        return success([row], page_no, num_rows, 1, fmt, "object")
    rows = [daily_row(station, day) for day in page_days]
    if shape == "empty_values":
        rows = [blank_measurements(row) for row in rows]
    if shape in ("bad_values", "bare_nan"):
        fields = options.get("fields") or BAD_VALUE_FIELDS
        # bare_nan: a float NaN, which json.dumps writes as a bare NaN token (not valid JSON, yet parseable).
        value = float("nan") if shape == "bare_nan" else options.get("value", "NaN")
        rows = [{**row, **dict.fromkeys(fields, value)} for row in rows]  # type: ignore[call-overload]
    return success(rows, page_no, num_rows, len(days), fmt, "list")


def handle(params: Mapping[str, str], ctx: KmaContext, rule: FaultRule | None = None) -> Answer:
    """The answer to one getWthrDataList request, or the fault ``rule`` asks for."""
    if rule is None:
        return _normal(params, ctx, None)
    fmt = request_format(params)
    scenario = rule.scenario
    if scenario == "nodata":
        return provider_error("03", MSG_NO_DATA, fmt)
    if scenario == "too_old":
        return provider_error("10", MSG_TOO_OLD, fmt)
    if scenario == "not_published":
        return provider_error("99", MSG_NOT_PUBLISHED, fmt)
    if scenario == "quota_xml_200":
        return classic_gateway(QUOTA_EXCEEDED)
    if scenario == "key_xml_200":
        return classic_gateway(KEY_NOT_REGISTERED)
    if scenario == "key_xml_403":
        return new_gateway_xml(KEY_NOT_REGISTERED, 403)
    if scenario == "key_json_403":
        return gateway_json(KEY_NOT_REGISTERED, 403)
    if scenario == "quota_xml_429":
        return classic_gateway(QUOTA_EXCEEDED, 429)
    if scenario == "unauthorized_401_text":
        return Answer(status=401, body=b"Unauthorized", content_type=TEXT_TYPE, result="http:401")
    if scenario == "html_502":
        return Answer(status=502, body=_HTML_502.encode(), content_type=HTML_TYPE, result="http:502")
    if scenario == "http_500":
        return Answer(status=500, body=b"Internal Server Error", content_type=TEXT_TYPE, result="http:500")
    if scenario == "http_429":
        return Answer(status=429, body=b"Too Many Requests", content_type=TEXT_TYPE, result="http:429")
    if scenario == "empty_200":
        return Answer(body=b"", content_type=JSON_TYPE if fmt == "JSON" else XML_TYPE, result="empty")
    if scenario == "reset_connection":
        return Answer(reset=True, result="reset")
    if scenario == "malformed_json":
        answer = _normal({**params, "dataType": "JSON"}, ctx, None)
        answer.body, answer.result = truncated(answer.body), "malformed"
        return answer
    if scenario == "timeout":
        answer = _normal(params, ctx, None)
        answer.delay_s = rule.seconds
        return answer
    # item_object, item_empty_string, item_missing, empty_values, bad_values, bare_nan, ignore_page_no,
    # duplicate_days: the normal answer, bent.
    return _normal(params, ctx, scenario, rule.options)
