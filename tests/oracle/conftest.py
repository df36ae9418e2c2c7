"""Opt-in end-to-end tests against a real Oracle: ``ORACLE_TEST_DSN=user/password@host:port/service``.

Without the variable every test here is skipped with that reason. With it, the session

1. refuses to go on unless the schema is a development one: an existing ``SP_INS_WEEK_MAIN`` must be the
   reference stand-in (its source holds ``INS-REFERENCE-STAND-IN``), because the session replaces it;
2. creates the reference tables that are missing (``include/sql/oracle/schema.sql``; existing ones are kept
   and must have the reference columns), and installs the reference procedure, checking USER_ERRORS;
3. exposes the database as an Airflow ``oracle`` connection, so the tests go through ``FarmDatabase``;
4. touches only its own rows (farms ``ZT%``, weeks in January 2000, run ids ``oracle-test-%``) and deletes
   them before and after.

The compose stack's Oracle fits: ``ORACLE_TEST_DSN=ins/ins_dev@localhost:1521/FREEPDB1`` (README.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from include.ins_report.store.sqlfiles import load_sql, split_statements

DSN_ENV = "ORACLE_TEST_DSN"
SKIP_REASON = (
    f"{DSN_ENV} is not set: the Oracle end-to-end suite needs a development Oracle "
    "(user/password@host:port/service, e.g. the compose stack's ins/ins_dev@localhost:1521/FREEPDB1)"
)
CONN_ID = "ins_oracle_test"
MARKER = "INS-REFERENCE-STAND-IN"
ALREADY_EXISTS = {955, 1408}  # ORA-00955 name already used, ORA-01408 column list already indexed

requires_oracle = [pytest.mark.oracle, pytest.mark.skipif(not os.environ.get(DSN_ENV), reason=SKIP_REASON)]


@dataclass(frozen=True)
class Dsn:
    user: str
    password: str
    host: str
    port: int
    service: str

    @classmethod
    def parse(cls, text: str) -> Dsn:
        credentials, _, address = text.strip().rpartition("@")
        user, _, password = credentials.partition("/")
        host_port, _, service = address.partition("/")
        host, _, port = host_port.partition(":")
        if not (user and password and host and service):
            raise pytest.UsageError(f"{DSN_ENV} must look like user/password@host:port/service, got {text!r}")
        return cls(user, password, host, int(port or 1521), service)

    def connection_json(self) -> str:
        return json.dumps(
            {
                "conn_type": "oracle",
                "login": self.user,
                "password": self.password,
                "host": self.host,
                "port": self.port,
                "extra": {"service_name": self.service},
            }
        )


def plsql_text(name: str) -> str:
    """A SQL*Plus file with one PL/SQL unit, as python-oracledb executes it: from CREATE, without '/'."""
    lines = load_sql("oracle", name).rstrip().splitlines()
    assert lines[-1].strip() == "/", f"{name}.sql must end with a '/' line"
    start = next(index for index, line in enumerate(lines) if line.startswith("CREATE "))
    return "\n".join(lines[start:-1])


def cleanup(cursor, first_log_id: int) -> None:
    cursor.execute("DELETE FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK LIKE '200001%'")
    cursor.execute("DELETE FROM TM_WEATHER WHERE FARM_NO LIKE 'ZT%'")
    cursor.execute("DELETE FROM TA_STATS_DATA WHERE RUN_ID LIKE 'oracle-test-%'")
    cursor.execute(
        "DELETE FROM TS_INS_JOB_LOG WHERE RUN_ID LIKE 'oracle-test-%' "
        "OR (RUN_ID LIKE 'PROC:%' AND STEP_NM = 'SP_INS_WEEK_MAIN' AND LOG_ID > :first_log_id)",
        {"first_log_id": first_log_id},
    )
    cursor.execute("DELETE FROM TA_FARM WHERE FARM_NO LIKE 'ZT%'")


@dataclass
class OracleSession:
    connection: object
    dsn: Dsn
    conn_id: str
    first_log_id: int

    def rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params or {})
            return [tuple(row) for row in cursor.fetchall()]

    def execute(self, sql: str, params: dict | list | None = None, *, many: bool = False) -> None:
        with self.connection.cursor() as cursor:
            if many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params or {})
        self.connection.commit()


@pytest.fixture(scope="session")
def oracle_session() -> Iterator[OracleSession]:
    import oracledb

    dsn = Dsn.parse(os.environ[DSN_ENV])
    connection = oracledb.connect(
        user=dsn.user, password=dsn.password, dsn=f"{dsn.host}:{dsn.port}/{dsn.service}"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT TEXT FROM USER_SOURCE WHERE NAME = 'SP_INS_WEEK_MAIN' AND TYPE = 'PROCEDURE' "
            "ORDER BY LINE"
        )
        source = "".join(row[0] for row in cursor.fetchall())
    if source and MARKER not in source:
        connection.close()
        pytest.fail(
            f"refusing to run: SP_INS_WEEK_MAIN in schema {dsn.user} is not the reference stand-in "
            f"(no {MARKER} in its source). {DSN_ENV} must point at a development database.",
            pytrace=False,
        )
    with connection.cursor() as cursor:
        for statement in split_statements(load_sql("oracle", "schema")):
            try:
                cursor.execute(statement)
            except oracledb.DatabaseError as exc:
                if exc.args[0].code not in ALREADY_EXISTS:
                    raise
        cursor.execute(plsql_text("sp_ins_week_main"))
        cursor.execute(
            "SELECT LINE, POSITION, TEXT FROM USER_ERRORS WHERE NAME = 'SP_INS_WEEK_MAIN' ORDER BY SEQUENCE"
        )
        errors = cursor.fetchall()
        assert not errors, f"SP_INS_WEEK_MAIN does not compile: {errors}"
        cursor.execute("SELECT NVL(MAX(LOG_ID), 0) FROM TS_INS_JOB_LOG")
        first_log_id = int(cursor.fetchone()[0])
        cleanup(cursor, first_log_id)
    connection.commit()

    previous = os.environ.get(f"AIRFLOW_CONN_{CONN_ID.upper()}")
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = dsn.connection_json()
    try:
        yield OracleSession(connection, dsn, CONN_ID, first_log_id)
    finally:
        with connection.cursor() as cursor:
            cleanup(cursor, first_log_id)
        connection.commit()
        connection.close()
        if previous is None:
            os.environ.pop(f"AIRFLOW_CONN_{CONN_ID.upper()}", None)
        else:
            os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = previous
