"""A real Airflow stack (API server, scheduler, DAG processor, triggerer; LocalExecutor) on loopback, with
the API emulators, a SQLite farm database and real alert receivers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from include.ins_report.config.settings import DAG_ID
from tests.conftest import ROOT
from tests.support.deployment import airflow_deployment

# A key with characters that change under URL encoding: the secrets test looks for every spelling.
KMA_KEY = "Kma+Test/Key=SECRET-8f3a"
KOSIS_KEY = "kosis-SECRET-5d1e"

OPERATIONS_SETTINGS = {
    "INS_TASK_RETRIES": "1",
    "INS_RETRY_DELAY_SECONDS": "15",
    "INS_HTTP_ATTEMPTS": "2",
    "INS_HTTP_BACKOFF_SECONDS": "0.1",
    "INS_PUBLICATION_POKE_SECONDS": "5",
}


DOWNSTREAM_DAG = "ins_report_downstream"


def dags_folder(tmp: Path, *test_dags: str) -> Path:
    """A DAGs folder of the production DAG and these DAGs of tests/scheduler/dags/."""
    dags = tmp / "dags"
    dags.mkdir()
    shutil.copy(ROOT / "dags" / "ins_weekly_report.py", dags)
    for name in test_dags:
        shutil.copy(Path(__file__).with_name("dags") / f"{name}.py", dags)
    return dags


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scheduler")
    # The production DAG and a downstream team's DAG scheduled on the report's asset, in one DAGs folder.
    dags = dags_folder(tmp, DOWNSTREAM_DAG)
    settings = {**OPERATIONS_SETTINGS, "AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
    with airflow_deployment(
        tmp, settings, kma_key=KMA_KEY, kosis_key=KOSIS_KEY, dag_ids=(DAG_ID, DOWNSTREAM_DAG)
    ) as deployment:
        deployment.airflow.unpause(DOWNSTREAM_DAG)
        yield deployment
