"""`make run` on a week with gaps an operator decides on never hangs silently: it prints the question, where
to answer it (the UI, the REST call, `make answer`) and when the default applies; answered from another
shell the run goes on, and unattended it ends with the default (reject)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.support.receivers import free_port
from tests.support.waiting import wait_for

STATION = "203"


def launch(tmp_path: Path, port: int, timeout: str) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "INS_"))},
        "INS_LOCAL_DIR": str(tmp_path / "local"),
        "INS_ASK_TIMEOUT": timeout,
        "INS_PROGRESS_SECONDS": "5",
    }
    return subprocess.Popen(
        [sys.executable, "scripts/run_week.py", "--station-down", STATION, "--api-port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def decision_rows(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "local" / "farm.db") as conn:
        return conn.execute(
            "SELECT STATUS, MESSAGE FROM TS_INS_JOB_LOG WHERE STEP_NM = 'APPROVE_GAPS' ORDER BY LOG_ID"
        ).fetchall()


def test_unattended_the_question_is_printed_and_the_default_ends_the_run(tmp_path):
    process = launch(tmp_path, free_port(), "20s")
    output, _ = process.communicate(timeout=900)
    assert "DECISION NEEDED: Week " in output, output
    assert f"**{STATION} " in output  # the question's body, with the station
    assert "/tasks/approve_gaps/required_actions?map_index=-1" in output
    assert "curl -X PATCH " in output
    assert 'make answer DECISION=approve REASON="why"' in output
    assert "(INS_ASK_TIMEOUT=20s); then the default applies." in output
    assert "nobody answered in time: the default applies" in output
    assert "outcome: FAILED" in output, output
    assert process.returncode == 1, output
    ((status, message),) = decision_rows(tmp_path)
    assert status == "FAILED"
    assert "nobody answered by " in message
    assert "the default (reject) applied" in message


def test_answered_from_another_shell_the_report_is_built(tmp_path):
    port = free_port()
    process = launch(tmp_path, port, "10m")
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if "here:  make answer" in line:
                break
        # The command the screen names, against the API server make run started (it may still be starting).
        answer = [sys.executable, "scripts/answer_gaps.py", "approve", "station repair under way"]

        def answered() -> subprocess.CompletedProcess | None:
            result = subprocess.run(
                [*answer, "--url", f"http://127.0.0.1:{port}"], cwd=ROOT, capture_output=True, text=True
            )
            assert "no question waits" not in result.stderr, result.stderr
            return result if result.returncode == 0 else None  # the API server not up yet: again

        result = wait_for(answered, timeout=180, poll=2, what="make answer against make run's API server")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Approve by admin" in result.stdout
        rest, _ = process.communicate(timeout=900)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(lines) + rest
    assert "outcome: SUCCESS" in output, output
    assert process.returncode == 0, output
    ((status, message),) = decision_rows(tmp_path)
    assert status == "WARNING"
    assert message.startswith("approved by admin at ")
    assert '"station repair under way"; accepted gaps: ' in message
