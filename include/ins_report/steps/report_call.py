"""The report procedure's call: at most once per attempt, and never twice at the same time.

``run_weekly_report`` runs with ``retries=0``: Airflow never calls the procedure again by itself once the
call may have reached the database. What comes before the call cannot have started the procedure (the farm
database's connection, reading the legacy job's state, the session check, connecting for the call), so it
is retried here, a few times within a minute (``before_call``): a database restarting at 02:00 does not
fail the week.

On Oracle the call's session names the run in ``V$SESSION`` (python-oracledb's ``module``, ``action`` and
``client_identifier``, ``SessionTag``), and every attempt first looks for a session of an earlier attempt,
or of another run, that is still in the procedure (``check_report_sessions``,
include/sql/oracle/report_sessions.sql). If one is, the step fails at once, naming it, without a call.
Reading V$SESSION needs ``GRANT SELECT ON V_$SESSION TO <batch user>``: without it (ORA-00942) the step
fails naming the grant, since the call would not be guarded otherwise. SQLite runs the report script in the
task's own process, so no session outlives an attempt: the check is a no-op there.

Once the call has been sent, any error (Airflow's execution timeout and a SIGTERM included) fails the task
at once (``ReportCallNotRetried``) and says whether the call has ended or may still run, with the exact
query that shows it. A worker that is killed or lost raises nothing: its failure callback writes the same
query into the job log (``may_still_run_note``, include/ins_report/airflow_edge/callbacks.py).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from include.ins_report.joblog import clip_utf8
from include.ins_report.joblog.registry import JOB_NAME
from include.ins_report.model.errors import PermanentError
from include.ins_report.store.oracle_errors import (
    ACCESS,
    describe_error,
    error_kind,
    oracle_codes,
    server_answered,
)

if TYPE_CHECKING:
    from include.ins_report.config.settings import Settings
    from include.ins_report.store.farm_db import FarmDatabase

log = logging.getLogger(__name__)

T = TypeVar("T")

MODULE = JOB_NAME  # V$SESSION.MODULE of the call's session (at most 48 bytes)
CLIENT_PREFIX = f"{JOB_NAME}:"  # V$SESSION.CLIENT_IDENTIFIER: this prefix and the run id (at most 64 bytes)
ACTION_BYTES, CLIENT_BYTES = 32, 64
RUNNING_STATUSES = ("ACTIVE", "KILLED")  # in a call, or rolling it back after ALTER SYSTEM KILL SESSION
PRE_CALL_ATTEMPTS = 3
PRE_CALL_DELAY_SECONDS = 10.0  # then 20 s: within a minute, nothing of the procedure has run
NOT_RETRIED = (
    "not retried automatically: check on the database that the procedure no longer runs, then clear the task"
)
GRANT = "GRANT SELECT ON V_$SESSION TO {user}"


class ReportCallNotRetried(PermanentError):
    """The procedure call reached the database and failed, timed out or was interrupted: the task fails at
    once, without Airflow's retries (the task has none). PL/SQL may still run on the server after the client
    gave up, and a deterministic error would only repeat; the message says which, and how to check."""

    reports_cause = True  # the job log and the alert name the cause (oracle_errors.describe_error)


class ReportNotCalled(PermanentError):
    """A step before the call (connection, legacy job state, session check, connecting) kept failing: the
    procedure was not called, nothing of it runs; clear the task once the cause is fixed."""

    reports_cause = True


class ReportStillRunningError(PermanentError):
    """A session of an earlier attempt (or of another run) is still in the procedure: calling now would run
    it twice at once."""


class SessionCheckNotGrantedError(PermanentError):
    """V$SESSION is not readable by the batch's user, so a call still running could not be seen."""

    reports_cause = True


# --- the call's session in V$SESSION ----------------------------------------------------------------


def client_identifier(run_id: str) -> str:
    """``INS_WEEKLY_REPORT:<run id>``; a run id too long for the column's 64 bytes keeps its head and a
    digest of the whole, so that it stays unique and the same on every attempt."""
    full = CLIENT_PREFIX + run_id
    if len(full.encode("utf-8")) <= CLIENT_BYTES:
        return full
    digest = hashlib.sha1(run_id.encode("utf-8")).hexdigest()[:12]
    return f"{clip_utf8(full, CLIENT_BYTES - len(digest) - 1)}~{digest}"


@dataclass(frozen=True)
class SessionTag:
    """What the call's session shows in V$SESSION: the batch (MODULE), the call (ACTION), the run."""

    module: str
    action: str
    client_identifier: str

    @classmethod
    def of(cls, run_id: str, procedure: str, week_text: str) -> SessionTag:
        action = clip_utf8(f"{procedure.rsplit('.', 1)[-1]} {week_text}", ACTION_BYTES)
        return cls(MODULE, action, client_identifier(run_id))

    def check_query(self) -> str:
        return check_query(self.client_identifier)


def check_query(client: str) -> str:
    """The query an operator runs to see whether a run's call still runs (a row ACTIVE: it does)."""
    literal = client.replace("'", "''")
    columns = "SID, SERIAL#, STATUS, LAST_CALL_ET, ACTION"
    return f"SELECT {columns} FROM V$SESSION WHERE CLIENT_IDENTIFIER = '{literal}'"


