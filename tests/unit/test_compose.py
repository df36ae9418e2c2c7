"""docker-compose.yaml and docker/compose.production.yaml: valid Compose, closed by default, and the stack
README.md and docs/production.md describe.

The files are rendered by Docker Compose v2 itself (``docker compose config``, tests/support/compose.py: no
Docker engine needed), with only the variables a test sets, so what is checked is what ``docker compose up``
would run. The raw file is also checked against the Compose specification's JSON schema (vendored).
"""

from __future__ import annotations

import json
import re
import subprocess

import jsonschema
import pytest
import yaml

from devtools.embedded import DEV_EKAPE_KEY, DEV_KMA_KEY, DEV_KOSIS_KEY
from include.ins_report.config.settings import Settings
from include.ins_report.sources import catalog
from tests.support.compose import (
    COMPOSE,
    PRODUCTION,
    ROOT,
    SECRETS,
    environment,
    mounts,
    published,
    render,
)

SCHEMA = ROOT / "docker" / "schema" / "compose-spec.json"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
DOCS = ROOT / "docs" / "production.md"  # the compose stack's section (moved from the README)
PRODUCTION_DOC = ROOT / "docs" / "production.md"
ENV_EXAMPLE = ROOT / ".env.example"

AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker",
    "airflow-triggerer": "triggerer",
    "airflow-init": None,
    "airflow-cli": None,
    "flower": None,  # a guard, then `celery flower` (test_flower_...)
}
SERVICES = {"postgres", "redis", "oracle", "ins-emulator", *AIRFLOW_SERVICES}
EMULATOR_COMMAND = [
    "python", "-m", "devtools.emulator",
    "--host", "0.0.0.0", "--port", "8090",
]  # fmt: skip
# The emulator's development key of each source; a new source needs its line here and in the compose file.
DEV_KEYS = {"kma": DEV_KMA_KEY, "kosis": DEV_KOSIS_KEY, "ekape": DEV_EKAPE_KEY}


