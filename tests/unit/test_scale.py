"""What keeps the batch flat as farms grow: the station index, compact plan XComs, the call budget, the
client-side pace, and the database statements counted for the benchmark."""

from __future__ import annotations

import datetime as dt
import json
import random
import time

import pytest
from airflow.sdk.exceptions import AirflowFailException

from include.ins_report.airflow_edge import context as airflow_context
from include.ins_report.airflow_edge.connections import api_endpoint
from include.ins_report.config.settings import Settings
from include.ins_report.joblog import PLAN
from include.ins_report.model.errors import PermanentError
from include.ins_report.model.farms import (
    WeatherLocation,
    classify_farms,
    farms_xcom_key,
    pack_farm_nos,
    unpack_farm_nos,
    weather_locations,
)
from include.ins_report.model.stations import StationIndex, load_stations, nearest_station
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources.errors import TransientApiError
from include.ins_report.sources.http import slot_interval
from include.ins_report.sources.kma_asos import AsosWeatherProvider
from include.ins_report.steps.weather import plan_weather_locations
from include.ins_report.store import farm_db as warehouse
from tests.support.steps import step_context
from tests.support.task_instance import FakeTaskInstance

STATIONS = load_stations(Settings().stations_file)
WEEK = ReportWeek(dt.date(2026, 11, 16))


# --- nearest station, fast ---------------------------------------------------------------------------


def test_station_index_answers_exactly_like_the_full_search():
    rng = random.Random(7)
    points = [(rng.uniform(32.9, 38.7), rng.uniform(124.5, 132.0)) for _ in range(5_000)]
    # Midpoints between stations: equal distances, where only the tie-break decides.
    points += [((a.lat + b.lat) / 2, (a.lon + b.lon) / 2) for a in STATIONS[::3] for b in STATIONS[::4]]
    points += [(station.lat, station.lon) for station in STATIONS]
    index = StationIndex(STATIONS)
    for lat, lon in points:
        assert index.nearest(lat, lon) == nearest_station(lat, lon, STATIONS), (lat, lon)


def test_station_index_measures_only_a_few_stations_per_cell():
    index = StationIndex(STATIONS)
    for lat, lon in ((37.27, 127.44), (36.60, 126.66), (33.41, 126.27), (35.80, 126.88)):
        index.nearest(lat, lon)
    assert max(len(candidates) for candidates in index._cells.values()) <= 12


# --- the plan travels in small pieces ----------------------------------------------------------------


def test_farm_numbers_pack_small_and_round_trip():
    farm_nos = tuple(f"B{n:07d}" for n in range(1, 20_001, 3))
    packed = pack_farm_nos(farm_nos)
    assert unpack_farm_nos(packed) == farm_nos
    assert len(packed) < len(json.dumps(list(farm_nos))) / 2
    assert unpack_farm_nos(pack_farm_nos(("농장-1", 'F"2'))) == ("농장-1", 'F"2')


def test_a_descriptor_is_the_same_size_for_any_number_of_farms():
    small = WeatherLocation("203", "이천", ("F1",))
    large = WeatherLocation("203", "이천", tuple(f"F{n}" for n in range(50_000)))
    assert small.descriptor() == {"point_id": "203", "name": "이천", "label": "203 이천 (1 farm)", "farms": 1}
    assert len(json.dumps(large.descriptor(), ensure_ascii=False)) < 100
    assert large.farms_xcom_key == farms_xcom_key("203") == "farms_203"


def test_the_plan_publishes_one_farm_list_per_location(farm_db):
    ctx = step_context(WEEK, Settings(), run_id="plan")
    ti = FakeTaskInstance(PLAN.task_id)
    descriptors = plan_weather_locations(ctx, publish=ti.xcom_push)
    inline = plan_weather_locations(ctx)
    assert [d["point_id"] for d in descriptors] == [d["point_id"] for d in inline]
    assert all("farm_nos" not in d for d in descriptors)
    assert len(ti.xcoms) == len(descriptors)
    for descriptor, full in zip(descriptors, inline, strict=True):
        location = airflow_context.planned_location({"ti": ti}, descriptor)
        assert location == WeatherLocation.from_xcom(full)
        assert descriptor["farms"] == len(location.farm_nos)
        assert descriptor["label"] == location.label
    assert {map_indexes for _, _, map_indexes in ti.pulled} == {-1}  # the plan's own XCom, not a mapped one
    # A location planned inline (a run planned before this change) still works.
    assert airflow_context.planned_location({"ti": ti}, inline[0]) == WeatherLocation.from_xcom(inline[0])


