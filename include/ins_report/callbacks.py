"""Airflow callbacks: job-log rows for failed and retried tasks, the admins' alerts (failed run, missed
deadline) and the weekly success digest.

Where each runs (Airflow 3.3): task callbacks in the task's process (or in the dag-processor when a task
died without reporting); the DAG failure and success callbacks in the dag-processor; the deadline callback
in the triggerer. None of them may raise: a broken channel is logged and the others still go out.

The alerts are built from ``TS_INS_JOB_LOG``: it is the one record of what happened that every one of
those processes can read (and ``dag.test`` as well).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pendulum

from include.ins_report import joblog, steps
from include.ins_report.alerts import Alert, parse_channels, payload_head, run_url, send_alert
from include.ins_report.joblog import FAILED, RETRY, STEPS, FailureDetail, RunLog, format_seconds, step_title
from include.ins_report.secrets import api_secrets, redact
from include.ins_report.settings import DAG_ID, TIMEZONE, Settings
from include.ins_report.warehouse import Warehouse
from include.ins_report.week import ReportWeek

log = logging.getLogger(__name__)

SCHEDULED_TRIGGER = dt.time(2, 0)  # the DAG's cron "0 2 * * 1" (KST): the deadline's HH:MM counts from it
MAX_FARMS_LISTED = 30

# --- error descriptions -----------------------------------------------------------------------------

ORACLE_CODE = re.compile(r"\b(?:ORA|DPY)-\d{4,5}\b")
ORACLE_HINTS = {
    "ORA-00054": "a table the procedure needs is locked by another session; clear the task to retry",
    "ORA-00060": "deadlock detected; clear the task to retry",
    "ORA-00942": "a table or view does not exist or is not granted to the batch's user",
    "ORA-01017": "invalid user name or password: fix the farm_db connection",
    "ORA-01555": "snapshot too old: retry outside the heaviest load, or ask the DBA about undo retention",
    "ORA-01653": "a tablespace is full: ask the DBA",
    "ORA-01654": "an index tablespace is full: ask the DBA",
    "ORA-04068": "the procedure's package state was discarded (recompiled); clearing the task is enough",
    "ORA-06550": "PL/SQL compilation error: the procedure or the call is invalid (see the PLS- line)",
    "ORA-12170": "connect timeout: the database host is unreachable (network, firewall)",
    "ORA-12514": "the listener does not know the service: check service_name in the farm_db connection",
    "ORA-12541": "no listener: the database is down or host/port in the farm_db connection are wrong",
    "ORA-28000": "the batch's database account is locked: ask the DBA",
    "ORA-30036": "the undo tablespace is full: ask the DBA",
}


def error_class(exc: BaseException) -> str:
    """The exception's class as an operator can look it up: ``oracledb.DatabaseError``,
    ``sqlite3.OperationalError``, ``PermanentApiError``."""
    module = type(exc).__module__ or ""
    top = module.split(".", 1)[0]
    if top in ("builtins", "include", "__main__", "airflow", ""):
        return type(exc).__name__
    return f"{top}.{type(exc).__name__}"


def oracle_code(error: BaseException | str | None) -> str | None:
    """The first Oracle error code (``ORA-20001``; or a python-oracledb ``DPY-`` code) of an exception, its
    causes, or a message."""
    seen = 0
    while isinstance(error, BaseException) and seen < 5:
        first = error.args[0] if error.args else None
        full_code = getattr(first, "full_code", None)  # python-oracledb's _Error
        if isinstance(full_code, str) and ORACLE_CODE.fullmatch(full_code):
            return full_code
        match = ORACLE_CODE.search(str(error))
        if match:
            return match[0]
        error = error.__cause__ or error.__context__
        seen += 1
    if isinstance(error, str):
        match = ORACLE_CODE.search(error)
        return match[0] if match else None
    return None


def oracle_hint(code: str | None) -> str:
    if not code:
        return ""
    if code.startswith("DPY-"):
        return "a python-oracledb driver error (connection or protocol), not raised by the database"
    number = int(code.split("-")[1])
    if 20000 <= number <= 20999:
        return "raised by the procedure itself (RAISE_APPLICATION_ERROR): its message says what is wrong"
    return ORACLE_HINTS.get(code, "see the Oracle error reference for this code")


def describe_error(exc: BaseException | None) -> str:
    """``Class: message`` (an Oracle error keeps its lines), never empty."""
    if exc is None:
        return "no exception reported: the task was killed, timed out or lost its heartbeat"
    message = str(exc).strip() or repr(exc)
    return f"{error_class(exc)}: {message}"


# --- task callbacks: the job log --------------------------------------------------------------------


def _week_of(context: dict) -> ReportWeek | None:
    try:
        return steps.report_week_of(context)
    except (ValueError, TypeError):
        return None


def _week_key(context: dict) -> str:
    week = _week_of(context)
    if week:
        return week.start.strftime("%Y%m%d")
    return str((context.get("params") or {}).get("week") or "UNKNOWN")[:32]


def _mapped_location(context: dict) -> dict:
    """The weather location a mapped instance was given (its op_kwargs), or {}."""
    try:
        location = context["task"].op_kwargs.get("location")
    except (KeyError, AttributeError, TypeError):
        return {}
    return location if isinstance(location, dict) else {}


def _location_farms(context: dict, location: dict) -> tuple[str, ...]:
    """The farm numbers of a mapped weather task's location (``steps.planned_location``); () when they
    cannot be read."""
    if not location:
        return ()
    try:
        return steps.planned_location(context["ti"], location).farm_nos
    except Exception as exc:
        log.warning("farms of %s not found for the job log: %s", location.get("label"), exc)
        return ()


def failure_detail(context: dict) -> FailureDetail:
    ti = context["ti"]
    map_index = getattr(ti, "map_index", -1)
    map_index = -1 if map_index is None else int(map_index)
    label, farms = "", ()
    if map_index >= 0:
        location = _mapped_location(context)
        label = getattr(ti, "rendered_map_index", None) or location.get("label") or str(map_index)
        farms = _location_farms(context, location)
    max_tries = getattr(ti, "max_tries", None)
    return FailureDetail(
        error=describe_error(context.get("exception")),
        task_id=ti.task_id,
        map_index=map_index,
        label=str(label),
        farms=farms,
        try_number=getattr(ti, "try_number", None),
        tries=max_tries + 1 if isinstance(max_tries, int) and max_tries >= 0 else None,
    )


def _record(context: dict, status: str) -> None:
    try:
        settings = Settings.from_env()
        ti = context["ti"]
        started = getattr(ti, "start_date", None)
        detail = failure_detail(context)
        step = steps.step_name(ti.task_id)
        message = redact(detail.message(), api_secrets(settings))
        Warehouse(settings.farm_db_conn_id).log_step(
            run_id=context["run_id"],
            report_week=_week_key(context),
            step=step,
            status=status,
            started_at=pendulum.instance(started).in_timezone(TIMEZONE).strftime(joblog.TIME_FORMAT)
            if started
            else None,
            message=message,
        )
    except Exception:
        log.exception("could not write the %s row to TS_INS_JOB_LOG", status)
        return
    if status == FAILED:
        # The operator reading this task's log in the UI gets the same advice as the alert.
        row = joblog.LogRow(0, step, status, None, None, None, message)
        advice = _next_action(row, [detail.label] if detail.label else []).replace(" (links above)", "")
        log.error("What to do: %s", advice)


def record_task_failure(context: dict) -> None:
    """Task on_failure_callback: the task failed for good (its retries, if any, are used up)."""
    _record(context, FAILED)


def record_task_retry(context: dict) -> None:
    """Task on_retry_callback: a RETRY row only; the admins hear of it only if the run fails."""
    _record(context, RETRY)


# --- links ------------------------------------------------------------------------------------------


def task_url(settings: Settings, run_id: str, task_id: str, map_index: int = -1) -> str:
    url = f"{run_url(settings, run_id)}/tasks/{quote(task_id, safe='')}"
    return f"{url}/mapped/{map_index}" if map_index >= 0 else url


def _run_log(settings: Settings, run_id: str) -> RunLog:
    try:
        return RunLog.from_dicts(Warehouse(settings.farm_db_conn_id).job_log(run_id))
    except Exception as exc:
        log.warning("job log unavailable for the alert: %s", exc)
        return RunLog()


def _week_text(week: ReportWeek | None, context: dict) -> str:
    return week.label() if week else _week_key(context)


def _trigger_week_hint(week: ReportWeek | None) -> list[str]:
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


# --- the failure alert -------------------------------------------------------------------------------


NEXT_ACTIONS = {
    "START_JOB": "The run could not start (usually an invalid week: it must be the Monday of a finished "
    "week); trigger the week again with the right Monday.",
    "COLLECT_KOSIS_SERIES": "KOSIS statistics: fix what the error says (an unregistered key: the kosis_api "
    "connection's password; KOSIS down: wait), {clear}.",
    "PLAN_WEATHER_LOCATIONS": "Reading TA_FARM failed: check the farm_db connection and the table, {clear}.",
    "WAIT_FOR_WEATHER_PUBLICATION": "KMA has not served Sunday's ASOS values within the waiting window (or "
    "refused the key: see the error). When data.go.kr serves them, {clear}; the stations and the report "
    "follow.",
    joblog.MAPPED_STEP: "Weather {stations}: fix what the error says, then in the Grid open {title}, select "
    "{instances} and clear it with “Downstream” ticked (links above). The other stations' rows are kept.",
    "CHECK_COLLECTION": "The database lacks part of the week (listed in the error). Re-collect (clear the "
    "short collection step, or the whole run, with “Downstream”); or, if the gaps are acceptable, lower "
    "INS_MIN_WEATHER_COVERAGE / INS_MIN_STATS_COVERAGE and clear {title}.",
    "RUN_WEEKLY_REPORT": "The report procedure failed{cause}. The week's data is complete (the gate "
    "passed): fix the procedure's problem, {clear}.",
}


def _next_action(row: joblog.LogRow, labels: list[str]) -> str:
    """What to do about a failed step; ``labels``: the failed weather stations (all of them, one action)."""
    title = f"“{step_title(row.step)}”"
    code = oracle_code(row.message)
    quoted = ", ".join(f"“{label}”" for label in labels)
    return NEXT_ACTIONS.get(row.step, "See the task's log, {clear}.").format(
        title=title,
        clear=f"then in the Grid clear {title} with “Downstream” ticked",
        stations=(f"station {quoted}" if len(labels) == 1 else f"stations {quoted}") if labels else "station",
        instances="each of these instances" if len(labels) > 1 else "the instance",
        cause=f" with {code} ({oracle_hint(code)})" if code else "",
    )


def build_failure_alert(context: dict, settings: Settings) -> Alert:
    run_id = str(context.get("run_id"))
    week = _week_of(context)
    week_text = _week_text(week, context)
    run_log = _run_log(settings, run_id)
    failures = run_log.failures()
    url = run_url(settings, run_id)

    failed_lines: list[str] = []
    structured: list[dict] = []
    for row in failures:
        detail = row.failure
        task_id = detail.task_id if detail else (STEPS[row.step].task_id if row.step in STEPS else row.step)
        map_index = detail.map_index if detail else -1
        code = oracle_code(detail.error if detail else row.message)
        link = task_url(settings, run_id, task_id, map_index)
        title = step_title(row.step) + (f": {detail.label}" if detail and detail.label else "")
        failed_lines.append(f"  - {title}")
        if detail and detail.farms:
            farms = list(detail.farms[:MAX_FARMS_LISTED])
            more = len(detail.farms) - len(farms)
            failed_lines.append(f"      farms: {', '.join(farms)}" + (f" … and {more} more" if more else ""))
        failed_lines.append(f"      error: {detail.error if detail else row.message}")
        if code:
            failed_lines.append(f"      Oracle error {code}: {oracle_hint(code)}")
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
    actions = [_next_action(row, stations) for row in failures] or [
        f"No failed step was recorded (reason: {context.get('reason') or 'unknown'}): open the run in the "
        "UI; a run that timed out or was marked failed by hand has its tasks' states there."
    ]
    actions = list(dict.fromkeys(actions))
    actions.append("Re-running is safe: weather and statistics are upserts and the report replaces its week.")
    actions += _trigger_week_hint(week)

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
        f"Reason: {context.get('reason') or 'task failure'}",
        "",
        "What failed (TS_INS_JOB_LOG):",
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
        "text": text,
    }
    subject = (
        f"[INS weekly report] FAILED week {week_text}: {', '.join(failed_steps) or 'see run'} ({run_id})"
    )
    return Alert(subject=subject, text=text, payload=payload, url=url).redacted(api_secrets(settings))


def notify_admins(context: dict) -> None:
    """DAG-level on_failure_callback: one alert per failed run, on every configured channel."""
    try:
        settings = Settings.from_env()
        send_alert(build_failure_alert(context, settings), settings)
    except Exception:
        log.exception("the failure alert could not be built")


# --- the weekly success digest ---------------------------------------------------------------------


def _previous_week_run(settings: Settings, week: ReportWeek | None) -> dict | None:
    if not week:
        return None
    previous = (week.start - dt.timedelta(days=7)).strftime("%Y%m%d")
    try:
        runs = joblog.recent_runs(Warehouse(settings.farm_db_conn_id), weeks=12)
    except Exception as exc:
        log.warning("previous runs unavailable for the digest: %s", exc)
        return None
    done = [run for run in runs if run["report_week"] == previous and run["outcome"] == joblog.SUCCESS]
    return done[0] if done else None  # newest first


def build_digest(context: dict, settings: Settings) -> Alert:
    run_id = str(context.get("run_id"))
    week = _week_of(context)
    week_text = _week_text(week, context)
    run_log = _run_log(settings, run_id)
    url = run_url(settings, run_id)
    report = run_log.latest("RUN_WEEKLY_REPORT", joblog.SUCCESS)
    plan = run_log.latest("PLAN_WEATHER_LOCATIONS", joblog.SUCCESS)
    farms = report.row_count if report else None
    start, end = run_log.span()
    seconds = (end - start).total_seconds() if start and end else None

    previous = _previous_week_run(settings, week)
    if previous and previous.get("minutes") is not None and seconds is not None:
        before = float(previous["minutes"]) * 60
        delta = seconds - before
        sign = "+" if delta >= 0 else "-"
        comparison = (
            f"previous week {previous['report_week']}: {format_seconds(before)} "
            f"({sign}{format_seconds(abs(delta))})"
        )
    else:
        comparison = "no successful run of the previous week in the job log"

    gaps = [row.message.removeprefix(steps.GAPS_ACCEPTED) for row in run_log.warnings()]
    retries = run_log.retries()
    durations = [
        f"  {step_title(step):<44} {format_seconds(secs):>12}" + (f"  {detail}" if detail else "")
        for step, secs, detail in run_log.step_durations()
    ]
    excluded = ""
    if plan:
        match = re.search(r"(\d+) excluded", plan.message)
        excluded = f"{match[1]} excluded (reasons in the PLAN_WEATHER_LOCATIONS row)" if match else ""
    lines = [
        f"The weekly INS report for week {week_text} was built.",
        "",
        f"Run:    {run_id}",
        f"Link:   {url}",
        "",
        f"Farms reported:  {farms if farms is not None else '?'}"
        + (f" of {plan.row_count} usable farms" if plan and plan.row_count is not None else "")
        + (f"; {excluded}" if excluded else ""),
        "Gaps accepted:   " + ("; ".join(gaps) if gaps else "none (the week is complete)"),
        "Retries:         "
        + (", ".join(f"{step} {count}" for step, count in retries.items()) if retries else "none"),
        f"Run time:        {format_seconds(seconds)}; {comparison}",
        "",
        "Step durations (TS_INS_JOB_LOG started/ended):",
        *(durations or ["  (none recorded)"]),
    ]
    text = "\n".join(lines)
    payload = {
        **payload_head("ins_weekly_report_digest", run_id, url, week),
        "farms_reported": farms,
        "gaps_accepted": gaps,
        "retries": dict(retries),
        "run_seconds": seconds,
        "previous_week": previous,
        "step_seconds": [
            {"step": step, "seconds": secs, "detail": detail}
            for step, secs, detail in run_log.step_durations()
        ],
        "text": text,
    }
    subject = (
        f"[INS weekly report] OK week {week_text}: {farms if farms is not None else '?'} farms ({run_id})"
    )
    return Alert(subject=subject, text=text, payload=payload, url=url).redacted(api_secrets(settings))


def send_digest(context: dict) -> None:
    """DAG-level on_success_callback: the weekly digest, on the INS_DIGEST_CHANNELS channels (off when
    empty)."""
    try:
        settings = Settings.from_env()
        if not settings.digest_channels:
            return
        channels = parse_channels(settings.digest_channels)
        send_alert(build_digest(context, settings), settings, channels=channels)
    except Exception:
        log.exception("the weekly digest could not be sent")


# --- the deadline -----------------------------------------------------------------------------------

_DURATION = re.compile(r"(\d+)\s*([smh])")


def deadline_interval(value: str) -> dt.timedelta | None:
    """INS_REPORT_DEADLINE as the interval after the run is queued: ``HH:MM`` (KST, on the Monday of the
    scheduled run, counted from its 02:00 trigger), a duration (``90s``, ``45m``, ``10h``), or ``off``."""
    text = (value or "").strip().lower()
    if text in ("", "off", "none", "no"):
        return None
    clock = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if clock:
        hour, minute = int(clock[1]), int(clock[2])
        if hour > 23 or minute > 59:
            raise ValueError(f"INS_REPORT_DEADLINE {value!r} is not a time of day")
        after = dt.timedelta(hours=hour, minutes=minute) - dt.timedelta(
            hours=SCHEDULED_TRIGGER.hour, minutes=SCHEDULED_TRIGGER.minute
        )
        if after <= dt.timedelta(0):
            raise ValueError(f"INS_REPORT_DEADLINE {value!r} must be after the 02:00 KST trigger")
        return after
    duration = _DURATION.fullmatch(text)
    if duration and int(duration[1]) > 0:
        return dt.timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours"}[duration[2]]: int(duration[1])})
    raise ValueError(
        f"INS_REPORT_DEADLINE must be HH:MM (KST on the Monday of the run), a duration such as 90s, 45m "
        f"or 10h, or off; got {value!r}"
    )


def report_deadline(settings: Settings):
    """The DAG's deadline alert (Airflow DeadlineAlert: queued-at + interval, callback in the triggerer),
    or None when INS_REPORT_DEADLINE is off."""
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

    interval = deadline_interval(settings.report_deadline)
    if interval is None:
        return None
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=interval,
        callback=AsyncCallback(deadline_missed, kwargs={"deadline": settings.report_deadline}),
        name=f"report not finished by {settings.report_deadline}",
    )


def _parse_instant(value: Any) -> pendulum.DateTime | None:
    if not value:
        return None
    try:
        return pendulum.instance(value) if isinstance(value, dt.datetime) else pendulum.parse(str(value))
    except (ValueError, TypeError):
        return None


def _kst(value: Any) -> str:
    moment = _parse_instant(value)
    return moment.in_timezone(TIMEZONE).strftime("%Y-%m-%d %H:%M KST") if moment else "?"


def build_deadline_alert(context: dict, settings: Settings, deadline: str = "") -> Alert:
    """What the admins get when the deadline passes: the run's state and how far it got."""
    dag_run = dict(context.get("dag_run") or {})
    run_id = str(dag_run.get("dag_run_id") or dag_run.get("run_id") or "?")
    missed_at = (context.get("deadline") or {}).get("deadline_time")
    week_context = {
        "data_interval_end": _parse_instant(dag_run.get("data_interval_end")),
        "params": dag_run.get("conf") or {},
        "dag_run": SimpleNamespace(run_after=_parse_instant(dag_run.get("run_after"))),
    }
    week = _week_of(week_context)
    week_text = _week_text(week, week_context)
    state = str(dag_run.get("state") or "?")
    url = run_url(settings, run_id)
    run_log = _run_log(settings, run_id)

    done = [row for row in run_log.outcomes() if row.status in (joblog.SUCCESS, joblog.WARNING)]
    failed = run_log.failures()
    done_steps = {row.step for row in done}
    weather_done = sum(1 for row in done if row.step == joblog.MAPPED_STEP)
    planned = run_log.planned_locations()
    progress = []
    for step in STEPS.values():
        rows = [row for row in run_log.outcomes() if row.step == step.name]
        if step.name == joblog.MAPPED_STEP:
            if rows or planned:
                of = f" of {planned}" if planned else ""
                progress.append(f"  - {step.title}: {weather_done}{of} weather locations written")
            continue
        if rows:
            last = rows[-1]
            progress.append(f"  - {step.title}: {last.status} at {last.ended_at} KST")
        elif step.name == "WAIT_FOR_WEATHER_PUBLICATION":
            if "PLAN_WEATHER_LOCATIONS" in done_steps and not weather_done:
                progress.append(f"  - {step.title}: probably still waiting (no weather location written yet)")
        else:
            progress.append(f"  - {step.title}: not done yet")

    if state == "failed":
        situation = (
            "The run FAILED before the deadline (the failure alert went out then); the report is not built."
        )
        action = "Follow the failure alert's next steps; this alert only says the deadline has passed."
    elif state == "success":
        situation = "The run has finished since (after the deadline)."
        action = "Nothing to do; the report is late but built."
    else:
        situation = f"The run is still {state}: the report is not built yet."
        action = (
            "Open the run: a step that is still waiting for Sunday's weather waits until "
            f"{settings.publication_wait_until} KST Monday and then fails with an alert; a task that has run "
            "far longer than usual is probably stuck: look at its log, mark it failed or clear it. If KMA or "
            "KOSIS are down, let it run and tell the report's readers it will be late."
        )
    lines = [
        f"The weekly INS report for week {week_text} was NOT FINISHED by its deadline"
        + (f" ({deadline}, {_kst(missed_at)})." if deadline else f" ({_kst(missed_at)})."),
        situation,
        "",
        f"Run:    {run_id}",
        f"Link:   {url}",
        f"Queued: {_kst(dag_run.get('queued_at'))}   started: {_kst(dag_run.get('start_date'))}",
        "",
        "Progress (TS_INS_JOB_LOG):",
        *(progress or ["  (nothing recorded yet: the run has not started a step)"]),
        *(
            ["", "Failed steps:"] + [f"  - {step_title(row.step)}: {row.message}" for row in failed]
            if failed
            else []
        ),
        "",
        f"Next: {action}",
    ]
    text = "\n".join(lines)
    payload = {
        **payload_head("ins_weekly_report_deadline_missed", run_id, url, week),
        "state": state,
        "deadline": deadline,
        "deadline_time": str(missed_at) if missed_at else None,
        "steps_done": sorted(done_steps),
        "weather_locations_done": weather_done,
        "weather_locations_planned": planned,
        "text": text,
    }
    subject = f"[INS weekly report] NOT FINISHED by the deadline: week {week_text}, run {state} ({run_id})"
    return Alert(subject=subject, text=text, payload=payload, url=url).redacted(api_secrets(settings))


def _deadline_alert(context: dict | None, deadline: str) -> str:
    try:
        settings = Settings.from_env()
        sent = send_alert(build_deadline_alert(context or {}, settings, deadline), settings)
        return f"deadline alert sent via {', '.join(sent) or 'no channel'}"
    except Exception as exc:
        log.exception("the deadline alert could not be sent")
        return f"deadline alert failed: {type(exc).__name__}"


async def deadline_missed(context: dict | None = None, deadline: str = "", **_: Any) -> str:
    """The DeadlineAlert callback (AsyncCallback: runs in the triggerer). The work is blocking I/O
    (database, SMTP, HTTP), so it runs in a thread and never blocks the triggerer's event loop."""
    return await asyncio.to_thread(_deadline_alert, context, deadline)
