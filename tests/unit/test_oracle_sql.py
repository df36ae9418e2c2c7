"""The Oracle dialect's SQL files: they parse (sqlglot, Oracle dialect) and match the SQLite twins.

sqlglot parses plain SQL, not PL/SQL. For the PL/SQL files (the reference procedure and the SQL*Plus
cutover scripts) the tests parse what sqlglot can: every SQL statement inside the block and the arguments
of every procedure call, and check the block's frame (signature, declarations, terminators) with regular
expressions. Parsing always uses ``ErrorLevel.RAISE`` and refuses sqlglot's ``Command`` fallback, so an
unparseable statement fails the test instead of passing as an opaque command.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from include.ins_report.config.settings import SQL_DIR
from include.ins_report.store.sqlfiles import split_statements

ORACLE = SQL_DIR / "oracle"
SQLITE = SQL_DIR / "sqlite"
CUTOVER = ORACLE / "cutover"

SCRIPTS = {"schema"}  # multi-statement scripts, split by the app's split_statements
PLSQL = {"sp_ins_week_main"}  # the reference procedure: PL/SQL, installed by SQL*Plus or the opt-in tests
SQLITE_ONLY: set[str] = set()  # every SQLite statement has an Oracle twin (the report script: the procedure)
# The cutover guard's query (Oracle's scheduler) and the report step's session check (V$SESSION): SQLite has
# neither a scheduler nor sessions of other processes, so no twin.
ORACLE_ONLY = {"legacy_job_state", "report_sessions"}
APP_STATEMENTS = sorted(
    path.stem for path in ORACLE.glob("*.sql") if path.stem not in SCRIPTS | PLSQL
)  # executed by FarmDatabase as one statement each

# Oracle DATE columns and the text the app binds or reads for them.
DAY = "YYYY-MM-DD"
TIMESTAMP = "YYYY-MM-DD HH24:MI:SS"
DATE_FORMATS = {
    "WEATHER_DATE": DAY,
    "COLLECTED_AT": TIMESTAMP,
    "STARTED_AT": TIMESTAMP,
    "ENDED_AT": TIMESTAMP,
    "CREATED_AT": TIMESTAMP,
}
DATE_BINDS = {
    "weather_date": DAY,
    "week_start": DAY,
    "week_end": DAY,
    "collected_at": TIMESTAMP,
    "started_at": TIMESTAMP,
    "ended_at": TIMESTAMP,
    "created_at": TIMESTAMP,
}

# Oracle Database SQL Language Reference, appendix "Oracle Database Reserved Words": a bind variable with
# one of these names fails with ORA-01745, a column with one of them needs quotes.
ORACLE_RESERVED = set(
    [
        "ACCESS",
        "ADD",
        "ALL",
        "ALTER",
        "AND",
        "ANY",
        "AS",
        "ASC",
        "AUDIT",
        "BETWEEN",
        "BY",
        "CHAR",
        "CHECK",
        "CLUSTER",
        "COLUMN",
        "COMMENT",
        "COMPRESS",
        "CONNECT",
        "CREATE",
        "CURRENT",
        "DATE",
        "DECIMAL",
        "DEFAULT",
        "DELETE",
        "DESC",
        "DISTINCT",
        "DROP",
        "ELSE",
        "EXCLUSIVE",
        "EXISTS",
        "FILE",
        "FLOAT",
        "FOR",
        "FROM",
        "GRANT",
        "GROUP",
        "HAVING",
        "IDENTIFIED",
        "IMMEDIATE",
        "IN",
        "INCREMENT",
        "INDEX",
        "INITIAL",
        "INSERT",
        "INTEGER",
        "INTERSECT",
        "INTO",
        "IS",
        "LEVEL",
        "LIKE",
        "LOCK",
        "LONG",
        "MAXEXTENTS",
        "MINUS",
        "MLSLABEL",
        "MODE",
        "MODIFY",
        "NOAUDIT",
        "NOCOMPRESS",
        "NOT",
        "NOWAIT",
        "NULL",
        "NUMBER",
        "OF",
        "OFFLINE",
        "ON",
        "ONLINE",
        "OPTION",
        "OR",
        "ORDER",
        "PCTFREE",
        "PRIOR",
        "PUBLIC",
        "RAW",
        "RENAME",
        "RESOURCE",
        "REVOKE",
        "ROW",
        "ROWID",
        "ROWNUM",
        "ROWS",
        "SELECT",
        "SESSION",
        "SET",
        "SHARE",
        "SIZE",
        "SMALLINT",
        "START",
        "SUCCESSFUL",
        "SYNONYM",
        "SYSDATE",
        "TABLE",
        "THEN",
        "TO",
        "TRIGGER",
        "UID",
        "UNION",
        "UNIQUE",
        "UPDATE",
        "USER",
        "VALIDATE",
        "VALUES",
        "VARCHAR",
        "VARCHAR2",
        "VIEW",
        "WHENEVER",
        "WHERE",
        "WITH",
    ]
)


def parse_oracle(sql: str) -> exp.Expression:
    tree = sqlglot.parse_one(sql, read="oracle", error_level=sqlglot.ErrorLevel.RAISE)
    assert not isinstance(tree, exp.Command), f"sqlglot fell back to an opaque command for:\n{sql}"
    return tree


def strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))


def binds(tree: exp.Expression) -> set[str]:
    return {node.name for node in tree.find_all(exp.Placeholder)}


def regex_binds(sql: str) -> set[str]:
    """Bind names by text, outside string literals and comments: a cross-check of the parser's view."""
    code = re.sub(r"'[^']*'", "''", strip_comments(sql))
    return set(re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", code))


def statement_names(folder: Path) -> set[str]:
    return {path.stem for path in folder.glob("*.sql")}


# --- schema model ------------------------------------------------------------------------------------


def schema_model(sql: str, dialect: str) -> dict:
    """Tables -> ordered columns, NOT NULL columns, primary key, column types; indexes -> (table, columns)."""
    if dialect == "oracle":
        trees = [parse_oracle(statement) for statement in split_statements(sql)]
    else:
        trees = sqlglot.parse(sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
    tables: dict[str, dict] = {}
    indexes: dict[str, tuple[str, tuple[str, ...]]] = {}
    for tree in trees:
        assert isinstance(tree, exp.Create), tree.sql(dialect)
        if tree.args["kind"] == "INDEX":
            index = tree.this
            columns = tuple(col.this.name.upper() for col in index.args["params"].args["columns"])
            indexes[index.name.upper()] = (index.args["table"].name.upper(), columns)
            continue
        assert tree.args["kind"] == "TABLE"
        columns, not_null, primary_key, types = [], set(), (), {}
        for item in tree.this.expressions:
            if isinstance(item, exp.ColumnDef):
                name = item.name.upper()
                columns.append(name)
                types[name] = item.args["kind"].this
                kinds = [constraint.args["kind"] for constraint in item.args.get("constraints") or []]
                if any(isinstance(kind, exp.NotNullColumnConstraint) for kind in kinds):
                    not_null.add(name)
                if any(isinstance(kind, exp.PrimaryKeyColumnConstraint) for kind in kinds):
                    primary_key = (name,)
            else:
                key = item if isinstance(item, exp.PrimaryKey) else item.find(exp.PrimaryKey)
                assert key is not None, f"unexpected table element {item.sql(dialect)}"
                primary_key = tuple(part.name.upper() for part in key.expressions)
        tables[tree.this.this.name.upper()] = {
            "columns": columns,
            "not_null": not_null,
            "primary_key": primary_key,
            "types": types,
        }
    return {"tables": tables, "indexes": indexes}


@pytest.fixture(scope="module")
def oracle_schema() -> dict:
    return schema_model((ORACLE / "schema.sql").read_text(encoding="utf-8"), "oracle")


@pytest.fixture(scope="module")
def sqlite_schema() -> dict:
    return schema_model((SQLITE / "schema.sql").read_text(encoding="utf-8"), "sqlite")


def test_both_schemas_declare_the_same_tables_and_columns(oracle_schema, sqlite_schema):
    assert set(oracle_schema["tables"]) == {
        "TA_FARM",
        "TA_STATS_DATA",
        "TM_WEATHER",
        "TS_INS_JOB_LOG",
        "TS_INS_WEEK_INPUT",
        "TS_INS_WEEK_FARM",
        "TR_INS_WEEK_REPORT",
        "TS_INS_REPORT_DIFF",
    }
    assert set(oracle_schema["tables"]) == set(sqlite_schema["tables"])
    for name, oracle_table in oracle_schema["tables"].items():
        sqlite_table = sqlite_schema["tables"][name]
        assert oracle_table["columns"] == sqlite_table["columns"], name
        assert oracle_table["primary_key"] == sqlite_table["primary_key"], name
        assert oracle_table["not_null"] == sqlite_table["not_null"], name
    assert oracle_schema["indexes"] == sqlite_schema["indexes"]


def test_oracle_types_follow_the_sqlite_types(oracle_schema, sqlite_schema):
    """Text -> VARCHAR2 (or DATE for the date/timestamp columns), REAL and INTEGER -> NUMBER."""
    T = exp.DataType.Type
    dates = set()
    for name, table in oracle_schema["tables"].items():
        for column, oracle_type in table["types"].items():
            sqlite_type = sqlite_schema["tables"][name]["types"][column]
            if oracle_type == T.DATE:
                dates.add(column)
                assert sqlite_type == T.TEXT, (name, column)
            elif sqlite_type == T.TEXT:
                assert oracle_type == T.VARCHAR, (name, column, oracle_type)
            else:
                assert sqlite_type in (T.DOUBLE, T.INT), (name, column, sqlite_type)
                assert oracle_type == T.DECIMAL, (name, column, oracle_type)  # NUMBER
    assert dates == set(DATE_FORMATS)


def test_no_reserved_word_as_column_or_bind(oracle_schema):
    for name, table in oracle_schema["tables"].items():
        assert not set(table["columns"]) & ORACLE_RESERVED, name
    for name in APP_STATEMENTS:
        sql = (ORACLE / f"{name}.sql").read_text(encoding="utf-8")
        assert not {bind.upper() for bind in regex_binds(sql)} & ORACLE_RESERVED, name


# --- the app's statements ----------------------------------------------------------------------------


def test_every_sqlite_statement_has_an_oracle_twin():
    sqlite_names = statement_names(SQLITE)
    oracle_names = statement_names(ORACLE)
    assert sqlite_names - SQLITE_ONLY <= oracle_names, sorted(sqlite_names - oracle_names)
    assert oracle_names - sqlite_names == ORACLE_ONLY


@pytest.mark.parametrize("name", APP_STATEMENTS)
def test_app_statement_parses_as_one_statement_without_semicolon(name):
    sql = (ORACLE / f"{name}.sql").read_text(encoding="utf-8")
    assert not strip_comments(sql).rstrip().endswith(";"), "Oracle rejects a trailing ';' in plain SQL"
    trees = sqlglot.parse(sql, read="oracle", error_level=sqlglot.ErrorLevel.RAISE)
    assert len([tree for tree in trees if tree is not None]) == 1
    tree = parse_oracle(sql)
    assert binds(tree) == regex_binds(sql)
    # Oracle rejects AS before a table or subquery alias (ORA-00933); column aliases may use it.
    for table_alias in tree.find_all(exp.TableAlias):
        assert not re.search(rf"\bAS\s+{table_alias.name}\b", strip_comments(sql), flags=re.I), (
            table_alias.name
        )


@pytest.mark.parametrize("name", sorted(statement_names(SQLITE) - SCRIPTS - PLSQL - SQLITE_ONLY))
def test_bind_names_are_the_same_in_both_dialects(name):
    sqlite_sql = (SQLITE / f"{name}.sql").read_text(encoding="utf-8")
    oracle_sql = (ORACLE / f"{name}.sql").read_text(encoding="utf-8")
    sqlite_binds = binds(sqlglot.parse_one(sqlite_sql, read="sqlite", error_level=sqlglot.ErrorLevel.RAISE))
    assert sqlite_binds == regex_binds(sqlite_sql)  # the parser sees every bind (read_farms has none)
    assert binds(parse_oracle(oracle_sql)) == sqlite_binds


def test_report_binds_match():
    """The SQLite report script and the Oracle procedure take the same inputs (p_type, p_week)."""
    sqlite_sql = (SQLITE / "sp_ins_week_main.sql").read_text(encoding="utf-8")
    assert regex_binds(sqlite_sql) <= {"p_type", "p_week"}
    assert set(procedure_frame()["params"]) == {"p_type", "p_week"}


def write_targets(tree: exp.Expression) -> tuple[str, dict[str, exp.Expression]]:
    """The table written and, per column, the expression written into it (INSERT ... VALUES or MERGE)."""
    if isinstance(tree, exp.Insert):
        columns = [column.name.upper() for column in tree.this.expressions]
        values = tree.expression.expressions[0].expressions
        return tree.this.this.name.upper(), dict(zip(columns, values, strict=True))
    assert isinstance(tree, exp.Merge)
    source = tree.args["using"].this
    mapped = {item.alias.upper(): item.this for item in source.expressions}
    return tree.this.name.upper(), mapped


@pytest.mark.parametrize(
    "name",
    [
        "insert_job_log",
        "upsert_stats",
        "upsert_weather",
        "insert_manifest_input",
        "insert_manifest_farm",
        "insert_report_diff",
    ],
)
def test_writes_bind_plain_values_and_dates_through_to_date(name, oracle_schema):
    tree = parse_oracle((ORACLE / f"{name}.sql").read_text(encoding="utf-8"))
    table, written = write_targets(tree)
    columns = oracle_schema["tables"][table]["columns"]
    assert set(written) <= set(columns)
    assert set(columns) - set(written) <= {"LOG_ID"}  # every column but the identity is written
    for column, value in written.items():
        if column in DATE_FORMATS:
            expected = f"TO_DATE(:{column.lower()}, '{DATE_FORMATS[column]}')"
            assert value.sql("oracle") == expected, (column, value.sql("oracle"))
        else:
            assert isinstance(value, exp.Placeholder), (column, value)
            assert value.name == column.lower(), (column, value)
    if isinstance(tree, exp.Merge):
        key = oracle_schema["tables"][table]["primary_key"]
        on = tree.args["on"]
        on_columns = {col.name.upper() for col in on.find_all(exp.Column) if col.table == "t"}
        assert on_columns == set(key), "MERGE must match on the table's primary key"
        updated = set()
        for when in tree.args["whens"].expressions:
            if isinstance(when.args.get("then"), exp.Update):
                updated = {eq.this.name.upper() for eq in when.args["then"].expressions}
        assert updated == set(columns) - set(key), "MERGE must update every non-key column"


@pytest.mark.parametrize("name", APP_STATEMENTS)
def test_date_binds_and_date_reads_are_converted(name):
    """Python binds and reads the same text in both dialects: TO_DATE on the way in, TO_CHAR out."""
    tree = parse_oracle((ORACLE / f"{name}.sql").read_text(encoding="utf-8"))
    for placeholder in tree.find_all(exp.Placeholder):
        parent = placeholder.parent
        if placeholder.name in DATE_BINDS:
            assert parent.sql("oracle") == f"TO_DATE(:{placeholder.name}, '{DATE_BINDS[placeholder.name]}')"
        else:
            assert not isinstance(parent, exp.StrToDate | exp.StrToTime), placeholder.name
    if isinstance(tree, exp.Select):
        for projection in tree.expressions:
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            columns = [inner] if isinstance(inner, exp.Column) else []
            for column in columns:
                assert column.name.upper() not in DATE_FORMATS, f"{name}: DATE column read without TO_CHAR"
            if isinstance(inner, exp.ToChar):
                column_name = inner.this.name.upper()
                assert inner.args["format"].name == DATE_FORMATS[column_name]
                assert projection.alias_or_name.upper() == column_name  # same result column name


def test_the_report_diff_reads_the_configured_key_and_columns_of_the_report(oracle_schema, sqlite_schema):
    """report_rows.sql is a template: rendered as FarmDatabase.report_rows renders it (the default key and
    columns), it parses in both dialects and reads columns the reference report has, in that order."""
    from include.ins_report.config.settings import REPORT_DIFF_COLUMNS

    for folder, schema in ((ORACLE, oracle_schema), (SQLITE, sqlite_schema)):
        template = (folder / "report_rows.sql").read_text(encoding="utf-8")
        sql = template.format(key="FARM_NO", columns=", ".join(REPORT_DIFF_COLUMNS))
        tree = parse_oracle(sql) if folder == ORACLE else sqlglot.parse_one(sql, read="sqlite")
        read = [projection.name.upper() for projection in tree.expressions]
        assert read == ["FARM_NO", *REPORT_DIFF_COLUMNS]
        assert set(read) <= set(schema["tables"]["TR_INS_WEEK_REPORT"]["columns"])
        assert binds(tree) == {"p_week"}
        assert [column.name for column in tree.args["order"].find_all(exp.Column)] == ["FARM_NO"]


# --- the schema script ---------------------------------------------------------------------------------


def test_schema_script_splits_into_plain_statements():
    sql = (ORACLE / "schema.sql").read_text(encoding="utf-8")
    statements = split_statements(sql)
    code = strip_comments(sql)
    assert len(statements) == len(re.findall(r";[ \t]*$", code, flags=re.M))
    assert len(statements) == len(re.findall(r"^CREATE (?:TABLE|INDEX) ", code, flags=re.M))
    for statement in statements:
        assert not statement.rstrip().endswith(";")
        assert not re.search(r"\b(BEGIN|DECLARE|PROCEDURE|TRIGGER)\b", statement, flags=re.I)
        assert "\n\n" not in statement.replace("\r", ""), "SQL*Plus ends a statement at a blank line"
        parse_oracle(statement)


# --- the reference procedure ---------------------------------------------------------------------------

PROCEDURE_HEADER = re.compile(
    r"^CREATE OR REPLACE PROCEDURE (?P<name>\w+)\s*\((?P<params>[^)]*)\)\s*AS\b", flags=re.M | re.I
)
EMBEDDED_SQL = re.compile(r"^[ \t]*((?:DELETE|INSERT|UPDATE|MERGE|SELECT)\b.*?);[ \t]*$", flags=re.M | re.S)


def procedure_frame() -> dict:
    text = (ORACLE / "sp_ins_week_main.sql").read_text(encoding="utf-8")
    code = strip_comments(text)
    header = PROCEDURE_HEADER.search(code)
    assert header, "CREATE OR REPLACE PROCEDURE header not found"
    params = {}
    for part in header["params"].split(","):
        name, direction, kind = part.split()
        params[name.lower()] = (direction.upper(), kind.upper())
    declarations, _, body = code[header.end() :].partition("\nBEGIN\n")
    assert body, "the procedure's BEGIN is not on a line of its own"
    declared = {match.lower() for match in re.findall(r"^\s*(\w+)\s", declarations, flags=re.M)}
    return {
        "text": text,
        "code": code,
        "name": header["name"],
        "params": params,
        "declared": declared,
        "body": body,
    }


def test_procedure_frame():
    frame = procedure_frame()
    assert frame["name"] == "SP_INS_WEEK_MAIN"
    assert frame["params"] == {"p_type": ("IN", "VARCHAR2"), "p_week": ("IN", "VARCHAR2")}
    assert "INS-REFERENCE-STAND-IN" in frame["text"].splitlines()[0], (
        "the stand-in marker guards tests/oracle"
    )
    # USER_SOURCE keeps the text from PROCEDURE on: the marker is also inside, where tests/oracle reads it.
    inside = frame["text"][frame["text"].index("CREATE OR REPLACE PROCEDURE") :]
    assert "-- INS-REFERENCE-STAND-IN" in inside
    lines = [line.strip() for line in frame["code"].strip().splitlines()]
    assert lines[-2:] == ["END SP_INS_WEEK_MAIN;", "/"], "SQL*Plus needs END name; and a '/' line"
    body = frame["body"]
    # NULL week: an explicit error, never a guessed week.
    assert re.search(r"IF p_week IS NULL THEN\s+RAISE_APPLICATION_ERROR\(-20001,", body)
    # Blocks and IFs are closed: BEGIN/END and IF/END IF counts match (CASE ... END aside).
    ends = len(re.findall(r"\bEND\b(?!\s+IF\b)", body)) - len(re.findall(r"\bCASE\b", body))
    assert len(re.findall(r"\bBEGIN\b", body)) + 1 == ends
    assert len(re.findall(r"(?<!END )\bIF\b", body)) == len(re.findall(r"\bEND IF\b", body))
    assert re.search(r"EXCEPTION\s+WHEN OTHERS THEN.*ROLLBACK;.*'FAILED'.*COMMIT;\s+RAISE;", body, flags=re.S)


def test_procedure_sql_parses_and_uses_the_schema(oracle_schema):
    frame = procedure_frame()
    statements = [match.group(1) for match in EMBEDDED_SQL.finditer(frame["body"])]
    trees = [parse_oracle(statement) for statement in statements]
    for tree in trees:  # PL/SQL's SELECT ... INTO <variable>: the variable is not a table
        into = tree.args.get("into")
        if into is not None:
            assert into.sql("oracle").split()[-1].lower() in frame["declared"], into.sql("oracle")
            tree.set("into", None)
    kinds = [(type(tree).__name__, tree.find(exp.Table).name.upper()) for tree in trees]
    assert kinds == [
        ("Delete", "TR_INS_WEEK_REPORT"),
        ("Select", "TS_INS_WEEK_FARM"),  # a week without a manifest is refused (ORA-20005)
        ("Insert", "TR_INS_WEEK_REPORT"),
        ("Insert", "TS_INS_JOB_LOG"),
        ("Insert", "TS_INS_JOB_LOG"),
    ]
    tables = oracle_schema["tables"]
    known_names = frame["declared"] | set(frame["params"])
    for tree in trees:
        for table in tree.find_all(exp.Table):
            assert table.name.upper() in tables, table.name
        if isinstance(tree, exp.Insert):
            target = tree.this.this.name.upper()
            assert [col.name.upper() for col in tree.this.expressions] == tables[target]["columns"][
                1 if target == "TS_INS_JOB_LOG" else 0 :
            ]
        all_columns = {column for table in tables.values() for column in table["columns"]}
        aliases = {alias.alias.upper() for alias in tree.find_all(exp.Alias)}
        for column in tree.find_all(exp.Column):
            name = column.name
            if name.lower().startswith(("v_", "p_", "c_")):
                assert name.lower() in known_names, f"undeclared PL/SQL name {name}"
            else:
                assert name.upper() in all_columns | aliases, f"unknown column {name}"
    job_logs = [
        tree
        for tree in trees
        if isinstance(tree, exp.Insert) and tree.this.this.name.upper() == "TS_INS_JOB_LOG"
    ]
    for tree in job_logs:
        _, written = write_targets(tree)
        assert written["STEP_NM"].name == "c_step_nm"
        assert written["RUN_ID"].name == "v_run_id"
    assert re.search(r"c_step_nm\s+CONSTANT VARCHAR2\(\d+\) := 'SP_INS_WEEK_MAIN';", frame["code"])
    assert re.search(r"v_run_id\s+VARCHAR2\(\d+\) := SUBSTR\('PROC:' \|\| p_week, 1, \d+\);", frame["code"])


def test_the_procedure_reads_the_manifest_never_the_latest_period():
    """The week's report depends on its manifest only: each statistic at the manifest's period (an exact
    join on PERIOD), the farms and stations of TS_INS_WEEK_FARM, in both dialects."""
    for dialect in (ORACLE, SQLITE):
        text = strip_comments((dialect / "sp_ins_week_main.sql").read_text(encoding="utf-8"))
        assert "s.PERIOD = m.PERIOD" in text, dialect
        assert "PERIOD <=" not in text, dialect
        assert "ORDER BY s.PERIOD" not in text, dialect
        assert "TA_FARM" not in text, dialect  # the farm rule is applied once, by the plan
        assert re.search(r"m\.POINT_ID = w\.POINT_ID|p\.POINT_ID = w\.POINT_ID", text), dialect


def test_the_migration_creates_the_manifest_tables_as_the_schema_does():
    migration = ORACLE / "migrations" / "001_week_manifest.sql"
    schema = {s for s in split_statements((ORACLE / "schema.sql").read_text(encoding="utf-8"))}
    statements = split_statements(migration.read_text(encoding="utf-8"))
    assert [parse_oracle(s).this.this.name.upper() for s in statements] == [
        "TS_INS_WEEK_INPUT",
        "TS_INS_WEEK_FARM",
    ]
    assert set(statements) <= schema


def test_the_migration_creates_the_report_diff_table_as_the_schema_does():
    migration = ORACLE / "migrations" / "002_report_diff.sql"
    schema = {s for s in split_statements((ORACLE / "schema.sql").read_text(encoding="utf-8"))}
    statements = split_statements(migration.read_text(encoding="utf-8"))
    assert [parse_oracle(s).this.this.name.upper() for s in statements] == ["TS_INS_REPORT_DIFF"]
    assert set(statements) <= schema


def test_the_migration_creates_the_history_indexes_as_the_schema_does(oracle_schema):
    """003: the indexes of the week's reads, statement for statement as schema.sql has them; and every index
    of schema.sql but the first release's (IX_INS_JOB_LOG_RUN) comes with some migration."""
    migration = ORACLE / "migrations" / "003_history_indexes.sql"
    schema = {s for s in split_statements((ORACLE / "schema.sql").read_text(encoding="utf-8"))}
    statements = split_statements(migration.read_text(encoding="utf-8"))
    created = {parse_oracle(s).this.name.upper() for s in statements}
    assert created == {"IX_TM_WEATHER_DATE", "IX_TA_STATS_DATA_PERIOD", "IX_INS_JOB_LOG_WEEK"}
    assert set(statements) <= schema
    migrated = set()
    for path in sorted((ORACLE / "migrations").glob("*.sql")):
        for statement in split_statements(path.read_text(encoding="utf-8")):
            tree = parse_oracle(statement)
            if tree.args["kind"] == "INDEX":
                migrated.add(tree.this.name.upper())
    assert set(oracle_schema["indexes"]) - {"IX_INS_JOB_LOG_RUN"} <= migrated


# --- SQL*Plus cutover scripts --------------------------------------------------------------------------

SQLPLUS_COMMAND = re.compile(r"^\s*(WHENEVER|SET|PROMPT|SPOOL|COLUMN|/\s*$)", flags=re.I)
PLSQL_BLOCK = re.compile(r"^BEGIN\n(?P<body>.*?)^END;\n/\n", flags=re.M | re.S)
CALL = re.compile(r"^\s*(?P<call>[\w.]+\s*\(.*?\));\s*$", flags=re.M | re.S)


def sqlplus_parts(text: str) -> tuple[list[str], list[str]]:
    """(procedure calls inside BEGIN ... END; blocks, plain SQL statements) of a SQL*Plus script."""
    code = strip_comments(text).replace("\r", "") + "\n"
    calls = []
    for block in PLSQL_BLOCK.finditer(code):
        body = block["body"]
        found = [match["call"] for match in CALL.finditer(body)]
        assert found, body
        assert not CALL.sub("", body).strip(), f"a block holds more than procedure calls:\n{body}"
        calls += found
    rest = PLSQL_BLOCK.sub("", code)
    rest = "\n".join(line for line in rest.splitlines() if not SQLPLUS_COMMAND.match(line))
    statements = [chunk.strip() for chunk in rest.split(";") if chunk.strip()]
    return calls, statements


@pytest.mark.parametrize("path", sorted(CUTOVER.glob("*.sql")), ids=lambda path: path.name)
def test_cutover_scripts_parse(path):
    text = path.read_text(encoding="utf-8")
    calls, statements = sqlplus_parts(text)
    for call in calls:
        tree = parse_oracle(f"SELECT {call} FROM DUAL")  # a call's name and arguments, as an expression
        function = tree.expressions[0]
        assert isinstance(function, exp.Dot)
        assert function.this.name.upper() == "DBMS_SCHEDULER"
    for statement in statements:
        tree = parse_oracle(statement)
        assert isinstance(tree, exp.Select)
        views = {table.name.upper() for table in tree.find_all(exp.Table)}
        assert views <= {"USER_SCHEDULER_JOBS", "ALL_SCHEDULER_JOBS", "ALL_SCHEDULER_JOB_RUN_DETAILS"}, views
        assert "'JOB_INS_WEEKLY_REPORT'" in statement
    assert statements, "every cutover script shows the job's state"
    expected_call = {
        "disable_legacy_job.sql": "DBMS_SCHEDULER.DISABLE(name => 'JOB_INS_WEEKLY_REPORT')",
        "enable_legacy_job.sql": "DBMS_SCHEDULER.ENABLE(name => 'JOB_INS_WEEKLY_REPORT')",
        "legacy_job_state.sql": None,
    }[path.name]
    assert calls == ([expected_call] if expected_call else [])
    if expected_call:
        assert text.lstrip("-").find("WHENEVER SQLERROR EXIT") >= 0, "a failed call must stop SQL*Plus"


def test_the_guard_query_reads_both_scheduler_views():
    tree = parse_oracle((ORACLE / "legacy_job_state.sql").read_text(encoding="utf-8"))
    assert {table.name.upper() for table in tree.find_all(exp.Table)} == {
        "USER_SCHEDULER_JOBS",
        "ALL_SCHEDULER_JOBS",
    }
    assert binds(tree) == {"job_name"}
    assert [projection.alias_or_name.upper() for projection in tree.expressions] == [
        "OWNER",
        "JOB_NAME",
        "ENABLED",
        "STATE",
    ]


def test_the_session_check_reads_the_batch_users_tagged_sessions_but_its_own():
    """report_sessions.sql: V$SESSION rows of the connection's user whose MODULE is the batch's or whose
    CLIENT_IDENTIFIER starts with its prefix (report_call.SessionTag), never the checking session itself; the
    columns in the order ``report_call.ReportSession.from_row`` reads them."""
    from include.ins_report.steps.report_call import ReportSession

    tree = parse_oracle((ORACLE / "report_sessions.sql").read_text(encoding="utf-8"))
    assert {table.name.upper() for table in tree.find_all(exp.Table)} == {"V$SESSION"}
    assert binds(tree) == {"module", "client_prefix"}
    columns = [projection.this.name.upper() for projection in tree.expressions]
    assert columns == [
        "SID",
        "SERIAL#",
        "STATUS",
        "LAST_CALL_ET",
        "MODULE",
        "ACTION",
        "CLIENT_IDENTIFIER",
        "SQL_ID",
    ]
    assert len(columns) == len(dataclasses.fields(ReportSession))
    where = tree.args["where"].this
    conditions = {condition.sql("oracle", comments=False) for condition in where.flatten()}
    assert conditions == {
        "USERNAME = USER",
        "MODULE = :module OR INSTR(CLIENT_IDENTIFIER, :client_prefix) = 1",
        "SID <> TO_NUMBER(SYS_CONTEXT('USERENV', 'SID'))",
    }


@pytest.mark.parametrize(
    "path", sorted(ORACLE.rglob("*.sql")), ids=lambda path: path.relative_to(ORACLE).as_posix()
)
def test_files_are_safe_for_sqlplus(path):
    """The schema, the procedure and the cutover scripts also run in SQL*Plus / SQLcl (compose init, DBAs)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path.name}:{number}"
        if line.lstrip().startswith("--"):
            assert not line.rstrip().endswith(";"), f"{where}: a comment ending in ';' can end a statement"
        assert not line.startswith("#"), f"{where}: '#' starts a SQL*Plus command (SQLPREFIX)"
        assert "&" not in line, f"{where}: '&' is a substitution variable unless SET DEFINE OFF"
        assert "\t" not in line, f"{where}: tabs"
