"""``[core] hostname_callable`` for test workers: the worker's name (INS_WORKER_NAME), so two Celery workers
on one machine are told apart in TaskInstance.hostname. Falls back to Airflow's own FQDN lookup."""

from __future__ import annotations

import os


def worker_hostname() -> str:
    name = os.environ.get("INS_WORKER_NAME", "").strip()
    if name:
        return name
    from airflow.utils.net import getfqdn

    return getfqdn()
