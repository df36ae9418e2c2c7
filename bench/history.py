"""A farm database with years of history, as a three-year-old deployment has it, generated in about a minute.

``history_database(farms, years)`` returns the path of a cached SQLite farm database (reference schema,
every index of it) holding the bench's farm set in TA_FARM and, for every week of ``years`` before the
report week, what the batch leaves behind: TM_WEATHER (one row per farm and day, each farm with its
station's values), TA_STATS_DATA (EKAPE's daily rows, KOSIS' quarterly and monthly tables), the week's
manifest (TS_INS_WEEK_INPUT, TS_INS_WEEK_FARM), the report (TR_INS_WEEK_REPORT) and the job log (one run
per week, one row per step and station). The report week itself is left empty: a run on a copy collects
it as on the first day. At 10,000 farms and 3 years: 11 M weather rows, a 1.6 GB file.

The rows are written with ``INSERT ... SELECT`` from small generated tables (days, stations, farms), in the
order the batch writes them (week after week), so the table's pages hold a week together as they do in
production. The file is cached under ``.local/bench-cache/``, keyed by the generator's version, the schema's
text, the sizes, the seed and the report week; a change of any regenerates it. Treat it as read-only: the
bench copies it before a run (``copy_history_database``).

``python -m bench.history`` builds (or finds) it and prints each SQLite query's plan and time on it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import math
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.generator import FarmSet, generate
from devtools.embedded import LOCAL_DIR
from include.ins_report.config.settings import Settings
from include.ins_report.joblog.registry import JOB_NAME
from include.ins_report.model.farms import classify_farms, weather_locations
from include.ins_report.model.stations import load_stations
from include.ins_report.model.week import ReportWeek
from include.ins_report.store.sqlfiles import load_sql, split_statements

GENERATOR_VERSION = 1  # bump when the rows change: the cache key includes it
CACHE_DIR = LOCAL_DIR / "bench-cache"
WEEKS_PER_YEAR = 52
EKAPE_SERIES = "EKAPE/PIG_TANGBAK"
EKAPE_GRADES = (("EXCL_OUT", "등외제외", 5450.0), ("1+", "1+", 5570.0), ("1", "1", 5540.0),
                ("2", "2", 5210.0), ("OUT", "등외", 3130.0))  # fmt: skip
KOSIS_HEADS, KOSIS_CPI = "101/DT_1EO311", "101/DT_1J22003"
SIDO = ("00", "11", "26", "27", "28", "29", "30", "31", "36", "41", "42", "43", "44", "45", "46", "47",
        "48", "50")  # fmt: skip


@dataclass(frozen=True)
class History:
    path: Path
    farms: int  # TA_FARM rows
    weeks: int  # weeks of history before the report week
    report_week: ReportWeek  # the first week without history: what a run on it collects
    rows: dict[str, int]


def history_weeks(years: float) -> int:
    return max(1, round(years * WEEKS_PER_YEAR))


def cache_path(farms: int, years: float, week: ReportWeek, seed: int = 1) -> Path:
    schema = load_sql("sqlite", "schema")
    digest = hashlib.sha256(f"{GENERATOR_VERSION}\n{schema}".encode()).hexdigest()[:10]
    return CACHE_DIR / f"history-{farms}f-{years:g}y-s{seed}-{week.key}-{digest}.db"


def history_database(
    farms: int = 10_000, years: float = 3, *, week: ReportWeek | None = None, seed: int = 1
) -> Path:
    """The cached history database of ``farms`` TA_FARM rows (the bench's farm set of that size and seed)
    and ``years`` of weekly history before ``week`` (default: the bench's report week), built if missing.
    Read-only: copy it before writing (``copy_history_database``)."""
    if week is None:
        from bench.harness import BenchOptions

        week = BenchOptions().report_week()
    path = cache_path(farms, years, week, seed)
    if path.exists():
        return path
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    for stale in CACHE_DIR.glob(f"history-{farms}f-{years:g}y-s{seed}-*.db"):
        stale.unlink()  # another week or generator version: ~1.6 GB each at 10,000 farms
    partial = path.with_suffix(".partial")
    started = time.monotonic()
    print(f"  generating {path.name} ({farms:,} farms, {years:g} years) ...", flush=True)
    history = build_history(partial, generate(farms, seed), before=week, weeks=history_weeks(years))
    partial.rename(path)
    print(
        f"  generated {path.name}: {history.rows['TM_WEATHER']:,} weather rows, "
        f"{path.stat().st_size / 2**20:,.0f} MB in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    return path


def copy_history_database(source: Path, target: Path) -> None:
    """A fresh copy of a history database at ``target`` (the bench's farm database), journals removed."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


# --- the generator -------------------------------------------------------------------------------------


def _quarter_read(monday: dt.date) -> str:
    """KOSIS' quarterly period the run of ``monday`` reads (publication lag 35 days): YYYYQQ."""
    day = monday - dt.timedelta(days=35)
    quarter = (day.month - 1) // 3  # the quarter of ``day`` is not over yet: the one before
    year, quarter = (day.year, quarter) if quarter else (day.year - 1, 4)
    return f"{year}{quarter:02d}"


def _month_read(monday: dt.date) -> str:
    day = (monday - dt.timedelta(days=7)).replace(day=1) - dt.timedelta(days=1)
    return day.strftime("%Y%m")


def _wave(n: int, salt: int) -> float:
    """A deterministic value in [0, 1) for (n, salt): the generator's noise."""
    return ((n * 2654435761 + salt * 40503) % 1_000_003) / 1_000_003


def build_history(path: Path, farm_set: FarmSet, *, before: ReportWeek, weeks: int) -> History:
    """Write a farm database at ``path`` with ``farm_set`` in TA_FARM and ``weeks`` weeks of history ending
    the Sunday before ``before``."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    stations = {station.stn_id: station for station in load_stations(settings.stations_file)}
    selection = classify_farms(farm_set.rows)
    locations = weather_locations(selection.valid, list(stations.values()))
    names = {farm.farm_no: farm.name for farm in selection.valid}
    week_list = [ReportWeek(before.start - dt.timedelta(weeks=weeks - n)) for n in range(weeks)]
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for pragma in (
            "journal_mode = OFF",
            "synchronous = OFF",
            "cache_size = -1000000",
            "temp_store = MEMORY",
        ):
            conn.execute(f"PRAGMA {pragma}")
        for statement in split_statements(load_sql("sqlite", "schema")):
            conn.execute(statement)
        conn.executemany(
            "INSERT INTO TA_FARM (FARM_NO, FARM_NM, LAT, LON, USE_YN) VALUES (?, ?, ?, ?, ?)", farm_set.rows
        )
        _generator_tables(conn, week_list, locations, stations, names)
        _weather(conn)
        _statistics(conn, week_list)
        _manifest_and_report(conn)
        _job_log(conn, week_list, locations, len(selection.valid), len(selection.excluded))
        conn.commit()
        rows = {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in (
                "TA_FARM",
                "TM_WEATHER",
                "TA_STATS_DATA",
                "TS_INS_WEEK_INPUT",
                "TS_INS_WEEK_FARM",
                "TR_INS_WEEK_REPORT",
                "TS_INS_JOB_LOG",
            )
        }
    return History(path=path, farms=farm_set.size, weeks=weeks, report_week=before, rows=rows)


def _run_id(week: ReportWeek) -> str:
    # the scheduled run of the week: Monday after, 02:00 KST = Sunday 17:00 UTC
    return f"scheduled__{week.end:%Y-%m-%d}T17:00:00+00:00"


def _generator_tables(conn, week_list, locations, stations, names) -> None:
    conn.execute(
        "CREATE TEMP TABLE H_WEEK (N INTEGER PRIMARY KEY, WEEK TEXT, RUN_ID TEXT, CREATED_AT TEXT, "
        "HEADS REAL, CPI REAL, PRICE REAL)"
    )
    conn.execute(
        "CREATE TEMP TABLE H_DAY (N INTEGER PRIMARY KEY, DAY TEXT, WEEK_N INTEGER, BASE_TA REAL, "
        "COLLECTED_AT TEXT)"
    )
    conn.execute(
        "CREATE TEMP TABLE H_STATION (S INTEGER PRIMARY KEY, POINT_ID TEXT, POINT_NM TEXT, OFFSET_TA REAL)"
    )
    conn.execute("CREATE TEMP TABLE H_FARM (N INTEGER PRIMARY KEY, FARM_NO TEXT, FARM_NM TEXT, S INTEGER)")
    weeks, days = [], []
    for w, week in enumerate(week_list):
        monday_after = week.start + dt.timedelta(days=7)
        created = f"{monday_after:%Y-%m-%d} 02:0{w % 10}:00"
        price = 5000 + 600 * math.sin(w / 8) + 200 * _wave(w, 7)
        weeks.append(
            (w, week.key, _run_id(week), created, 11_100_000 + 1000 * (w // 13), 120 + w / 20, price)
        )
        for offset, day in enumerate(week.days):
            season = math.cos(2 * math.pi * (day.timetuple().tm_yday - 200) / 365.25)  # warmest late July
            days.append(
                (w * 7 + offset, day.isoformat(), w, round(12.5 + 13.5 * season, 2), f"{created[:-2]}30")
            )
    conn.executemany("INSERT INTO H_WEEK VALUES (?, ?, ?, ?, ?, ?, ?)", weeks)
    conn.executemany("INSERT INTO H_DAY VALUES (?, ?, ?, ?, ?)", days)
    farms = []
    for s, location in enumerate(sorted(locations, key=lambda location: location.point_id)):
        station = stations[location.point_id]
        conn.execute(
            "INSERT INTO H_STATION VALUES (?, ?, ?, ?)",
            (s, location.point_id, location.name, round((36.5 - station.lat) * 1.2, 2)),
        )
        farms += [(farm_no, names[farm_no], s) for farm_no in location.farm_nos]
    farms.sort()
    conn.executemany("INSERT INTO H_FARM VALUES (?, ?, ?, ?)", [(n, *farm) for n, farm in enumerate(farms)])


def _weather(conn) -> None:
    """TM_WEATHER: each station's day once (H_STATION_DAY), then every farm of the station, day by day."""
    conn.execute(
        """CREATE TEMP TABLE H_STATION_DAY AS
        SELECT S, D, AVG_TA, MIN_TA, MAX_TA, AVG_RHM, SUM_RN,
               ROUND(1.8 * AVG_TA + 32 - 0.55 * (1 - 0.01 * AVG_RHM) * (1.8 * AVG_TA - 26), 2) AS THI
          FROM (SELECT st.S, d.N AS D,
                       ROUND(d.BASE_TA - st.OFFSET_TA + ((st.S * 7919 + d.N * 104729) % 1000) / 125.0 - 4, 1)
                           AS AVG_TA,
                       ROUND(d.BASE_TA - st.OFFSET_TA - 5 + ((st.S * 31 + d.N * 17) % 100) / 50.0, 1)
                           AS MIN_TA,
                       ROUND(d.BASE_TA - st.OFFSET_TA + 4 + ((st.S * 13 + d.N * 29) % 100) / 40.0, 1)
                           AS MAX_TA,
                       ROUND(45 + ((st.S * 101 + d.N * 37) % 500) / 10.0, 1) AS AVG_RHM,
                       CASE WHEN (st.S * 3 + d.N * 5) % 4 = 0 THEN ((st.S + d.N * 7) % 400) / 10.0 ELSE 0 END
                           AS SUM_RN
                  FROM H_STATION st CROSS JOIN H_DAY d)"""
    )
    conn.execute("CREATE UNIQUE INDEX temp.H_STATION_DAY_KEY ON H_STATION_DAY (S, D)")
    conn.execute(
        """INSERT INTO TM_WEATHER (FARM_NO, WEATHER_DATE, POINT_ID, AVG_TA, MIN_TA, MAX_TA, AVG_RHM, SUM_RN,
                                   THI, SOURCE, COLLECTED_AT, RUN_ID)
        SELECT f.FARM_NO, d.DAY, st.POINT_ID, sd.AVG_TA, sd.MIN_TA, sd.MAX_TA, sd.AVG_RHM, sd.SUM_RN, sd.THI,
               'KMA_ASOS', d.COLLECTED_AT, w.RUN_ID
          FROM H_DAY d
         CROSS JOIN H_FARM f
          JOIN H_STATION st ON st.S = f.S
          JOIN H_STATION_DAY sd ON sd.S = f.S AND sd.D = d.N
          JOIN H_WEEK w ON w.N = d.WEEK_N
         ORDER BY d.N, f.N"""
    )


def _statistics(conn, week_list) -> None:
    rows = []
    quarters, months = set(), set()
    for w, week in enumerate(week_list):
        created = f"{week.start + dt.timedelta(days=7):%Y-%m-%d} 02:01:00"
        run_id = _run_id(week)
        for offset, day in enumerate(week.days):
            period = f"{day:%Y%m%d}"
            held = 0.0 if day.weekday() == 6 else 1.0
            rows.append(
                (
                    "EKAPE",
                    EKAPE_SERIES,
                    "AUCTION_HELD",
                    "경매 실시 여부 (1 실시, 0 휴장)",
                    "ALL/NAT_EXJ",
                    "전체/전국(제주제외)",
                    "D",
                    period,
                    held,
                    None,
                    created,
                    run_id,
                )
            )
            if not held:
                continue
            for grade, grade_nm, base in EKAPE_GRADES:
                price = round(base + 600 * math.sin(w / 8) + 150 * _wave(w * 7 + offset, len(grade)), 2)
                rows.append(
                    (
                        "EKAPE",
                        EKAPE_SERIES,
                        "PRICE",
                        "탕박 경락가격 (암·거세 가중평균)",
                        f"{grade}/NAT_EXJ",
                        f"{grade_nm}/전국(제주제외)",
                        "D",
                        period,
                        price,
                        "원/kg",
                        created,
                        run_id,
                    )
                )
                rows.append(
                    (
                        "EKAPE",
                        EKAPE_SERIES,
                        "HEADS",
                        "탕박 경락두수 (암·거세)",
                        f"{grade}/NAT_EXJ",
                        f"{grade_nm}/전국(제주제외)",
                        "D",
                        period,
                        2000.0 + (w + offset) % 500,
                        "두",
                        created,
                        run_id,
                    )
                )
        quarter, month = (
            _quarter_read(week.start + dt.timedelta(days=7)),
            _month_read(week.start + dt.timedelta(days=7)),
        )
        if quarter not in quarters:
            quarters.add(quarter)
            for item, item_nm, base in (("T001", "사육가구수", 5289.0), ("T002", "사육마릿수", 11_137_028.0)):
                for n, sido in enumerate(SIDO):
                    rows.append(
                        (
                            "KOSIS",
                            KOSIS_HEADS,
                            item,
                            item_nm,
                            f"{sido}/00",
                            f"{sido}/합계",
                            "Q",
                            quarter,
                            base / (1 if n == 0 else 20),
                            "가구" if item == "T001" else "마리",
                            created,
                            run_id,
                        )
                    )
        if month not in months:
            months.add(month)
            for category, category_nm in (("A01114", "돼지고기"), ("A01113", "쇠고기")):
                rows.append(
                    (
                        "KOSIS",
                        KOSIS_CPI,
                        "T",
                        "지수",
                        category,
                        category_nm,
                        "M",
                        month,
                        120 + len(months) / 10,
                        "2020=100",
                        created,
                        run_id,
                    )
                )
    conn.executemany(
        "INSERT INTO TA_STATS_DATA (SOURCE, SERIES_ID, ITEM_ID, ITEM_NM, CATEGORY_ID, CATEGORY_NM, "
        "PERIOD_TYPE, PERIOD, VALUE, UNIT, COLLECTED_AT, RUN_ID) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    inputs = []
    for week in week_list:
        monday = week.start + dt.timedelta(days=7)
        created, run_id = f"{monday:%Y-%m-%d} 02:00:10", _run_id(week)
        inputs.append(
            (
                week.key,
                "KOSIS",
                KOSIS_HEADS,
                "pig_farms_and_heads_by_sido",
                "T002",
                "00/00",
                "Q",
                _quarter_read(monday),
                "NATIONAL_PIG_HEADS",
                run_id,
                created,
            )
        )
        inputs.append(
            (
                week.key,
                "KOSIS",
                KOSIS_CPI,
                "consumer_price_index_meat",
                "T",
                "A01114",
                "M",
                _month_read(monday),
                "PORK_CPI",
                run_id,
                created,
            )
        )
        for day in week.days:
            for item, category, column in (
                ("AUCTION_HELD", "ALL/NAT_EXJ", None),
                ("PRICE", "EXCL_OUT/NAT_EXJ", "PIG_PRICE_AVG"),
                ("HEADS", "EXCL_OUT/NAT_EXJ", None),
            ):
                inputs.append(
                    (
                        week.key,
                        "EKAPE",
                        EKAPE_SERIES,
                        "pig_carcass_prices",
                        item,
                        category,
                        "D",
                        f"{day:%Y%m%d}",
                        column,
                        run_id,
                        created,
                    )
                )
    conn.executemany(
        "INSERT INTO TS_INS_WEEK_INPUT (REPORT_WEEK, SOURCE, SERIES_ID, SERIES_NM, ITEM_ID, CATEGORY_ID, "
        "PERIOD_TYPE, PERIOD, REPORT_COLUMN, RUN_ID, CREATED_AT) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        inputs,
    )


def _manifest_and_report(conn) -> None:
    """TS_INS_WEEK_FARM and TR_INS_WEEK_REPORT, every farm every week; the report from the stations' weeks."""
    conn.execute(
        """INSERT INTO TS_INS_WEEK_FARM (REPORT_WEEK, FARM_NO, FARM_NM, POINT_ID, POINT_NM, RUN_ID,
                                      CREATED_AT)
        SELECT w.WEEK, f.FARM_NO, f.FARM_NM, st.POINT_ID, st.POINT_NM, w.RUN_ID, w.CREATED_AT
          FROM H_WEEK w CROSS JOIN H_FARM f JOIN H_STATION st ON st.S = f.S
         ORDER BY w.N, f.N"""
    )
    conn.execute(
        """CREATE TEMP TABLE H_STATION_WEEK AS
        SELECT sd.S, d.WEEK_N, COUNT(*) AS DAYS, ROUND(AVG(sd.AVG_TA), 2) AS AVG_TA, MIN(sd.MIN_TA) AS MIN_TA,
               MAX(sd.MAX_TA) AS MAX_TA, ROUND(AVG(sd.AVG_RHM), 2) AS AVG_RHM,
               ROUND(SUM(sd.SUM_RN), 1) AS SUM_RN,
               ROUND(AVG(sd.THI), 2) AS AVG_THI, MAX(sd.THI) AS MAX_THI,
               SUM(CASE WHEN sd.THI >= 74 THEN 1 ELSE 0 END) AS HEAT_DAYS
          FROM H_STATION_DAY sd JOIN H_DAY d ON d.N = sd.D
         GROUP BY sd.S, d.WEEK_N"""
    )
    conn.execute("CREATE UNIQUE INDEX temp.H_STATION_WEEK_KEY ON H_STATION_WEEK (S, WEEK_N)")
    conn.execute(
        """INSERT INTO TR_INS_WEEK_REPORT (REPORT_WEEK, FARM_NO, FARM_NM, POINT_ID, DAYS_OBSERVED, AVG_TA,
                                           MIN_TA,
                                           MAX_TA, AVG_RHM, SUM_RN, AVG_THI, MAX_THI, HEAT_STRESS_DAYS,
                                           NATIONAL_PIG_HEADS, PORK_CPI, PIG_PRICE_AVG, CREATED_AT)
        SELECT w.WEEK, f.FARM_NO, f.FARM_NM, st.POINT_ID, sw.DAYS, sw.AVG_TA, sw.MIN_TA, sw.MAX_TA,
               sw.AVG_RHM,
               sw.SUM_RN, sw.AVG_THI, sw.MAX_THI, sw.HEAT_DAYS, w.HEADS, ROUND(w.CPI, 2), ROUND(w.PRICE, 1),
               w.CREATED_AT
          FROM H_WEEK w CROSS JOIN H_FARM f
          JOIN H_STATION st ON st.S = f.S
          JOIN H_STATION_WEEK sw ON sw.S = f.S AND sw.WEEK_N = w.N
         ORDER BY w.N, f.N"""
    )


def _log_row(week: ReportWeek, step: str, status: str, start: int, end: int, count, message: str) -> tuple:
    """A TS_INS_JOB_LOG row of the week's scheduled run; ``start``/``end``: seconds after 02:00 KST."""
    run_at = dt.datetime.combine(week.start + dt.timedelta(days=7), dt.time(2))

    def at(seconds: int) -> str:
        return (run_at + dt.timedelta(seconds=seconds)).isoformat(sep=" ")

    return (JOB_NAME, _run_id(week), week.key, step, status, at(start), at(end), count, message)


def _job_log(conn, week_list, locations, farms: int, excluded: int) -> None:
    """One scheduled run per week, the rows its steps write (a retried station now and then)."""
    rows = []
    plan = f"{farms} farms at {len(locations)} weather locations; {excluded} excluded"
    kosis = "pig_farms_and_heads_by_sido: 36 rows; consumer_price_index_meat: 2 rows"
    for w, week in enumerate(week_list):
        rows.append(
            _log_row(week, "START_JOB", "SUCCESS", 0, 1, None, f"report week {week.start}..{week.end}")
        )
        rows.append(_log_row(week, "PLAN_WEATHER_LOCATIONS", "SUCCESS", 2, 4, farms, plan))
        rows.append(_log_row(week, "COLLECT_KOSIS_SERIES", "SUCCESS", 2, 5, 38, kosis))
        rows.append(
            _log_row(week, "COLLECT_EKAPE_PRICES", "SUCCESS", 2, 9, 67, "pig_carcass_prices: 67 rows")
        )
        for n, location in enumerate(locations):
            at = 5 + n // 4
            if (w + n) % 97 == 0:
                message = f"{location.label}: TransientApiError: quota exceeded (22)"
                rows.append(_log_row(week, "COLLECT_STATION_WEATHER", "RETRY", at, at + 1, None, message))
            count = len(location.farm_nos) * 7
            message = f"{location.label}: 7 days, {count} rows"
            rows.append(_log_row(week, "COLLECT_STATION_WEATHER", "SUCCESS", at, at + 2, count, message))
        end = 8 + len(locations) // 4
        gate = f"complete: {farms} farms: {farms * 7}/{farms * 7} farm-days (100.0%)"
        report = f"SP_INS_WEEK_MAIN('WEEK', '{week.key}') done; {farms} report rows"
        rows.append(_log_row(week, "CHECK_COLLECTION", "SUCCESS", end, end + 2, farms * 7, gate))
        rows.append(_log_row(week, "RUN_WEEKLY_REPORT", "SUCCESS", end + 3, end + 6, farms, report))
        rows.append(_log_row(week, "FINISH_JOB", "SUCCESS", end + 7, end + 7, None, "report built"))
    conn.executemany(
        "INSERT INTO TS_INS_JOB_LOG (JOB_NM, RUN_ID, REPORT_WEEK, STEP_NM, STATUS, STARTED_AT, ENDED_AT, "
        "ROW_COUNT, MESSAGE) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


# --- in the bench's results (bench/report.py) ---------------------------------------------------------

HISTORY_RATIO = 1.1  # the target: wall time with history <= 1.1 x without


def history_pairs(rows: list[dict]) -> list[tuple[dict, dict]]:
    """(empty, history) summary rows of the same size: the product run and the history variant."""
    by_size = {row["farm_rows"]: row for row in rows if row["variant"] == "product"}
    return [(by_size[row["farm_rows"]], row) for row in rows if row["variant"] == "history"
            if row["farm_rows"] in by_size]  # fmt: skip


def history_target(rows: list[dict]) -> tuple[str, bool | None, str] | None:
    """None without a history variant (results from before it render as they did)."""
    pairs = history_pairs(rows)
    if not pairs:
        return None
    empty, history = pairs[0]
    ratio = history["wall_s"] / empty["wall_s"] if empty["wall_s"] else float("inf")
    years = history["history_weeks"] / WEEKS_PER_YEAR
    return (
        f"wall time with {years:g} years of history <= {HISTORY_RATIO:g} x without, "
        f"at {history['farm_rows']:,} farms",
        ratio <= HISTORY_RATIO and history["complete"],
        f"{history['wall_s']:.1f} s / {empty['wall_s']:.1f} s = {ratio:.2f} x",
    )


def history_table(rows: list[dict]) -> str:
    """The history variant against the empty database: run, gate and report times, the database's size."""
    pairs = history_pairs(rows)
    if not pairs:
        return ""
    lines = [
        "| farms | farm database | file MB | run wall s | gate task s | gate step s | report task s | "
        "report step s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for empty, history in pairs:
        for row in (empty, history):
            weeks = row.get("history_weeks") or 0
            what = (
                f"{weeks} weeks of history ({weeks / WEEKS_PER_YEAR:g} years)" if weeks else "the week only"
            )
            step = [row.get(key) for key in ("gate_step_s", "report_step_s")]
            lines.append(
                f"| {row['farm_rows']:,} | {what} | {row.get('farm_db_mb', 0):,.0f} | {row['wall_s']:,.1f} | "
                f"{row.get('gate_task_s', 0):.1f} | {'' if step[0] is None else step[0]} | "
                f"{row.get('report_task_s', 0):.1f} | {'' if step[1] is None else step[1]} |"
            )
    lines += [
        "",
        "History: the product run on a copy of a farm database holding the same farms' last "
        f"{pairs[0][1]['history_weeks']} weeks (bench/history.py: weather, statistics, manifest, report, "
        "job log), "
        "next to the run on a database holding the week only. Gate and report: the tasks' durations "
        "(metadata database; they include the task's start) and the steps' own, from their job-log rows "
        "(whole seconds).",
    ]
    return "\n".join(lines)


HISTORY_MARKERS = ("<!-- history:results -->", "<!-- /history:results -->")


def update_doc(document: dict, path: Path) -> bool:
    """The history pair of this bench run between the markers of ``path`` (docs/performance.md)."""
    from bench import report

    rows = report.summarize(document["runs"])
    target = history_target(rows)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = text.find(HISTORY_MARKERS[0]), text.find(HISTORY_MARKERS[1])
    if target is None or start < 0 or end < start:
        return False
    name, met, measured = target
    body = "\n".join(
        [
            f"Bench run {document['started_at']} ({document['duration_s']} s), "
            f"report week {document['week']}:",
            "",
            history_table(rows),
            "",
            f"Target: {name}: {'met' if met else '**NOT MET**'} ({measured}).",
        ]
    )
    path.write_text(f"{text[: start + len(HISTORY_MARKERS[0])]}\n{body}\n{text[end:]}", encoding="utf-8")
    return True


# --- the queries on it ---------------------------------------------------------------------------------


HISTORY_INDEXES = ("IX_TM_WEATHER_DATE", "IX_TA_STATS_DATA_PERIOD", "IX_INS_JOB_LOG_WEEK")  # migration 003


def week_queries(week: ReportWeek) -> dict[str, dict]:
    """The week's reads of the batch and the digest, with the week's binds (timed by ``time_queries``)."""
    days = {"week_start": week.start.isoformat(), "week_end": week.end.isoformat()}
    periods = {"first_period": f"{week.start:%Y%m%d}", "last_period": f"{week.end:%Y%m%d}"}
    ekape = {"source": "EKAPE", "series_id": EKAPE_SERIES, "period_type": "D"}
    return {
        "gate_weather": days,
        "weather_days": days,
        "gate_stats": {**ekape, **periods},
        "stats_periods": {"source": "EKAPE", "period_type": "D", **periods},
        "job_log_for_run": {"job_nm": JOB_NAME, "run_id": _run_id(week)},
        "job_log_last_weeks": {"job_nm": JOB_NAME, "week_count": 12},
        "sp_ins_week_main": {"p_week": week.key},
    }


def time_queries(path: Path, week: ReportWeek) -> list[tuple[str, float, int, list[str]]]:
    """(query, seconds, rows, plan) of each of ``week_queries`` on the database at ``path``; the report
    script runs in a transaction that is rolled back."""
    found = []
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for name, binds in week_queries(week).items():
            rows, plan, started = 0, [], time.perf_counter()
            for statement in split_statements(load_sql("sqlite", name)):
                plan += [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}", binds)]
                cursor = conn.execute(statement, binds)
                rows += sum(1 for _ in cursor) if cursor.description else max(cursor.rowcount, 0)
            found.append((name, time.perf_counter() - started, rows, plan))
            conn.rollback()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__.split("\n\n")[0])
    parser.add_argument("--farms", type=int, default=10_000)
    parser.add_argument("--years", type=float, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--week", help="the report week's Monday (default: the bench's week)")
    parser.add_argument(
        "--queries", action="store_true", help="time the week's queries on the last week of history"
    )
    parser.add_argument(
        "--without-indexes",
        action="store_true",
        help="with --queries: on a copy without migration 003's indexes (the schema before them)",
    )
    args = parser.parse_args(argv)
    if args.week:
        week = ReportWeek(dt.date.fromisoformat(args.week))
    else:
        from bench.harness import BenchOptions

        week = BenchOptions().report_week()
    path = history_database(args.farms, args.years, week=week, seed=args.seed)
    print(path)
    if not args.queries:
        return 0
    last = ReportWeek(week.start - dt.timedelta(weeks=1))  # the latest week with history
    target = path
    if args.without_indexes:
        target = path.with_name("without-indexes.db")
        copy_history_database(path, target)
        with contextlib.closing(sqlite3.connect(target)) as conn:
            for index in HISTORY_INDEXES:
                conn.execute(f"DROP INDEX {index}")
    try:
        print(f"week {last.start} on {target.name}:")
        for name, seconds, rows, plan in time_queries(target, last):
            print(f"  {name:<20} {seconds * 1000:9.1f} ms  {rows:>7,} rows")
            for line in plan:
                print(f"      {line}")
    finally:
        if target != path:
            target.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
