"""The compose stack's development Oracle: initialised from the repository's SQL, seeded with the sample
farms, and a disabled stand-in of the legacy job. The compose file is rendered by Docker Compose itself."""

from __future__ import annotations

import importlib.util
import os
import re

import pytest
import sqlglot

from tests.support.compose import ROOT, SECRETS, environment, mounts, published, render
from tests.unit.test_oracle_sql import parse_oracle, sqlplus_parts, strip_comments

INITDB = ROOT / "docker" / "oracle" / "initdb"
SEED = ROOT / "docker" / "oracle" / "seed"


@pytest.fixture(scope="module")
def oracle() -> dict:
    rendered = render(SECRETS)
    assert rendered.code == 0, rendered.errors
    return rendered.config["services"]["oracle"]


def test_oracle_service_is_initialised_from_the_repository(oracle):
    assert oracle["image"].startswith("gvenzl/oracle-free:")
    volumes = mounts(oracle)
    assert volumes["/container-entrypoint-initdb.d"] == str(INITDB)
    assert volumes["/opt/ins/sql"] == str(ROOT / "include" / "sql" / "oracle")
    assert volumes["/opt/ins/seed"] == str(SEED)
    scripts = sorted(INITDB.iterdir())
    assert [path.name for path in scripts] == ["10_ins_reference.sh"]  # any *.sql here would run as SYS
    script = scripts[0]
    assert os.access(script, os.X_OK), "the init script must be executable (git mode 100755)"
    text = script.read_text(encoding="utf-8")
    host_of = {"/opt/ins/sql": ROOT / "include" / "sql" / "oracle", "/opt/ins/seed": SEED}
    referenced = re.findall(r"@\$\{(sql_dir|seed_dir)\}/(\S+)", text)
    assert {file for _, file in referenced} == {
        "schema.sql",
        "sample_farms.sql",
        "sp_ins_week_main.sql",
        "legacy_job_standin.sql",
    }
    for var, file in referenced:
        default = re.search(rf'local {var}="\$\{{\w+:-(\S+?)\}}"', text)[1]
        assert (host_of[default] / file).is_file(), file
    marker = re.search(r"INS_READY_MARKER:-(\S+?)\}", text)[1]
    assert marker in " ".join(oracle["healthcheck"]["test"])
    assert "NLS_LANG=AMERICAN_AMERICA.AL32UTF8" in text
    assert re.search(r"^\s*exit\b", text, flags=re.M) is None  # the entrypoint may source it
    assert published(oracle) == {1521: ("127.0.0.1", "1521")}
    assert environment(oracle)["APP_USER"] == "ins"


def test_sample_farms_seed_matches_the_csv():
    spec = importlib.util.spec_from_file_location(
        "make_seed", ROOT / "docker" / "oracle" / "make_sample_farms_sql.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (SEED / "sample_farms.sql").read_text(encoding="utf-8")
    assert text == module.render(), "run: python docker/oracle/make_sample_farms_sql.py"
    statements = [chunk.strip() for chunk in strip_comments(text).split(";\n") if chunk.strip()]
    inserts = [statement for statement in statements if statement.startswith("INSERT")]
    csv_rows = (
        (ROOT / "include" / "ins_report" / "data" / "sample_farms.csv")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    assert len(inserts) == len(csv_rows) - 1
    for statement in inserts:
        tree = parse_oracle(statement)
        assert isinstance(tree, sqlglot.exp.Insert)
        assert tree.this.this.name == "TA_FARM"
    assert "'서귀포 O''Neil 농장'" in text
    assert "'좌표없는 농장', NULL, NULL" in text


def test_legacy_job_standin_is_created_disabled():
    text = (SEED / "legacy_job_standin.sql").read_text(encoding="utf-8")
    calls, statements = sqlplus_parts(text)
    (call,) = calls
    tree = parse_oracle(f"SELECT {call} FROM DUAL")
    function = tree.expressions[0].expression
    assert function.name.upper() == "CREATE_JOB"
    args = {kwarg.this.name: kwarg.expression.sql("oracle") for kwarg in function.expressions}
    assert args["job_name"] == "'JOB_INS_WEEKLY_REPORT'"
    assert args["enabled"] == "FALSE"
    assert "SP_INS_WEEK_MAIN(''WEEK'', NULL)" in args["job_action"]
    assert len(statements) == 1
    assert parse_oracle(statements[0])
