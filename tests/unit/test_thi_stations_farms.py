import pytest

from include.ins_report.config.settings import Settings
from include.ins_report.model.farms import (
    LAT_RANGE,
    LON_RANGE,
    WeatherLocation,
    classify_farms,
    weather_locations,
)
from include.ins_report.model.stations import (
    NON_DAILY_STATIONS,
    Station,
    distance_km,
    load_stations,
    nearest_station,
)
from include.ins_report.model.thi import pig_thi_level, thi


@pytest.mark.parametrize(
    ("temp", "rh", "expected"),
    # Test vectors of the reference notes, section 5 (NRC form, the "- 26" constant).
    [
        (20, 50, 65.25),
        (25, 60, 72.82),
        (27, 80, 78.11),
        (28, 80, 79.72),
        (30, 70, 81.38),
        (32, 60, 82.65),
        (35, 50, 84.83),
        (24, 80, 73.31),
        (33, 85, 88.64),
        (38, 80, 95.74),
    ],
)
def test_thi_reference_vectors(temp, rh, expected):
    assert thi(temp, rh) == pytest.approx(expected, abs=0.01)


def test_thi_missing_input_and_bad_humidity():
    assert thi(None, 50) is None
    assert thi(20, None) is None
    with pytest.raises(ValueError, match=r"0\.\.100"):
        thi(20, 130)


def test_pig_thi_levels():
    assert [pig_thi_level(v) for v in (50, 64, 73.9, 74, 84, 95, None)] == [
        "양호",
        "주의",
        "주의",
        "경고",
        "위험",
        "폐사",
        None,
    ]


STATIONS = load_stations(Settings().stations_file)


def test_seed_stations_exclude_non_daily_sites():
    ids = {station.stn_id for station in STATIONS}
    assert ids.isdisjoint(NON_DAILY_STATIONS)
    assert {"108", "159", "184"} <= ids


def test_distance_one_degree_of_latitude():
    # One degree along a meridian is 2*pi*R/360 = 111.195 km for the mean Earth radius.
    assert distance_km(36.0, 127.0, 37.0, 127.0) == pytest.approx(111.195, abs=0.01)
    assert distance_km(37.0, 127.0, 37.0, 127.0) == 0.0


@pytest.mark.parametrize(
    ("lat", "lon", "station"),
    [
        (37.5665, 126.9780, "108"),  # Seoul City Hall
        (37.2724, 127.4350, "203"),  # Icheon
        (36.6012, 126.6608, "177"),  # Hongseong
        (33.4996, 126.5312, "184"),  # Jeju
        (37.45, 126.965, "108"),  # next to the Gwanak radar site (116), which has no daily data
    ],
)
def test_nearest_station(lat, lon, station):
    assert nearest_station(lat, lon, STATIONS)[0].stn_id == station


def test_nearest_station_ties_go_to_the_lower_id():
    a, b = Station("200", "b", 36.0, 127.0), Station("100", "a", 36.0, 127.0)
    assert nearest_station(36.0, 127.0, [a, b])[0].stn_id == "100"


def test_classify_farms_excludes_bad_rows_with_reasons():
    rows = [
        ("F1", "좋은 농장", 37.27, 127.43, "Y"),
        ("F2", 'O\'Neil "농장"', "36.6", "126.66", "Y"),  # text coordinates, quotes in the name
        ("F3", "no coords", None, None, "Y"),
        ("F4", "tokyo", 35.68, 139.65, "Y"),
        ("F5", "dup a", 36.0, 127.0, "Y"),
        ("F5", "dup b", 36.1, 127.1, "Y"),
        ("F6", "closed", 36.0, 127.0, "N"),
        ("F7", "blank lat", "", 127.0, "Y"),
        ("F8", "nan", float("nan"), 127.0, "Y"),
        (None, "no number", 36.0, 127.0, "Y"),
    ]
    selection = classify_farms(rows)
    assert [farm.farm_no for farm in selection.valid] == ["F1", "F2"]
    assert selection.valid[1].lat == 36.6
    assert selection.inactive == 1
    reasons = {(farm.farm_no, farm.reason) for farm in selection.excluded}
    assert reasons == {
        ("", "no farm number"),
        ("F3", "missing coordinates"),
        ("F4", "coordinates outside Korea (35.6800, 139.6500)"),
        ("F5", "duplicate farm number (2 active rows)"),
        ("F7", "missing coordinates"),
        ("F8", "missing coordinates"),
    }
    assert sum(1 for farm in selection.excluded if farm.farm_no == "F5") == 2


# --- the farm rule: one identity for the batch and the report procedure ------------------------------


def test_use_yn_must_be_exactly_y_and_anything_but_y_or_n_is_excluded_with_its_reason():
    rows = [
        ("F1", "a", 37.0, 127.0, "Y"),
        ("F2", "lower case", 37.0, 127.0, "y"),
        ("F3", "padded", 37.0, 127.0, " Y "),
        ("F4", "empty", 37.0, 127.0, ""),
        ("F5", "null", 37.0, 127.0, None),
        ("F6", "closed", 37.0, 127.0, "N"),
        ("F7", "closed, lower case", 37.0, 127.0, "n"),
    ]
    selection = classify_farms(rows)
    assert [farm.farm_no for farm in selection.valid] == ["F1"]
    assert selection.inactive == 1  # only 'N' exactly is inactive
    reasons = {farm.farm_no: farm.reason for farm in selection.excluded}
    assert set(reasons) == {"F2", "F3", "F4", "F5", "F7"}
    assert reasons["F2"] == "USE_YN 'y' is neither 'Y' nor 'N' (the report reads USE_YN = 'Y' exactly)"
    assert reasons["F3"].startswith("USE_YN ' Y ' is neither")
    assert reasons["F5"].startswith("USE_YN NULL is neither")


