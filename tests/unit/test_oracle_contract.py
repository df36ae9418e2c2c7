"""The Oracle path without an Oracle: what the app sends to python-oracledb, recorded by a fake driver.

A real ``oracle`` Airflow connection (JSON in ``AIRFLOW_CONN_FARM_DB``) resolves to the real
``OracleHook`` of the provider; only ``oracledb.connect`` is replaced, by :class:`RecordingOracle`. The
tests pin the statements (the files' exact text), the bind names and values, the executemany batches,
commit/rollback/close, and the procedure call the provider builds (``OracleHook.callproc`` in
apache-airflow-providers-oracle 4.7.1: ``BEGIN <name>(:1,:2); END;`` with a list of positional values,
executed with autocommit on; see ``test_callproc_statement_is_built_by_the_provider``).

Nothing here shows how Oracle itself answers; ``tests/oracle`` does that against a real database.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import oracledb
import pendulum
import pytest
from airflow.providers.oracle.hooks.oracle import OracleHook
from airflow.sdk.exceptions import AirflowTaskTimeout

from include.ins_report.airflow_edge.connections import farm_database
from include.ins_report.config.settings import Settings
from include.ins_report.joblog.registry import JOB_NAME
from include.ins_report.model.errors import PermanentError
from include.ins_report.model.week import KST, ReportWeek, resolve_report_week
from include.ins_report.sources import catalog, ekape, kosis
from include.ins_report.steps import report_call
from include.ins_report.steps.context import StepContext
from include.ins_report.steps.gate import check_collection
from include.ins_report.steps.report import ReportCallNotRetried, ReportMismatchError, run_weekly_report
from include.ins_report.store.farm_db import BATCH_SIZE
from include.ins_report.store.oracle_errors import describe_error
from include.ins_report.store.sqlfiles import load_sql, split_statements
from tests.support.steps import step_context

# The documented farm_db connection (README.md): thin mode, service name in extra, schema empty.
FARM_DB = {
    "conn_type": "oracle",
    "login": "ins_app",
    "password": "p@ss/w:rd",
    "host": "dbhost",
    "port": 1521,
    "extra": {"service_name": "ORCLPDB1"},
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


# --- the recording fake of python-oracledb -------------------------------------------------------------


class FakeVar:
    """What ``cursor.bindvars`` holds after a PL/SQL call: the bound value, read back by callproc."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def getvalue(self) -> Any:
        return self.value


class FakeDatabaseError(oracledb.DatabaseError):
    pass


MANIFEST_QUERIES = {load_sql("oracle", "manifest_inputs"), load_sql("oracle", "manifest_farms")}


def week_manifest(week: ReportWeek, settings: Settings | None = None) -> dict[str, list[tuple]]:
    """The answers to the two manifest queries (Oracle SQL text -> rows) for ``week``: the catalog's cells
    and two planned farms, F0001 at 203 이천 and F0002 at 232 천안."""
    settings = settings or Settings()
    inputs = [
        (
            c.source,
            c.series_id,
            c.series_name,
            c.item_id,
            c.category_id,
            c.period_type,
            c.period,
            c.report_column,
        )
        for source in catalog.statistics_sources(settings)
        for c in source.inputs(week, settings)
    ]
    farms = [("F0001", "이천 한돈농장", "203", "이천"), ("F0002", "안성 청정양돈", "232", "천안")]
    return {load_sql("oracle", "manifest_inputs"): inputs, load_sql("oracle", "manifest_farms"): farms}


class RecordingOracle:
    """Stands in for ``oracledb.connect``; every connection and cursor call lands in ``events``.

    ``responder(sql, params)`` gives the rows of a query; ``failure(method, sql, params)`` may return an
    exception to raise from ``execute``/``executemany`` instead of recording a success. The week's manifest
    (``manifest``: rows per manifest query, as the start and plan steps wrote them) is answered first.
    """

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.responder: Callable[[str, Any], list[tuple]] = lambda sql, params: []
        # None: each week's manifest as its run would have planned it (from the query's report_week bind).
        self.manifest: dict[str, list[tuple]] | None = None
        self.failure: Callable[[str, str, Any], Exception | None] = lambda method, sql, params: None

    def connect(self, **kwargs: Any) -> FakeConnection:
        self.events.append(("connect", kwargs))
        return FakeConnection(self)

    # The report step's session check (report_sessions.sql) is answered with ``report_sessions`` (no
    # session still in the procedure, by default), whatever ``responder`` answers to the other queries.
    report_sessions: tuple[tuple, ...] = ()

    @property
    def responder(self) -> Callable[[str, Any], list[tuple]]:
        def respond(sql: str, params: Any) -> list[tuple]:
            if sql == SESSIONS_SQL:
                return list(self.report_sessions)
            return self._respond(sql, params)

        return respond

    @responder.setter
    def responder(self, respond: Callable[[str, Any], list[tuple]]) -> None:
        self._respond = respond

    # --- views of the record ---
    def kinds(self) -> list[str]:
        return [event[0] for event in self.events]

    def statements(self) -> list[tuple]:
        return [event for event in self.events if event[0] in ("execute", "executemany")]

    def sessions(self) -> list[list[tuple]]:
        """The events split per connection (each starts with connect)."""
        result: list[list[tuple]] = []
        for event in self.events:
            if event[0] == "connect":
                result.append([])
            result[-1].append(event)
        return result


