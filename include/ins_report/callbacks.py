"""Airflow callbacks: job-log rows for failed and retried tasks, and the admins' failure alert.

Task callbacks run in the task's process (or in the dag-processor when a task died without reporting);
the DAG failure callback runs in the dag-processor. None of them may raise: a broken channel is logged and
the others still go out.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import pendulum

from include.ins_report.alerts import Alert, send_alert
from include.ins_report.secrets import api_secrets, redact
from include.ins_report.settings import DAG_ID, TIMEZONE, Settings
from include.ins_report.steps import report_week_of, step_name
from include.ins_report.warehouse import Warehouse
from include.ins_report.week import ReportWeek

log = logging.getLogger(__name__)

FINISH_STEP = "FINISH_JOB"
# Steps that write the farm database, and the table they write.
WRITES = {
    "COLLECT_KOSIS_SERIES": "TA_STATS_DATA",
    "COLLECT_STATION_WEATHER": "TM_WEATHER",
    "RUN_WEEKLY_REPORT": "TR_INS_WEEK_REPORT",
}


def _week_of(context: dict) -> ReportWeek | None:
    try:
        return report_week_of(context)
    except (ValueError, TypeError):
        return None


def _week_key(context: dict) -> str:
    week = _week_of(context)
    if week:
        return week.start.strftime("%Y%m%d")
    return str((context.get("params") or {}).get("week") or "UNKNOWN")[:32]


def _record(context: dict, status: str) -> None:
    try:
        settings = Settings.from_env()
        ti = context["ti"]
        label = getattr(ti, "rendered_map_index", None) or (str(ti.map_index) if ti.map_index >= 0 else "")
        error = context.get("exception")
        message = f"{label}: " if label else ""
        message += f"{type(error).__name__}: {error}" if error else "failed without an exception (killed?)"
        message += f" (task {ti.task_id}, try {ti.try_number})"
        started = getattr(ti, "start_date", None)
        Warehouse(settings.farm_db_conn_id).log_step(
            run_id=context["run_id"],
            report_week=_week_key(context),
            step=step_name(ti.task_id),
            status=status,
            started_at=pendulum.instance(started).in_timezone(TIMEZONE).strftime("%Y-%m-%d %H:%M:%S")
            if started
            else None,
            message=redact(message, api_secrets(settings)),
        )
    except Exception:
        log.exception("could not write the %s row to TS_INS_JOB_LOG", status)


def record_task_failure(context: dict) -> None:
    _record(context, "FAILED")


def record_task_retry(context: dict) -> None:
    _record(context, "RETRY")


# --- the admins' alert --------------------------------------------------------------------------------


def run_url(settings: Settings, run_id: str) -> str:
    return f"{settings.airflow_base_url}/dags/{DAG_ID}/runs/{quote(run_id, safe='')}"


def build_failure_alert(context: dict, settings: Settings) -> Alert:
    run_id = str(context.get("run_id"))
    week = _week_of(context)
    week_text = week.label() if week else _week_key(context)
    try:
        log_rows = Warehouse(settings.farm_db_conn_id).job_log(run_id)
    except Exception as exc:
        log.warning("job log unavailable for the alert: %s", exc)
        log_rows = []
    # The job log is the one record of what failed that exists wherever the callback runs (dag-processor,
    # dag.test): every failed task's callback appended its row there.
    failures = [row for row in log_rows if row["status"] == "FAILED" and row["step"] != FINISH_STEP]
    failed_steps = list(dict.fromkeys(row["step"] for row in failures))
    errors = [f"{row['step']}: {row['message']}" for row in failures]
    written_rows: dict[str, int] = {}
    for row in log_rows:
        table = WRITES.get(row["step"])
        if table and row["status"] == "SUCCESS" and row["row_count"] is not None:
            written_rows[table] = written_rows.get(table, 0) + int(row["row_count"])
    written = [f"{table}: {count} rows (upserted, kept)" for table, count in written_rows.items()]
    url = run_url(settings, run_id)
    lines = [
        f"The weekly INS report batch failed for week {week_text}.",
        "The report procedure was not run for this week unless RUN_WEEKLY_REPORT is listed as failed.",
        "",
        f"Run:   {run_id}",
        f"Link:  {url}",
        f"Reason: {context.get('reason') or 'task failure'}",
        "",
        "Failed steps (TS_INS_JOB_LOG):",
        *([f"  - {error}" for error in errors] or ["  (none recorded: see the run in the UI)"]),
        "",
        "Already written for this run:",
        *([f"  - {item}" for item in written] or ["  (nothing)"]),
        "",
        "Next: fix the cause, then in the UI clear the failed task with 'Downstream' ticked;",
        "re-running is safe (every write is an upsert, the report replaces its week).",
    ]
    secrets = api_secrets(settings)
    text = redact("\n".join(lines), secrets)
    payload = {
        "event": "ins_weekly_report_failed",
        "dag_id": DAG_ID,
        "run_id": run_id,
        "week_start": week.start.isoformat() if week else None,
        "week_end": week.end.isoformat() if week else None,
        "failed_steps": failed_steps,
        "errors": [redact(error, secrets) for error in errors],
        "url": url,
        "text": text,
    }
    return Alert(
        subject=f"[INS weekly report] FAILED week {week_text} ({run_id})", text=text, payload=payload
    )


def notify_admins(context: dict) -> None:
    """DAG-level on_failure_callback."""
    try:
        settings = Settings.from_env()
        send_alert(build_failure_alert(context, settings), settings)
    except Exception:
        log.exception("the failure alert could not be built")
