"""Test-wide set-up: Airflow's environment must be in place before anything imports airflow."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools.embedded import LOCAL_DIR, airflow_env  # noqa: E402  (no airflow import inside)

TEST_AIRFLOW_HOME = LOCAL_DIR / "test-airflow"
os.environ.update(airflow_env(TEST_AIRFLOW_HOME))

# Tiers by folder, so one can be run alone (`pytest -m scheduler`) and `make test-fast` picks the quick ones.
TIERS = {
    "dags": "dags",
    "unit": "unit",
    "e2e": "e2e",
    "scheduler": "scheduler",
    "celery": "celery",
    "browser": "browser",
    "oracle": "oracle",
}


def pytest_collection_modifyitems(config, items) -> None:
    import pytest

    for item in items:
        parts = Path(str(item.path)).relative_to(ROOT / "tests").parts
        tier = TIERS.get(parts[0]) if len(parts) > 1 else None
        if tier:
            item.add_marker(getattr(pytest.mark, tier))
