"""The embedded default's part of the questions on a week's gaps (`make run`).

`airflow dags test` runs the DAG without a scheduler: it waits for an answer to a task in AWAITING_INPUT but
never applies the timeout's default, and nothing serves the UI or the REST API to answer it. So `make run`
reads the waiting questions from the metadata database (``waiting``), starts an API server to answer them,
and, once a question's time is up, runs the scheduler's own timeout sweep (``apply_timeouts``: Airflow's
``SchedulerJobRunner.check_awaiting_input_timeouts``, the code the production scheduler runs), so an
unattended run still ends, with the default.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from include.ins_report.config.settings import DAG_ID

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Question:
    run_id: str
    task_id: str
    subject: str
    body: str
    answer_by: dt.datetime | None  # UTC


def _utc(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    moment = dt.datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def waiting(airflow_db: Path) -> list[Question]:
    """The DAG's task instances awaiting an answer (read-only, from the SQLite metadata database)."""
    if not airflow_db.exists():
        return []
    with sqlite3.connect(f"file:{airflow_db}?mode=ro", uri=True, timeout=10) as conn:
        try:
            rows = conn.execute(
                "SELECT ti.run_id, ti.task_id, h.subject, h.body, ti.trigger_timeout "
                "FROM task_instance ti JOIN hitl_detail h ON h.ti_id = ti.id "
                "WHERE ti.dag_id = ? AND ti.state = 'awaiting_input' AND h.responded_at IS NULL",
                (DAG_ID,),
            ).fetchall()
        except sqlite3.OperationalError:  # not migrated yet, or busy: asked again at the next poll
            return []
    return [
        Question(run, task, subject, body or "", _utc(timeout)) for run, task, subject, body, timeout in rows
    ]


def apply_timeouts(env: dict[str, str]) -> None:
    """The scheduler's timeout sweep, once, in a process of its own (it imports the scheduler)."""
    subprocess.run(
        [sys.executable, "-m", "devtools.hitl", "sweep"], env=env, cwd=ROOT, check=False, capture_output=True
    )


def _sweep() -> None:
    from airflow.jobs.job import Job
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner

    SchedulerJobRunner(job=Job(), executors=[]).check_awaiting_input_timeouts()


if __name__ == "__main__" and sys.argv[1:] == ["sweep"]:
    _sweep()
