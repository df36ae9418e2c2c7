"""The one way the tests parse a DAGs folder: the session ``dagbag`` fixture (tests/conftest.py) for the
product's DAG as configured by default, and ``parse_dags`` for a parse under other settings (the DAG reads
its INS_* settings at parse time, so such a parse cannot share the session's)."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

from devtools.embedded import ROOT

DAGS_FOLDER = ROOT / "dags"


def parse_dags(folder: Path = DAGS_FOLDER, env: dict[str, str] | None = None):
    """A fresh DagBag of ``folder``, parsed with ``env`` added to the process environment."""
    from airflow.dag_processing.dagbag import DagBag

    with mock.patch.dict("os.environ", env or {}):
        return DagBag(dag_folder=str(folder))
