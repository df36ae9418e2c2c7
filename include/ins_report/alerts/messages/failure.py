"""The failure alert: what failed in the run (from its job log, or from the failed task itself when the job
log could not take the row), what the run had already written, and what to do next."""

from __future__ import annotations

from include.ins_report import joblog
from include.ins_report.airflow_edge.context import RunFacts
from include.ins_report.alerts.messages.alert import Alert, payload_head, run_url, task_url
from include.ins_report.config.settings import DAG_ID, Settings
from include.ins_report.joblog import STEPS, RunLog, step_title
from include.ins_report.model.week import ReportWeek
from include.ins_report.store.oracle_errors import ACCESS, error_kind, oracle_code, oracle_hint

MAX_FARMS_LISTED = 30


def trigger_week_hint(week: ReportWeek | None) -> list[str]:
    if not week:
        return []
    monday = week.start.isoformat()
    trigger = week.trigger_time.isoformat(timespec="minutes")
    return [
        f"To run the week again later: clear this run, or Trigger with week = {monday} "
        f'(`airflow dags trigger {DAG_ID} -c \'{{"week": "{monday}"}}\'`). Weeks missed altogether: '
        f"`airflow backfill create --dag-id {DAG_ID} --from-date {trigger} "
        "--to-date <last Monday 02:00+09:00> --max-active-runs 1` (the bounds are trigger times, the Monday "
        "after each week, 02:00 KST).",
    ]


def next_action(row: joblog.LogRow, labels: list[str], conn_id: str = "farm_db") -> str:
    """What to do about a failed step; ``labels``: the failed weather stations (all of them, one action);
    ``conn_id``: the farm database's connection, named in an Oracle error's hint."""
    title = f"“{step_title(row.step)}”"
    code = oracle_code(row.failure.error) if row.failure else None
    quoted = ", ".join(f"“{label}”" for label in labels)
    step = STEPS.get(row.step) or joblog.step_for_task(row.step)
    return step.next_action.format(
        title=title,
        clear=f"then in the Grid clear {title} with “Downstream” ticked",
        stations=(f"station {quoted}" if len(labels) == 1 else f"stations {quoted}") if labels else "station",
        instances="each of these instances" if len(labels) > 1 else "the instance",
        cause=f" with {code} ({oracle_hint(code, conn_id)})" if code else "",
    )


