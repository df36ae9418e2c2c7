"""End-to-end fixtures: a fresh Airflow metadata database, the API emulators as their own process, a farm
database, and real SMTP and webhook receivers for the alerts. Runs go through Airflow's ``dag.test()``."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from include.ins_report.farms import classify_farms
from include.ins_report.localdev import SAMPLE_FARMS, connection_env, emulator_process, init_farm_db
from include.ins_report.settings import DAG_ID
from tests.conftest import ROOT
from tests.support.deployment import DeploymentAccess
from tests.support.receivers import SmtpReceiver, WebhookReceiver

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


@dataclass
class Stack(DeploymentAccess):
    farm_db: Path
    emulator_url: str
    smtp: SmtpReceiver
    webhook: WebhookReceiver

    def run_week(self, week: str):
        """One DAG run through Airflow for ``week``; returns the DagRun."""
        from airflow.dag_processing.dagbag import DagBag

        dag = DagBag(dag_folder=str(ROOT / "dags")).dags[DAG_ID]
        return dag.test(run_conf={"week": week})


@pytest.fixture(scope="session")
def metadata_db():
    from airflow.utils.db import resetdb

    resetdb()


@pytest.fixture(scope="session")
def valid_farm_nos() -> list[str]:
    with SAMPLE_FARMS.open(encoding="utf-8") as handle:
        rows = [(r["farm_no"], r["farm_nm"], r["lat"], r["lon"], r["use_yn"]) for r in csv.DictReader(handle)]
    return [farm.farm_no for farm in classify_farms(rows).valid]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, metadata_db):
    tmp = tmp_path_factory.mktemp("e2e")
    farm_db = tmp / "farm.db"
    init_farm_db(farm_db)
    with SmtpReceiver() as smtp, WebhookReceiver() as webhook, emulator_process(tmp) as port:
        env = {
            **connection_env(farm_db, port, smtp_port=smtp.port, webhook_url=webhook.url),
            **TEST_SETTINGS,
        }
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            yield Stack(farm_db, f"http://127.0.0.1:{port}", smtp, webhook)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
