"""Test-wide set-up: Airflow's environment must be in place before anything imports airflow."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from include.ins_report.localdev import LOCAL_DIR, airflow_env  # noqa: E402  (no airflow import inside)

TEST_AIRFLOW_HOME = LOCAL_DIR / "test-airflow"
os.environ.update(airflow_env(TEST_AIRFLOW_HOME))