def test_a_missing_or_inconsistent_farm_list_says_to_clear_the_plan():
    ti = FakeTaskInstance(PLAN.task_id)
    descriptor = WeatherLocation("203", "이천", ("F1", "F2")).descriptor()
    with pytest.raises(AirflowFailException, match="clear plan_weather_locations"):
        airflow_context.planned_location({"ti": ti}, descriptor)
    ti.xcom_push(key="farms_203", value=pack_farm_nos(("F1",)))
    with pytest.raises(AirflowFailException, match="lists 1 farms, the label 2"):
        airflow_context.planned_location({"ti": ti}, descriptor)


def test_a_plan_beyond_the_daily_quota_fails_before_any_call(farm_db):
    ctx = step_context(WEEK, Settings(kma_daily_quota=5), run_id="plan")
    with pytest.raises(PermanentError, match=r"needs \d+ KMA calls .* daily quota of 5"):
        plan_weather_locations(ctx, publish=FakeTaskInstance(PLAN.task_id).xcom_push)


def test_100k_farms_are_each_grouped_once():
    # How fast is `make bench`'s business (docs/performance.md); here only that every farm lands once.
    rng = random.Random(3)
    rows = [(f"B{n}", "x", rng.uniform(33.2, 38.3), rng.uniform(126.0, 129.4), "Y") for n in range(100_000)]
    farms = classify_farms(rows).valid
    locations = weather_locations(farms, STATIONS)
    grouped = [farm_no for location in locations for farm_no in location.farm_nos]
    assert sorted(grouped) == sorted(farm.farm_no for farm in farms)


# --- the pace that keeps all slots together under the provider's rate ---------------------------------


def test_slot_interval():
    assert slot_interval(4, 10.0) == pytest.approx(0.4)
    assert slot_interval(0, 10.0) == pytest.approx(0.1)
    assert slot_interval(4, 0) == 0.0


@pytest.fixture
def kma(emulator, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_KMA_API",
        json.dumps(
            {
                "conn_type": "http",
                "host": "127.0.0.1",
                "port": emulator.port,
                "schema": "http",
                "password": "dev-kma-key",
            }
        ),
    )
    return emulator


def test_paced_calls_stay_under_the_providers_limit(kma):
    kma.configure(kma_rate_limit=[3, 1.0])
    paced = Settings(kma_pool_slots=1, kma_calls_per_second=2.5, http_attempts=1)
    provider = AsosWeatherProvider(paced, api_endpoint(paced.kma_conn_id))
    started = time.monotonic()
    for station in ("108", "119", "203", "133", "159"):
        assert provider.fetch_days(station, WEEK.start, WEEK.end)
    assert time.monotonic() - started >= 4 * 0.4
    assert kma.stats()["kma"]["rate_limited"] == 0


def test_unpaced_calls_hit_the_limit(kma):
    kma.configure(kma_rate_limit=[3, 1.0])
    unpaced = Settings(kma_calls_per_second=0, http_attempts=1)
    provider = AsosWeatherProvider(unpaced, api_endpoint(unpaced.kma_conn_id))
    for station in ("108", "119", "203"):
        provider.fetch_days(station, WEEK.start, WEEK.end)
    with pytest.raises(TransientApiError, match=r"\[22\].*quota"):
        provider.fetch_days("133", WEEK.start, WEEK.end)
    assert kma.stats()["kma"]["rate_limited"] == 1


# --- database work is counted ------------------------------------------------------------------------


def test_statements_and_rows_written_are_counted(farm_db):
    before = warehouse.METRICS.as_dict()
    store = farm_db
    rows = [
        {
            "farm_no": f"F{n}", "weather_date": "2026-11-16", "point_id": "108", "avg_ta": 1.0, "min_ta": 0.0,
            "max_ta": 2.0, "avg_rhm": 50.0, "sum_rn": 0.0, "thi": 40.0, "source": "KMA_ASOS",
            "collected_at": "2026-11-23 03:00:00", "run_id": "r",
        }
        for n in range(warehouse.BATCH_SIZE + 1)
    ]  # fmt: skip
    store.upsert_weather(rows)
    store.read_farms()
    after = warehouse.METRICS.as_dict()
    # Two executemany batches plus the session set-up, then the read and its set-up.
    assert after["statements"] - before["statements"] == 5
    assert after["rows_written"] - before["rows_written"] == warehouse.BATCH_SIZE + 1
