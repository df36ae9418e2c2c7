"""A real Airflow stack (API server, scheduler, DAG processor, triggerer; LocalExecutor) on loopback, with
the API emulators, a SQLite farm database and real alert receivers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from include.ins_report.localdev import connection_env, emulator_process, init_farm_db
from tests.support.airflow_stack import AirflowStack
from tests.support.deployment import DeploymentAccess
from tests.support.receivers import SmtpReceiver, WebhookReceiver

# A key with characters that change under URL encoding: the secrets test looks for every spelling.
KMA_KEY = "Kma+Test/Key=SECRET-8f3a"
KOSIS_KEY = "kosis-SECRET-5d1e"


@dataclass
class Deployment(DeploymentAccess):
    airflow: AirflowStack
    farm_db: Path
    emulator_url: str
    smtp: SmtpReceiver
    webhook: WebhookReceiver


@pytest.fixture(scope="package")
def deployment(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scheduler")
    farm_db = tmp / "farm.db"
    init_farm_db(farm_db)
    extra = ("--kma-key", KMA_KEY, "--kosis-key", KOSIS_KEY)
    with (
        SmtpReceiver() as smtp,
        WebhookReceiver() as webhook,
        emulator_process(tmp, extra_args=extra) as port,
    ):
        env = {
            **connection_env(
                farm_db,
                port,
                smtp_port=smtp.port,
                webhook_url=webhook.url,
                kma_key=KMA_KEY,
                kosis_key=KOSIS_KEY,
            ),
            "INS_TASK_RETRIES": "1",
            "INS_RETRY_DELAY_SECONDS": "15",
            "INS_HTTP_ATTEMPTS": "2",
            "INS_HTTP_BACKOFF_SECONDS": "0.1",
            "INS_PUBLICATION_POKE_SECONDS": "5",
        }
        with AirflowStack(tmp / "airflow", env) as airflow:
            yield Deployment(airflow, farm_db, f"http://127.0.0.1:{port}", smtp, webhook)