def conn_variable(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


SOURCE_CONNECTIONS = {source.name: conn_variable(source.conn_id(Settings())) for source in catalog.SOURCES}
PRODUCTION_CONNECTIONS = [conn_variable(Settings().farm_db_conn_id), *SOURCE_CONNECTIONS.values()]


@pytest.fixture(scope="module")
def compose() -> dict:
    """The rendered stack, every profile on."""
    rendered = render(SECRETS, profiles=("*",))
    assert rendered.code == 0, rendered.errors
    return rendered.config


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


# --- validity ------------------------------------------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_specification(schema):
    jsonschema.validate(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")), schema)
    jsonschema.validate(yaml.safe_load(PRODUCTION.read_text(encoding="utf-8")), schema)


def test_the_validator_rejects_a_broken_file(schema):
    """The schema check can fail: a typo in a service key is an error."""
    broken = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    broken["services"]["oracle"]["helthcheck"] = broken["services"]["oracle"].pop("healthcheck")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


# --- closed by default ----------------------------------------------------------------------------------


def test_the_stack_refuses_to_start_without_each_secret():
    bare = render({})
    assert bare.code != 0
    assert bare.config is None
    for name in SECRETS:
        for value in (None, ""):  # unset or empty: both refused (`:?`)
            env = {key: item for key, item in SECRETS.items() if key != name}
            if value is not None:
                env[name] = value
            rendered = render(env)
            assert rendered.code != 0, (name, value)
            assert f"required variable {name} is missing a value" in rendered.errors, rendered.errors
            assert ".env" in rendered.errors  # the message says where to set it


def test_the_secrets_are_the_operators_everywhere(compose):
    for name in AIRFLOW_SERVICES:
        env = environment(compose["services"][name])
        assert env["AIRFLOW__CORE__FERNET_KEY"] == SECRETS["FERNET_KEY"], name
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == SECRETS["AIRFLOW__API_AUTH__JWT_SECRET"], name
    init = environment(compose["services"]["airflow-init"])
    assert init["_AIRFLOW_WWW_USER_PASSWORD"] == SECRETS["_AIRFLOW_WWW_USER_PASSWORD"]
    assert init["_AIRFLOW_WWW_USER_USERNAME"] == "airflow"
    text = json.dumps(compose)
    for shipped in ("airflow_jwt_secret", '"_AIRFLOW_WWW_USER_PASSWORD": "airflow"'):
        assert shipped not in text


def test_ports_are_on_loopback_unless_the_operator_opts_in(compose):
    ports = {name: published(service) for name, service in compose["services"].items()}
    assert ports["airflow-apiserver"] == {8080: ("127.0.0.1", "8080")}
    assert ports["flower"] == {5555: ("127.0.0.1", "5555")}
    for name, service_ports in ports.items():
        for target, (address, _) in service_ports.items():
            assert address == "127.0.0.1", (name, target)
    opened = render({**SECRETS, "INS_BIND_ADDRESS": "0.0.0.0"}, profiles=("*",))
    assert opened.code == 0, opened.errors
    services = opened.config["services"]
    assert published(services["airflow-apiserver"]) == {8080: ("0.0.0.0", "8080")}
    assert published(services["flower"]) == {5555: ("0.0.0.0", "5555")}
    assert published(services["oracle"])[1521][0] == "127.0.0.1"  # development services stay on loopback
    assert published(services["ins-emulator"])[8090][0] == "127.0.0.1"


def test_flower_is_off_by_default_and_refuses_to_run_without_basic_auth(compose, tmp_path):
    default = render(SECRETS)
    assert default.code == 0, default.errors
    assert "flower" not in default.config["services"]
    flower = compose["services"]["flower"]
    assert flower["profiles"] == ["flower"]
    assert environment(flower)["AIRFLOW__CELERY__FLOWER_BASIC_AUTH"] == ""
    assert flower["entrypoint"] == ["/bin/bash"]
    flag, script = flower["command"]
    assert flag == "-c"
    script = script.replace("$$", "$")  # `config` re-escapes `$`; the container gets it unescaped
    assert script.rstrip().endswith("exec /entrypoint celery flower")

    def start(basic_auth: str) -> subprocess.CompletedProcess:  # the container's command, here
        return subprocess.run(
            ["bash", "-c", script],
            env={"PATH": "/usr/bin:/bin", "AIRFLOW__CELERY__FLOWER_BASIC_AUTH": basic_auth},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )

    refused = start("")
    assert refused.returncode == 1, refused
    assert "INS_FLOWER_BASIC_AUTH" in refused.stderr, refused
    passed = start("ops:secret")  # past the guard: it would exec the image's /entrypoint (absent here)
    assert passed.returncode == 127, passed
    assert "/entrypoint" in passed.stderr, passed
    with_auth = render({**SECRETS, "INS_FLOWER_BASIC_AUTH": "ops:secret"}, profiles=("flower",))
    assert with_auth.code == 0, with_auth.errors
    flower = with_auth.config["services"]["flower"]
    assert environment(flower)["AIRFLOW__CELERY__FLOWER_BASIC_AUTH"] == "ops:secret"
    assert "--user" in " ".join(flower["healthcheck"]["test"])  # its health check logs in


def test_every_source_has_its_connection_to_the_emulator(compose):
    assert set(SOURCE_CONNECTIONS) == set(DEV_KEYS), "a new source: its dev key and compose connection"
    oracle = environment(compose["services"]["oracle"])
    for name in AIRFLOW_SERVICES:
        env = environment(compose["services"][name])
        assert json.loads(env["AIRFLOW_CONN_FARM_DB"]) == {
            "conn_type": "oracle",
            "login": oracle["APP_USER"],
            "password": oracle["APP_USER_PASSWORD"],
            "host": "oracle",
            "port": 1521,
            "extra": {"service_name": "FREEPDB1"},
        }, name  # no "schema": the service name in the path would also set current_schema
        for source, variable in SOURCE_CONNECTIONS.items():
            assert json.loads(env[variable]) == {
                "conn_type": "http",
                "host": "ins-emulator",
                "port": 8090,
                "schema": "http",
                "password": DEV_KEYS[source],
            }, (name, variable)
        assert env["INS_LEGACY_JOB_GUARD"] == "fail"


def test_production_override_requires_every_sources_connection(compose):
    assert "AIRFLOW_CONN_EKAPE_API" in PRODUCTION_CONNECTIONS
    real = {
        name: json.dumps({"conn_type": "http", "host": f"{name.lower()}.example"})
        for name in PRODUCTION_CONNECTIONS
    }
    for missing in PRODUCTION_CONNECTIONS:
        env = {**SECRETS, **{key: value for key, value in real.items() if key != missing}}
        rendered = render(env, COMPOSE, PRODUCTION)
        assert rendered.code != 0, missing
        assert f"required variable {missing} is missing a value" in rendered.errors, rendered.errors
    without_secret = {key: value for key, value in SECRETS.items() if key != "AIRFLOW__API_AUTH__JWT_SECRET"}
    assert render({**without_secret, **real}, COMPOSE, PRODUCTION).code != 0  # the base's secrets still hold
    rendered = render({**SECRETS, **real}, COMPOSE, PRODUCTION, profiles=("*",))
    assert rendered.code == 0, rendered.errors
    override = yaml.safe_load(PRODUCTION.read_text(encoding="utf-8"))["services"]
    # Every service that parses the DAG, runs or serves its tasks (not airflow-init, not Flower).
    assert set(override) == set(AIRFLOW_SERVICES) - {"airflow-init", "flower"}
    for name in override:
        env = environment(rendered.config["services"][name])
        assert {key: env[key] for key in real} == real, name
    assert published(rendered.config["services"]["airflow-apiserver"]) == {8080: ("127.0.0.1", "8080")}


def test_the_documented_one_liner_makes_secrets_the_stack_accepts(tmp_path):
    from cryptography.fernet import Fernet

    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#   printf 'FERNET_KEY="))
    command_lines = []
    for line in lines[start:]:
        command_lines.append(line.removeprefix("#   "))
        if not line.endswith("\\"):
            break
    command = "\n".join(command_lines)
    assert command.endswith(">> .env")
    docs = PRODUCTION_DOC.read_text(encoding="utf-8")
    assert "\n".join(line.strip() for line in command_lines) in "\n".join(
        line.strip() for line in docs.splitlines()
    ), "docs/production.md shows the same lines as .env.example"
    subprocess.run(["bash", "-c", command], cwd=tmp_path, check=True, timeout=60)
    made = dict(line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines())
    assert set(made) == set(SECRETS)
    Fernet(made["FERNET_KEY"].encode())  # a valid Fernet key, or this raises
    assert len(made["AIRFLOW__API_AUTH__JWT_SECRET"]) >= 43  # 32 random bytes
    assert len(set(made.values())) == 3
    rendered = render(made)
    assert rendered.code == 0, rendered.errors
    env = environment(rendered.config["services"]["airflow-apiserver"])
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == made["AIRFLOW__API_AUTH__JWT_SECRET"]


# --- the stack -------------------------------------------------------------------------------------------


def test_services(compose):
    assert set(compose["services"]) == SERVICES
    for name, command in AIRFLOW_SERVICES.items():
        if command:
            assert " ".join(compose["services"][name]["command"]) == command
    assert compose["services"]["airflow-cli"]["profiles"] == ["debug"]


def test_airflow_image_is_built_from_the_dockerfile_with_constraints(compose):
    images = set()
    for name in [*AIRFLOW_SERVICES, "ins-emulator"]:
        service = compose["services"][name]
        assert service["build"]["context"] == str(ROOT), name
        assert service["build"]["dockerfile"] == "docker/Dockerfile", name
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
        for folder in ("dags", "include", "plugins", "config"):
            assert volumes[f"/opt/airflow/{folder}"] == str(ROOT / folder), (name, folder)
        assert env["PYTHONPYCACHEPREFIX"]  # the mounts are read-only: bytecode goes there
        assert env["PYTHONDONTWRITEBYTECODE"] == ""
        assert (ROOT / "dags" / "ins_weekly_report.py").is_file()  # plugins/ may be empty (untracked)
        assert (ROOT / "include" / "__init__.py").is_file()  # import include.ins_report from /opt/airflow
    worker = compose["services"]["airflow-worker"]["depends_on"]
    assert worker["oracle"]["condition"] == "service_healthy"
    assert worker["ins-emulator"]["condition"] == "service_healthy"


def test_init_migrates_and_creates_the_dags_pools(compose):
    init = compose["services"]["airflow-init"]
    script = init["command"][-1]
    assert environment(init)["_AIRFLOW_DB_MIGRATE"] == "true"
    # after the migration (the first /entrypoint call), before any scheduler can queue the API tasks
    assert script.index("/entrypoint airflow version") < script.index(
        "/entrypoint python -m include.ins_report.airflow_edge.pools --apply"
    )
    assert (ROOT / "include" / "ins_report" / "airflow_edge" / "pools.py").is_file()


def test_emulator_service(compose):
    emulator = compose["services"]["ins-emulator"]
    assert emulator["command"] == EMULATOR_COMMAND
    assert (ROOT / "devtools" / "emulator" / "__main__.py").is_file()
    assert environment(emulator)["PYTHONPATH"] == "/opt/airflow"
    assert environment(emulator)["CONNECTION_CHECK_MAX_COUNT"] == "0"
    assert mounts(emulator)["/opt/airflow/devtools"] == str(ROOT / "devtools")
    # The station list it serves is the one the batch maps farms with.
    assert mounts(emulator)["/opt/airflow/include/ins_report/data"] == str(ROOT / "include/ins_report/data")
    assert "8090" in " ".join(emulator["healthcheck"]["test"])


# --- what README.md promises ----------------------------------------------------------------------


def test_docs_describe_this_stack(compose):
    docs = DOCS.read_text(encoding="utf-8")
    for name in SERVICES:
        assert f"`{name}`" in docs, name
    for path in (
        "docker/Dockerfile",
        "docker/compose.production.yaml",
        "docker/oracle/initdb",
        "docs/production.md",
        "include/sql/oracle/cutover/disable_legacy_job.sql",
    ):
        assert path in docs, path
        assert (ROOT / path).exists(), path
    oracle_env = environment(compose["services"]["oracle"])
    dsn = f"{oracle_env['APP_USER']}/{oracle_env['APP_USER_PASSWORD']}@localhost:1521/FREEPDB1"
    assert f"ORACLE_TEST_DSN={dsn}" in docs
    assert "docker compose up -d --build" in docs
    assert "airflow` / `airflow`" not in docs  # no default UI password any more
    # Every JSON connection shown in the docs parses; the Oracle ones keep the service name in extra.
    shown = re.findall(r"AIRFLOW_CONN_\w+='(\{.*?\})'", docs)
    assert shown
    for text in shown:
        connection = json.loads(text)
        if connection["conn_type"] == "oracle":
            assert "service_name" in connection["extra"]
            assert not connection.get("schema")
    production = PRODUCTION_DOC.read_text(encoding="utf-8")
    for name in [*SECRETS, "INS_BIND_ADDRESS", "INS_FLOWER_BASIC_AUTH", *PRODUCTION_CONNECTIONS]:
        assert f"`{name}" in production, name
