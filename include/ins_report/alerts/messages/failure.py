"""The failure alert: what failed in the run (the failed tasks' own details, as their task callbacks stored
them, with their job-log rows; a row's MESSAGE as text where no detail can be read), what the run had already
written, and what to do next."""

from __future__ import annotations

from dataclasses import dataclass

from include.ins_report.alerts.messages.alert import Alert, payload_head, run_url, task_url
from include.ins_report.alerts.messages.report_diff import report_diff
from include.ins_report.alerts.messages.run import RunFacts
from include.ins_report.config.settings import DAG_ID, Settings
from include.ins_report.joblog import (
    FINISH_STEP,
    MAPPED_STEP,
    REPORT,
    STEPS,
    WEATHER,
    FailureDetail,
    LogRow,
    RunLog,
    Step,
    next_action,
    step_for_task,
    step_title,
)
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


@dataclass(frozen=True)
class Failure:
    """One failure the alert lists: a failed task's ``detail`` (its XCom), or only its job-log row, whose
    MESSAGE is then shown as text (``detail`` None: no XCom could be read, e.g. a callback without a task
    instance); ``failed_at``: the row's end, when the job log has it."""

    step: Step
    message: str
    detail: FailureDetail | None = None
    failed_at: str | None = None
    job_log_error: str = ""  # why the job log lacks the row ("" when it has it)
    logged: bool = True


def failures_of(run: RunFacts, run_log: RunLog) -> list[Failure]:
    """The run's failures in job-log order: each FAILED row with the failed task's detail it was written
    from (the same MESSAGE), then the failed tasks the job log lacks."""
    details = [task for task in run.failed_tasks if step_for_task(task.detail.task_id).name != FINISH_STEP]
    found: list[Failure] = []
    for row in run_log.failures():
        step = _step(row.step)
        task = next((task for task in details if _written_from(task.detail, row)), None)
        if task:
            details.remove(task)
        found.append(Failure(step, row.message, task.detail if task else None, row.ended_at))
    for task in details:
        step = step_for_task(task.detail.task_id)
        found.append(Failure(step, task.detail.message(), task.detail, None, task.job_log_error, False))
    return found


def _written_from(detail: FailureDetail, row: LogRow) -> bool:
    """The row was written from this detail: the callback wrote both from one object (the same MESSAGE)."""
    return step_for_task(detail.task_id).name == row.step and detail.message() == row.message


def _step(name: str) -> Step:
    """The registry's step of a STEP_NM; a step outside the registry gets one named after it."""
    return STEPS.get(name) or step_for_task(name)


def _next_action(failure: Failure, stations: list[str], conn_id: str) -> str:
    code = oracle_code(failure.detail.error) if failure.detail else None
    return next_action(failure.step, stations, code, oracle_hint(code, conn_id))


def build_failure_alert(run: RunFacts, run_log: RunLog, settings: Settings, job_log_error: str = "") -> Alert:
    """The alert for a failed run, from its failed tasks and its job log (``job_log_error``: why the job log
    could not be read)."""
    run_id, week = run.run_id, run.week
    week_text = week.label() if week else run.week_key
    failures = failures_of(run, run_log)
    kept = [failure for failure in failures if not failure.logged]
    unwritten = sorted(
        {failure.job_log_error for failure in kept if failure.job_log_error}
        | ({job_log_error} if job_log_error else set())
    )
    url = run_url(settings, run_id)
    diff = report_diff(run_log, settings, run.week_key)  # the procedure ran: what its report changed

    failed_lines: list[str] = []
    structured: list[dict] = []
    for failure in failures:
        detail, name = failure.detail, failure.step.name
        task_id = detail.task_id if detail else failure.step.task_id
        map_index = detail.map_index if detail else -1
        code = oracle_code(detail.error) if detail else None
        link = task_url(settings, run_id, task_id, map_index)
        title = step_title(name) + (f": {detail.label}" if detail and detail.label else "")
        failed_lines.append(f"  - {title}")
        if detail and detail.farms:
            farms = list(detail.farms[:MAX_FARMS_LISTED])
            more = len(detail.farms) - len(farms)
            failed_lines.append(f"      farms: {', '.join(farms)}" + (f" … and {more} more" if more else ""))
        failed_lines.append(f"      error: {detail.error if detail else failure.message}")
        if code:
            failed_lines.append(f"      Oracle error {code}: {oracle_hint(code, settings.farm_db_conn_id)}")
        # Credentials or privileges: the connection to fix, by its conn id (not retried: oracle_errors).
        connection = settings.farm_db_conn_id if detail and error_kind(detail.error) == ACCESS else None
        if detail and detail.try_number:
            tries = f"try {detail.try_number}" + (f" of {detail.tries}" if detail.tries else "")
            failed_lines.append(f"      {tries}, failed at {failure.failed_at} KST")
        failed_lines.append(f"      {link}")
        structured.append(
            {
                "step": name,
                "title": step_title(name),
                "task_id": task_id,
                "map_index": map_index,
                "label": detail.label if detail else "",
                "farms": list(detail.farms) if detail else [],
                "error_class": detail.error_class if detail else "",
                "error": detail.error if detail else failure.message,
                "oracle_code": code,
                "connection": connection,
                "try_number": detail.try_number if detail else None,
                "tries": detail.tries if detail else None,
                "failed_at": failure.failed_at,
                "url": link,
            }
        )

    written = run_log.written()
    planned = run_log.planned_locations()
    written_lines = []
    for table, item in written.items():
        part = ""
        if table == WEATHER.table:
            part = f" from {item['parts']}" + (f" of {planned}" if planned else "") + " weather locations"
        written_lines.append(f"  - {table}: {item['rows']} rows{part} (kept; a re-run upserts them)")
    report_failed = any(failure.step.name == REPORT.name for failure in failures)
    rebuilt = bool(diff and diff.current)  # the latest call returned: the week's report was replaced
    if REPORT.table not in written:
        written_lines.append(
            f"  - {REPORT.table}: "
            + (
                "rebuilt by the procedure, then the step failed (what changed: the report diff below)"
                if rebuilt
                else "not rebuilt for this week "
                + ("(the procedure failed)" if report_failed else "(the procedure did not run)")
            )
        )

    stations = [
        failure.detail.label for failure in failures if failure.step.name == MAPPED_STEP and failure.detail
    ]
    actions = [_next_action(failure, stations, settings.farm_db_conn_id) for failure in failures] or [
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
            "ran and replaced the week's report; the step failed after it."
            if rebuilt
            else "failed."
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
        *(["", *diff.lines()] if diff else []),
        "",
        "Next:",
        *[f"  - {action}" for action in actions],
    ]
    text = "\n".join(lines)
    failed_steps = list(dict.fromkeys(failure.step.name for failure in failures))
    payload = {
        **payload_head("ins_weekly_report_failed", run_id, url, week),
        "failed_steps": failed_steps,
        "errors": [f"{failure.step.name}: {failure.message}" for failure in failures],
        "failures": structured,
        "written": written,
        "report_built": False,
        "report_diff": diff.payload() if diff else None,
        "next_actions": actions,
        "job_log_error": "; ".join(unwritten) or None,
        "text": text,
    }
    subject = (
        f"[INS weekly report] FAILED week {week_text}: {', '.join(failed_steps) or 'see run'} ({run_id})"
    )
    return Alert(subject=subject, text=text, payload=payload, url=url)
