"""End to end on a real Oracle (opt-in, see conftest.py): DDL, upserts, job log, procedure, guard.

Everything goes through the app's own ``FarmDatabase`` on an ``oracle`` Airflow connection; the checks read
the tables directly. Run twice what must be idempotent, and compare the procedure's report with the SQLite
reference script on the same input.
"""

from __future__ import annotations

import sqlite3

import pytest

from include.ins_report.airflow_edge.connections import farm_database
from include.ins_report.joblog.registry import JOB_NAME
from include.ins_report.steps.cutover import check_legacy_job
from include.ins_report.store.farm_db import FarmDatabase
from include.ins_report.store.sqlfiles import load_sql, split_statements
from tests.oracle.conftest import requires_oracle
from tests.unit.test_oracle_sql import schema_model

pytestmark = requires_oracle

WEEK = "20000103"  # a Monday long ago: no real data in the way
DAYS = [f"2000-01-{day:02d}" for day in range(3, 10)]
FARMS = [
    ("ZT0001", "시험 농장 하나", 37.2724, 127.435, "Y"),
    ("ZT0002", "시험 농장 O'Neil", 36.99, 127.11, "Y"),
    ("ZT0003", "시험 폐업 농장", 36.5, 127.0, "N"),  # inactive: its weather is not reported
]
REPORT_COLUMNS = (
    "FARM_NO, FARM_NM, POINT_ID, DAYS_OBSERVED, AVG_TA, MIN_TA, MAX_TA, AVG_RHM, SUM_RN, AVG_THI, MAX_THI, "
    "HEAT_STRESS_DAYS, NATIONAL_PIG_HEADS, PORK_CPI"
)


def weather(farm_no: str, index: int, day: str, run_id: str = "oracle-test-1") -> dict:
    return {
        "farm_no": farm_no,
        "weather_date": day,
        "point_id": "108",
        "avg_ta": 20.0 + index,
        "min_ta": 17.0 + index,
        "max_ta": 27.0 + index,
        "avg_rhm": None if index == 0 else 70.0,
        "sum_rn": None if index == 0 else 1.5,
        "thi": 70.0 + index,
        "source": "KMA_ASOS",
        "collected_at": "2000-01-10 09:10:00",
        "run_id": run_id,
    }  # fmt: skip  (the first row's None: executemany must cope with None before numbers)


def week_of_weather(run_id: str = "oracle-test-1") -> list[dict]:
    return [weather(farm[0], index, day, run_id) for farm in FARMS for index, day in enumerate(DAYS)]


STATS = [
    {
        "source": "KOSIS", "series_id": "101/DT_1EO311", "item_id": "T002", "item_nm": "사육마릿수",
        "category_id": "00/00", "category_nm": "전국/합계", "period_type": "Q", "period": "199904",
        "value": 11000000.0, "unit": "마리", "collected_at": "2000-01-10 02:00:00", "run_id": "oracle-test-1",
    },
    {
        "source": "KOSIS", "series_id": "101/DT_1J22003", "item_id": "T", "item_nm": "돼지고기",
        "category_id": "A01114", "category_nm": "돼지고기", "period_type": "M", "period": "199912",
        "value": 101.5, "unit": "2020=100", "collected_at": "2000-01-10 02:00:00", "run_id": "oracle-test-1",
    },
]  # fmt: skip


@pytest.fixture
def wh(oracle_session) -> FarmDatabase:
    warehouse = farm_database(oracle_session.conn_id)
    assert warehouse.dialect.name == "oracle"
    return warehouse


@pytest.fixture
def farms(oracle_session):
    oracle_session.execute(
        "INSERT INTO TA_FARM (FARM_NO, FARM_NM, LAT, LON, USE_YN) VALUES (:1, :2, :3, :4, :5)",
        FARMS,
        many=True,
    )
    yield FARMS
    oracle_session.execute("DELETE FROM TA_FARM WHERE FARM_NO LIKE 'ZT%'")


def test_tables_have_the_reference_columns(oracle_session):
    model = schema_model(load_sql("oracle", "schema"), "oracle")
    for table, spec in model["tables"].items():
        columns = [row[0] for row in oracle_session.rows(
            "SELECT COLUMN_NAME FROM USER_TAB_COLUMNS WHERE TABLE_NAME = :t ORDER BY COLUMN_ID", {"t": table}
        )]  # fmt: skip
        assert set(spec["columns"]) <= set(columns), (table, columns)


