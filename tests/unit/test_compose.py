"""docker-compose.yaml: valid Compose, and the stack README.md describes.

Validation needs no Docker: the file is interpolated (``${VAR:-default}`` etc., with the defaults, as
``docker compose config`` does without an .env) and checked against the Compose specification's JSON schema
(docker/schema/compose-spec.json, vendored) with python-jsonschema. Where a ``docker compose`` or
``docker-compose`` binary is installed, ``config -q`` runs as well.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import sqlglot
import yaml

from devtools.embedded import DEV_KMA_KEY, DEV_KOSIS_KEY
from tests.unit.test_oracle_sql import parse_oracle, sqlplus_parts, strip_comments

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yaml"
PRODUCTION = ROOT / "docker" / "compose.production.yaml"
SCHEMA = ROOT / "docker" / "schema" / "compose-spec.json"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
INITDB = ROOT / "docker" / "oracle" / "initdb"
SEED = ROOT / "docker" / "oracle" / "seed"
DOCS = ROOT / "README.md"

AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker",
    "airflow-triggerer": "triggerer",
    "airflow-init": None,
    "airflow-cli": None,
    "flower": "celery flower",
}
SERVICES = {"postgres", "redis", "oracle", "ins-emulator", *AIRFLOW_SERVICES}
EMULATOR_COMMAND = [
    "python", "-m", "devtools.emulator",
    "--host", "0.0.0.0", "--port", "8090",
]  # fmt: skip

VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>\w+)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|(?P<bare>\w+))"
)


def interpolate(value: object, env: dict[str, str]) -> object:
    """Compose's variable substitution on every string of the document (``$$`` is a literal ``$``)."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name = match["name"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        current = env.get(name)
        if op in (":-", "-"):
            use_default = current is None or (op == ":-" and current == "")
            return arg if use_default else current
        if op in (":?", "?"):
            if current is None or (op == ":?" and current == ""):
                raise KeyError(f"{name}: {arg}")
            return current
        if op in (":+", "+"):
            return arg if current else ""
        return current or ""

    return VARIABLE.sub(substitute, value)


def load(path: Path, env: dict[str, str] | None = None) -> dict:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return interpolate(document, env or {})


@pytest.fixture(scope="module")
def compose() -> dict:
    return load(COMPOSE)


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def mounts(service: dict) -> dict[str, str]:
    """Container path -> source, for the short volume syntax used in the file."""
    result = {}
    for volume in service.get("volumes") or []:
        source, target, *_ = volume.split(":")
        result[target] = source
    return result


# --- validity ------------------------------------------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_specification(compose, schema):
    jsonschema.validate(compose, schema)


def test_the_validator_rejects_a_broken_file(compose, schema):
    """The schema check can fail: a typo in a service key is an error."""
    broken = json.loads(json.dumps(compose))
    broken["services"]["oracle"]["helthcheck"] = broken["services"]["oracle"].pop("healthcheck")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_production_override_is_valid_and_requires_the_connections(schema):
    with pytest.raises(KeyError, match="AIRFLOW_CONN_FARM_DB"):
        load(PRODUCTION)
    env = {
        name: f'{{"conn_type": "x{name}"}}'
        for name in ("AIRFLOW_CONN_FARM_DB", "AIRFLOW_CONN_KMA_API", "AIRFLOW_CONN_KOSIS_API")
    }
    override = load(PRODUCTION, env)
    jsonschema.validate(override, schema)
    base = load(COMPOSE)
    for name, service in override["services"].items():
        assert name in base["services"]
        assert environment(service) == env


