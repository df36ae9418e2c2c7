"""A real Airflow stack (API server, scheduler, DAG processor, triggerer; LocalExecutor) on loopback, with
the API emulators, a SQLite farm database and real alert receivers."""

from __future__ import annotations

import pytest

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


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    with airflow_deployment(
        tmp_path_factory.mktemp("scheduler"), OPERATIONS_SETTINGS, kma_key=KMA_KEY, kosis_key=KOSIS_KEY
    ) as deployment:
        yield deployment
