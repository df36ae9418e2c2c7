"""The status values of TS_INS_JOB_LOG and the one registry of the batch's steps: task id, ``STEP_NM``,
title (the task's display name), the table it writes and what to do when it fails. The DAG, the steps and
the alerts read it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

JOB_NAME = "INS_WEEKLY_REPORT"  # TS_INS_JOB_LOG.JOB_NM of every row (re-exported by config.settings)
SUCCESS, FAILED, RETRY, WARNING = "SUCCESS", "FAILED", "RETRY", "WARNING"
STATUSES = (SUCCESS, FAILED, RETRY, WARNING)
OUTCOMES = (SUCCESS, FAILED, WARNING)  # a step's last word; RETRY rows are history
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MESSAGE_BYTES = 3900  # TS_INS_JOB_LOG.MESSAGE is VARCHAR2(4000 BYTE) on Oracle; Hangul takes 3 bytes
MAX_FARMS = 30
_CLEAR = "then in the Grid clear {title} with “Downstream” ticked"


@dataclass(frozen=True)
class Step:
    name: str  # STEP_NM
    task_id: str
    title: str  # the task's display name in the UI
    table: str | None = None  # the table the step writes
    next_action: str = "See the task's log, " + _CLEAR + "."  # what to do when it fails (alerts)


START, KOSIS, EKAPE_WAIT, EKAPE, PLAN, WAIT, WEATHER, GATE, APPROVE, REPORT, FINISH = (
    Step(
        "START_JOB",
        "start_job",
        "Start: record the run",
        next_action="The run could not start (usually an invalid week: it must be the Monday of a finished "
        "week); trigger the week again with the right Monday.",
    ),
    Step(
        "COLLECT_KOSIS_SERIES",
        "collect_stats.collect_kosis_series",
        "Fetch KOSIS series into TA_STATS_DATA",
        "TA_STATS_DATA",
        "KOSIS statistics: fix what the error says (an unregistered key: the kosis_api connection's "
        "password; KOSIS down: wait), " + _CLEAR + ".",
    ),
    Step(
        "WAIT_FOR_EKAPE_FINAL",
        "collect_stats.wait_for_ekape_final",
        "Wait for EKAPE's prices to be final",
        next_action="EKAPE's prices of the week's last day were not final within the waiting window: "
        "when they are (10:00 KST the next day, INS_EKAPE_FINAL_AT), " + _CLEAR + ".",
    ),
    Step(
        "COLLECT_EKAPE_PRICES",
        "collect_stats.collect_ekape_prices",
        "Fetch EKAPE pig prices into TA_STATS_DATA",
        "TA_STATS_DATA",
        "EKAPE pig carcass prices: fix what the error says (an unregistered key: the ekape_api connection's "
        "password; the daily quota: wait for tomorrow; EKAPE down: wait), " + _CLEAR + ".",
    ),
    Step(
        "PLAN_WEATHER_LOCATIONS",
        "collect_weather.plan_weather_locations",
        "Plan weather locations (farms to stations)",
        next_action="Reading TA_FARM failed: check the farm_db connection and the table, " + _CLEAR + ".",
    ),
    Step(
        "WAIT_FOR_WEATHER_PUBLICATION",
        "collect_weather.wait_for_weather_publication",
        "Wait for Sunday's weather to be published",
        next_action="KMA has not served Sunday's ASOS values within the waiting window (or refused the key: "
        "see the error). When data.go.kr serves them, " + _CLEAR + "; the stations and the report follow.",
    ),
    Step(
        "COLLECT_STATION_WEATHER",
        "collect_weather.collect_station_weather",
        "Fetch station week into TM_WEATHER",
        "TM_WEATHER",
        "Weather {stations}: fix what the error says, then in the Grid open {title}, select {instances} and "
        "clear it with “Downstream” ticked (links above). The other stations' rows are kept.",
    ),
    Step(
        "CHECK_COLLECTION",
        "check_collection",
        "Check the week's data is complete",
        next_action="The database lacks part of the week (listed in the error). Re-collect (clear the short "
        "collection step, or the whole run, with “Downstream”); or, if gaps this large may be decided by an "
        "operator, lower INS_ASK_WEATHER_COVERAGE / INS_ASK_STATS_COVERAGE and clear {title}.",
    ),
    Step(
        "APPROVE_GAPS",
        "approve_gaps",
        "Decide on the week's gaps",
        next_action="The week's gaps were rejected (or nobody answered in time and the default rejected "
        "them): no report. Fix the gaps (re-collect: clear the short collection step with “Downstream”), "
        "or clear {title} to be asked again with the gaps as they are then.",
    ),
    Step(
        "RUN_WEEKLY_REPORT",
        "run_weekly_report",
        "Run SP_INS_WEEK_MAIN for the week",
        "TR_INS_WEEK_REPORT",
        "The report procedure failed{cause}. The week's data is complete (the gate passed). It is not "
        "retried automatically: first check on the database "
        "that it no longer runs (docs/operations.md, 'The report procedure's sessions'), then fix its "
        "problem and " + _CLEAR + ".",
    ),
    Step("FINISH_JOB", "finish_job", "Finish: record the outcome"),
)
STEPS = {
    step.name: step
    for step in (START, KOSIS, EKAPE_WAIT, EKAPE, PLAN, WAIT, WEATHER, GATE, APPROVE, REPORT, FINISH)
}
BY_TASK = {step.task_id: step for step in STEPS.values()}
MAPPED_STEP, FINISH_STEP = WEATHER.name, FINISH.name
# A row a task writes besides its step's outcome: not a task of its own, so not in STEPS (the DAG's tasks).
COMPARE = Step(
    "COMPARE_REPORT",
    REPORT.task_id,
    "Compare the week's report with the one it replaced",
    "TS_INS_REPORT_DIFF",
    "The report was built; only its comparison failed (the row says why): check INS_REPORT_DIFF_KEY and "
    "INS_REPORT_DIFF_COLUMNS against the report table, and that TS_INS_REPORT_DIFF exists "
    "(include/sql/oracle/migrations/002_report_diff.sql).",
)
EXTRA_ROWS = {COMPARE.name: COMPARE}


def step_for_task(task_id: str) -> Step:
    """The registry's step of a task id; a task outside the registry gets a step named after it."""
    return BY_TASK.get(task_id) or Step(task_id.rsplit(".", 1)[-1].upper(), task_id, task_id)


def next_action(
    step: Step, stations: Sequence[str] = (), oracle_code: str | None = None, oracle_hint: str = ""
) -> str:
    """What to do about a failed step, its ``Step.next_action`` filled in: ``stations``, the failed weather
    stations' labels (one action for all of them), and an Oracle error's code and hint (the report
    procedure's cause). The task's log (airflow_edge/callbacks.py) and the alert (alerts/messages/failure.py)
    both say it from here."""
    title = f"“{step.title}”"
    quoted = ", ".join(f"“{label}”" for label in stations)
    return step.next_action.format(
        title=title,
        clear=f"then in the Grid clear {title} with “Downstream” ticked",
        stations=(f"station {quoted}" if len(stations) == 1 else f"stations {quoted}")
        if stations
        else "station",
        instances="each of these instances" if len(stations) > 1 else "the instance",
        cause=f" with {oracle_code} ({oracle_hint})" if oracle_code else "",
    )


def step_title(step: str) -> str:
    known = STEPS.get(step) or EXTRA_ROWS.get(step)
    return known.title if known else step


def clip_utf8(text: str, limit: int = MESSAGE_BYTES) -> str:
    """At most ``limit`` UTF-8 bytes (Oracle's VARCHAR2 counts bytes), cut on a character boundary."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")
