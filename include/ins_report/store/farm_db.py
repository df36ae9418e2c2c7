"""The farm database: one class, one place where the SQL dialect is chosen.

The dialect follows the ``farm_db`` connection's type (``sqlite`` for the embedded default, ``oracle`` in
production); the connection is resolved by the Airflow edge (include/ins_report/airflow_edge/connections.py)
and handed in, so this layer imports no Airflow. Every statement lives in ``include/sql/<dialect>/<name>.sql``
and takes bind variables with the same names in both dialects. Writes go in batches (``executemany``), one
transaction per call.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from include.ins_report.config.rules import SQL_NAME
from include.ins_report.joblog import clip_utf8
from include.ins_report.joblog.registry import JOB_NAME
from include.ins_report.model.clock import now_text
from include.ins_report.store.manifest_tables import BATCH_SIZE, ManifestTables
from include.ins_report.store.sqlfiles import load_sql, split_statements

FETCH_SIZE = 5000  # rows per round trip when reading (python-oracledb's default is 100)


@dataclass(frozen=True)
class Dialect:
    name: str
    session_setup: tuple[str, ...] = ()
    # True: the report is the customer's stored procedure; False: the reference script on this dialect.
    report_is_procedure: bool = True


DIALECTS = {
    # A busy timeout lets parallel weather tasks queue for SQLite's single writer instead of failing.
    "sqlite": Dialect("sqlite", session_setup=("PRAGMA busy_timeout = 60000",), report_is_procedure=False),
    "oracle": Dialect("oracle"),
}


@dataclass
class DbMetrics:
    """This process's database work: statements sent (an ``executemany`` batch is one) and the rows sent
    with ``executemany``, which every write of the batch uses (``write_many``)."""

    statements: int = 0
    rows_written: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


METRICS = DbMetrics()


class _CountingCursor:
    """A DB-API cursor that counts the statements and written rows it sends into METRICS; everything else
    passes through."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        METRICS.statements += 1
        return self._cursor.execute(*args, **kwargs)

    def executemany(self, statement: Any, rows: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
        result = self._cursor.executemany(statement, rows, *args, **kwargs)
        METRICS.statements += 1
        METRICS.rows_written += len(rows)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            super().__setattr__(name, value)
        else:
            setattr(self._cursor, name, value)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)


class DbConnection(Protocol):
    """What the farm database needs of its connection (an Airflow ``Connection``): its type, its login, and
    the provider hook that opens DB-API connections on it."""

    conn_type: str | None
    login: str | None

    def get_hook(self) -> Any: ...


