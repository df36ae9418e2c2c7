"""Oracle-only traps, with the recording python-oracledb fake of test_oracle_contract.py.

SQLite stores any text length, a NaN as NULL and '' as ''. Oracle refuses text longer than its column
(ORA-12899), a NaN bind (DPY-4004) and stores '' as NULL (ORA-01400 in a NOT NULL key). These tests pin
what reaches the driver: names clipped by bytes, a non-empty CATEGORY_ID, no bad number at all.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pendulum
import pytest

from include.ins_report.config.settings import Settings
from include.ins_report.model.farms import WeatherLocation
from include.ins_report.model.week import KST, ReportWeek
from include.ins_report.sources import catalog, kma_asos, kosis
from include.ins_report.sources.errors import ApiDataError
from include.ins_report.steps.context import StepContext
from include.ins_report.steps.job import collect_statistics
from include.ins_report.steps.weather import collect_station_weather
from include.ins_report.store.sqlfiles import load_sql
from tests.support.steps import AnsweringEndpoint, answering, step_context
from tests.unit.test_oracle_contract import RecordingOracle, week_manifest
from tests.unit.test_oracle_contract import oracle as recording_oracle  # noqa: F401 (a fixture, by this name)

WEEK = ReportWeek(dt.date(2026, 11, 16))
SERIES = kosis.Series(
    "cpi", "101", "DT_1J22003", "T", ("A01114+",), "M", 7, (kosis.ReportCell("T", "A01114", "PORK_CPI"),)
)  # week -> period 202610
RUN_ID = "scheduled__2026-11-22T17:00:00+00:00"


def column_bytes(table: str) -> dict[str, int]:
    """VARCHAR2 sizes of ``table`` in the reference Oracle DDL (N CHAR counted as N bytes: the safe side)."""
    schema = load_sql("oracle", "schema")
    block = re.search(rf"CREATE TABLE {table} \((.*?)\n\);", schema, re.S)
    assert block, table
    return {
        name.lower(): int(size) for name, size in re.findall(r"^\s*(\w+)\s+VARCHAR2\((\d+)", block[1], re.M)
    }


def text_binds_fit(rows: list[dict], table: str) -> list[str]:
    sizes = column_bytes(table)
    return [
        f"{name}={value!r} ({len(value.encode('utf-8'))} > {sizes[name]} bytes)"
        for row in rows
        for name, value in row.items()
        if isinstance(value, str) and name in sizes and len(value.encode("utf-8")) > sizes[name]
    ]


def kosis_answer(**changes: object) -> str:
    row = {"ORG_ID": "101", "TBL_ID": "DT_1J22003", "ITM_ID": "T", "ITM_NM": "지수", "PRD_SE": "M",
           "PRD_DE": "202610", "DT": "118.2", "UNIT_NM": "2020=100"}  # fmt: skip
    row.update(changes)
    return json.dumps([row], ensure_ascii=False)


@pytest.fixture
def kosis_serves(monkeypatch, db):
    """KOSIS answers with the given body (parsed by the real parser); one series configured, and the
    week's manifest planned with it."""
    monkeypatch.setattr(kosis, "load_series", lambda path: [SERIES])
    db.manifest = week_manifest(WEEK)

    def install(body: str) -> None:
        monkeypatch.setitem(ANSWERS, "kosis", answering(body))

    return install


ANSWERS: dict[str, AnsweringEndpoint] = {}  # the stand-in connection of each API, installed by a fixture


def ctx() -> StepContext:
    settings = Settings.from_env()
    clients = {
        "kosis": kosis.KosisClient(settings, ANSWERS.get("kosis") or answering("")),
        "kma": kma_asos.AsosWeatherProvider(settings, ANSWERS.get("kma") or answering("")),
    }
    return step_context(WEEK, settings, run_id=RUN_ID, clients=clients)


@pytest.fixture
def db(request) -> RecordingOracle:
    """The recording fake driver of test_oracle_contract.py behind the farm_db connection."""
    return request.getfixturevalue("recording_oracle")


def upserts(oracle: RecordingOracle, name: str) -> list[dict]:
    return [
        row
        for kind, sql, params in oracle.statements()
        if kind == "executemany" and sql == load_sql("oracle", name)
        for row in params
    ]


def test_the_parser_limits_are_the_oracle_columns():
    sizes = column_bytes("TA_STATS_DATA")
    assert {name: sizes[name] for name in kosis.NAME_BYTES} == kosis.NAME_BYTES
    assert {name: sizes[name] for name in kosis.KEY_BYTES} == kosis.KEY_BYTES


