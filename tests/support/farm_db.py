"""Reads of a test deployment's SQLite farm database that many tests compare: the job log of a run and
what a run leaves for a week."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import NamedTuple

from include.ins_report.settings import Settings
from include.ins_report.sources import catalog
from include.ins_report.week import ReportWeek

# What legitimately differs between two clean runs of the same week.
RUN_COLUMNS = {"RUN_ID", "COLLECTED_AT", "CREATED_AT"}


class JobLogRow(NamedTuple):
    step: str
    status: str
    row_count: int | None
    report_week: str
    message: str | None


def query(farm_db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(farm_db)) as conn:
        return conn.execute(sql, params).fetchall()


def job_log(farm_db: Path, run_id: str) -> list[JobLogRow]:
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


def _week_stats_filter(week: ReportWeek) -> tuple[str, list]:
    """A WHERE clause selecting the statistics rows the week's run reads, as every source declares them
    (``catalog.Source.expectations``): other weeks' runs (a backfill) add rows of other periods."""
    settings = Settings.from_env()
    clauses, params = [], []
    for source in catalog.SOURCES:
        if source.is_statistics:
            for series in source.expectations(week, settings):
                marks = ", ".join("?" * len(series.periods))
                clauses.append(f"(SOURCE = ? AND SERIES_ID = ? AND PERIOD_TYPE = ? AND PERIOD IN ({marks}))")
                params += [source.source, series.series_id, series.period_type, *series.periods]
    return " OR ".join(clauses), params


def week_content(farm_db: Path, week: ReportWeek) -> dict[str, list[tuple]]:
    """The week's weather, statistics and report rows, every column but run ids and timestamps."""
    with closing(sqlite3.connect(farm_db)) as conn:
        weather = _content_columns(conn, "TM_WEATHER")
        stats = _content_columns(conn, "TA_STATS_DATA")
        report = _content_columns(conn, "TR_INS_WEEK_REPORT")
        stats_filter, stats_params = _week_stats_filter(week)
        return {
            "weather": conn.execute(
                f"SELECT {weather} FROM TM_WEATHER WHERE WEATHER_DATE BETWEEN ? AND ? ORDER BY FARM_NO, "
                "WEATHER_DATE",
                (week.start.isoformat(), week.end.isoformat()),
            ).fetchall(),
            "stats": conn.execute(
                f"SELECT {stats} FROM TA_STATS_DATA WHERE {stats_filter} ORDER BY {stats}", stats_params
            ).fetchall(),
            "report": conn.execute(
                f"SELECT {report} FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ? ORDER BY FARM_NO",
                (week.start.strftime("%Y%m%d"),),
            ).fetchall(),
        }