def test_weather_upsert_twice_is_idempotent(oracle_session, wh):
    snapshot = (
        "SELECT FARM_NO, TO_CHAR(WEATHER_DATE, 'YYYY-MM-DD'), POINT_ID, AVG_TA, MIN_TA, MAX_TA, AVG_RHM, "
        "SUM_RN, THI, SOURCE, TO_CHAR(COLLECTED_AT, 'YYYY-MM-DD HH24:MI:SS'), RUN_ID FROM TM_WEATHER "
        "WHERE FARM_NO LIKE 'ZT%' ORDER BY 1, 2"
    )
    rows = week_of_weather()
    assert wh.upsert_weather(rows) == 21
    first = oracle_session.rows(snapshot)
    assert len(first) == 21
    assert first[0][1] == "2000-01-03"
    assert first[0][6] is None
    assert first[0][10] == "2000-01-10 09:10:00"
    wh.upsert_weather(rows)
    assert oracle_session.rows(snapshot) == first
    wh.upsert_weather([{**rows[0], "avg_ta": 99.5, "run_id": "oracle-test-2"}])
    changed = oracle_session.rows(snapshot)
    assert len(changed) == 21
    assert changed[0][3] == 99.5
    assert changed[0][11] == "oracle-test-2"
    masks = wh.weather_day_masks([f"2000-01-{day:02d}" for day in range(3, 10)])
    assert masks["ZT0001"] & 1  # its Monday, 2000-01-03
    assert sum(mask.bit_count() for farm, mask in masks.items() if farm.startswith("ZT")) == 21


def test_stats_upsert_twice_is_idempotent(oracle_session, wh):
    snapshot = (
        "SELECT SERIES_ID, ITEM_ID, CATEGORY_ID, PERIOD, VALUE, ITEM_NM, RUN_ID FROM TA_STATS_DATA "
        "WHERE RUN_ID LIKE 'oracle-test-%' ORDER BY 1, 4"
    )
    wh.upsert_stats(STATS)
    first = oracle_session.rows(snapshot)
    wh.upsert_stats(STATS)
    assert oracle_session.rows(snapshot) == first
    assert len(first) == 2
    assert first[0][5] == "사육마릿수"
    assert wh.stats_periods("KOSIS", "Q", "199904", "199904")[("101/DT_1EO311", "199904")] >= 1


def test_job_log_round_trip(oracle_session, wh):
    wh.log_step(
        run_id="oracle-test-log", report_week=WEEK, step="START_JOB", status="SUCCESS",
        started_at="2000-01-10 02:00:01", row_count=3, message="주간 보고서 " * 100,
    )  # fmt: skip
    wh.log_step(
        run_id="oracle-test-log", report_week=WEEK, step="START_JOB", status="FAILED", started_at=None
    )
    log = wh.job_log("oracle-test-log")
    assert [(row["step"], row["status"]) for row in log] == [
        ("START_JOB", "SUCCESS"),
        ("START_JOB", "FAILED"),
    ]
    assert log[0]["started_at"] == "2000-01-10 02:00:01"
    assert log[1]["started_at"] is None
    assert len(log[0]["ended_at"]) == 19
    assert log[0]["row_count"] == 3
    assert log[0]["log_id"] < log[1]["log_id"]


def report(oracle_session) -> list[tuple]:
    return oracle_session.rows(
        f"SELECT {REPORT_COLUMNS} FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = :w ORDER BY FARM_NO",
        {"w": WEEK},
    )


def sqlite_report(tmp_path) -> list[tuple]:
    """The SQLite reference script on the same farms, weather and statistics."""
    path = tmp_path / "reference.db"
    with sqlite3.connect(path) as conn:
        for statement in split_statements(load_sql("sqlite", "schema")):
            conn.execute(statement)
        conn.executemany("INSERT INTO TA_FARM VALUES (?, ?, ?, ?, ?)", FARMS)
        conn.executemany(load_sql("sqlite", "upsert_weather"), week_of_weather())
        conn.executemany(load_sql("sqlite", "upsert_stats"), STATS)
        for statement in split_statements(load_sql("sqlite", "sp_ins_week_main")):
            conn.execute(statement, {"p_type": "WEEK", "p_week": WEEK})
        return conn.execute(f"SELECT {REPORT_COLUMNS} FROM TR_INS_WEEK_REPORT ORDER BY FARM_NO").fetchall()


def test_procedure_twice_is_idempotent_and_matches_sqlite(oracle_session, wh, farms, tmp_path):
    wh.upsert_weather(week_of_weather())
    wh.upsert_stats(STATS)
    wh.run_report("SP_INS_WEEK_MAIN", "WEEK", WEEK)
    first = report(oracle_session)
    assert [row[0] for row in first] == ["ZT0001", "ZT0002"]  # ZT0003 is inactive
    wh.run_report("SP_INS_WEEK_MAIN", "WEEK", WEEK)
    assert report(oracle_session) == first
    assert wh.report_row_count(WEEK) == 2
    expected = sqlite_report(tmp_path)
    assert len(expected) == len(first)
    for oracle_row, sqlite_row in zip(first, expected, strict=True):
        assert oracle_row[:4] == sqlite_row[:4]
        assert list(oracle_row[4:]) == pytest.approx(list(sqlite_row[4:]))
    log = oracle_session.rows(
        "SELECT JOB_NM, STEP_NM, STATUS, REPORT_WEEK, ROW_COUNT FROM TS_INS_JOB_LOG "
        "WHERE RUN_ID = :r AND LOG_ID > :first ORDER BY LOG_ID",
        {"r": f"PROC:{WEEK}", "first": oracle_session.first_log_id},
    )
    assert log == [(JOB_NAME, "SP_INS_WEEK_MAIN", "SUCCESS", WEEK, 2)] * 2


