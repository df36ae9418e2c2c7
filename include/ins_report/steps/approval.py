"""The APPROVE_GAPS step: a week whose gaps the coverage policy leaves to an operator
(include/ins_report/model/gap_policy.py) is asked about, and the answer is recorded in TS_INS_JOB_LOG.

The question is measured again when it is asked, not taken from the gate: clearing only this task after the
gaps were fixed asks nothing, and a question always shows the gaps as they are. Airflow's part (the
Required Actions page, the timeout) is airflow_edge/approval.py's.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import pendulum

from include.ins_report.joblog import (
    APPROVE,
    FAILED,
    GATE,
    RETRY,
    SUCCESS,
    TIME_FORMAT,
    WARNING,
    DecisionMessage,
    LogRow,
    RunLog,
)
from include.ins_report.model import clock
from include.ins_report.model.errors import PermanentError
from include.ins_report.model.gap_policy import GapOutcome, GapQuestion, response_deadline
from include.ins_report.model.gate_result import GateResult
from include.ins_report.model.schedule import deadline_interval, is_time_of_day
from include.ins_report.steps.gate import gap_policy, measure_week
from include.ins_report.store.farm_db import now_text

if TYPE_CHECKING:
    from include.ins_report.steps.context import StepContext

log = logging.getLogger(__name__)


class GapsRejectedError(PermanentError):
    """The operator (or the timeout's default) rejected the week's gaps: no report."""


def answer_by(ctx: StepContext, asked_at: dt.datetime, run_started_at: dt.datetime | None) -> dt.datetime:
    """When the default applies (INS_ASK_TIMEOUT, before INS_REPORT_DEADLINE)."""
    settings = ctx.settings
    interval = deadline_interval(settings.ask_timeout, "INS_ASK_TIMEOUT")
    clock_form = is_time_of_day(settings.ask_timeout)
    return response_deadline(
        asked_at,
        run_started_at,
        interval if clock_form else None,
        None if clock_form else interval,
        deadline_interval(settings.report_deadline),
    )


def gaps_to_decide(
    ctx: StepContext, gate_decision: str | None, run_started_at: dt.datetime | None
) -> GapQuestion | None:
    """The question, or None when there is none: the gate found no gaps to ask about, or they are fixed
    (or accepted by the policy) since. A week worse than the ask floor now fails like the gate."""
    if gate_decision != GapOutcome.ASK.value:
        return None
    started = now_text()
    result, decision = measure_week(ctx)
    if decision is not GapOutcome.ASK:
        note = "complete" if decision is GapOutcome.COMPLETE else "gaps accepted by the coverage policy"
        ctx.log(
            ctx.farm_db,
            APPROVE.name,
            started,
            result.good_farm_days,
            f"no decision needed: {note} since the gate ({result.coverage()})",
            status=SUCCESS if decision is GapOutcome.COMPLETE else WARNING,
        )
        return None
    farms = {
        farm.farm_no: (farm.farm_name, farm.station_label)
        for farm in ctx.farm_db.manifest_farms(ctx.week_key)
    }
    asked_at = clock.now()
    return GapQuestion(
        week_label=ctx.week.label(),
        result=result,
        policy=gap_policy(ctx.settings),
        farms=farms,
        default=ctx.settings.ask_default,
        answer_by=answer_by(ctx, asked_at, run_started_at),
    )


def gaps_text(result: GateResult) -> str:
    return f"{result.coverage()}; {result.gaps()}"


def record_decision(
    ctx: StepContext,
    approved: bool,
    by: str | None,
    at: dt.datetime,
    reason: str,
) -> dict:
    """The answer in TS_INS_JOB_LOG: approved, a WARNING row listing the accepted gaps (the report is built
    with them); rejected, GapsRejectedError, whose message the task's FAILED row and the alert carry. ``by``
    None: nobody answered, the default applied. The gaps are measured again: what is accepted is what the
    report is built on."""
    started = now_text()
    result, _ = measure_week(ctx) if approved else (None, None)
    moment = pendulum.instance(at).in_timezone(clock.KST).strftime(TIME_FORMAT)
    if not approved:
        message = DecisionMessage(False, by, moment, reason.strip())
        raise GapsRejectedError(
            f"{message.text()}: no report for week {ctx.week}; fix the gaps, then clear approve_gaps (or the "
            "whole run) to be asked again"
        )
    message = DecisionMessage(True, by, moment, reason.strip(), gaps_text(result))
    ctx.log(ctx.farm_db, APPROVE.name, started, result.good_farm_days, message.text(), status=WARNING)
    log.warning("week %s: gaps approved (%s)", ctx.week, message.text()[:300])
    return {"approved": True, "by": by, "reason": reason.strip(), "gaps": sum(result.counts.values())}


def recorded_decision(ctx: StepContext) -> LogRow | None:
    """The decision an earlier try of this run recorded before Airflow retried the task anyway, or None.

    Airflow 3.3 retries an approval task whose answer came before the scheduler had processed the parked
    try's executor event ("state changed externally", docs/operations.md), after the answer was recorded:
    the run's latest APPROVE_GAPS row since its gate is then a RETRY row, right after the decision (a
    WARNING approval or the FAILED rejection). A cleared task leaves no RETRY row after the decision: it asks
    again."""
    log = RunLog.from_dicts(ctx.farm_db.job_log(ctx.run_id))
    gate = log.latest(GATE.name)
    since = gate.log_id if gate else 0
    rows = [row for row in log.rows if row.step == APPROVE.name and row.log_id > since]
    if len(rows) >= 2 and rows[-1].status == RETRY and rows[-2].status in (WARNING, FAILED):
        return rows[-2]
    return None


def reapply(ctx: StepContext, decision: LogRow) -> dict:
    """The recorded decision again, without a second question: an approval's WARNING row once more (the
    digest and the report read the latest), a rejection's failure with the recorded row's text as it is."""
    if decision.status == FAILED:
        raise GapsRejectedError(
            f"the decision recorded at {decision.ended_at} KST stands (Airflow retried the task after it): "
            f"{decision.message}"
        )
    ctx.log(ctx.farm_db, APPROVE.name, now_text(), decision.row_count, decision.message, status=WARNING)
    log.warning("week %s: the recorded approval stands after Airflow's retry", ctx.week)
    return {"approved": True, "reapplied": True}
