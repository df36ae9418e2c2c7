"""An alert on every configured channel at once, each within a time budget, and what each channel did.

Each channel runs in a thread of its own with ``CHANNEL_BUDGET_SECONDS`` (its sender keeps to it too: HTTP
timeouts, an SMTP timeout, one connection attempt, ``channels.py``); the join gives up on a channel still
running when the budget is spent. So a channel that hangs (a webhook that accepts the connection and never
answers) costs the whole send at most the budget and cannot silence the others. With the notifier's read of
the job log and its ALERT row (``JOB_LOG_BUDGET_SECONDS`` each, ``within``), a DAG callback's work stays
under ``CALLBACK_LIMIT_SECONDS``, below the dag-processor's ``dag_file_processor_timeout`` (50 s) after which
the callback would be killed and every channel after the hanging one would never send.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from include.ins_report.airflow_edge.secrets import api_secrets, redact
from include.ins_report.alerts.channels import (
    CHANNELS,
    SENDERS,
    configured_connections,
    connection_secrets,
    parse_channels,
)
from include.ins_report.alerts.messages.alert import Alert
from include.ins_report.config.settings import Settings

log = logging.getLogger(__name__)

CHANNEL_BUDGET_SECONDS = 20.0  # each channel's time; the channels run at once
JOB_LOG_BUDGET_SECONDS = 8.0  # the notifier's read of the run's job log, and its ALERT row
CALLBACK_LIMIT_SECONDS = 40.0  # a DAG callback's whole work, below dag_file_processor_timeout (50 s)


def callback_budget(channel_budget: float = CHANNEL_BUDGET_SECONDS) -> float:
    """The longest a notifier's callback can take: the job-log read, the channels, the ALERT row."""
    return JOB_LOG_BUDGET_SECONDS + channel_budget + JOB_LOG_BUDGET_SECONDS


@dataclass(frozen=True)
class ChannelResult:
    channel: str
    conn_id: str
    error: str = ""  # "" when delivered, else the error's class and its redacted message

    @property
    def delivered(self) -> bool:
        return not self.error

    @property
    def error_class(self) -> str:
        return self.error.partition(":")[0]


@dataclass(frozen=True)
class Delivery:
    """One alert on its configured channels: which took it, which failed and why (redacted)."""

    event: str
    results: tuple[ChannelResult, ...] = ()

    @property
    def sent(self) -> list[str]:
        return [result.channel for result in self.results if result.delivered]

    @property
    def failed(self) -> list[ChannelResult]:
        return [result for result in self.results if not result.delivered]

    @property
    def lost(self) -> bool:
        """Channels were configured and none of them took the alert."""
        return bool(self.results) and not self.sent

    def summary(self) -> str:
        """``email (SMTPServerDisconnected: …), webhook (TimeoutError: …)``: the failed channels."""
        return ", ".join(f"{result.channel} via {result.conn_id} ({result.error})" for result in self.failed)


def within(seconds: float, action: Callable[[], object], name: str) -> object:
    """``action()`` in a daemon thread, given up after ``seconds`` (TimeoutError): what it blocks on (a
    socket, a database login) cannot hold the caller longer."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = action()
        except BaseException as exc:  # handed to the caller
            outcome["error"] = exc

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"{name}: no answer within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome.get("value")


def deliver(
    alert: Alert,
    settings: Settings,
    channels: Iterable[str] | None = None,
    budget: float = CHANNEL_BUDGET_SECONDS,
) -> Delivery:
    """Send on every configured channel (or on those of ``channels`` that are configured), each in its own
    thread within ``budget`` seconds, all at once; what each channel did."""
    wanted = list(CHANNELS) if channels is None else parse_channels(channels)
    try:
        secrets = api_secrets(settings)
        alert = alert.redacted(lambda text: redact(text, secrets))
    except Exception:  # never lose an alert to the redaction's own lookups
        log.warning("API keys could not be looked up for redaction")
    configured = configured_connections(settings, wanted)
    outcomes: dict[str, str] = {}
    threads = []
    for channel, conn in configured.items():

        def run(channel: str = channel, conn=conn) -> None:
            try:
                SENDERS[channel](alert, settings, conn, budget)
                outcomes[channel] = ""
            except Exception as exc:
                # No traceback: it would repeat the request's URL; the class and the masked message suffice.
                outcomes[channel] = redact(f"{type(exc).__name__}: {exc}", connection_secrets(conn))

        thread = threading.Thread(target=run, name=f"ins-alert-{channel}", daemon=True)
        thread.start()
        threads.append(thread)
    deadline = time.monotonic() + budget
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    results = []
    for channel, conn in configured.items():
        error = outcomes.get(channel)
        if error is None:  # still running: given up (the thread ends with the process)
            error = f"TimeoutError: no answer within {budget:g} s"
        if error:
            log.error("alert via %s failed (connection %s): %s", channel, conn.conn_id, error)
        results.append(ChannelResult(channel, conn.conn_id, error))
    delivery = Delivery(str(alert.payload.get("event", "alert")), tuple(results))
    log.info(
        "%s sent via %s",
        delivery.event,
        ", ".join(delivery.sent) or "no channel (none configured or all failed)",
    )
    return delivery


def send_alert(
    alert: Alert,
    settings: Settings,
    channels: Iterable[str] | None = None,
    budget: float = CHANNEL_BUDGET_SECONDS,
) -> list[str]:
    """``deliver``; returns the channels that accepted the alert."""
    return deliver(alert, settings, channels, budget).sent