class FakeConnection:
    def __init__(self, recorder: RecordingOracle) -> None:
        self.__dict__["_recorder"] = recorder
        self.__dict__["autocommit"] = False

    def __setattr__(self, name: str, value: Any) -> None:  # autocommit, current_schema, module
        self._recorder.events.append(("set", name, value))
        self.__dict__[name] = value

    def cursor(self) -> FakeCursor:
        self._recorder.events.append(("cursor",))
        return FakeCursor(self._recorder)

    def commit(self) -> None:
        self._recorder.events.append(("commit",))

    def rollback(self) -> None:
        self._recorder.events.append(("rollback",))

    def close(self) -> None:
        self._recorder.events.append(("close",))


class FakeCursor:
    def __init__(self, recorder: RecordingOracle) -> None:
        self._recorder = recorder
        self._rows: list[tuple] = []
        self.description: list[tuple] | None = None
        self.rowcount = -1
        self.bindvars: list | dict | None = None

    def execute(self, sql: str, parameters: Any = None) -> None:
        error = self._recorder.failure("execute", sql, parameters)
        if error is not None:
            raise error
        self._recorder.events.append(("execute", sql, copy.deepcopy(parameters)))
        is_query = sql.lstrip().upper().startswith(("SELECT", "WITH"))
        manifest = None
        if is_query and sql in MANIFEST_QUERIES:
            week = ReportWeek(dt.datetime.strptime(parameters["report_week"], "%Y%m%d").date())
            manifest = (self._recorder.manifest or week_manifest(week)).get(sql)
        if manifest is not None:
            self._rows = list(manifest)
        else:
            self._rows = list(self._recorder.responder(sql, parameters) or []) if is_query else []
        self.description = [("COLUMN",)] if is_query else None
        self.rowcount = 0
        if isinstance(parameters, list):
            self.bindvars = [FakeVar(value) for value in parameters]
        elif isinstance(parameters, dict):
            self.bindvars = {name: FakeVar(value) for name, value in parameters.items()}

    def executemany(self, sql: str, seq: list) -> None:
        error = self._recorder.failure("executemany", sql, seq)
        if error is not None:
            raise error
        self._recorder.events.append(("executemany", sql, copy.deepcopy(list(seq))))
        self.rowcount = len(seq)

    def fetchall(self) -> list[tuple]:
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self) -> tuple | None:
        return self._rows.pop(0) if self._rows else None

    def fetchmany(self, size: int = 1) -> list[tuple]:
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    def close(self) -> None:
        self._recorder.events.append(("cursor.close",))


@pytest.fixture
def oracle(monkeypatch) -> RecordingOracle:
    """The fake driver behind a real ``oracle`` connection named farm_db (the default conn id)."""
    recorder = RecordingOracle()
    monkeypatch.setattr(oracledb, "connect", recorder.connect)

    def no_thick_mode(**kwargs: Any) -> None:
        raise AssertionError("thick mode must not be initialised: the project runs python-oracledb thin")

    monkeypatch.setattr(oracledb, "init_oracle_client", no_thick_mode)
    monkeypatch.setenv("AIRFLOW_CONN_FARM_DB", json.dumps(FARM_DB))
    monkeypatch.setenv("INS_LEGACY_JOB_GUARD", "off")  # the guard has its own tests (test_cutover.py)
    # The report diff's statements are a test of their own (test_the_report_diff_on_oracle).
    monkeypatch.setenv("INS_REPORT_DIFF", "off")
    return recorder