@dataclass(frozen=True)
class ReportSession:
    """A session of the batch's user tagged as a report call (a row of report_sessions.sql)."""

    sid: int
    serial: int
    status: str
    seconds_in_call: int | None
    module: str
    action: str
    client_identifier: str
    sql_id: str

    @classmethod
    def from_row(cls, row: tuple) -> ReportSession:
        sid, serial, status, seconds, module, action, client, sql_id = row
        return cls(
            int(sid),
            int(serial),
            str(status or ""),
            None if seconds is None else int(seconds),
            str(module or ""),
            str(action or ""),
            str(client or ""),
            str(sql_id or ""),
        )

    @property
    def running(self) -> bool:
        return self.status.upper() in RUNNING_STATUSES

    def describe(self) -> str:
        seconds = "?" if self.seconds_in_call is None else self.seconds_in_call
        return (
            f"SID {self.sid}, SERIAL# {self.serial}, {self.status} for {seconds} s, CLIENT_IDENTIFIER "
            f"'{self.client_identifier}', ACTION '{self.action}'"
        )


def check_report_sessions(farm_db: FarmDatabase) -> None:
    """Fail (no call) while a tagged session of the batch's user is still in the procedure; on SQLite the
    farm_db answers no session. ORA-00942 (V$SESSION not granted) fails naming the grant."""
    try:
        rows = farm_db.report_sessions(MODULE, CLIENT_PREFIX)
    except Exception as exc:
        if {"ORA-00942", "ORA-01031"} & set(oracle_codes(exc)):
            grant = GRANT.format(user=_login_user(farm_db))
            raise SessionCheckNotGrantedError(
                "the report procedure is not called: the session check cannot read V$SESSION, so a call of "
                f"an earlier attempt that still runs would not be seen. Ask the DBA (as SYS) for: {grant}; "
                "then clear this task (docs/operations.md, 'The report procedure's sessions')"
            ) from exc
        raise
    sessions = [ReportSession.from_row(row) for row in rows]
    for session in sessions:
        if not session.running:
            log.info("a report session no longer in a call (left open): %s", session.describe())
    running = [session for session in sessions if session.running]
    if running:
        first = running[0]
        raise ReportStillRunningError(
            "the report procedure is still running in an earlier session: "
            + "; ".join(session.describe() for session in running)
            + ". It is not called again while it runs (it would run twice at once). Wait until it ends "
            f"(check with: {check_query(first.client_identifier)}), "
            f"or have the DBA end it (ALTER SYSTEM KILL SESSION '{first.sid},{first.serial}' IMMEDIATE), "
            "then clear this task"
        )
    log.info("no session of the batch is in the report procedure: it may be called")


def _login_user(farm_db: FarmDatabase) -> str:
    try:
        return farm_db.login_user() or "<the batch's user>"
    except Exception:
        return "<the batch's user>"


# --- before the call: a small bounded retry -----------------------------------------------------------


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def before_call(action: Callable[[], T], what: str, attempts: int = PRE_CALL_ATTEMPTS) -> T:
    """``action()``, tried up to ``attempts`` times (10 s, then 20 s apart): it comes before the call and
    cannot have started the procedure. A permanent error (a decision) and an access error (a retry cannot
    fix it, and a login counts towards locking the account) are not retried; what still fails after the
    last try becomes ``ReportNotCalled``."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except PermanentError:
            raise
        except Exception as exc:
            if error_kind(exc) == ACCESS or attempt == attempts:
                tries = f"{attempt} {'try' if attempt == 1 else 'tries'}"
                raise ReportNotCalled(
                    f"the report procedure was not called: {what} failed ({tries}); nothing of the "
                    "procedure runs, clear this task once the cause is fixed"
                ) from exc
            wait = PRE_CALL_DELAY_SECONDS * 2 ** (attempt - 1)
            log.warning(
                "%s failed (try %d of %d), again in %.0f s; the procedure has not been called: %s",
                what,
                attempt,
                attempts,
                wait,
                describe_error(exc),
            )
            _pause(wait)
    raise AssertionError("unreachable")  # pragma: no cover


# --- the call ---------------------------------------------------------------------------------------


def not_retried_message(farm_db: FarmDatabase, tag: SessionTag, error: BaseException) -> str:
    """Why the failed call is not retried, and whether it has ended or may still run (with the query)."""
    if not farm_db.dialect.report_is_procedure:
        return NOT_RETRIED  # the reference script ran in this process and was rolled back
    if server_answered(error):
        return (
            "not retried automatically: the database answered the call with this error, so the call has "
            "ended; fix its cause, then clear the task"
        )
    return "not retried automatically: " + may_still_run_note(tag.client_identifier)


def may_still_run_note(client: str, sent: bool = True) -> str:
    """The call (``sent``, or perhaps sent) may still run on the server: how to check, what to do."""
    return (
        f"the call {'was sent' if sent else 'may have been sent'} and may still be running on the database. "
        f"Check with: {check_query(client)} (a row ACTIVE: it still runs; a new attempt refuses to call "
        "while it does); when no row is ACTIVE, clear the task"
    )


def call_once(
    farm_db: FarmDatabase,
    settings: Settings,
    tag: SessionTag,
    week_text: str,
    interrupts: tuple[type[BaseException], ...] = (),
) -> None:
    """Call the procedure once, its session tagged; connecting is retried (nothing was sent), anything after
    the call was sent fails the task at once. ``interrupts``: what the task runner raises into the call when
    it stops the task (Airflow's timeout and SIGTERM, given by the edge: ``StepContext.interrupts``), which
    derive from BaseException only and count as errors of the call too."""
    farm_db.tag_report_session(tag.module, tag.action, tag.client_identifier)

    def call() -> None:
        try:
            farm_db.run_report(
                settings.report_procedure,
                settings.report_proc_type,
                week_text,
                settings.report_timeout_seconds,
            )
        except (Exception, *interrupts) as exc:
            if not farm_db.report_call_sent:
                raise  # the database was not reached: nothing runs there (before_call may try again)
            raise ReportCallNotRetried(not_retried_message(farm_db, tag, exc)) from exc

    before_call(call, "connecting to the farm database for the call")