class FarmDatabase(ManifestTables):
    def __init__(self, conn_id: str, connection: DbConnection) -> None:
        conn_type = (connection.conn_type or "").lower()
        if conn_type not in DIALECTS:
            raise ValueError(
                f"connection {conn_id!r} has type {conn_type!r}; the farm database must be one of "
                f"{', '.join(sorted(DIALECTS))}"
            )
        self.conn_id = conn_id
        self.report_call_sent = False
        self.report_session: tuple[str, str, str] | None = None  # tag_report_session
        self.dialect = DIALECTS[conn_type]
        self.login = connection.login or ""
        self.hook = connection.get_hook()

    def sql(self, name: str) -> str:
        return load_sql(self.dialect.name, name)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor in one transaction: committed on success, rolled back on any error."""
        conn = self.hook.get_conn()
        try:
            cursor = _CountingCursor(conn.cursor())
            cursor.arraysize = FETCH_SIZE
            for statement in self.dialect.session_setup:
                cursor.execute(statement)
            yield cursor
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()

    def query(self, name: str, params: dict | None = None) -> list[tuple]:
        with self.transaction() as cursor:
            cursor.execute(self.sql(name), params or {})
            return [tuple(row) for row in cursor.fetchall()]

    def stream(self, name: str, params: dict | None = None) -> Iterator[tuple]:
        """The rows of query ``name``, FETCH_SIZE at a time: for results too large to hold at once."""
        with self.transaction() as cursor:
            cursor.execute(self.sql(name), params or {})
            while rows := cursor.fetchmany(FETCH_SIZE):
                yield from (tuple(row) for row in rows)

    def write_many(self, name: str, rows: Sequence[dict]) -> int:
        """Run statement ``name`` for every row, in batches, all in one transaction."""
        if not rows:
            return 0
        statement = self.sql(name)
        with self.transaction() as cursor:
            for start in range(0, len(rows), BATCH_SIZE):
                cursor.executemany(statement, list(rows[start : start + BATCH_SIZE]))
        return len(rows)

    def run_script(self, name: str, params: dict) -> None:
        with self.transaction() as cursor:
            for statement in split_statements(self.sql(name)):
                cursor.execute(statement, params)

    # --- the project's reads and writes -------------------------------------------------------------

    def create_schema(self) -> None:
        self.run_script("schema", {})

    def read_farms(self) -> list[tuple]:
        return self.query("read_farms")

    def upsert_weather(self, rows: Sequence[dict]) -> int:
        return self.write_many("upsert_weather", rows)

    def upsert_stats(self, rows: Sequence[dict]) -> int:
        return self.write_many("upsert_stats", rows)

    def log_step(
        self,
        *,
        run_id: str,
        report_week: str,
        step: str,
        status: str,
        started_at: str | None,
        row_count: int | None = None,
        message: str = "",
    ) -> None:
        self.write_many(
            "insert_job_log",
            [
                {
                    "job_nm": JOB_NAME,
                    "run_id": run_id,
                    "report_week": report_week,
                    "step_nm": step,
                    "status": status,
                    "started_at": started_at,
                    "ended_at": now_text(),
                    "row_count": row_count,
                    "message": clip_utf8(message),
                }
            ],
        )

    def job_log(self, run_id: str) -> list[dict]:
        rows = self.query("job_log_for_run", {"job_nm": JOB_NAME, "run_id": run_id})
        keys = ("log_id", "step", "status", "started_at", "ended_at", "row_count", "message")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def weather_day_masks(self, days: Sequence[str]) -> dict[str, int]:
        """For each farm with weather rows on ``days`` (consecutive ISO dates): bit i set if it has day i."""
        position = {day: index for index, day in enumerate(days)}
        masks: dict[str, int] = {}
        for farm_no, day in self.stream("weather_days", {"week_start": days[0], "week_end": days[-1]}):
            key = str(farm_no)
            masks[key] = masks.get(key, 0) | 1 << position[str(day)]
        return masks

    def stats_periods(
        self, source: str, period_type: str, first: str, last: str
    ) -> dict[tuple[str, str], int]:
        rows = self.query(
            "stats_periods",
            {"source": source, "period_type": period_type, "first_period": first, "last_period": last},
        )
        return {(str(series_id), str(period)): int(count) for series_id, period, count in rows}

    def gate_weather(self, week_start: str, week_end: str) -> Iterator[tuple]:
        """The week's TM_WEATHER rows for the gate, streamed: (FARM_NO, WEATHER_DATE 'YYYY-MM-DD', POINT_ID,
        AVG_TA, MIN_TA, MAX_TA, AVG_RHM, SUM_RN)."""
        return self.stream("gate_weather", {"week_start": week_start, "week_end": week_end})

    def gate_stats(
        self, source: str, series_id: str, period_type: str, first: str, last: str
    ) -> list[tuple[str, str, str, Any]]:
        """One series' TA_STATS_DATA rows of periods [first, last]: (ITEM_ID, CATEGORY_ID, PERIOD, VALUE)."""
        rows = self.query(
            "gate_stats",
            {
                "source": source,
                "series_id": series_id,
                "period_type": period_type,
                "first_period": first,
                "last_period": last,
            },
        )
        return [(str(item), str(category), str(period), value) for item, category, period, value in rows]

    def report_farms(self, week_text: str) -> list[str]:
        """FARM_NO of every TR_INS_WEEK_REPORT row of the week (the reference report table)."""
        return [str(row[0]) for row in self.query("report_farms", {"p_week": week_text})]

    def run_report(self, procedure: str, proc_type: str, week_text: str, timeout_seconds: int = 0) -> None:
        """Build the week's report: the stored procedure in production, the reference script on SQLite.

        ``timeout_seconds`` (INS_REPORT_TIMEOUT; 0: none) bounds the database call: python-oracledb's
        ``call_timeout`` on the session (the call fails with DPY-4024 and the session is cut, which ends the
        call on the server), SQLite's progress handler (the script is interrupted and rolled back).
        ``report_call_sent`` tells afterwards whether the call reached the database (a session was opened).
        On Oracle the call's session carries ``tag_report_session``'s MODULE, ACTION and CLIENT_IDENTIFIER."""
        self.report_call_sent = False
        if self.dialect.report_is_procedure:
            with self._call_timeout(timeout_seconds):
                self.hook.callproc(procedure, autocommit=True, parameters=[proc_type, week_text])
            return
        if proc_type != "WEEK":
            raise ValueError(f"the SQLite reference report supports p_type 'WEEK' only, not {proc_type!r}")
        with self._call_timeout(timeout_seconds):
            self.run_script("sp_ins_week_main", {"p_type": proc_type, "p_week": week_text})

    @contextmanager
    def _call_timeout(self, seconds: int) -> Iterator[None]:
        """The hook's connections, while in this block, carry the call timeout (the provider still builds
        the call: ``OracleHook.callproc``)."""
        get_conn = self.hook.get_conn

        def get_conn_with_timeout() -> Any:
            conn = get_conn()
            self.report_call_sent = True
            if self.dialect.name == "oracle":
                if seconds and seconds > 0:
                    conn.call_timeout = int(seconds * 1000)  # milliseconds, per round trip
                if self.report_session:  # python-oracledb sends them with the call's round trip
                    conn.module, conn.action, conn.client_identifier = self.report_session
            elif seconds and seconds > 0:
                deadline = time.monotonic() + seconds
                conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            return conn

        self.hook.get_conn = get_conn_with_timeout
        try:
            yield
        finally:
            del self.hook.get_conn  # the class's own method again

    def report_row_count(self, week_text: str) -> int:
        return int(self.query("count_report_rows", {"p_week": week_text})[0][0])

    # --- the report diff (include/ins_report/steps/report_compare.py) -------------------------------------

    def report_rows(self, key: str, columns: Sequence[str], week_text: str) -> Iterator[tuple]:
        """The week's report rows, streamed in key order: (key, *columns). The names are pasted into the
        statement (report_rows.sql), so each must be a plain column name."""
        bad = [name for name in (key, *columns) if not SQL_NAME.fullmatch(name)]
        if bad or not columns:
            raise ValueError(f"not plain column names: {bad or 'no columns'}")
        statement = self.sql("report_rows").format(key=key, columns=", ".join(columns))
        with self.transaction() as cursor:
            cursor.execute(statement, {"p_week": week_text})
            while rows := cursor.fetchmany(FETCH_SIZE):
                yield from (tuple(row) for row in rows)

    def report_baseline(self, report_week: str) -> tuple[str, str | None] | None:
        """(RUN_ID, ENDED_AT) of the latest report of the week this DAG built, or None."""
        rows = self.query("report_baseline", {"job_nm": JOB_NAME, "report_week": report_week})
        return (str(rows[0][0]), rows[0][1]) if rows else None

    def report_diff_tries(self, report_week: str, run_id: str) -> int:
        rows = self.query("report_diff_tries", {"report_week": report_week, "run_id": run_id})
        return int(rows[0][0] or 0)

    def insert_report_diff(self, rows: Sequence[dict]) -> int:
        return self.write_many("insert_report_diff", rows)

    # --- the report call's session (include/ins_report/steps/report_call.py) --------------------------------

    def tag_report_session(self, module: str, action: str, client_identifier: str) -> None:
        """The next report call's session shows these in V$SESSION (Oracle; nothing on SQLite)."""
        self.report_session = (module, action, client_identifier)

    def report_sessions(self, module: str, client_prefix: str) -> list[tuple]:
        """The batch user's sessions tagged as report calls (MODULE, or CLIENT_IDENTIFIER's prefix):
        (SID, SERIAL#, STATUS, LAST_CALL_ET, MODULE, ACTION, CLIENT_IDENTIFIER, SQL_ID). None on SQLite,
        whose report script runs in the calling process: no session of another attempt can be in it."""
        if not self.dialect.report_is_procedure:
            return []
        return self.query("report_sessions", {"module": module, "client_prefix": client_prefix})

    def login_user(self) -> str:
        """The database user of the connection (for a grant), upper case as the dictionary has it."""
        return self.login.upper()