def file_binds(name: str) -> set[str]:
    code = re.sub(r"'[^']*'", "''", load_sql("oracle", name))
    return set(re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", code))


QUERY_SESSION = ["connect", "cursor", "execute", "commit", "close"]
SESSIONS_SQL = load_sql("oracle", "report_sessions")
SESSIONS_BINDS = {"module": "INS_WEEKLY_REPORT", "client_prefix": "INS_WEEKLY_REPORT:"}
BEGIN = "BEGIN SP_INS_WEEK_MAIN(:1,:2); END;"
WRITE_SESSION = ["connect", "cursor", "executemany", "commit", "close"]


# --- connection ----------------------------------------------------------------------------------------


def test_documented_connection_is_thin_with_service_name_and_no_current_schema(oracle):
    wh = farm_database("farm_db")
    assert wh.dialect.name == "oracle"
    assert isinstance(wh.hook, OracleHook)
    wh.read_farms()
    (connect,) = [event for event in oracle.events if event[0] == "connect"]
    assert connect[1] == {
        "user": "ins_app",
        "password": "p@ss/w:rd",
        "dsn": oracledb.makedsn("dbhost", 1521, service_name="ORCLPDB1"),
    }
    assert "SERVICE_NAME=ORCLPDB1" in connect[1]["dsn"]
    assert not [event for event in oracle.events if event[:2] == ("set", "current_schema")]


def test_uri_with_service_in_path_also_sets_current_schema(oracle, monkeypatch):
    """Why README.md uses the JSON form: the path form switches the session to a schema of that name."""
    monkeypatch.setenv("AIRFLOW_CONN_FARM_DB", "oracle://ins_app:pw@dbhost:1521/ORCLPDB1")
    farm_database("farm_db").read_farms()
    assert ("set", "current_schema", "ORCLPDB1") in oracle.events


# --- reads ---------------------------------------------------------------------------------------------


def test_reads_send_the_file_statements_with_their_binds(oracle):
    answers = {
        "read_farms": [("F0001", "이천 한돈농장", 37.2724, 127.435, "Y")],
        "weather_days": [("F0001", "2026-11-16"), ("F0001", "2026-11-17")],
        "stats_periods": [("101/DT_1EO311", "202603", 2)],
        "job_log_for_run": [
            (7, "START_JOB", "SUCCESS", "2026-11-23 02:00:01", "2026-11-23 02:00:02", None, "m")
        ],
        "count_report_rows": [(45,)],
    }
    by_sql = {load_sql("oracle", name): rows for name, rows in answers.items()}
    oracle.responder = lambda sql, params: by_sql[sql]
    wh = farm_database("farm_db")

    assert wh.read_farms() == answers["read_farms"]
    assert wh.weather_day_masks([f"2026-11-{day}" for day in range(16, 23)]) == {"F0001": 0b11}
    assert wh.stats_periods("KOSIS", "Q", "202603", "202603") == {("101/DT_1EO311", "202603"): 2}
    assert wh.job_log("run-1") == [
        {
            "log_id": 7,
            "step": "START_JOB",
            "status": "SUCCESS",
            "started_at": "2026-11-23 02:00:01",
            "ended_at": "2026-11-23 02:00:02",
            "row_count": None,
            "message": "m",
        }
    ]
    assert wh.report_row_count("20261116") == 45

    assert [[event[0] for event in session] for session in oracle.sessions()] == [QUERY_SESSION] * 5
    assert [(sql, params) for _, sql, params in oracle.statements()] == [
        (load_sql("oracle", "read_farms"), {}),
        (load_sql("oracle", "weather_days"), {"week_start": "2026-11-16", "week_end": "2026-11-22"}),
        (
            load_sql("oracle", "stats_periods"),
            {"source": "KOSIS", "period_type": "Q", "first_period": "202603", "last_period": "202603"},
        ),
        (load_sql("oracle", "job_log_for_run"), {"job_nm": JOB_NAME, "run_id": "run-1"}),
        (load_sql("oracle", "count_report_rows"), {"p_week": "20261116"}),
    ]
    for _, sql, params in oracle.statements():
        assert not sql.rstrip().endswith(";")
        name = next(name for name in answers if load_sql("oracle", name) == sql)
        assert set(params) == file_binds(name)  # python-oracledb refuses a bind the statement lacks


# --- writes --------------------------------------------------------------------------------------------


def weather_row(farm_no: str, day: str, avg_ta: float | None = 3.0) -> dict:
    return {
        "farm_no": farm_no, "weather_date": day, "point_id": "108", "avg_ta": avg_ta, "min_ta": -1.0,
        "max_ta": 7.5, "avg_rhm": 60.0, "sum_rn": 0.0, "thi": 44.2, "source": "KMA_ASOS",
        "collected_at": "2026-11-23 09:10:00", "run_id": "scheduled__2026-11-22T17:00:00+00:00",
    }  # fmt: skip


def test_weather_upsert_runs_in_batches_of_batch_size_in_one_transaction(oracle):
    rows = [weather_row(f"F{index:05d}", "2026-11-16") for index in range(2 * BATCH_SIZE + 1)]
    assert farm_database("farm_db").upsert_weather(rows) == len(rows)
    assert oracle.kinds() == [
        "connect",
        "cursor",
        "executemany",
        "executemany",
        "executemany",
        "commit",
        "close",
    ]
    batches = [params for _, _, params in oracle.statements()]
    assert [len(batch) for batch in batches] == [BATCH_SIZE, BATCH_SIZE, 1]
    assert [row for batch in batches for row in batch] == rows
    assert {sql for _, sql, _ in oracle.statements()} == {load_sql("oracle", "upsert_weather")}
    assert set(rows[0]) == file_binds("upsert_weather")


def test_stats_upsert_binds(oracle):
    row = {
        "source": "KOSIS", "series_id": "101/DT_1EO311", "item_id": "T002", "item_nm": "사육마릿수",
        "category_id": "00/00", "category_nm": "전국/합계", "period_type": "Q", "period": "202603",
        "value": 11000000.0, "unit": "마리", "collected_at": "2026-11-23 02:00:00", "run_id": "r1",
    }  # fmt: skip
    farm_database("farm_db").upsert_stats([row, {**row, "category_id": "41/00", "value": None}])
    assert oracle.kinds() == WRITE_SESSION
    ((_, sql, params),) = oracle.statements()
    assert sql == load_sql("oracle", "upsert_stats")
    assert params == [row, {**row, "category_id": "41/00", "value": None}]
    assert set(row) == file_binds("upsert_stats")


def test_nothing_to_write_opens_no_connection(oracle):
    wh = farm_database("farm_db")
    assert wh.upsert_weather([]) == 0
    assert wh.upsert_stats([]) == 0
    assert oracle.events == []


def test_job_log_row_binds(oracle):
    farm_database("farm_db").log_step(
        run_id="r1",
        report_week="20261116",
        step="START_JOB",
        status="SUCCESS",
        started_at=None,
        message="가" * 2000,  # 6,000 bytes: VARCHAR2(4000 BYTE) counts bytes, not characters
    )
    ((_, sql, params),) = oracle.statements()
    assert sql == load_sql("oracle", "insert_job_log")
    (row,) = params
    assert set(row) == file_binds("insert_job_log")
    assert row["started_at"] is None
    assert TIMESTAMP.match(row["ended_at"])
    assert row["job_nm"] == JOB_NAME
    assert row["message"] == "가" * 1300  # 3,900 bytes, cut on a character boundary
    assert len(row["message"].encode("utf-8")) <= 3900


def test_a_failed_batch_is_rolled_back_and_the_connection_closed(oracle):
    calls = []

    def fail_second_batch(method: str, sql: str, params: Any) -> Exception | None:
        calls.append(method)
        return FakeDatabaseError("ORA-01400: cannot insert NULL") if len(calls) == 2 else None

    oracle.failure = fail_second_batch
    rows = [weather_row(f"F{index:05d}", "2026-11-16") for index in range(BATCH_SIZE + 1)]
    with pytest.raises(oracledb.DatabaseError, match="ORA-01400"):
        farm_database("farm_db").upsert_weather(rows)
    assert oracle.kinds() == ["connect", "cursor", "executemany", "rollback", "close"]


def test_create_schema_executes_each_ddl_statement(oracle):
    farm_database("farm_db").create_schema()
    statements = split_statements(load_sql("oracle", "schema"))
    # every CREATE TABLE and CREATE INDEX of the script, one execute each
    assert len(statements) == len(
        re.findall(r"^CREATE (?:TABLE|INDEX) ", load_sql("oracle", "schema"), flags=re.M)
    )
    assert [(sql, params) for _, sql, params in oracle.statements()] == [(sql, {}) for sql in statements]
    assert oracle.kinds() == ["connect", "cursor", *["execute"] * len(statements), "commit", "close"]
    assert all(not sql.rstrip().endswith(";") for sql in statements)


# --- the report procedure through the steps ------------------------------------------------------------


def kst(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=KST)


RUNS = {
    # run kind: (data_interval_end, week param, now for the param check, expected p_week)
    "scheduled": (kst(2026, 11, 23, 2), None, None, "20261116"),
    "manual": (kst(2026, 11, 26, 10, 30), "2026-11-02", kst(2026, 11, 26, 10, 30), "20261102"),
    "backfill": (kst(2026, 10, 26, 2), None, None, "20261019"),
}


@pytest.mark.parametrize("kind", sorted(RUNS))
def test_run_weekly_report_calls_the_procedure_with_the_runs_week(oracle, kind):
    end, param, now, expected = RUNS[kind]
    week = resolve_report_week(end, param, now=now)
    # The call and the row count (reconciliation: test_report_is_reconciled_with_the_farms_of_the_week).
    settings = dataclasses.replace(Settings.from_env(), reconcile_report=False)
    ctx = step_context(week, settings, run_id=f"{kind}__run")
    oracle.responder = lambda sql, params: [(45,)]

    result = run_weekly_report(ctx)

    call = f"SP_INS_WEEK_MAIN('WEEK', '{expected}')"
    assert (result["call"], result["report_rows"]) == (call, 45)
    plan, check, procedure, count, manifest, log = oracle.sessions()
    # First, no session of an earlier attempt (or run) may still be in the procedure.
    assert check[1:] == [("cursor",), ("execute", SESSIONS_SQL, SESSIONS_BINDS), ("commit",), ("close",)]
    assert plan[2][1] == load_sql("oracle", "manifest_farms")  # no call for a week without a plan
    assert manifest[2][1] == load_sql("oracle", "manifest_inputs")  # the periods the report used
    assert procedure == [
        ("connect", procedure[0][1]),
        ("set", "call_timeout", 3600 * 1000),  # INS_REPORT_TIMEOUT, on the session of the call
        # V$SESSION shows the call's run: MODULE, ACTION and CLIENT_IDENTIFIER (python-oracledb attributes).
        ("set", "module", "INS_WEEKLY_REPORT"),
        ("set", "action", f"SP_INS_WEEK_MAIN {expected}"),
        ("set", "client_identifier", f"INS_WEEKLY_REPORT:{kind}__run"),
        ("set", "autocommit", True),
        ("cursor",),
        ("execute", "BEGIN SP_INS_WEEK_MAIN(:1,:2); END;", ["WEEK", expected]),
        ("cursor.close",),
        ("close",),
    ]  # autocommit on: no explicit commit
    assert count == [
        ("connect", count[0][1]),
        ("cursor",),
        ("execute", load_sql("oracle", "count_report_rows"), {"p_week": expected}),
        ("commit",),
        ("close",),
    ]
    assert [event[0] for event in log] == WRITE_SESSION
    (row,) = log[2][2]
    assert row["step_nm"] == "RUN_WEEKLY_REPORT"
    assert row["status"] == "SUCCESS"
    assert row["report_week"] == expected
    assert row["run_id"] == f"{kind}__run"
    assert row["row_count"] == 45
    cpi = next(series for series in kosis.load_series(settings.kosis_series_file) if series.prd_se == "M")
    assert row["message"].startswith(f"{call} done; periods used: ")  # the week's manifest's
    assert f"consumer_price_index_meat={kosis.period_for_week(cpi, week)}" in row["message"]


def test_the_report_diff_on_oracle(oracle):
    """The week's rows read before the call and after it (the configured key and columns pasted into
    report_rows.sql), the previous DAG report looked up, the changes inserted with their creation time through
    TO_DATE, and the COMPARE_REPORT row written before the step's own."""
    settings = dataclasses.replace(
        Settings.from_env(),
        report_diff=True,
        report_diff_columns=["AVG_TA", "FARM_NM"],
        reconcile_report=False,
    )
    ctx = step_context(ReportWeek(dt.date(2026, 11, 16)), settings, run_id="manual__diff")
    rows_sql = load_sql("oracle", "report_rows").format(key="FARM_NO", columns="AVG_TA, FARM_NM")
    reads = iter([[("F0001", 1.5, "이천농장"), ("F0002", 2.0, "여주농장")], [("F0001", 2.5, "이천농장")]])
    answers = {
        load_sql("oracle", "report_baseline"): [("scheduled__prev", "2026-11-23 10:02:11")],
        load_sql("oracle", "report_diff_tries"): [(0,)],
        load_sql("oracle", "count_report_rows"): [(1,)],
    }
    oracle.responder = lambda sql, params: next(reads) if sql == rows_sql else answers.get(sql, [])

    result = run_weekly_report(ctx)

    statements = oracle.statements()
    kinds = [next((name for name, text in NAMED if text == event[1]), event[1][:5]) for event in statements]
    call = kinds.index("BEGIN")
    assert kinds.index("report_rows") < call < len(kinds) - 1 - kinds[::-1].index("report_rows")
    reads_of_rows = [event for event in statements if event[1] == rows_sql]
    assert [event[2] for event in reads_of_rows] == [{"p_week": "20261116"}] * 2
    (insert,) = [event for event in statements if event[1] == load_sql("oracle", "insert_report_diff")]
    assert [(row["farm_no"], row["col_nm"], row["change_kind"], row["old_value"], row["new_value"],
             row["delta"], row["try_no"]) for row in insert[2]] == [
        ("F0002", "FARM_NO", "REMOVED", "F0002", None, None, 1),
        ("F0001", "AVG_TA", "CHANGED", "1.5", "2.5", 1.0, 1),
    ]  # fmt: skip
    assert "TO_DATE(:created_at, 'YYYY-MM-DD HH24:MI:SS')" in insert[1]
    logged = [
        row for event in statements if event[1] == load_sql("oracle", "insert_job_log") for row in event[2]
    ]
    assert [row["step_nm"] for row in logged] == ["COMPARE_REPORT", "RUN_WEEKLY_REPORT"]
    assert logged[0]["row_count"] == 2
    assert logged[0]["message"].startswith(
        "2 farms before, 1 after: 0 added, 1 removed, 1 changed; compared with the report of run "
        "scheduled__prev (2026-11-23 10:02:11 KST); columns changed: AVG_TA=1"
    )
    assert result["report_diff"] == logged[0]["message"]


NAMED = [
    (name, load_sql("oracle", name))
    for name in (
        "report_baseline",
        "report_diff_tries",
        "insert_report_diff",
        "insert_job_log",
        "job_log_for_run",
    )
] + [("report_rows", load_sql("oracle", "report_rows").format(key="FARM_NO", columns="AVG_TA, FARM_NM"))]


def test_configured_procedure_name_type_and_week_format(oracle):
    settings = dataclasses.replace(
        Settings.from_env(),
        report_procedure="INS.PKG_INS.SP_INS_WEEK_MAIN",
        report_proc_type="W",
        report_week_format="%Y-%m-%d",
        reconcile_report=False,
    )
    ctx = step_context(ReportWeek(dt.date(2026, 11, 16)), settings, run_id="r")
    oracle.responder = lambda sql, params: [(0,)]
    run_weekly_report(ctx)
    (call,) = [event for event in oracle.statements() if event[1].startswith("BEGIN")]
    assert call[1:] == ("BEGIN INS.PKG_INS.SP_INS_WEEK_MAIN(:1,:2); END;", ["W", "2026-11-16"])
    assert ("set", "action", "SP_INS_WEEK_MAIN 2026-11-16") in oracle.events


def test_callproc_statement_is_built_by_the_provider(oracle):
    """The statement and values come from OracleHook.callproc itself (provider 4.7.1), not from our code."""
    hook = OracleHook(oracle_conn_id="farm_db")
    assert hook.callproc("SP_INS_WEEK_MAIN", autocommit=True, parameters=["WEEK", "20261116"]) == [
        "WEEK",
        "20261116",
    ]
    assert oracle.statements() == [("execute", "BEGIN SP_INS_WEEK_MAIN(:1,:2); END;", ["WEEK", "20261116"])]


def test_a_failing_procedure_fails_the_step_and_logs_no_success(oracle):
    def fail_call(method: str, sql: str, params: Any) -> Exception | None:
        if sql.startswith("BEGIN SP_INS_WEEK_MAIN"):
            return FakeDatabaseError("ORA-20001: SP_INS_WEEK_MAIN: p_week is NULL")
        return None

    oracle.failure = fail_call
    ctx = step_context(ReportWeek(dt.date(2026, 11, 16)), Settings.from_env(), run_id="r")
    # The call reached the database: the task fails at once, no automatic retry (PermanentError),
    # and the job log and the alert name the procedure's own error; the database answered, so it has ended.
    with pytest.raises(ReportCallNotRetried, match="not retried automatically") as raised:
        run_weekly_report(ctx)
    assert isinstance(raised.value, PermanentError)
    assert isinstance(raised.value.__cause__, oracledb.DatabaseError)
    assert describe_error(raised.value).startswith("tests.FakeDatabaseError: ORA-20001: SP_INS_WEEK_MAIN")
    assert "the database answered the call with this error, so the call has ended" in str(raised.value)
    (procedure,) = [
        session for session in oracle.sessions() if ("set", "module", "INS_WEEKLY_REPORT") in session
    ]
    assert [event[0] for event in procedure] == ["connect", *["set"] * 5, "cursor", "cursor.close", "close"]
    assert not [event for event in oracle.statements() if event[0] == "executemany"]  # no SUCCESS row


# --- at most once per attempt, never twice at once ------------------------------------------------------


def session_running(recorder: RecordingOracle, sql: str) -> list[tuple]:
    """The one session of the record that executed ``sql`` (its events, connect first)."""
    (session,) = [s for s in recorder.sessions() if any(e[0] == "execute" and e[1] == sql for e in s)]
    return session


def calls(recorder: RecordingOracle) -> list[tuple]:
    return [event for event in recorder.statements() if event[1].startswith("BEGIN")]


@pytest.fixture
def report(oracle, monkeypatch) -> StepContext:
    """The report step of run ``r`` for week 2026-11-16 (the procedure call and the job-log row only), and
    the pauses of its bounded retries recorded instead of slept (``paused``)."""
    pauses: list[float] = []
    monkeypatch.setattr(report_call, "_pause", pauses.append)
    oracle.paused = pauses
    oracle.responder = lambda sql, params: [(0,)] if "COUNT" in sql.upper() else []
    settings = dataclasses.replace(Settings.from_env(), reconcile_report=False, sources=["kosis"])
    return step_context(ReportWeek(dt.date(2026, 11, 16)), settings, run_id="r")


def still_running(status: str = "ACTIVE") -> tuple:
    """A V$SESSION row (report_sessions.sql's columns) of an earlier attempt still in the procedure."""
    return (
        123,
        4567,
        status,
        812,
        "INS_WEEKLY_REPORT",
        "SP_INS_WEEK_MAIN 20261116",
        "INS_WEEKLY_REPORT:r",
        "9x",
    )


def test_a_call_still_running_in_an_earlier_session_stops_the_attempt_without_a_call(oracle, report):
    oracle.report_sessions = (still_running(),)
    with pytest.raises(report_call.ReportStillRunningError) as raised:
        run_weekly_report(report)
    assert isinstance(raised.value, PermanentError)  # no retry either
    message = str(raised.value)
    assert "SID 123, SERIAL# 4567, ACTIVE for 812 s, CLIENT_IDENTIFIER 'INS_WEEKLY_REPORT:r'" in message
    assert "WHERE CLIENT_IDENTIFIER = 'INS_WEEKLY_REPORT:r'" in message  # the query to watch it end
    assert "ALTER SYSTEM KILL SESSION '123,4567' IMMEDIATE" in message
    assert calls(oracle) == []
    assert [sql for _, sql, _ in oracle.statements()].count(SESSIONS_SQL) == 1
    assert oracle.paused == []


def test_a_session_no_longer_in_a_call_does_not_stop_the_attempt(oracle, report):
    oracle.report_sessions = (still_running("INACTIVE"),)
    run_weekly_report(report)
    assert len(calls(oracle)) == 1


def test_without_the_grant_on_v_session_the_procedure_is_not_called(oracle, report):
    def no_grant(method: str, sql: str, params: Any) -> Exception | None:
        return FakeDatabaseError("ORA-00942: table or view does not exist") if sql == SESSIONS_SQL else None

    oracle.failure = no_grant
    with pytest.raises(report_call.SessionCheckNotGrantedError) as raised:
        run_weekly_report(report)
    assert "GRANT SELECT ON V_$SESSION TO INS_APP" in str(raised.value)  # the connection's login
    assert "ORA-00942" in describe_error(raised.value)
    assert calls(oracle) == []
    assert oracle.paused == []  # a privilege is not retried


def test_connecting_for_the_call_is_retried_inside_the_task(oracle, report, monkeypatch):
    """Nothing was sent: the connection for the call is tried again, a few times, 10 s then 20 s apart."""
    connects: list[dict] = []

    def flaky(**kwargs: Any) -> FakeConnection:
        connects.append(kwargs)
        if len(connects) in (2, 3):  # after the session check: the call's first two connections
            raise FakeDatabaseError("DPY-6005: cannot connect to database (CONNECTION_ID=x)")
        return oracle.connect(**kwargs)

    monkeypatch.setattr(oracledb, "connect", flaky)
    run_weekly_report(report)
    assert oracle.paused == [10.0, 20.0]
    assert len(calls(oracle)) == 1  # called once


def test_what_keeps_failing_before_the_call_fails_the_task_without_a_call(oracle, report, monkeypatch):
    def cannot_connect(**kwargs: Any) -> FakeConnection:
        raise FakeDatabaseError("DPY-6005: cannot connect to database (CONNECTION_ID=x)")

    monkeypatch.setattr(oracledb, "connect", cannot_connect)
    with pytest.raises(report_call.ReportNotCalled) as raised:
        run_weekly_report(report)
    assert isinstance(raised.value, PermanentError)  # the task has no Airflow retries
    assert str(raised.value).startswith("the report procedure was not called: checking for a report call")
    assert "(3 tries); nothing of the procedure runs" in str(raised.value)
    assert describe_error(raised.value).startswith("tests.FakeDatabaseError: DPY-6005")
    assert oracle.paused == [10.0, 20.0]


def test_a_refused_login_before_the_call_is_not_tried_again(oracle, report, monkeypatch):
    connects: list[dict] = []

    def refused(**kwargs: Any) -> FakeConnection:
        connects.append(kwargs)
        raise FakeDatabaseError("ORA-01017: invalid credential or not authorized; logon denied")

    monkeypatch.setattr(oracledb, "connect", refused)
    with pytest.raises(report_call.ReportNotCalled, match=r"\(1 try\)"):
        run_weekly_report(report)
    assert len(connects) == 1  # one failed login, not three
    assert oracle.paused == []


@pytest.mark.parametrize(
    "error",
    [
        FakeDatabaseError("DPY-4024: call timeout of 3600000 ms exceeded"),  # INS_REPORT_TIMEOUT
        FakeDatabaseError("DPY-4011: the database or network closed the connection"),
        AirflowTaskTimeout(),  # Airflow's execution_timeout, raised while the call waits
    ],
    ids=["call-timeout", "lost-connection", "airflow-timeout"],
)
def test_after_the_call_was_sent_it_may_still_run_and_is_never_called_again(oracle, report, error):
    def interrupted(method: str, sql: str, params: Any) -> BaseException | None:
        return error if sql == BEGIN else None

    oracle.failure = interrupted
    with pytest.raises(ReportCallNotRetried) as raised:
        run_weekly_report(report)
    assert raised.value.__cause__ is error
    assert str(raised.value) == (
        "not retried automatically: the call was sent and may still be running on the database. Check with: "
        "SELECT SID, SERIAL#, STATUS, LAST_CALL_ET, ACTION FROM V$SESSION WHERE CLIENT_IDENTIFIER = "
        "'INS_WEEKLY_REPORT:r' (a row ACTIVE: it still runs; a new attempt refuses to call while it does); "
        "when no row is ACTIVE, clear the task"
    )
    assert oracle.paused == []
    procedure = session_running(oracle, SESSIONS_SQL)
    assert procedure  # the check came first, then the one call attempt
    assert [event[0] for event in oracle.events].count("connect") == 2


def test_the_client_identifier_names_the_run_within_64_bytes():
    assert report_call.client_identifier("scheduled__2026-11-22T17:00:00+00:00") == (
        "INS_WEEKLY_REPORT:scheduled__2026-11-22T17:00:00+00:00"
    )
    long_a = "asset_triggered__2026-11-22T17:00:00.123456+00:00_" + "a" * 40
    long_b = "asset_triggered__2026-11-22T17:00:00.123456+00:00_" + "b" * 40
    tag_a = report_call.client_identifier(long_a)
    assert len(tag_a.encode()) == 64
    assert tag_a.startswith("INS_WEEKLY_REPORT:asset_triggered__")
    assert tag_a == report_call.client_identifier(long_a)  # the same on every attempt
    assert tag_a != report_call.client_identifier(long_b)
    tag = report_call.SessionTag.of("r", "INS.PKG_INS.SP_INS_WEEK_MAIN", "20261116")
    assert (tag.module, tag.action, tag.client_identifier) == (
        "INS_WEEKLY_REPORT",
        "SP_INS_WEEK_MAIN 20261116",
        "INS_WEEKLY_REPORT:r",
    )


def test_sqlite_has_no_session_to_check(farm_db, monkeypatch):
    warehouse = farm_db
    monkeypatch.setattr(warehouse, "query", lambda *args: pytest.fail("no query on SQLite"))
    assert warehouse.report_sessions("INS_WEEKLY_REPORT", "INS_WEEKLY_REPORT:") == []
    report_call.check_report_sessions(warehouse)  # a no-op


def test_report_rows_not_counted_when_the_customer_table_differs(oracle):
    def missing_table(method: str, sql: str, params: Any) -> Exception | None:
        if "TR_INS_WEEK_REPORT" in sql:
            return FakeDatabaseError("ORA-00942: table or view does not exist")
        return None

    oracle.failure = missing_table
    week = ReportWeek(dt.date(2026, 11, 16))
    # The reference schema: reconciled, so a missing TR_INS_WEEK_REPORT fails the step (ORA-00942) ...
    with pytest.raises(FakeDatabaseError, match="ORA-00942"):
        run_weekly_report(step_context(week, Settings.from_env(), run_id="r"))
    # ... and with INS_RECONCILE_REPORT=off (another report table) the count is best effort, as before.
    oracle.events.clear()
    settings = dataclasses.replace(Settings.from_env(), reconcile_report=False)
    assert run_weekly_report(step_context(week, settings, run_id="r"))["report_rows"] is None
    sessions = oracle.sessions()
    count_session = sessions[sessions.index(session_running(oracle, BEGIN)) + 1]  # right after the call
    assert [event[0] for event in count_session] == ["connect", "cursor", "rollback", "close"]
    assert oracle.statements()[-1][2][0]["row_count"] is None


def test_report_is_reconciled_with_the_farms_of_the_week(oracle):
    """The report's rows against the week's plan (the manifest: F0001 at 203, F0002 at 232), not a fresh
    read of TA_FARM; the plan's farms with weather from their planned station must all be reported."""
    farms = [
        ("F0001", "이천 한돈농장", 37.2724, 127.435, "Y"),
        ("F0002", "안성 청정양돈", 37.008, 127.2797, "Y"),
        ("F0003", "y flag", 37.0, 127.0, "y"),  # not a farm of the week (the farm rule)
    ]
    report = [("F0001",), ("F0003",)]
    weather = [
        (farm, "2026-11-16", point, 1, -2.5, 4.0, 60, 0)
        for farm, point in (("F0001", "203"), ("F0002", "232"))
    ]

    def respond(sql: str, params: Any) -> list[tuple]:
        if sql == load_sql("oracle", "read_farms"):
            return farms
        if sql == load_sql("oracle", "report_farms"):
            return report
        if sql == load_sql("oracle", "gate_weather"):
            return weather
        if sql in (load_sql("oracle", "job_log_for_run"), load_sql("oracle", "report_sessions")):
            return []
        raise AssertionError(sql)

    oracle.responder = respond
    ctx = step_context(ReportWeek(dt.date(2026, 11, 16)), Settings.from_env(), run_id="r")
    with pytest.raises(ReportMismatchError) as raised:
        run_weekly_report(ctx)
    message = str(raised.value)
    assert "2 rows for 2 planned farms" in message
    assert "1 planned farms missing: F0002" in message
    assert "1 extra farms (not in the week's plan): F0003" in message
    reads = [(sql, params) for kind, sql, params in oracle.statements() if kind == "execute"]
    assert (load_sql("oracle", "report_farms"), {"p_week": "20261116"}) in reads
    assert (load_sql("oracle", "manifest_farms"), {"report_week": "20261116"}) in reads
    assert not [kind for kind, *_ in oracle.statements() if kind == "executemany"]  # no SUCCESS row

    report[:] = [("F0001",), ("F0002",)]
    oracle.events.clear()
    assert run_weekly_report(ctx)["report_rows"] == 2
    (row,) = oracle.statements()[-1][2]
    assert row["message"] == (
        "SP_INS_WEEK_MAIN('WEEK', '20261116') done; 2 report rows = the farms of the week's plan; "
        "periods used: pig_farms_and_heads_by_sido=202603, consumer_price_index_meat=202610, "
        "pig_carcass_prices=20261116..20261122"
    )


# --- the completeness gate reads Oracle's converted dates ----------------------------------------------


def test_check_collection_on_oracle(oracle):
    week = ReportWeek(dt.date(2026, 11, 16))
    settings = Settings()
    series_list = kosis.load_series(settings.kosis_series_file)
    # Oracle answers NUMBER columns as int or float and the day as the TO_CHAR text.
    weather = [
        (farm, day.isoformat(), point, 1, -2.5, 4.0, 60, 0)
        for farm, point in (("F0001", "203"), ("F0002", "232"))
        for day in week.days
    ]
    stats = {
        "101/DT_1EO311": [(item, "00/00", "202603", 1.0) for item in ("T001", "T002")],
        "101/DT_1J22003": [("T", category, "202610", 1.0) for category in ("A01114", "A01113")],
        # EKAPE: Monday to Saturday with auctions (Oracle answers NUMBER as int), Sunday none.
        ekape.SERIES_ID: [
            row
            for day in week.days
            for row in (
                [(ekape.ITEM_AUCTION_HELD, ekape.CATEGORY_AUCTION, day.strftime("%Y%m%d"), 0)]
                if day.weekday() == 6
                else [
                    (ekape.ITEM_AUCTION_HELD, ekape.CATEGORY_AUCTION, day.strftime("%Y%m%d"), 1),
                    (ekape.ITEM_PRICE, ekape.CATEGORY_HEADLINE, day.strftime("%Y%m%d"), 5912.4),
                    (ekape.ITEM_HEADS, ekape.CATEGORY_HEADLINE, day.strftime("%Y%m%d"), 14210),
                ]
            )
        ],
    }

    def respond(sql: str, params: Any) -> list[tuple]:
        if sql == load_sql("oracle", "gate_weather"):
            return weather
        if sql == load_sql("oracle", "gate_stats"):
            return stats[params["series_id"]]
        raise AssertionError(sql)

    oracle.responder = respond
    result = check_collection(step_context(week, settings, run_id="r"))
    assert (result["farms"], result["weather_rows"], result["good_farm_days"]) == (2, 14, 14)
    assert (result["stats_cells"], result["good_stats_cells"]) == (9, 9)  # KOSIS 2 cells, EKAPE 7 days
    reads = [(sql, params) for kind, sql, params in oracle.statements() if kind == "execute"]
    assert (
        load_sql("oracle", "gate_weather"),
        {"week_start": "2026-11-16", "week_end": "2026-11-22"},
    ) in reads
    stats_binds = [params for sql, params in reads if sql == load_sql("oracle", "gate_stats")]
    assert stats_binds == [
        {
            "source": kosis.SOURCE,
            "series_id": series.series_id,
            "period_type": series.prd_se,
            "first_period": kosis.period_for_week(series, week),
            "last_period": kosis.period_for_week(series, week),
        }
        for series in series_list
    ] + [
        {
            "source": ekape.SOURCE,
            "series_id": ekape.SERIES_ID,
            "period_type": "D",
            "first_period": "20261116",
            "last_period": "20261122",
        }
    ]
    assert oracle.statements()[-1][0] == "executemany"  # CHECK_COLLECTION's row in the job log
