"""End-to-end fixtures: a fresh Airflow metadata database, the API emulators as their own process, a farm
database, and real SMTP and webhook receivers for the alerts. Runs go through Airflow's ``dag.test()``."""

from __future__ import annotations

import pytest

from devtools.embedded import sample_farms
from include.ins_report.model.farms import classify_farms
from tests.support.deployment import local_services

# Fail fast in tests: API retries are short, task retries off (their policy is tested separately).
TEST_SETTINGS = {
    "INS_TASK_RETRIES": "0",
    "INS_HTTP_ATTEMPTS": "2",
    "INS_HTTP_BACKOFF_SECONDS": "0.05",
    "INS_HTTP_TIMEOUT_SECONDS": "10",
    "INS_ALERT_EMAILS": "ops@example.com,farm-admin@example.com",
    # dag.test() of a DAG with a deadline alert fails when the run succeeds (Airflow 3.3.2 looks the
    # alert up by id in a DAG that holds its definition): the deadline is proven on the real stack.
    "INS_REPORT_DEADLINE": "off",
}


@pytest.fixture(scope="session")
def metadata_db():
    from airflow.utils.db import resetdb

    resetdb()


@pytest.fixture(scope="session")
def valid_farm_nos() -> list[str]:
    return [farm.farm_no for farm in classify_farms(sample_farms()).valid]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, metadata_db):
    """The tier's deployment (tests/support/deployment.py) without an Airflow stack: its runs go through
    ``dag.test()`` in this process (``Deployment.run_week``), with these settings."""
    with (
        local_services(tmp_path_factory.mktemp("e2e")) as stack,
        pytest.MonkeyPatch.context() as env,
    ):
        for key, value in {**stack.env, **TEST_SETTINGS}.items():
            env.setenv(key, value)
        yield stack