def compose_binary() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.mark.skipif(compose_binary() is None, reason="no docker compose / docker-compose binary installed")
def test_compose_config_accepts_the_files():
    env = {**os.environ, "AIRFLOW_UID": "50000"}
    base = [*compose_binary(), "--project-directory", str(ROOT), "-f", str(COMPOSE)]
    result = subprocess.run([*base, "config", "-q"], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    env.update(
        {name: "{}" for name in ("AIRFLOW_CONN_FARM_DB", "AIRFLOW_CONN_KMA_API", "AIRFLOW_CONN_KOSIS_API")}
    )
    result = subprocess.run(
        [*base, "-f", str(PRODUCTION), "config", "-q"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr


# --- the stack -------------------------------------------------------------------------------------------


def test_services(compose):
    assert set(compose["services"]) == SERVICES
    for name, command in AIRFLOW_SERVICES.items():
        if command:
            assert compose["services"][name]["command"] == command
    assert compose["services"]["airflow-cli"]["profiles"] == ["debug"]
    assert compose["services"]["flower"]["profiles"] == ["flower"]


def test_airflow_image_is_built_from_the_dockerfile_with_constraints(compose):
    images = set()
    for name in [*AIRFLOW_SERVICES, "ins-emulator"]:
        service = compose["services"][name]
        assert service["build"] == {"context": ".", "dockerfile": "docker/Dockerfile"}, name
        images.add(service["image"])
    assert len(images) == 1
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    pinned = re.search(r"^apache-airflow==(\S+)$", (ROOT / "requirements.txt").read_text(), flags=re.M)[1]
    assert re.search(rf"^FROM apache/airflow:{re.escape(pinned)}(-python3\.\d+)?$", dockerfile, flags=re.M)
    assert re.search(r"^COPY .*requirements\.txt constraints\.txt ", dockerfile, flags=re.M)
    assert re.search(
        r"pip install .*-r \S*requirements\.txt\s+\\\s+--constraint \S*constraints\.txt",
        dockerfile,
        flags=re.S,
    )
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in dockerfile.replace(
        "Do not use _PIP_ADDITIONAL_REQUIREMENTS", ""
    )
    for name, service in compose["services"].items():
        assert "_PIP_ADDITIONAL_REQUIREMENTS" not in environment(service), name
    ignore = (ROOT / "docker" / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert ignore[-3:] == ["*", "!requirements.txt", "!constraints.txt"]


def test_airflow_services_share_executor_mounts_and_pythonpath(compose):
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        env = environment(service)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith(
            "postgresql+psycopg2://airflow:airflow@postgres/"
        )
        assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://:@redis:6379/0"
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
        assert env["PYTHONPATH"] == "/opt/airflow"
        volumes = mounts(service)
        for folder in ("dags", "include", "plugins"):
            assert volumes[f"/opt/airflow/{folder}"] == f"./{folder}", (name, folder)
        assert (ROOT / "dags" / "ins_weekly_report.py").is_file()  # plugins/ may be empty (untracked)
        assert (ROOT / "include" / "__init__.py").is_file()  # import include.ins_report from /opt/airflow
    worker = compose["services"]["airflow-worker"]["depends_on"]
    assert worker["oracle"] == {"condition": "service_healthy"}
    assert worker["ins-emulator"] == {"condition": "service_healthy"}


def test_init_migrates_and_creates_the_dags_pools(compose):
    init = compose["services"]["airflow-init"]
    script = init["command"][-1]
    assert environment(init)["_AIRFLOW_DB_MIGRATE"] == "true"
    # after the migration (the first /entrypoint call), before any scheduler can queue the API tasks
    assert script.index("/entrypoint airflow version") < script.index(
        "/entrypoint python -m include.ins_report.pools --apply"
    )
    assert (ROOT / "include" / "ins_report" / "pools.py").is_file()


def test_connections_point_at_the_compose_services(compose):
    env = environment(compose["services"]["airflow-worker"])
    oracle = compose["services"]["oracle"]
    farm_db = json.loads(env["AIRFLOW_CONN_FARM_DB"])
    assert farm_db == {
        "conn_type": "oracle",
        "login": environment(oracle)["APP_USER"],
        "password": environment(oracle)["APP_USER_PASSWORD"],
        "host": "oracle",
        "port": 1521,
        "extra": {"service_name": "FREEPDB1"},
    }  # no "schema": the service name in the path would also set current_schema
    for conn, key in (("AIRFLOW_CONN_KMA_API", DEV_KMA_KEY), ("AIRFLOW_CONN_KOSIS_API", DEV_KOSIS_KEY)):
        api = json.loads(env[conn])
        assert api == {
            "conn_type": "http",
            "host": "ins-emulator",
            "port": 8090,
            "schema": "http",
            "password": key,
        }
    assert env["INS_LEGACY_JOB_GUARD"] == "fail"


def test_emulator_service(compose):
    emulator = compose["services"]["ins-emulator"]
    assert emulator["command"] == EMULATOR_COMMAND
    assert (ROOT / "devtools" / "emulator" / "__main__.py").is_file()
    assert environment(emulator)["PYTHONPATH"] == "/opt/airflow"
    assert environment(emulator)["CONNECTION_CHECK_MAX_COUNT"] == "0"
    assert mounts(emulator)["/opt/airflow/devtools"] == "./devtools"
    # The station list it serves is the one the batch maps farms with.
    assert mounts(emulator)["/opt/airflow/include/ins_report/data"] == "./include/ins_report/data"
    assert "8090" in " ".join(emulator["healthcheck"]["test"])


def test_oracle_service_is_initialised_from_the_repository(compose):
    oracle = compose["services"]["oracle"]
    assert oracle["image"].startswith("gvenzl/oracle-free:")
    volumes = mounts(oracle)
    assert volumes["/container-entrypoint-initdb.d"] == "./docker/oracle/initdb"
    assert volumes["/opt/ins/sql"] == "./include/sql/oracle"
    assert volumes["/opt/ins/seed"] == "./docker/oracle/seed"
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
    assert "ports" in oracle
    assert oracle["ports"][0].startswith("127.0.0.1:")


def test_sample_farms_seed_matches_the_csv():
    import importlib.util

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


# --- what README.md promises ----------------------------------------------------------------------


def test_docs_describe_this_stack(compose):
    docs = DOCS.read_text(encoding="utf-8")
    for name in SERVICES:
        assert f"`{name}`" in docs, name
    for path in (
        "docker/Dockerfile",
        "docker/compose.production.yaml",
        "docker/oracle/initdb",
        "include/sql/oracle/cutover/disable_legacy_job.sql",
    ):
        assert path in docs, path
        assert (ROOT / path).exists(), path
    oracle_env = environment(compose["services"]["oracle"])
    dsn = f"{oracle_env['APP_USER']}/{oracle_env['APP_USER_PASSWORD']}@localhost:1521/FREEPDB1"
    assert f"ORACLE_TEST_DSN={dsn}" in docs
    assert "docker compose up -d --build" in docs
    # Every JSON connection shown in the docs parses; the Oracle ones keep the service name in extra.
    shown = re.findall(r"AIRFLOW_CONN_\w+='(\{.*?\})'", docs)
    assert shown
    for text in shown:
        connection = json.loads(text)
        if connection["conn_type"] == "oracle":
            assert "service_name" in connection["extra"]
            assert not connection.get("schema")
