"""The operator's decision on a week's gaps as an Airflow human-in-the-loop task (the standard provider's
``ApprovalOperator``; Airflow 3.3 parks it in AWAITING_INPUT: no worker slot, no triggerer).

``execute`` asks only when the gate left the gaps to an operator and they are still there
(steps/approval.py): the Markdown body lists them (alerts/messages/approval.py), the notifiers send the
request with a link to the Required Actions page, and the response timeout ends before the report
deadline. ``execute_complete`` records the answer (steps/approval.py): approved, a WARNING row and the
report is built; rejected (by a person or by the default on timeout), the task fails with who and why, so
the run's one failure alert says it. Unlike the provider's rejection, downstream is never skipped quietly:
a skipped report would end the run as a success.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import Param

from include.ins_report.airflow_edge.context import task_step
from include.ins_report.alerts.messages import approval as messages
from include.ins_report.config.settings import Settings
from include.ins_report.joblog import APPROVE, GATE
from include.ins_report.model import clock
from include.ins_report.model.gap_policy import GapQuestion
from include.ins_report.steps import approval

log = logging.getLogger(__name__)

REASON = "reason"
PLACEHOLDER_TIMEOUT = dt.timedelta(hours=12)  # replaced by the question's own when it is asked
RACE_RETRY_DELAY = dt.timedelta(seconds=10)


def assigned_users(settings: Settings) -> list[dict[str, str]] | None:
    """INS_ASK_ASSIGNEES as Airflow's HITL users; None (anyone allowed on the DAG) for ``*``."""
    if list(settings.ask_assignees) == ["*"]:
        return None
    return [{"id": user, "name": user} for user in settings.ask_assignees]


class GapApprovalOperator(ApprovalOperator):
    """Approve or reject the week's gaps (task ``approve_gaps``)."""

    def __init__(self, *, settings: Settings, **kwargs: Any) -> None:
        default = self.APPROVE if settings.ask_default == "approve" else self.REJECT
        # The DAG's params arrive here too (apply_defaults): kept, the context reads the week from them.
        params = dict(kwargs.pop("params", None) or {})
        params[REASON] = Param(
            None,  # optional: the form does not require it
            type=["null", "string"],
            title="Reason",
            description="Why you approve or reject (recorded in TS_INS_JOB_LOG and the alerts).",
            source="task",
        )
        # At least one retry, soon: an answer that beats the scheduler to the parked try's executor event
        # makes Airflow 3.3 take the task for changed externally; the retry gets the recorded answer
        # (docs/operations.md, "Gaps: the operator decides").
        inherited = (kwargs.get("default_args") or {}).get("retries", 0)
        kwargs["retries"] = max(1, kwargs.get("retries", inherited) or 0)
        kwargs["retry_delay"] = RACE_RETRY_DELAY
        super().__init__(
            task_id=APPROVE.task_id,
            task_display_name=APPROVE.title,
            subject="Decide on the week's gaps",
            defaults=[default],
            params=params,
            assigned_users=assigned_users(settings),
            # Set for real when the question is asked (steps/approval.py answer_by); an explicit value also
            # keeps the task's execution_timeout for the asking itself.
            response_timeout=PLACEHOLDER_TIMEOUT,
            **kwargs,
        )
        self.settings = settings
        self.gap_question: GapQuestion | None = None  # what the question notifier sends

    # The form is the reason alone. At run time the task's params also hold the DAG's (the week), which
    # the provider would put in the form and then require back in every answer.
    @property
    def serialized_params(self) -> dict[str, dict[str, Any]]:
        return {REASON: self.params.get_param(REASON).serialize()}

    def validate_params_input(self, params_input: Any) -> None:
        unknown = set(params_input) - {REASON}
        if unknown:
            raise ValueError(
                f"params_input {sorted(unknown)} are not fields of the question (only {REASON!r})"
            )
        for key, value in params_input.items():
            self.params[key] = value

    def execute(self, context: Any) -> Any:
        with task_step(self.settings) as (context, inputs):
            gate = context["ti"].xcom_pull(task_ids=GATE.task_id) or {}
            # Only a week the gate asked about can have a decision to keep (one job-log read, then).
            recorded = approval.recorded_decision(inputs) if gate.get("decision") == "ask" else None
            if recorded is not None:  # Airflow retried the task after the answer (docs/operations.md)
                return approval.reapply(inputs, recorded)
            started = getattr(context.get("dag_run"), "start_date", None)
            question = approval.gaps_to_decide(inputs, gate.get("decision"), started)
            if question is None:
                log.info("no question: the gate found nothing for an operator to decide (or it is fixed)")
                return {"asked": False}
            self.gap_question = question
            self.subject = messages.subject(question)
            self.body = messages.body(question)
            # A plain timedelta: the task runner sends it to the supervisor (msgpack knows no pendulum types).
            # answer_by is already floored (gap_policy.response_deadline); never below zero here.
            left = dt.timedelta(seconds=(question.answer_by - clock.now()).total_seconds())
            self.response_timeout = max(left, dt.timedelta(0))
            log.info(
                "asking: %s; answer at %s (REST: PATCH %s); the default (%s) applies at %s",
                self.subject,
                messages.required_action_url(self.settings, inputs.run_id),
                messages.rest_path(inputs.run_id),
                question.default,
                question.answer_by.in_timezone(clock.KST).format("YYYY-MM-DD HH:mm"),
            )
        return super().execute(context)  # records the question, notifies, parks the task

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        answer = HITLOperator.execute_complete(self, context, event)  # validated by the provider
        chosen = answer["chosen_options"][0]
        user = answer.get("responded_by_user") or None  # None: the timeout's default
        reason = str((answer.get("params_input") or {}).get(REASON) or "")
        with task_step(self.settings) as (_, inputs):
            return approval.record_decision(
                inputs,
                approved=chosen == self.APPROVE,
                by=(user.get("name") or user.get("id")) if user else None,
                at=answer["responded_at"],
                reason=reason,
            )