@pytest.mark.parametrize(
    ("week", "code"), [(None, "ORA-20001"), ("20000104", "ORA-20004"), ("2000-01-03", "ORA-20003")]
)
def test_procedure_refuses_a_missing_or_wrong_week(oracle_session, wh, week, code):
    import oracledb

    with pytest.raises(oracledb.DatabaseError, match=code):
        wh.hook.callproc("SP_INS_WEEK_MAIN", autocommit=True, parameters=["WEEK", week])
    (status,) = oracle_session.rows(
        "SELECT STATUS FROM TS_INS_JOB_LOG WHERE RUN_ID = :r AND LOG_ID > :first ORDER BY LOG_ID DESC "
        "FETCH FIRST 1 ROWS ONLY",
        {"r": f"PROC:{week or ''}", "first": oracle_session.first_log_id},
    )
    assert status == ("FAILED",)


def test_legacy_job_guard_reads_the_real_dictionary(oracle_session, wh):
    assert check_legacy_job(wh, "fail", job_name="JOB_INS_ORACLE_TEST_ABSENT") is None
    enabled = oracle_session.rows(
        "SELECT ENABLED FROM USER_SCHEDULER_JOBS WHERE JOB_NAME = 'JOB_INS_WEEKLY_REPORT'"
    )
    if enabled and enabled[0][0] == "TRUE":
        assert "still enabled" in check_legacy_job(wh, "warn")
    else:  # absent, or the compose stand-in (created disabled)
        assert check_legacy_job(wh, "fail") is None


WAITING_PROCEDURE = """CREATE OR REPLACE PROCEDURE SP_INS_TEST_WAIT (
    p_type IN VARCHAR2, p_week IN VARCHAR2
) AS
BEGIN
    -- Waits for the row lock the test holds on ZT0001: in the call until the test lets it go.
    UPDATE TA_FARM SET FARM_NM = FARM_NM WHERE FARM_NO = 'ZT0001';
    ROLLBACK;
END;"""


def test_a_call_still_running_is_seen_by_the_next_attempt(oracle_session, wh, farms):
    """The call's session carries the run in V$SESSION (MODULE, ACTION, CLIENT_IDENTIFIER), and the session
    check of a next attempt refuses while that call runs, then lets the call go once it has ended. Needs
    GRANT SELECT ON V_$SESSION TO the test user; without it the check must name that grant."""
    import threading

    from include.ins_report.steps import report_call
    from tests.support.waiting import wait_for

    tag = report_call.SessionTag.of("oracle-test-session-check", "SP_INS_TEST_WAIT", WEEK)
    probe = farm_database(oracle_session.conn_id)
    not_granted = ""
    try:
        report_call.check_report_sessions(probe)
    except report_call.SessionCheckNotGrantedError as exc:
        not_granted = str(exc)
    if not_granted:
        assert f"GRANT SELECT ON V_$SESSION TO {oracle_session.dsn.user.upper()}" in not_granted
        pytest.skip("the test user cannot read V$SESSION (the check names the grant, as it must)")
    oracle_session.execute(WAITING_PROCEDURE)
    holder = oracle_session.connection
    with holder.cursor() as cursor:  # the row lock the procedure waits for, not committed
        cursor.execute("UPDATE TA_FARM SET FARM_NM = FARM_NM WHERE FARM_NO = 'ZT0001'")
    outcome: dict[str, BaseException | None] = {}

    def call() -> None:
        try:
            wh.tag_report_session(tag.module, tag.action, tag.client_identifier)
            wh.run_report("SP_INS_TEST_WAIT", "WEEK", WEEK)
            outcome["error"] = None
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    try:

        def refused() -> str:
            try:
                report_call.check_report_sessions(probe)
            except report_call.ReportStillRunningError as exc:
                return str(exc)
            return ""

        message = wait_for(refused, timeout=60, what="the waiting call seen in V$SESSION", poll=0.5)
        assert f"CLIENT_IDENTIFIER '{tag.client_identifier}'" in message
        assert f"ACTION '{tag.action}'" in message
    finally:
        holder.rollback()  # the procedure goes on and ends
        caller.join(timeout=60)
        oracle_session.execute("DROP PROCEDURE SP_INS_TEST_WAIT")
    assert outcome.get("error") is None, outcome
    report_call.check_report_sessions(probe)  # the call has ended: a next attempt may call
