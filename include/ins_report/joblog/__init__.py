"""TS_INS_JOB_LOG, the batch's contract with the DB-side monitoring (docs/operations.md).

One row per step outcome, appended, never updated: the steps write their SUCCESS (or WARNING) row, the task
callbacks write FAILED and RETRY rows. This package owns that contract, and nothing outside it knows a
MESSAGE's format:

- ``registry``: the status values and the one registry of steps (task id, ``STEP_NM``, title, table
  written, next action) that the DAG, the steps and the alerts read, and ``next_action`` filled in;
- ``messages``: a typed writer and parser for each step's outcome row; ``failure``: a failed task as data
  (``FailureDetail``), from which the callbacks write its FAILED / RETRY row and its XCom;
- ``runlog``: a run's rows read back (outcomes, failures, what was written, durations).
"""

from include.ins_report.joblog.failure import FailureDetail, mapped_label
from include.ins_report.joblog.messages import (
    GATE_KINDS,
    CompareMessage,
    FinishMessage,
    GateMessage,
    PlanMessage,
    ReportMessage,
    SeriesCount,
    StartMessage,
    StatsMessage,
    WeatherMessage,
    gate_counts_text,
    gate_headline,
    parse_gate_counts,
)
from include.ins_report.joblog.registry import (
    COMPARE,
    EKAPE,
    EKAPE_WAIT,
    FAILED,
    FINISH,
    FINISH_STEP,
    GATE,
    KOSIS,
    MAPPED_STEP,
    MAX_FARMS,
    MESSAGE_BYTES,
    OUTCOMES,
    PLAN,
    REPORT,
    RETRY,
    START,
    STATUSES,
    STEPS,
    SUCCESS,
    TIME_FORMAT,
    WAIT,
    WARNING,
    WEATHER,
    Step,
    clip_utf8,
    next_action,
    step_for_task,
    step_title,
)
from include.ins_report.joblog.runlog import LogRow, RunLog, format_seconds, parse_time, recent_runs

__all__ = [
    "COMPARE",
    "EKAPE",
    "EKAPE_WAIT",
    "FAILED",
    "FINISH",
    "FINISH_STEP",
    "GATE",
    "GATE_KINDS",
    "KOSIS",
    "MAPPED_STEP",
    "MAX_FARMS",
    "MESSAGE_BYTES",
    "OUTCOMES",
    "PLAN",
    "REPORT",
    "RETRY",
    "START",
    "STATUSES",
    "STEPS",
    "SUCCESS",
    "TIME_FORMAT",
    "WAIT",
    "WARNING",
    "WEATHER",
    "CompareMessage",
    "FailureDetail",
    "FinishMessage",
    "GateMessage",
    "LogRow",
    "PlanMessage",
    "ReportMessage",
    "RunLog",
    "SeriesCount",
    "StartMessage",
    "StatsMessage",
    "Step",
    "WeatherMessage",
    "clip_utf8",
    "format_seconds",
    "gate_counts_text",
    "gate_headline",
    "mapped_label",
    "next_action",
    "parse_gate_counts",
    "parse_time",
    "recent_runs",
    "step_for_task",
    "step_title",
]
