"""Cutover safety: the legacy Oracle scheduler job and this DAG must never both build the weekly report.

The job ``JOB_INS_WEEKLY_REPORT`` calls ``SP_INS_WEEK_MAIN('WEEK', NULL)`` every Monday 02:00 KST. Until
it is disabled, a DAG run that calls the procedure too builds the report twice, possibly at the same time.
:func:`check_legacy_job` runs right before the procedure call, on Oracle only, and looks the job up in
``USER_SCHEDULER_JOBS`` and then ``ALL_SCHEDULER_JOBS`` (``include/sql/oracle/legacy_job_state.sql``).

``INS_LEGACY_JOB_GUARD`` says what an enabled job does to the run:

- ``fail`` (default): the step fails at once (no retry) with the exact statement that disables the job;
- ``warn``: a warning is logged and returned (for the job log), and the procedure is called;
- ``off``: nothing is checked (e.g. the Airflow user may not see the job and the DBA vouches for it).

``INS_LEGACY_JOB_NAME`` names the job (default ``JOB_INS_WEEKLY_REPORT``). The scripts for people are in
``include/sql/oracle/cutover/``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from include.ins_report.config.settings import Settings
from include.ins_report.model.errors import PermanentError

log = logging.getLogger(__name__)

GUARD_ENV = "INS_LEGACY_JOB_GUARD"
JOB_NAME_ENV = "INS_LEGACY_JOB_NAME"
DEFAULT_JOB_NAME = "JOB_INS_WEEKLY_REPORT"
MODES = ("fail", "warn", "off")
DEFAULT_MODE = "fail"
STATE_SQL = "legacy_job_state"  # include/sql/oracle/legacy_job_state.sql
DISABLE_SCRIPT = "include/sql/oracle/cutover/disable_legacy_job.sql"


class QueryRunner(Protocol):
    """What the guard needs: ``FarmDatabase.query`` (a statement name and its binds, rows back)."""

    def query(self, name: str, params: dict | None = None) -> list[tuple]: ...


class LegacyJobEnabledError(PermanentError):
    """The legacy scheduler job is still enabled; retrying cannot change that, disabling it does."""


@dataclass(frozen=True)
class LegacyJob:
    owner: str
    name: str
    enabled: bool
    state: str

    @property
    def qualified_name(self) -> str:
        return f"{self.owner}.{self.name}" if self.owner else self.name

    def disable_statement(self) -> str:
        return f"BEGIN DBMS_SCHEDULER.DISABLE('{self.qualified_name}'); END;"


def guard_mode(value: str | None = None) -> str:
    """The guard mode: ``value`` if given, else the setting (``INS_LEGACY_JOB_GUARD``, default ``fail``)."""
    raw = value if value is not None else Settings.from_env().legacy_job_guard
    mode = raw.strip().lower() or DEFAULT_MODE
    if mode not in MODES:
        raise PermanentError(f"{GUARD_ENV}={raw!r} is not one of {', '.join(MODES)} (default {DEFAULT_MODE})")
    return mode


def legacy_job_name(value: str | None = None) -> str:
    """The job's name as the dictionary stores it (upper case): ``value``, else the setting."""
    raw = value if value is not None else Settings.from_env().legacy_job_name
    return raw.strip().upper() or DEFAULT_JOB_NAME


def find_legacy_jobs(runner: QueryRunner, job_name: str) -> list[LegacyJob]:
    """The job's rows visible to the connection's user: its own schema first, then other schemas."""
    rows = runner.query(STATE_SQL, {"job_name": job_name})
    return [
        LegacyJob(
            owner=str(owner or ""),
            name=str(name),
            enabled=str(enabled or "").strip().upper() == "TRUE",
            state=str(state or ""),
        )
        for owner, name, enabled, state in rows
    ]


def _dialect_name(runner: object) -> str:
    dialect = getattr(runner, "dialect", None)
    return getattr(dialect, "name", "oracle")


def enabled_message(jobs: list[LegacyJob], mode: str) -> str:
    names = ", ".join(f"{job.qualified_name} (state {job.state or 'unknown'})" for job in jobs)
    how = " and ".join(f"as {job.owner or 'its owner'} run {job.disable_statement()}" for job in jobs)
    consequence = (
        "so this run does not call the report procedure (it would build the report twice)"
        if mode == "fail"
        else f"and {GUARD_ENV}=warn: the report procedure is called anyway"
    )
    return (
        f"the legacy Oracle scheduler job {names} is still enabled; it calls SP_INS_WEEK_MAIN('WEEK', NULL) "
        f"on its own schedule, {consequence}. Finish the cutover: {how} "
        f"(or run {DISABLE_SCRIPT} in SQL*Plus/SQLcl as the job's owner), then clear this task. "
        f"To call the procedure while the job is enabled, set {GUARD_ENV}=warn (or off)."
    )


def check_legacy_job(runner: QueryRunner, mode: str | None = None, job_name: str | None = None) -> str | None:
    """Refuse (``fail``) or report (``warn``) an enabled legacy job; return the warning, else ``None``.

    ``runner`` is the farm database's :class:`~include.ins_report.store.farm_db.FarmDatabase` (anything with
    its ``query(name, params)``). On another dialect than Oracle nothing is checked. In ``fail`` mode an error
    of the check itself is raised as it is (a retry may succeed); in ``warn`` mode it is logged and returned.
    """
    mode = guard_mode(mode)
    if mode == "off":
        log.info("legacy job guard is off (%s=off): the scheduler job is not checked", GUARD_ENV)
        return None
    dialect = _dialect_name(runner)
    if dialect != "oracle":
        log.debug("legacy job guard: %s database, no Oracle scheduler job to check", dialect)
        return None
    name = legacy_job_name(job_name)
    try:
        jobs = find_legacy_jobs(runner, name)
    except Exception as exc:
        if mode == "fail":
            log.error(
                "could not check the legacy job %s (%s); fix the access or set %s=warn to go on without it",
                name,
                exc,
                GUARD_ENV,
            )
            raise
        message = f"legacy job {name} not checked ({exc}); {GUARD_ENV}=warn: the procedure is called anyway"
        log.warning(message)
        return message
    enabled = [job for job in jobs if job.enabled]
    if not enabled:
        if jobs:
            log.info("legacy job %s is disabled: cutover done", ", ".join(job.qualified_name for job in jobs))
        else:
            log.info("legacy job %s not found for this user: nothing to guard against", name)
        return None
    message = enabled_message(enabled, mode)
    if mode == "fail":
        raise LegacyJobEnabledError(message)
    log.warning(message)
    return message
