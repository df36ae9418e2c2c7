"""The deadline alert: the run is not finished by INS_REPORT_DEADLINE (an Airflow DeadlineAlert, whose
callback runs in the triggerer). Sent only for a run that has not failed: a failed run has had its failure
alert, and Airflow drops a run's deadline only when the run succeeds (``should_send``). Both read the run's
current attempt only (``current_attempt``): a run that failed, was cleared and runs again past its deadline
gets its deadline alert, whatever its earlier attempt wrote under the same run id."""

from __future__ import annotations

import pendulum

from include.ins_report import joblog
from include.ins_report.alerts.messages.alert import Alert, payload_head, run_url
from include.ins_report.alerts.messages.run import RunFacts
from include.ins_report.config.settings import TIMEZONE, Settings
from include.ins_report.joblog import FINISH, PLAN, START, STEPS, WAIT, RunLog, parse_time, step_title
from include.ins_report.model.schedule import deadline_interval  # also validated by the settings

# The notifier by its path: it imports this module, and the triggerer imports it by this path anyway.
NOTIFIER = "include.ins_report.alerts.notifier.InsAlertNotifier"


def report_deadline(settings: Settings):
    """The DAG's deadline alert (Airflow DeadlineAlert: queued-at + interval; the callback is the alerts'
    notifier, awaited in the triggerer), or None when INS_REPORT_DEADLINE is off."""
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

    interval = deadline_interval(settings.report_deadline)
    if interval is None:
        return None
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=interval,
        callback=AsyncCallback(NOTIFIER, kwargs={"kind": "deadline", "deadline": settings.report_deadline}),
        name=f"report not finished by {settings.report_deadline}",
    )


def current_attempt(run: RunFacts, run_log: RunLog) -> RunLog:
    """The job-log rows of the run's current attempt: those written since the run was last queued (clearing
    a task queues the run again; Airflow moves its deadline with it), else since it last started, else from
    its last START_JOB row on. The rows' times are KST wall-clock text; a row without one is kept."""
    since = run.queued_at or run.started_at
    if since is not None:
        moment = pendulum.instance(since).in_timezone(TIMEZONE).naive().replace(microsecond=0)

        def current(row: joblog.LogRow) -> bool:
            written = parse_time(row.ended_at) or parse_time(row.started_at)
            return written is None or written >= moment

        return RunLog([row for row in run_log.rows if current(row)])
    starts = [row.log_id for row in run_log.rows if row.step == START.name]
    return RunLog([row for row in run_log.rows if row.log_id >= max(starts)]) if starts else run_log


def should_send(run: RunFacts, run_log: RunLog) -> bool:
    """False for a run that failed (its failure alert went out, or goes out when it ends): Airflow's state
    of the run when the deadline passed, or a FINISH_JOB row of its current attempt (``run_log`` is that
    attempt's, ``current_attempt``: an earlier attempt's FAILED row does not count)."""
    finish = run_log.latest(FINISH.name)
    return run.state != "failed" and not (finish and finish.status == joblog.FAILED)


def _kst(value) -> str:
    moment = value if isinstance(value, pendulum.DateTime) else None
    if moment is None and value:
        try:
            moment = pendulum.parse(str(value))
        except (ValueError, TypeError):
            moment = None
    return moment.in_timezone(TIMEZONE).strftime("%Y-%m-%d %H:%M KST") if moment else "?"


def build_deadline_alert(run: RunFacts, run_log: RunLog, settings: Settings, deadline: str = "") -> Alert:
    """What the admins get when the deadline passes: the run's state and how far it got."""
    run_id, week, state = run.run_id, run.week, run.state or "?"
    missed_at = run.deadline_time
    week_text = week.label() if week else run.week_key
    url = run_url(settings, run_id)

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
        elif step.name == WAIT.name:
            if PLAN.name in done_steps and not weather_done:
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
        f"Queued: {_kst(run.queued_at)}   started: {_kst(run.started_at)}",
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
    return Alert(subject=subject, text=text, payload=payload, url=url)
