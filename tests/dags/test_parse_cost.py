"""Every task process parses the DAG file before it runs (Airflow 3's task runner), so what the file imports
is paid once per task instance: about 100 a week. The http provider's hook pulls in aiohttp (about 0.3 s of a
0.7 s parse on a 2-core machine); it is imported where an HTTP call is made, not by the DAG file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

# Imported only by the tasks that use them (inside the functions that call them).
NOT_AT_PARSE = ("aiohttp", "airflow.providers.http.hooks.http", "slack_sdk", "matplotlib")

PROBE = """
import json, runpy, sys
import airflow.sdk.execution_time.task_runner  # what the worker process has loaded before it parses
runpy.run_path("dags/ins_weekly_report.py")
print(json.dumps(sorted(sys.modules)))
"""


def test_parsing_the_dag_file_imports_no_http_client_library():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=os.environ, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "include.ins_report.airflow_edge.connections" in loaded  # the probe parsed the real DAG
    assert "include.ins_report.alerts.channels" in loaded
    assert sorted(name for name in NOT_AT_PARSE if name in loaded) == []
