"""The admins' alerts as one Airflow notifier (``BaseNotifier``, the pattern of the smtp and slack
providers' notifiers): the DAG's failure, success and deadline callbacks are instances of it.

- ``InsAlertNotifier("failure")``: DAG ``on_failure_callback`` (dag-processor): one alert per failed run;
- ``InsAlertNotifier("success")``: DAG ``on_success_callback`` (dag-processor): the gaps warning when the
  gate accepted gaps, and the weekly digest when INS_DIGEST_CHANNELS names channels;
- ``AsyncCallback(InsAlertNotifier, kwargs={"kind": "deadline", ...})``: the DeadlineAlert's callback,
  awaited in the triggerer (``async_notify``); not sent for a run that failed.

Each reads the run's job log, builds its message with a pure function (alerts/failure.py, digest.py,
gaps.py, deadline.py) and sends it on the configured channels (alerts/channels.py). It never raises: a
broken channel or an unreadable job log is logged and the alert still goes out with what is known.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from airflow.sdk import BaseNotifier

from include.ins_report import joblog
from include.ins_report.airflow_context import RunFacts, run_facts
from include.ins_report.alerts.channels import parse_channels, send_alert
from include.ins_report.alerts.deadline import build_deadline_alert, should_send
from include.ins_report.alerts.digest import build_digest
from include.ins_report.alerts.failure import build_failure_alert
from include.ins_report.alerts.gaps import accepted_gaps, build_gaps_alert
from include.ins_report.joblog import RunLog
from include.ins_report.settings import Settings
from include.ins_report.warehouse import Warehouse

log = logging.getLogger(__name__)

KINDS = ("failure", "success", "deadline")


def read_run_log(settings: Settings, run_id: str) -> tuple[RunLog, str]:
    """The run's job log, and "" or why it could not be read."""
    try:
        return RunLog.from_dicts(Warehouse(settings.farm_db_conn_id).job_log(run_id)), ""
    except Exception as exc:
        log.warning("job log unavailable for the alert: %s: %s", type(exc).__name__, exc)
        return RunLog(), f"{type(exc).__name__}: {exc}"


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
            run = run_facts(context)
            return getattr(self, f"_{self.kind}")(run, settings)
        except Exception as exc:
            log.exception("the %s alert could not be sent", self.kind)
            return f"{self.kind} alert failed: {type(exc).__name__}"

    def _failure(self, run: RunFacts, settings: Settings) -> str:
        run_log, error = read_run_log(settings, run.run_id)
        sent = send_alert(build_failure_alert(run, run_log, settings, job_log_error=error), settings)
        return f"failure alert sent via {', '.join(sent) or 'no channel'}"

    def _success(self, run: RunFacts, settings: Settings) -> str:
        run_log, _ = read_run_log(settings, run.run_id)
        done = []
        gate = accepted_gaps(run_log)
        if gate:
            sent = send_alert(build_gaps_alert(run, gate, settings), settings)
            done.append(f"gaps warning sent via {', '.join(sent) or 'no channel'}")
        if settings.digest_channels:
            try:
                recent = joblog.recent_runs(Warehouse(settings.farm_db_conn_id), weeks=12)
            except Exception as exc:
                log.warning("previous runs unavailable for the digest: %s", exc)
                recent = []
            digest = build_digest(run, run_log, recent, settings)
            sent = send_alert(digest, settings, channels=parse_channels(settings.digest_channels))
            done.append(f"digest sent via {', '.join(sent) or 'no channel'}")
        return "; ".join(done) or "nothing to send"

    def _deadline(self, run: RunFacts, settings: Settings) -> str:
        run_log, _ = read_run_log(settings, run.run_id)
        if not should_send(run, run_log):
            log.info(
                "run %s failed before its deadline and had its failure alert: no deadline alert", run.run_id
            )
            return "deadline alert not sent: the run failed and had its failure alert"
        sent = send_alert(build_deadline_alert(run, run_log, settings, self.deadline), settings)
        return f"deadline alert sent via {', '.join(sent) or 'no channel'}"
