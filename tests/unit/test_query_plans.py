"""Every SQLite statement file reads history through an index: ``EXPLAIN QUERY PLAN`` on a real farm database.

The database is the reference schema in a file with a few weeks of history at a few dozen farms, written by
the bench's history generator (bench/history.py; the bench runs the same at 10,000 farms and 3 years). The
plan of every statement of every file in include/sql/sqlite/ (the schema script aside) is read, and a
history table (the tables that gain rows every week) must be

- never scanned: ``SCAN <table>``, with or without an index, reads all of its history (SQLite's plan names a
  table by its alias in the statement, mapped back with sqlglot);
- never searched through an automatic index (SQLite builds it from a full scan on each run);
- searched on a column that bounds the rows to a week or a run (``BOUNDED_BY``): ``SEARCH TA_STATS_DATA ...
  (SOURCE=? AND SERIES_ID=?)`` reads every period the series ever had.

An exception is argued in ``ARGUED``, per file and table. A new file without sample binds in ``SAMPLES``
fails ``test_every_statement_file_has_sample_binds``: register it (its binds, a week of the history below).
Without statistics (no ANALYZE, as in the embedded default) SQLite's planner rates a table as large, so the
plans here are the ones a big database gets. The Oracle twins' plans: tests/oracle/test_oracle_plans.py.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from bench.generator import generate
from bench.history import build_history
from include.ins_report.config.settings import SQL_DIR
from include.ins_report.joblog.registry import JOB_NAME
from include.ins_report.model.week import ReportWeek
from include.ins_report.store.sqlfiles import split_statements

SQLITE = SQL_DIR / "sqlite"
NOT_QUERIES = {"schema"}  # the DDL script

# The tables that grow every week, and the columns that bound a read to a week, a period or a run.
BOUNDED_BY = {
    "TM_WEATHER": {"WEATHER_DATE"},
    "TA_STATS_DATA": {"PERIOD"},
    "TS_INS_JOB_LOG": {"REPORT_WEEK", "RUN_ID", "ROWID", "LOG_ID"},
    "TS_INS_WEEK_INPUT": {"REPORT_WEEK"},
    "TS_INS_WEEK_FARM": {"REPORT_WEEK"},
    "TR_INS_WEEK_REPORT": {"REPORT_WEEK"},
    "TS_INS_REPORT_DIFF": {"REPORT_WEEK"},
}

# (file, table) -> why its unbounded read is fine. Each stays small whatever the history.
ARGUED = {
    ("job_log_last_weeks", "TS_INS_JOB_LOG"): "LAST_WEEKS walks IX_INS_JOB_LOG_WEEK (JOB_NM, REPORT_WEEK) "
    "backwards, a covering index in the order DISTINCT and ORDER BY need, and stops after :week_count weeks",
    ("weeks_page", "TS_INS_JOB_LOG"): "the same walk as LAST_WEEKS, stopping after :page_offset + :page_size "
    "weeks",
    ("weeks_count", "TS_INS_JOB_LOG"): "the pager's count of weeks: IX_INS_JOB_LOG_WEEK alone (covering, "
    "about 100 entries a week: 16,000 after 3 years), never the table",
}

HISTORY_WEEKS = 6
FIRST_EMPTY = ReportWeek(dt.date(2026, 11, 23))  # the week a run would collect next
WEEK = ReportWeek(FIRST_EMPTY.start - dt.timedelta(weeks=1))  # the latest week with history
RUN_ID = f"scheduled__{WEEK.end:%Y-%m-%d}T17:00:00+00:00"
DAYS = {"week_start": WEEK.start.isoformat(), "week_end": WEEK.end.isoformat()}
PERIODS = {"first_period": f"{WEEK.start:%Y%m%d}", "last_period": f"{WEEK.end:%Y%m%d}"}
WEEKS = {"first_week": (WEEK.start - dt.timedelta(weeks=3)).strftime("%Y%m%d"), "last_week": WEEK.key}
EKAPE = {"source": "EKAPE", "series_id": "EKAPE/PIG_TANGBAK", "period_type": "D"}
PRICE_CELL = {**EKAPE, "item_id": "PRICE", "category_id": "EXCL_OUT/NAT_EXJ"}
WEATHER_ROW = {
    "farm_no": "B0000001",
    "weather_date": WEEK.start.isoformat(),
    "point_id": "108",
    "avg_ta": 1.0,
    "min_ta": 0.0,
    "max_ta": 2.0,
    "avg_rhm": 50.0,
    "sum_rn": 0.0,
    "thi": 40.0,
    "source": "KMA_ASOS",
    "collected_at": "2026-11-23 02:10:00",
    "run_id": RUN_ID,
}
STATS_ROW = {
    **PRICE_CELL,
    "item_nm": "price",
    "category_nm": "national",
    "period": PERIODS["first_period"],
    "value": 5000.0,
    "unit": "원/kg",
    "collected_at": "2026-11-23 02:10:00",
    "run_id": RUN_ID,
}
LOG_ROW = {
    "job_nm": JOB_NAME,
    "run_id": RUN_ID,
    "report_week": WEEK.key,
    "step_nm": "START_JOB",
    "status": "SUCCESS",
    "started_at": "2026-11-23 02:00:00",
    "ended_at": "2026-11-23 02:00:01",
    "row_count": None,
    "message": "",
}

# Every statement file and the binds its plan is read with (values of the history below).
SAMPLES: dict[str, dict] = {
    "count_report_rows": {"p_week": WEEK.key},
    "delete_manifest_farms": {"report_week": WEEK.key},
    "delete_manifest_inputs": {"report_week": WEEK.key},
    "gate_stats": {**EKAPE, **PERIODS},
    "gate_weather": DAYS,
    "insert_job_log": LOG_ROW,
    "insert_manifest_farm": {
        "report_week": FIRST_EMPTY.key,
        "farm_no": "B0000001",
        "farm_nm": "x",
        "point_id": "108",
        "point_nm": "서울",
        "run_id": RUN_ID,
        "created_at": "2026-11-23 02:00:05",
    },
    "insert_manifest_input": {
        **PRICE_CELL,
        "report_week": FIRST_EMPTY.key,
        "series_nm": "pig_carcass_prices",
        "period": PERIODS["first_period"],
        "report_column": "PIG_PRICE_AVG",
        "run_id": RUN_ID,
        "created_at": "2026-11-23 02:00:05",
    },
    "insert_report_diff": {
        "report_week": WEEK.key,
        "run_id": RUN_ID,
        "try_no": 1,
        "farm_no": "B0000001",
        "col_nm": "AVG_TA",
        "change_kind": "CHANGED",
        "old_value": "1.0",
        "new_value": "2.0",
        "delta": 1.0,
        "created_at": "2026-11-23 02:30:00",
    },
    "job_log_for_run": {"job_nm": JOB_NAME, "run_id": RUN_ID},
    "job_log_last_weeks": {"job_nm": JOB_NAME, "week_count": 12},
    "manifest_farms": {"report_week": WEEK.key},
    "manifest_inputs": {"report_week": WEEK.key},
    "read_farms": {},
    "report_baseline": {"job_nm": JOB_NAME, "report_week": WEEK.key},
    "report_diff_tries": {"report_week": WEEK.key, "run_id": RUN_ID},
    "report_farms": {"p_week": WEEK.key},
    "report_rows": {"p_week": WEEK.key},
    "sp_ins_week_main": {"p_week": WEEK.key},
    "stats_periods": {"source": "EKAPE", "period_type": "D", **PERIODS},
    "upsert_stats": STATS_ROW,
    "upsert_weather": WEATHER_ROW,
    "weather_days": DAYS,
    "weeks_count": {"job_nm": JOB_NAME},
    "weeks_farm_status": {"report_week": WEEK.key, **DAYS},
    "weeks_job_log": {"job_nm": JOB_NAME, **WEEKS},
    "weeks_manifest_periods": WEEKS,
    "weeks_page": {"job_nm": JOB_NAME, "page_size": 20, "page_offset": 0},
    "weeks_price": {**WEEKS, "report_column": "PIG_PRICE_AVG"},
    "weeks_price_days": {**PRICE_CELL, **PERIODS},
    "weeks_report_figures": WEEKS,
    "weeks_report_diff": {"report_week": WEEK.key, "run_id": RUN_ID, "row_limit": 200},
    "weeks_station_days": {"report_week": WEEK.key, **DAYS},
}
# Files that are templates (include/ins_report/store/farm_db.py fills them): the reference report's columns.
TEMPLATES = {"report_rows": {"key": "FARM_NO", "columns": "AVG_TA, MAX_THI, PIG_PRICE_AVG"}}

PLAN_ROW = re.compile(
    r"^(?P<op>SCAN|SEARCH) (?P<name>\w+)(?: USING (?P<how>.*?))?(?: \((?P<terms>[^()]*)\))?(?: LEFT-JOIN)?$"
)


def statement_files() -> list[str]:
    return sorted(path.stem for path in SQLITE.glob("*.sql") if path.stem not in NOT_QUERIES)


def statements(name: str) -> list[str]:
    text = (SQLITE / f"{name}.sql").read_text(encoding="utf-8")
    return split_statements(text.format(**TEMPLATES[name]) if name in TEMPLATES else text)


def aliases(sql: str) -> dict[str, set[str]]:
    """The plan's names (an alias, or the table's own name) -> the tables they stand for; CTEs map to none."""
    tree = sqlglot.parse_one(sql, read="sqlite", error_level=sqlglot.ErrorLevel.RAISE)
    ctes = {cte.alias_or_name.upper() for cte in tree.find_all(exp.CTE)}
    names: dict[str, set[str]] = {}
    for table in tree.find_all(exp.Table):
        if table.name.upper() in ctes:
            continue
        for name in {table.alias_or_name.upper(), table.name.upper()}:
            names.setdefault(name, set()).add(table.name.upper())
    return names


def plan(conn: sqlite3.Connection, sql: str, binds: dict) -> list[str]:
    used = {name for name in re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", sql)}
    missing = used - set(binds)
    assert not missing, f"SAMPLES lacks binds {sorted(missing)}"
    return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", {k: binds[k] for k in used})]


def problems(name: str, sql: str, lines: list[str]) -> list[str]:
    """What is wrong with one statement's plan: full scans and unbounded searches of history tables."""
    found = []
    names = aliases(sql)
    for line in lines:
        match = PLAN_ROW.match(line.strip())
        if not match:
            continue
        tables = {table for table in names.get(match["name"].upper(), set()) if table in BOUNDED_BY}
        for table in sorted(tables):
            how = match["how"] or ""
            terms = {term.upper() for term in re.findall(r"(\w+)\s*[=<>]", match["terms"] or "")}
            if "AUTOMATIC" in how:
                found.append(f"{name}: {table} through an automatic index (a full scan each run): {line}")
            elif (name, table) in ARGUED:
                continue
            elif match["op"] == "SCAN":
                found.append(f"{name}: full scan of {table}: {line}")
            elif not terms & BOUNDED_BY[table]:
                bound = ", ".join(sorted(BOUNDED_BY[table]))
                found.append(f"{name}: {table} searched without a bound on {bound}: {line}")
    return found


