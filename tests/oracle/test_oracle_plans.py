"""The Oracle twins of the week's queries read history through an index: ``EXPLAIN PLAN`` on a real Oracle.

Opt-in (conftest.py: ``ORACLE_TEST_DSN``). The module loads three years of history of its own into the
development schema (300 farms ``ZTH%`` of daily weather, a daily statistics series and a weekly job log,
run ids ``oracle-test-history%``, the rows the session's cleanup deletes), written day after day as the
batch does, and gathers the tables' statistics, so the optimizer sees the tables' shape and not an empty
table. Then every statement file of include/sql/oracle/ that tests/unit/test_query_plans.py registers (and
the report procedure's weekly aggregate, with its PL/SQL names as binds) is explained, and a history table
must be neither read in full (``TABLE ACCESS FULL``) nor through a full or fast full scan of one of its
indexes, but the unit test's argued exceptions.

Not run where this project was built (no Oracle there): docs/performance.md lists these plans as expected.
"""

from __future__ import annotations

import re
import uuid

import pytest

from include.ins_report.config.settings import SQL_DIR
from include.ins_report.joblog.registry import JOB_NAME
from tests.oracle.conftest import requires_oracle
from tests.unit.test_oracle_sql import EMBEDDED_SQL, procedure_frame
from tests.unit.test_query_plans import ARGUED, BOUNDED_BY, SAMPLES, TEMPLATES

pytestmark = requires_oracle

ORACLE = SQL_DIR / "oracle"
FULL_READS = {("TABLE ACCESS", "FULL"), ("INDEX", "FULL SCAN"), ("INDEX", "FAST FULL SCAN")}
RUN_PREFIX = "oracle-test-history"
FARMS, FIRST_DAY, DAYS = 300, "2001-01-01", 1092  # 156 weeks from a Monday

HISTORY_SQL = (
    # TM_WEATHER: day after day, every farm (the batch writes a week at a time, so a week's rows sit together)
    f"""INSERT INTO TM_WEATHER (FARM_NO, WEATHER_DATE, POINT_ID, AVG_TA, MIN_TA, MAX_TA, AVG_RHM, SUM_RN, THI,
                             SOURCE, COLLECTED_AT, RUN_ID)
    SELECT 'ZTH' || TO_CHAR(f.n, 'FM0000'), DATE '{FIRST_DAY}' + d.n - 1, '108', MOD(d.n, 30),
           MOD(d.n, 30) - 5, MOD(d.n, 30) + 5, 60, 0, 60, 'KMA_ASOS', DATE '{FIRST_DAY}' + d.n + 7,
           '{RUN_PREFIX}'
      FROM (SELECT LEVEL AS n FROM DUAL CONNECT BY LEVEL <= {DAYS}) d
     CROSS JOIN (SELECT LEVEL AS n FROM DUAL CONNECT BY LEVEL <= {FARMS}) f
     ORDER BY d.n, f.n""",
    # TA_STATS_DATA: a daily series with 11 cells a day, as EKAPE's
    f"""INSERT INTO TA_STATS_DATA (SOURCE, SERIES_ID, ITEM_ID, ITEM_NM, CATEGORY_ID, CATEGORY_NM, PERIOD_TYPE,
                                PERIOD, VALUE, UNIT, COLLECTED_AT, RUN_ID)
    SELECT 'EKAPE', 'EKAPE/PIG_TANGBAK', 'PRICE', NULL, 'G' || c.n || '/NAT_EXJ', NULL, 'D',
           TO_CHAR(DATE '{FIRST_DAY}' + d.n - 1, 'YYYYMMDD'), 5000 + c.n, NULL, DATE '{FIRST_DAY}' + d.n + 7,
           '{RUN_PREFIX}'
      FROM (SELECT LEVEL AS n FROM DUAL CONNECT BY LEVEL <= {DAYS}) d
     CROSS JOIN (SELECT LEVEL AS n FROM DUAL CONNECT BY LEVEL <= 11) c
     ORDER BY d.n, c.n""",
    # TS_INS_JOB_LOG: a run a week, 100 rows each
    f"""INSERT INTO TS_INS_JOB_LOG (JOB_NM, RUN_ID, REPORT_WEEK, STEP_NM, STATUS, STARTED_AT, ENDED_AT,
                                 ROW_COUNT, MESSAGE)
    SELECT '{JOB_NAME}', '{RUN_PREFIX}-' || w.n, TO_CHAR(DATE '{FIRST_DAY}' + 7 * (w.n - 1), 'YYYYMMDD'),
           CASE WHEN s.n = 1 THEN 'START_JOB' WHEN s.n = 100 THEN 'FINISH_JOB'
                ELSE 'COLLECT_STATION_WEATHER' END,
           'SUCCESS', DATE '{FIRST_DAY}' + 7 * w.n, DATE '{FIRST_DAY}' + 7 * w.n, s.n, 'history'
      FROM (SELECT LEVEL AS n FROM DUAL CONNECT BY LEVEL <= {DAYS // 7}) w
     CROSS JOIN (SELECT LEVEL AS n FROM DUAL CONNECT BY LEVEL <= 100) s
     ORDER BY w.n, s.n""",
)


