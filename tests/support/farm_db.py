"""The tests' SQLite farm database (the ``farm_db`` fixture of tests/conftest.py) and the reads of it that
many tests compare: the job log of a run and what a run leaves for a week."""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import NamedTuple

import pytest

from devtools.embedded import init_farm_db
from include.ins_report.config.settings import Settings
from include.ins_report.model.manifest import PlannedFarm
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import catalog
from include.ins_report.store.farm_db import FarmDatabase

# What legitimately differs between two clean runs of the same week.
RUN_COLUMNS = {"RUN_ID", "COLLECTED_AT", "CREATED_AT"}


class SqliteFarmDatabase(FarmDatabase):
    """The farm database on a SQLite file with the reference schema, behind the ``farm_db`` connection the
    steps use; it is also its file (``os.PathLike``), so sqlite3 and the reads below take it as it is."""

    def __init__(self, path: Path, monkeypatch: pytest.MonkeyPatch, conn_id: str = "farm_db") -> None:
        init_farm_db(path)
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "sqlite", "host": str(path)})
        )
        from airflow.sdk import BaseHook  # the connection as the Airflow edge resolves it

        super().__init__(conn_id, BaseHook.get_connection(conn_id))
        self.path = path

    def __fspath__(self) -> str:
        return os.fspath(self.path)


class JobLogRow(NamedTuple):
    step: str
    status: str
    row_count: int | None
    report_week: str
    message: str | None


def query(farm_db: os.PathLike, sql: str, params: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(farm_db)) as conn:
        return conn.execute(sql, params).fetchall()


def write_manifest(
    warehouse: FarmDatabase, week: ReportWeek, farms: dict[str, str], settings: Settings | None = None
) -> None:
    """The week's manifest as its run's start and plan steps write it: every enabled statistics source's
    cells (the catalog's ``inputs``) and ``farms`` (farm number -> planned station), for tests that call
    the gate or the report without those steps."""
    settings = settings or Settings()
    key = week.start.strftime("%Y%m%d")
    cells = [
        cell for source in catalog.statistics_sources(settings) for cell in source.inputs(week, settings)
    ]
    warehouse.replace_manifest_inputs(key, "test-plan", cells)
    planned = [PlannedFarm(farm_no, f"농장 {farm_no}", point, "") for farm_no, point in sorted(farms.items())]
    warehouse.replace_manifest_farms(key, "test-plan", planned)


def job_log(farm_db: os.PathLike, run_id: str) -> list[JobLogRow]:
    """The run's TS_INS_JOB_LOG rows in the order they were written."""
    rows = query(
        farm_db,
        "SELECT STEP_NM, STATUS, ROW_COUNT, REPORT_WEEK, MESSAGE FROM TS_INS_JOB_LOG "
        "WHERE RUN_ID = ? ORDER BY LOG_ID",
        (run_id,),
    )
    return [JobLogRow(*row) for row in rows]


def _content_columns(conn: sqlite3.Connection, table: str) -> str:
    names = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    return ", ".join(name for name in names if name not in RUN_COLUMNS)


def week_content(farm_db: os.PathLike, week: ReportWeek) -> dict[str, list[tuple]]:
    """The week's weather, statistics and report rows, every column but run ids and timestamps."""
    with closing(sqlite3.connect(farm_db)) as conn:
        weather = _content_columns(conn, "TM_WEATHER")
        stats = _content_columns(conn, "TA_STATS_DATA")
        report = _content_columns(conn, "TR_INS_WEEK_REPORT")
        week_key = week.start.strftime("%Y%m%d")
        return {
            "weather": conn.execute(
                f"SELECT {weather} FROM TM_WEATHER WHERE WEATHER_DATE BETWEEN ? AND ? ORDER BY FARM_NO, "
                "WEATHER_DATE",
                (week.start.isoformat(), week.end.isoformat()),
            ).fetchall(),
            # The statistics rows of the series and periods the week's manifest reads: other weeks' runs (a
            # backfill) add rows of other periods.
            "stats": conn.execute(
                f"SELECT {stats} FROM TA_STATS_DATA s WHERE EXISTS (SELECT 1 FROM TS_INS_WEEK_INPUT m "
                "WHERE m.REPORT_WEEK = ? AND m.SOURCE = s.SOURCE AND m.SERIES_ID = s.SERIES_ID "
                f"AND m.PERIOD_TYPE = s.PERIOD_TYPE AND m.PERIOD = s.PERIOD) ORDER BY {stats}",
                (week_key,),
            ).fetchall(),
            "manifest": conn.execute(
                "SELECT SOURCE, SERIES_ID, ITEM_ID, CATEGORY_ID, PERIOD_TYPE, PERIOD, REPORT_COLUMN "
                "FROM TS_INS_WEEK_INPUT WHERE REPORT_WEEK = ? ORDER BY 1, 2, 3, 4, 5, 6",
                (week_key,),
            ).fetchall()
            + conn.execute(
                "SELECT 'FARM', FARM_NO, FARM_NM, POINT_ID, POINT_NM, '', '' FROM TS_INS_WEEK_FARM "
                "WHERE REPORT_WEEK = ? ORDER BY FARM_NO",
                (week_key,),
            ).fetchall(),
            "report": conn.execute(
                f"SELECT {report} FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ? ORDER BY FARM_NO",
                (week_key,),
            ).fetchall(),
        }