def build_failure_alert(run: RunFacts, run_log: RunLog, settings: Settings, job_log_error: str = "") -> Alert:
    """The alert for a failed run, from its job log (``job_log_error``: why it could not be read)."""
    run_id, week = run.run_id, run.week
    week_text = week.label() if week else run.week_key
    failures = run_log.failures()
    logged = {(row.failure.task_id, row.failure.map_index) for row in failures if row.failure}
    kept = [(d, why) for d, why in run.kept_failures if (d.task_id, d.map_index) not in logged]
    failures += [_kept_row(detail) for detail, _ in kept]
    unwritten = sorted({why for _, why in kept if why} | ({job_log_error} if job_log_error else set()))
    url = run_url(settings, run_id)

    failed_lines: list[str] = []
    structured: list[dict] = []
    for row in failures:
        detail = row.failure
        task_id = detail.task_id if detail else (STEPS[row.step].task_id if row.step in STEPS else row.step)
        map_index = detail.map_index if detail else -1
        code = oracle_code(detail.error) if detail else None
        link = task_url(settings, run_id, task_id, map_index)
        title = step_title(row.step) + (f": {detail.label}" if detail and detail.label else "")
        failed_lines.append(f"  - {title}")
        if detail and detail.farms:
            farms = list(detail.farms[:MAX_FARMS_LISTED])
            more = len(detail.farms) - len(farms)
            failed_lines.append(f"      farms: {', '.join(farms)}" + (f" … and {more} more" if more else ""))
        failed_lines.append(f"      error: {detail.error if detail else row.message}")
        if code:
            failed_lines.append(f"      Oracle error {code}: {oracle_hint(code, settings.farm_db_conn_id)}")
        # Credentials or privileges: the connection to fix, by its conn id (not retried: oracle_errors).
        connection = settings.farm_db_conn_id if detail and error_kind(detail.error) == ACCESS else None
        if detail and detail.try_number:
            tries = f"try {detail.try_number}" + (f" of {detail.tries}" if detail.tries else "")
            failed_lines.append(f"      {tries}, failed at {row.ended_at} KST")
        failed_lines.append(f"      {link}")
        structured.append(
            {
                "step": row.step,
                "title": step_title(row.step),
                "task_id": task_id,
                "map_index": map_index,
                "label": detail.label if detail else "",
                "farms": list(detail.farms) if detail else [],
                "error_class": detail.error_class if detail else "",
                "error": detail.error if detail else row.message,
                "oracle_code": code,
                "connection": connection,
                "try_number": detail.try_number if detail else None,
                "tries": detail.tries if detail else None,
                "failed_at": row.ended_at,
                "url": link,
            }
        )

    written = run_log.written()
    planned = run_log.planned_locations()
    written_lines = []
    for table, item in written.items():
        part = ""
        if table == "TM_WEATHER":
            part = f" from {item['parts']}" + (f" of {planned}" if planned else "") + " weather locations"
        written_lines.append(f"  - {table}: {item['rows']} rows{part} (kept; a re-run upserts them)")
    report_failed = any(row.step == "RUN_WEEKLY_REPORT" for row in failures)
    if "TR_INS_WEEK_REPORT" not in written:
        written_lines.append(
            "  - TR_INS_WEEK_REPORT: not rebuilt for this week "
            + ("(the procedure failed)" if report_failed else "(the procedure did not run)")
        )

    stations = [row.failure.label for row in failures if row.step == joblog.MAPPED_STEP and row.failure]
    actions = [next_action(row, stations, settings.farm_db_conn_id) for row in failures] or [
        f"No failed step was recorded (reason: {run.reason or 'unknown'}): open the run in the "
        "UI; a run that timed out or was marked failed by hand has its tasks' states there."
    ]
    if unwritten:
        actions.insert(
            0,
            "The job log (TS_INS_JOB_LOG) could not be written or read: check the farm_db "
            "database first; the failures above come from the failed tasks themselves.",
        )
    actions = list(dict.fromkeys(actions))
    actions.append("Re-running is safe: weather and statistics are upserts and the report replaces its week.")
    actions += trigger_week_hint(week)

    lines = [
        f"The weekly INS report batch FAILED for week {week_text}.",
        "The report procedure "
        + (
            "failed."
            if report_failed
            else "did not run: the previous content of the week's report is unchanged."
        ),
        "",
        f"Run:    {run_id}",
        f"Link:   {url}",
        f"Reason: {run.reason or 'task failure'}",
        *(f"Job log: could not be written or read ({why})" for why in unwritten),
        "",
        "What failed (TS_INS_JOB_LOG)" + (" and the failed tasks" if kept else "") + ":",
        *(failed_lines or ["  (no failed step recorded: see the run in the UI)"]),
        "",
        "Already written by this run:",
        *(written_lines or ["  (nothing)"]),
        "",
        "Next:",
        *[f"  - {action}" for action in actions],
    ]
    text = "\n".join(lines)
    failed_steps = list(dict.fromkeys(row.step for row in failures))
    payload = {
        **payload_head("ins_weekly_report_failed", run_id, url, week),
        "failed_steps": failed_steps,
        "errors": [f"{row.step}: {row.message}" for row in failures],
        "failures": structured,
        "written": written,
        "report_built": False,
        "next_actions": actions,
        "job_log_error": "; ".join(unwritten) or None,
        "text": text,
    }
    subject = (
        f"[INS weekly report] FAILED week {week_text}: {', '.join(failed_steps) or 'see run'} ({run_id})"
    )
    return Alert(subject=subject, text=text, payload=payload, url=url)


def _kept_row(detail: joblog.FailureDetail) -> joblog.LogRow:
    """A failure the job log could not take, as the row it would have been."""
    step = joblog.step_for_task(detail.task_id).name
    return joblog.LogRow(0, step, joblog.FAILED, None, None, None, detail.message())