def test_farm_number_is_used_as_stored_and_a_padded_one_is_excluded():
    rows = [
        ("F1", "exact", 37.0, 127.0, "Y"),
        (" F1", "padded twin of F1", 37.1, 127.1, "Y"),  # not a duplicate of F1: excluded on its own
        ("F2 ", "trailing space", 37.0, 127.0, "Y"),
        ("   ", "blank", 37.0, 127.0, "Y"),
        ("f3", "lower case is a number of its own", 37.0, 127.0, "Y"),
    ]
    selection = classify_farms(rows)
    assert [farm.farm_no for farm in selection.valid] == ["F1", "f3"]
    reasons = sorted(farm.reason for farm in selection.excluded)
    assert reasons == [
        "farm number ' F1' has leading or trailing spaces (FARM_NO is used as stored)",
        "farm number 'F2 ' has leading or trailing spaces (FARM_NO is used as stored)",
        "no farm number",
    ]


def test_a_row_with_a_bad_flag_does_not_make_a_duplicate():
    selection = classify_farms([("F1", "a", 37.0, 127.0, "Y"), ("F1", "b", 36.0, 127.0, "y")])
    assert [farm.farm_no for farm in selection.valid] == ["F1"]
    assert [farm.reason[:6] for farm in selection.excluded] == ["USE_YN"]


def test_coordinate_bounds_are_inclusive():
    rows = [
        ("A", "south-west corner", LAT_RANGE[0], LON_RANGE[0], "Y"),
        ("B", "north-east corner", LAT_RANGE[1], LON_RANGE[1], "Y"),
        ("C", "just outside", LAT_RANGE[1] + 0.001, LON_RANGE[1], "Y"),
    ]
    assert [farm.farm_no for farm in classify_farms(rows).valid] == ["A", "B"]


def test_a_duplicate_of_an_inactive_row_is_not_a_duplicate():
    selection = classify_farms([("F1", "a", 37.0, 127.0, "Y"), ("F1", "old", 36.0, 127.0, "N")])
    assert [farm.farm_no for farm in selection.valid] == ["F1"]


def test_weather_locations_group_farms_by_station():
    selection = classify_farms(
        [("B", "b", 37.57, 126.97, "Y"), ("A", "a", 37.56, 126.98, "Y"), ("C", "c", 33.50, 126.53, "Y")]
    )
    locations = weather_locations(selection.valid, STATIONS)
    assert locations == [WeatherLocation("108", "서울", ("A", "B")), WeatherLocation("184", "제주", ("C",))]
    assert locations[0].label == "108 서울 (2 farms)"
    assert locations[1].label == "184 제주 (1 farm)"
    assert WeatherLocation.from_xcom(locations[0].to_xcom()) == locations[0]


# --- coordinates: the strict decimal rule ------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "reason"),
    [
        ("3_7.5", "LAT '3_7.5' is not a decimal number"),  # float() takes it; SQLite keeps it as text
        ("1e3", "LAT '1e3' is not a decimal number"),
        ("NaN", "LAT 'NaN' is not a decimal number"),
        ("inf", "LAT 'inf' is not a decimal number"),
        ("37,5", "LAT '37,5' is not a decimal number"),
        ("0x25", "LAT '0x25' is not a decimal number"),
        (True, "LAT True is not a decimal number"),
        (b"37.5", "LAT b'37.5' is not a decimal number"),
        (float("inf"), "LAT inf is not a finite number"),
        (" ", "missing coordinates"),
        ("", "missing coordinates"),
        (None, "missing coordinates"),
        (float("nan"), "missing coordinates"),  # SQLite stores a NaN REAL as NULL
    ],
)
def test_a_coordinate_that_is_not_a_decimal_excludes_the_farm_with_its_value(lat, reason):
    selection = classify_farms([("F1", "farm", lat, 127.0, "Y"), ("F2", "good", "36.6", 127.0, "Y")])
    assert [farm.farm_no for farm in selection.valid] == ["F2"]
    assert [(farm.farm_no, farm.reason) for farm in selection.excluded] == [("F1", reason)]


def test_both_bad_coordinates_are_named_and_plain_decimals_pass():
    import decimal

    selection = classify_farms(
        [
            ("F1", "both", "3_7.5", "12_7", "Y"),
            ("F2", "text", " 36.6 ", "+127.25", "Y"),
            ("F3", "decimal", decimal.Decimal("36.5"), 127, "Y"),
        ]
    )
    assert [(farm.farm_no, farm.lat, farm.lon) for farm in selection.valid] == [
        ("F2", 36.6, 127.25),
        ("F3", 36.5, 127.0),
    ]
    (excluded,) = selection.excluded
    assert excluded.reason == "LAT '3_7.5' is not a decimal number; LON '12_7' is not a decimal number"


@pytest.mark.parametrize(
    "text", ["36.6", "+36.6", "-1", ".5", "36.", "3_7.5", "1e3", "NaN", "inf", "1,5", "٣"]
)
def test_the_coordinate_rule_is_the_sources_decimal_rule(text):
    """farms.py (pure) cannot import the sources' parser; both follow the same rule."""
    from include.ins_report.sources.errors import ApiDataError
    from include.ins_report.sources.numbers import parse_decimal

    try:
        expected = parse_decimal(text, api="t", field="LAT", where="w")
    except ApiDataError:
        expected = "refused"
    selection = classify_farms([("F1", "farm", text, 127.0, "Y")])
    got = selection.valid[0].lat if selection.valid else "refused"
    if got == "refused" and selection.excluded[0].reason.startswith("coordinates outside Korea"):
        got = float(text)
    assert got == expected
