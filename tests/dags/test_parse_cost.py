"""Every task process parses the DAG file before it runs (Airflow 3's task runner), so what the file imports
is paid once per task instance: about 100 a week. The http provider's hook pulls in aiohttp (about 0.3 s of a
0.7 s parse on a 2-core machine), the smtp provider's aiosmtplib and the holiday calendars cost less but every
task; each is imported where it is used, not by the DAG file. And the project's modules are read from their
compiled bytecode, not compiled again in each task process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from devtools.embedded import airflow_env
from tests.conftest import ROOT

# Imported only by the tasks that use them (inside the functions that call them).
NOT_AT_PARSE = (
    "aiohttp",
    "airflow.providers.http.hooks.http",
    "aiosmtplib",
    "airflow.providers.smtp.hooks.smtp",
    "holidays",
    "slack_sdk",
    "matplotlib",
)

PROBE = """
import json, runpy, sys
import airflow.sdk.execution_time.task_runner  # what the worker process has loaded before it parses
runpy.run_path("dags/ins_weekly_report.py")
print(json.dumps(sorted(sys.modules)))
"""


def test_parsing_the_dag_file_imports_no_library_only_some_tasks_use():
    # Without config/ on the path: the DAG file's own imports, whatever a deployment preloads.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "include.ins_report.airflow_edge.connections" in loaded  # the probe parsed the real DAG
    assert "include.ins_report.alerts.channels" in loaded
    assert sorted(name for name in NOT_AT_PARSE if name in loaded) == []


def test_airflow_processes_write_bytecode_even_where_the_shell_says_not(tmp_path):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **airflow_env(tmp_path)}
    flag = subprocess.run(
        [sys.executable, "-c", "import sys; print(sys.flags.dont_write_bytecode)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert flag.stdout.strip() == "0", flag.stderr


PRELOAD_PROBE = """
import json, sys
import airflow  # what every Airflow process does first: it imports the local settings
import airflow_local_settings
print(json.dumps({"preloaded": airflow_local_settings.PRELOADED, "loaded": sorted(sys.modules)}))
"""


def test_every_airflow_process_of_the_embedded_default_preloads_the_providers_tasks_import(tmp_path):
    env = {**os.environ, **airflow_env(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", PRELOAD_PROBE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert "airflow.providers.http.hooks.http" in found["preloaded"]
    assert sorted(set(found["preloaded"]) - set(found["loaded"])) == []
    assert "aiohttp" in found["loaded"]  # the cost the preload takes out of each API task