def statement(name: str) -> str:
    text = (ORACLE / f"{name}.sql").read_text(encoding="utf-8")
    return text.format(**TEMPLATES[name]) if name in TEMPLATES else text


def procedure_aggregate() -> str:
    """The reference procedure's INSERT ... SELECT into TR_INS_WEEK_REPORT, its PL/SQL names as binds."""
    body = procedure_frame()["body"]
    (insert,) = [
        match.group(1)
        for match in EMBEDDED_SQL.finditer(body)
        if match.group(1).startswith("INSERT INTO TR_INS_WEEK_REPORT")
    ]
    return re.sub(r"\b(p_week|v_start|v_end)\b", r":\1", insert)


def explained() -> list[tuple[str, str]]:
    names = [name for name in SAMPLES if (ORACLE / f"{name}.sql").exists() and name != "sp_ins_week_main"]
    return [(name, statement(name)) for name in names] + [("sp_ins_week_main", procedure_aggregate())]


@pytest.fixture(scope="module")
def history(oracle_session):
    session = oracle_session
    session.execute("DELETE FROM TM_WEATHER WHERE FARM_NO LIKE 'ZTH%'")
    for table in ("TA_STATS_DATA", "TS_INS_JOB_LOG"):
        session.execute(f"DELETE FROM {table} WHERE RUN_ID LIKE '{RUN_PREFIX}%'")
    for sql in HISTORY_SQL:
        session.execute(sql)
    for table in ("TM_WEATHER", "TA_STATS_DATA", "TS_INS_JOB_LOG"):
        session.execute(
            "BEGIN DBMS_STATS.GATHER_TABLE_STATS(ownname => USER, tabname => :t, cascade => TRUE); END;",
            {"t": table},
        )
    yield session
    session.execute("DELETE FROM TM_WEATHER WHERE FARM_NO LIKE 'ZTH%'")
    for table in ("TA_STATS_DATA", "TS_INS_JOB_LOG"):
        session.execute(f"DELETE FROM {table} WHERE RUN_ID LIKE '{RUN_PREFIX}%'")


def explain(session, sql: str) -> list[tuple[str, str, str]]:
    """(OPERATION, OPTIONS, OBJECT_NAME) of the plan, indexes named by their table."""
    import oracledb

    statement_id = f"ins-{uuid.uuid4().hex[:12]}"
    explain_sql = f"EXPLAIN PLAN SET STATEMENT_ID = '{statement_id}' FOR {sql}"
    try:
        session.execute(explain_sql)
    except oracledb.Error as exc:  # the driver or the server asks for the binds' values
        if not re.search(r"ORA-01008|DPY-4010", str(exc)):
            raise
        binds = {name: None for name in re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", sql)}
        session.execute(explain_sql, binds)
    rows = session.rows(
        "SELECT p.OPERATION, NVL(p.OPTIONS, ' '), NVL(i.TABLE_NAME, p.OBJECT_NAME) FROM PLAN_TABLE p "
        "LEFT JOIN USER_INDEXES i ON i.INDEX_NAME = p.OBJECT_NAME "
        "WHERE p.STATEMENT_ID = :id ORDER BY p.ID",
        {"id": statement_id},
    )
    session.execute("DELETE FROM PLAN_TABLE WHERE STATEMENT_ID = :id", {"id": statement_id})
    return [(str(operation), str(options).strip(), str(name or "")) for operation, options, name in rows]


@pytest.mark.parametrize(("name", "sql"), explained(), ids=[name for name, _ in explained()])
def test_no_statement_reads_a_history_table_in_full(history, name, sql):
    plan = explain(history, sql)
    full = [
        f"{operation} {options} {table}"
        for operation, options, table in plan
        if (operation, options) in FULL_READS and table in BOUNDED_BY and (name, table) not in ARGUED
    ]
    assert not full, f"{name}: {full}\n{plan}"


def test_the_gate_reads_the_week_through_the_date_index(history):
    plan = explain(history, statement("gate_weather"))
    assert ("INDEX", "RANGE SCAN", "TM_WEATHER") in plan, plan
