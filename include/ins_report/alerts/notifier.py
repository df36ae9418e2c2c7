"""The admins' alerts as one Airflow notifier (``BaseNotifier``, the pattern of the smtp and slack
providers' notifiers): the DAG's failure, success and deadline callbacks are instances of it.

- ``InsAlertNotifier("failure")``: DAG ``on_failure_callback`` (dag-processor): one alert per failed run;
- ``InsAlertNotifier("success")``: DAG ``on_success_callback`` (dag-processor): the gaps warning when the
  gate accepted gaps, the not-in-plan warning when farms appeared after the plan, and the weekly digest
  when INS_DIGEST_CHANNELS names channels;
- ``InsAlertNotifier("question")``: a notifier of the approval task (airflow_edge/approval.py), in the task:
  the request to decide on the week's gaps, with the link to answer it;
- ``AsyncCallback(InsAlertNotifier, kwargs={"kind": "deadline", ...})``: the DeadlineAlert's callback,
  awaited in the triggerer (``async_notify``); not sent for a run that failed.

Each reads the run's job log, builds its message with a pure function (alerts/failure.py, digest.py,
gaps.py, deadline.py) and sends it on the configured channels (alerts/delivery.py: all at once, each within
its budget). It never raises: a broken channel or an unreadable job log is logged and the alert still goes
out with what is known. The job log's read and write are bounded too (``JOB_LOG_BUDGET_SECONDS``), so the
callback ends well before the dag-processor would kill it. When every configured channel fails, the alert's
loss is recorded where the DB-side monitoring looks: a TS_INS_JOB_LOG row, step ``ALERT``, status
``FAILED``, naming the channels and their errors (redacted). A farm database that refused the login (the
failed task's own error says so) is not asked again: another failed login counts towards locking the account.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from airflow.sdk import BaseNotifier

from include.ins_report import joblog
from include.ins_report.airflow_edge.connections import farm_database
from include.ins_report.airflow_edge.context import report_week_of
from include.ins_report.airflow_edge.failures import run_facts
from include.ins_report.alerts.channels import parse_channels
from include.ins_report.alerts.deadline import build_deadline_alert, current_attempt, should_send
from include.ins_report.alerts.delivery import (
    CALLBACK_LIMIT_SECONDS,
    CHANNEL_BUDGET_SECONDS,
    JOB_LOG_BUDGET_SECONDS,
    deliver,
    within,
)
from include.ins_report.alerts.messages.alert import Alert
from include.ins_report.alerts.messages.approval import build_question_alert
from include.ins_report.alerts.messages.digest import build_digest
from include.ins_report.alerts.messages.failure import build_failure_alert
from include.ins_report.alerts.messages.gaps import (
    accepted_gaps,
    approved_gaps,
    build_approved_gaps_alert,
    build_gaps_alert,
    build_plan_warning_alert,
    not_in_plan,
)
from include.ins_report.alerts.messages.run import RunFacts
from include.ins_report.alerts.messages.week_digest import with_week
from include.ins_report.config.settings import Settings
from include.ins_report.joblog import FAILED, RunLog
from include.ins_report.store.farm_db import now_text
from include.ins_report.store.oracle_errors import login_refused, oracle_codes
from include.ins_report.weeks import queries as weeks_queries

log = logging.getLogger(__name__)

KINDS = ("failure", "success", "deadline", "question")
ALERT_STEP = "ALERT"  # TS_INS_JOB_LOG.STEP_NM of an alert no channel took (not a task of the DAG)


def read_run_log(settings: Settings, run_id: str) -> tuple[RunLog, str]:
    """The run's job log (its ALERT rows left out: they are about the alerts, not the run's steps), and ""
    or why it could not be read (within JOB_LOG_BUDGET_SECONDS)."""
    try:
        rows = within(
            JOB_LOG_BUDGET_SECONDS,
            lambda: farm_database(settings.farm_db_conn_id).job_log(run_id),
            "reading the job log for the alert",
        )
        return RunLog.from_dicts([row for row in rows if row["step"] != ALERT_STEP]), ""
    except Exception as exc:
        log.warning("job log unavailable for the alert: %s: %s", type(exc).__name__, exc)
        return RunLog(), f"{type(exc).__name__}: {exc}"


def record_lost_alert(settings: Settings, run: RunFacts, kind: str, summary: str, started: str) -> None:
    """The ALERT row of an alert that no configured channel took (within JOB_LOG_BUDGET_SECONDS)."""
    message = f"{kind} alert not delivered on any channel: {summary}"
    try:
        within(
            JOB_LOG_BUDGET_SECONDS,
            lambda: farm_database(settings.farm_db_conn_id).log_step(
                run_id=run.run_id,
                report_week=run.week_key,
                step=ALERT_STEP,
                status=FAILED,
                started_at=started,
                message=message,
            ),
            "recording the lost alert in the job log",
        )
    except Exception as exc:
        log.error(
            "the lost alert could not be recorded in TS_INS_JOB_LOG either: %s: %s", type(exc).__name__, exc
        )


class InsAlertNotifier(BaseNotifier):
    """Sends the INS weekly report's alerts of one ``kind`` (failure, success, deadline)."""

    template_fields = ()

    def __init__(self, kind: str, *, deadline: str = "", context: Any = None) -> None:
        super().__init__(context=context)
        if kind not in KINDS:
            raise ValueError(f"unknown alert kind {kind!r}; known: {', '.join(KINDS)}")
        self.kind = kind
        self.deadline = deadline

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        # Nothing is templated: the messages are built from the job log. Skipping the Jinja environment also
        # keeps dag.test() working, whose DAG callbacks get a SerializedDAG without get_template_env.
        if self.template_fields:
            super().render_template_fields(context, jinja_env)

    def notify(self, context: Any) -> None:
        self.send(context)

    async def async_notify(self, context: Any) -> str:
        # The work is blocking I/O (database, SMTP, HTTP): in a thread, never on the triggerer's event loop.
        return await asyncio.to_thread(self.send, context)

    def send(self, context: Any) -> str:
        """Build and send; returns what was done (the deadline callback's result in the triggerer)."""
        try:
            settings = Settings.from_env()
            if self.kind == "question":
                return self._question(context, settings)
            run = run_facts(context)
            return getattr(self, f"_{self.kind}")(run, settings)
        except Exception as exc:
            log.exception("the %s alert could not be sent", self.kind)
            return f"{self.kind} alert failed: {type(exc).__name__}"

    def _send(
        self,
        alert: Alert,
        run: RunFacts,
        settings: Settings,
        channels: list[str] | None = None,
        budget: float = CHANNEL_BUDGET_SECONDS,
    ) -> list[str]:
        """Deliver on the channels; when every configured one failed, record that in the job log."""
        started = now_text()
        delivery = deliver(alert, settings, channels, budget)
        if delivery.lost:
            record_lost_alert(settings, run, self.kind, delivery.summary(), started)
        return delivery.sent

    def _failure(self, run: RunFacts, settings: Settings) -> str:
        refused = [task.detail for task in run.failed_tasks if login_refused(task.detail.error)]
        if refused:  # another login now would be one more failed login on the batch's account
            codes = ", ".join(code for code in oracle_codes(refused[0].error) if code.startswith("ORA-"))
            run_log, error = RunLog(), f"not read: {settings.farm_db_conn_id} refused the login ({codes})"
        else:
            run_log, error = read_run_log(settings, run.run_id)
        sent = self._send(build_failure_alert(run, run_log, settings, job_log_error=error), run, settings)
        return f"failure alert sent via {', '.join(sent) or 'no channel'}"

    def _with_week(self, digest: Alert, run: RunFacts, settings: Settings) -> Alert:
        """The digest with the week's row of the INS weeks page and its price chart; without them when they
        cannot be read or drawn within the job log's budget (the digest still goes out)."""

        def read() -> tuple:
            from include.ins_report.weeks import charts as weeks_charts  # matplotlib: not at DAG parse

            farm_db = farm_database(settings.farm_db_conn_id)
            row = weeks_queries.week_row(farm_db, settings, run.week_key)
            if row is None or not run.week:
                return row, None
            prices = weeks_queries.price_days(farm_db, run.week)
            return row, weeks_charts.price_chart(prices, run.week.start, "EKAPE 전국 지육가격 (최근 12주)")

        try:
            row, chart = within(JOB_LOG_BUDGET_SECONDS, read, "reading the week for the digest")
        except Exception as exc:
            log.warning("the digest goes without the week's row and chart: %s", exc)
            return digest
        return with_week(digest, row, chart, settings)

    def _success(self, run: RunFacts, settings: Settings) -> str:
        began = time.monotonic()
        run_log, _ = read_run_log(settings, run.run_id)
        done = []
        gate = accepted_gaps(run_log)
        if gate:
            sent = self._send(build_gaps_alert(run, gate, settings), run, settings)
            done.append(f"gaps warning sent via {', '.join(sent) or 'no channel'}")
        decision = approved_gaps(run_log)
        if decision:
            sent = self._send(build_approved_gaps_alert(run, decision, settings), run, settings)
            done.append(f"approved-gaps warning sent via {', '.join(sent) or 'no channel'}")
        report = not_in_plan(run_log)
        if report:
            sent = self._send(build_plan_warning_alert(run, report, settings), run, settings)
            done.append(f"not-in-plan warning sent via {', '.join(sent) or 'no channel'}")
        if settings.digest_channels:
            try:
                recent = within(
                    JOB_LOG_BUDGET_SECONDS,
                    lambda: joblog.recent_runs(farm_database(settings.farm_db_conn_id), weeks=12),
                    "reading the last weeks for the digest",
                )
            except Exception as exc:
                log.warning("previous runs unavailable for the digest: %s", exc)
                recent = []
            digest = build_digest(run, run_log, recent, settings)
            digest = self._with_week(digest, run, settings)
            # What is left of the callback's time after the gaps warning, the ALERT row kept aside.
            left = CALLBACK_LIMIT_SECONDS - (time.monotonic() - began) - JOB_LOG_BUDGET_SECONDS
            budget = max(1.0, min(CHANNEL_BUDGET_SECONDS, left))
            sent = self._send(digest, run, settings, parse_channels(settings.digest_channels), budget)
            done.append(f"digest sent via {', '.join(sent) or 'no channel'}")
        return "; ".join(done) or "nothing to send"

    def _question(self, context: Any, settings: Settings) -> str:
        """The request to decide on the week's gaps (a notifier of airflow_edge/approval.py's task, called in
        the task while it asks): every alert channel, with the link to the Required Actions page."""
        question = getattr(context["task"], "gap_question", None)
        if question is None:
            return "no question to send"
        week = report_week_of(context)
        run = RunFacts(run_id=str(context["run_id"]), week=week, week_key=week.key)
        alert = build_question_alert(run.run_id, week, question, settings)
        sent = self._send(alert, run, settings)
        return f"question sent via {', '.join(sent) or 'no channel'}"

    def _deadline(self, run: RunFacts, settings: Settings) -> str:
        run_log, _ = read_run_log(settings, run.run_id)
        run_log = current_attempt(run, run_log)  # a cleared run's earlier attempt is history
        if not should_send(run, run_log):
            log.info(
                "run %s failed before its deadline and had its failure alert: no deadline alert", run.run_id
            )
            return "deadline alert not sent: the run failed and had its failure alert"
        sent = self._send(build_deadline_alert(run, run_log, settings, self.deadline), run, settings)
        return f"deadline alert sent via {', '.join(sent) or 'no channel'}"
