"""Airflow's local settings (imported by every Airflow process when it starts): the provider modules that
nearly every task process of this DAG imports, loaded once in the long-lived parents instead.

Each task runs in a process forked from its executor's worker (LocalExecutor, Celery), which Airflow forks
from the scheduler or the Celery worker after this module was imported: what is imported here is already in
every task process, for free. The http provider's hook module alone imports aiohttp, whose import builds
two TLS contexts; measured at 30 % of a weather task's CPU (about 0.35 s on 2 cores), in ~95 tasks a week.

Third-party modules only: the project's own (include/) are imported by each task process, so an edit, a
new DAG version, reaches the next task without restarting anything.

On sys.path: Airflow adds $AIRFLOW_HOME/config (docker-compose.yaml mounts this folder there); the embedded
default's PYTHONPATH names this folder (devtools/embedded.py).
"""

from __future__ import annotations

import importlib

PRELOADED = (
    "airflow.providers.http.hooks.http",  # the API tasks' HttpHook (and aiohttp, requests)
    "airflow.providers.common.sql.hooks.sql",  # the farm database's hooks (sqlite, oracle) build on it
    "airflow.providers.standard.decorators.python",  # @task, in the parse of every task process
)

for _module in PRELOADED:
    importlib.import_module(_module)