def test_long_kosis_names_are_clipped_by_bytes_before_the_driver(db, kosis_serves):
    kosis_serves(
        kosis_answer(
            ITM_NM="돼지고기 소비자물가지수 " * 30,
            UNIT_NM="지수(2020=100)" * 10,
            C1="A01114",
            C1_NM="가" * 250,
        )
    )
    collect_statistics(ctx(), catalog.KOSIS_SOURCE)
    (row,) = upserts(db, "upsert_stats")
    assert text_binds_fit([row], "TA_STATS_DATA") == []
    assert row["item_nm"].startswith("돼지고기 소비자물가지수")
    assert len(row["category_nm"].encode("utf-8")) == 399  # 133 Hangul characters, cut on a boundary
    assert row["category_id"] == "A01114"


def test_a_series_without_classification_gets_a_non_empty_category_id(db, kosis_serves):
    kosis_serves(kosis_answer())  # no C1..C8
    collect_statistics(ctx(), catalog.KOSIS_SOURCE)
    (row,) = upserts(db, "upsert_stats")
    assert row["category_id"] == kosis.NO_CATEGORY  # '' would be NULL in Oracle's NOT NULL key column
    assert row["category_id"].strip()
    assert row["value"] == 118.2


def test_an_overlong_kosis_key_fails_before_any_write(db, kosis_serves):
    kosis_serves(kosis_answer(C1="A" * 201))
    with pytest.raises(ApiDataError, match=r"CATEGORY_ID is 201 bytes"):
        collect_statistics(ctx(), catalog.KOSIS_SOURCE)
    assert "executemany" not in db.kinds()


@pytest.mark.parametrize("value", ['"NaN"', "NaN", '"Infinity"'])
def test_a_kosis_nan_never_reaches_the_driver(db, kosis_serves, value):
    kosis_serves(kosis_answer(DT="@").replace('"@"', value))
    with pytest.raises(ApiDataError, match="DT"):
        collect_statistics(ctx(), catalog.KOSIS_SOURCE)
    assert "executemany" not in db.kinds()  # python-oracledb would raise DPY-4004 on a NaN bind


def asos_answer(rows: list[dict]) -> str:
    body = {"items": {"item": rows}, "pageNo": 1, "numOfRows": 999, "totalCount": len(rows)}
    return json.dumps(
        {"response": {"header": {"resultCode": "00", "resultMsg": "NORMAL_SERVICE"}, "body": body}}
    )


def asos_row(day: dt.date, **changes: str) -> dict:
    row = {"stnId": "108", "stnNm": "서울", "tm": day.isoformat(), "avgTa": "5.1", "minTa": "0.2",
           "maxTa": "9.8", "avgRhm": "61.0", "sumRn": ""}  # fmt: skip
    return {**row, **changes}


@pytest.fixture
def kma_serves(monkeypatch):
    def install(body: str) -> None:
        monkeypatch.setitem(ANSWERS, "kma", answering(body))

    return install


AFTER_THE_WINDOW = pendulum.datetime(2026, 11, 23, 13, tz=KST)
LOCATION = WeatherLocation("108", "서울", ("F0001", "F0002"))


def test_weather_rows_fit_their_oracle_columns(db, kma_serves):
    kma_serves(asos_answer([asos_row(day) for day in WEEK.days]))
    collect_station_weather(ctx(), LOCATION, now=AFTER_THE_WINDOW)
    rows = upserts(db, "upsert_weather")
    assert len(rows) == 14
    assert text_binds_fit(rows, "TM_WEATHER") == []
    assert all(row["thi"] is not None for row in rows)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"maxTa": "NaN"}, "maxTa"), ({"avgTa": "Infinity"}, "avgTa"), ({"avgRhm": "101"}, "avgRhm")],
)
def test_a_weather_nan_or_impossible_value_never_reaches_the_driver(db, kma_serves, changes, field):
    rows = [asos_row(day) for day in WEEK.days]
    rows[2] = asos_row(WEEK.days[2], **changes)
    kma_serves(asos_answer(rows))
    with pytest.raises(ApiDataError, match=f"station 108, 2026-11-18: {field} "):
        collect_station_weather(ctx(), LOCATION, now=AFTER_THE_WINDOW)
    assert "executemany" not in db.kinds()