@pytest.fixture(scope="module")
def history_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("history") / "farm.db"
    history = build_history(path, generate(60), before=FIRST_EMPTY, weeks=HISTORY_WEEKS)
    assert history.rows["TM_WEATHER"] > 2_000
    assert history.rows["TS_INS_JOB_LOG"] > 100
    return path


@pytest.fixture
def conn(history_db):
    with closing(sqlite3.connect(history_db)) as connection:
        yield connection


def test_every_statement_file_has_sample_binds():
    files = set(statement_files())
    assert files - set(SAMPLES) == set(), "register the new files' sample binds in SAMPLES"
    assert set(SAMPLES) - files == set(), "SAMPLES names files that are gone"


@pytest.mark.parametrize("name", statement_files())
def test_no_statement_scans_a_history_table(conn, name):
    binds = SAMPLES.get(name)
    assert binds is not None, f"{name}.sql has no sample binds in SAMPLES"
    found = []
    for sql in statements(name):
        lines = plan(conn, sql, binds)
        found += problems(name, sql, lines)
        conn.execute(sql, {k: binds[k] for k in re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", sql)})  # it runs
    conn.rollback()
    assert not found, "\n".join(found)


def test_the_week_queries_use_the_history_indexes(conn):
    """The plans the docs show (docs/performance.md, "History")."""

    def lines(name):
        return [line for sql in statements(name) for line in plan(conn, sql, SAMPLES[name])]

    assert lines("gate_weather") == [
        "SEARCH TM_WEATHER USING INDEX IX_TM_WEATHER_DATE (WEATHER_DATE>? AND WEATHER_DATE<?)"
    ]
    assert lines("weather_days") == [
        "SEARCH TM_WEATHER USING COVERING INDEX IX_TM_WEATHER_DATE (WEATHER_DATE>? AND WEATHER_DATE<?)"
    ]
    assert lines("gate_stats") == [
        "SEARCH TA_STATS_DATA USING INDEX IX_TA_STATS_DATA_PERIOD "
        "(SOURCE=? AND PERIOD_TYPE=? AND PERIOD>? AND PERIOD<?)"
    ]
    assert lines("job_log_for_run")[0] == "SEARCH TS_INS_JOB_LOG USING INDEX IX_INS_JOB_LOG_RUN (RUN_ID=?)"
    assert "SEARCH TS_INS_JOB_LOG USING COVERING INDEX IX_INS_JOB_LOG_WEEK (JOB_NM=?)" in lines(
        "job_log_last_weeks"
    )
    assert (
        "SEARCH w USING INDEX sqlite_autoindex_TM_WEATHER_1 (FARM_NO=? AND WEATHER_DATE>? AND WEATHER_DATE<?)"
        in lines("sp_ins_week_main")
    )


def test_index_names_are_unique_in_each_schema():
    """Two CREATE INDEX of one name: SQLite's IF NOT EXISTS skips the second, Oracle's script fails on it."""
    for dialect in ("sqlite", "oracle"):
        text = (SQL_DIR / dialect / "schema.sql").read_text(encoding="utf-8")
        names = re.findall(r"^CREATE INDEX (?:IF NOT EXISTS )?(\w+)", text, flags=re.M)
        assert len(names) == len(set(names)), (dialect, names)


# --- the check can fail ------------------------------------------------------------------------------


def test_a_full_scan_is_caught(conn):
    sql = "SELECT FARM_NO FROM TM_WEATHER WHERE AVG_TA > :limit"
    assert problems("probe", sql, plan(conn, sql, {"limit": 30})) == [
        "probe: full scan of TM_WEATHER: SCAN TM_WEATHER"
    ]
    sql = "SELECT COUNT(*) FROM TM_WEATHER w JOIN TA_FARM f ON f.FARM_NO = w.FARM_NO"
    found = problems("probe", sql, plan(conn, sql, {}))  # every farm's whole history, farm by farm
    assert any("TM_WEATHER searched without a bound on WEATHER_DATE" in problem for problem in found), found


def test_a_search_unbounded_in_time_is_caught(conn):
    sql = "SELECT PERIOD, VALUE FROM TA_STATS_DATA WHERE SOURCE = :source AND SERIES_ID = :series_id"
    found = problems("probe", sql, plan(conn, sql, EKAPE))
    assert len(found) == 1, found
    assert "TA_STATS_DATA searched without a bound on PERIOD" in found[0], found


def test_the_gate_without_its_index_is_caught(history_db, tmp_path):
    """The schema before the history indexes: gate_weather reads the whole of TM_WEATHER."""
    copy = tmp_path / "before.db"
    copy.write_bytes(history_db.read_bytes())
    with closing(sqlite3.connect(copy)) as before:
        before.execute("DROP INDEX IX_TM_WEATHER_DATE")
        (sql,) = statements("gate_weather")
        assert problems("gate_weather", sql, plan(before, sql, DAYS)) == [
            "gate_weather: full scan of TM_WEATHER: SCAN TM_WEATHER"
        ]


def test_a_file_without_sample_binds_fails_the_registry(monkeypatch):
    monkeypatch.delitem(SAMPLES, "gate_weather")
    with pytest.raises(AssertionError, match="register the new files"):
        test_every_statement_file_has_sample_binds()
