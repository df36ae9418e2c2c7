"""Configuration of the weekly INS batch, read from the environment with production defaults.

Everything an operator may tune lives here, once: each field of ``Settings`` is declared with its
environment variable, its default and its rule (``setting``; the rules are in
include/ins_report/config/rules.py), and ``from_env`` iterates the fields. Every value is checked when the
settings are made, so a bad ``INS_*`` value fails the DAG file's import (the UI shows it as an import
error) with one message that names every bad variable, its value and what is allowed, instead of failing a
step hours later. Connections (database, APIs, alert channels) are Airflow connections; this module only
names them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from include.ins_report.config import rules as rules
from include.ins_report.model.gap_policy import ask_timeout_interval
from include.ins_report.model.schedule import START, TIMEZONE, deadline_interval

PACKAGE_DIR = Path(__file__).resolve().parent.parent
INCLUDE_DIR = PACKAGE_DIR.parent
SQL_DIR = INCLUDE_DIR / "sql"
PROJECT_DIR = INCLUDE_DIR.parent  # on PYTHONPATH in every entry point
DATA_DIR = PACKAGE_DIR / "data"  # seed data (the ASOS stations)
CONFIG_DIR = PACKAGE_DIR / "config"  # declarative configuration (the KOSIS series)

DAG_ID = "ins_weekly_report"
__all__ = ["CHANNELS", "DAG_ID", "DEFAULT_SOURCES", "TIMEZONE", "Settings", "SettingsError"]

# Every source of include/ins_report/sources/catalog.py, enabled by default (INS_SOURCES); the catalog's
# test checks the two lists name the same sources.
DEFAULT_SOURCES = ("kosis", "ekape", "kma")
# The alert channels (include/ins_report/alerts/channels.py sends on them; INS_DIGEST_CHANNELS names them).
CHANNELS = ("email", "slack", "webhook")
# What an enabled legacy Oracle scheduler job does to the report step (include/ins_report/steps/cutover.py).
LEGACY_JOB_GUARDS = ("fail", "warn", "off")
# The columns of the reference TR_INS_WEEK_REPORT the report diff compares (REPORT_WEEK is the week, FARM_NO
# the key, CREATED_AT changes on every build).
REPORT_DIFF_COLUMNS = (
    "FARM_NM",
    "POINT_ID",
    "DAYS_OBSERVED",
    "AVG_TA",
    "MIN_TA",
    "MAX_TA",
    "AVG_RHM",
    "SUM_RN",
    "AVG_THI",
    "MAX_THI",
    "HEAT_STRESS_DAYS",
    "NATIONAL_PIG_HEADS",
    "PORK_CPI",
    "PIG_PRICE_AVG",
)
# What an unanswered question on the week's gaps turns into (include/ins_report/airflow_edge/approval.py).
ASK_DEFAULTS = ("reject", "approve")


class SettingsError(ValueError):
    """One or more ``INS_*`` values are invalid; the message lists each (variable, value, what is allowed)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = f"{len(problems)} INS_* setting{'' if len(problems) == 1 else 's'}"
        super().__init__(
            f"{count} invalid (set in the environment or .env; .env.example lists the defaults):\n"
            + "\n".join(f"  - {problem}" for problem in problems)
        )


def setting(env: str, default: Any, rule: rules.Rule) -> Any:
    """A field read from the environment variable ``env`` (unset or blank: ``default``) by ``rule``: a
    ``dataclasses.field`` (hence the RUF009 exemptions where the type is not immutable)."""
    metadata = {"env": env, "rule": rule}
    if isinstance(default, list):
        return field(default_factory=partial(list, default), metadata=metadata)
    return field(default=default, metadata=metadata)


CONN_ID = rules.Text("an Airflow connection id (letters, digits and _ - . : / # ! ( ))", rules.CONN_ID)
POOL = rules.Text("an Airflow pool name (letters, digits and _ - .), or default_pool", rules.POOL_NAME)
SLOTS = rules.Whole(1, "a pool needs at least one slot")
PACE = rules.Number(0, note="calls per second for all workers together; 0: no pacing")
QUOTA = rules.Whole(1, "calls a day the API key allows")
SECONDS = rules.Number(0, above=True, note="seconds")
CLOCK = rules.Text("a time of day HH:MM (KST, 00:00 to 23:59)", rules.CLOCK_TIME)
SHARE = rules.Number(0, 1, note="a share of the expected rows")
FILE = rules.ExistingFile(PROJECT_DIR)
EMAILS = rules.Emails()
DIGEST = rules.Names(CHANNELS, "alert channels")
SOURCES = rules.Names(DEFAULT_SOURCES, "the catalog's sources", at_least=1)
DEADLINE = rules.Checked(
    "HH:MM (KST on the Monday of the run, after the 02:00 trigger), a duration such as 90s, 45m or 10h, "
    "or off",
    deadline_interval,
)


@dataclass(frozen=True)
class Settings:
    farm_db_conn_id: str = setting("INS_FARM_DB_CONN_ID", "farm_db", CONN_ID)
    kma_conn_id: str = setting("INS_KMA_CONN_ID", "kma_api", CONN_ID)
    kosis_conn_id: str = setting("INS_KOSIS_CONN_ID", "kosis_api", CONN_ID)
    ekape_conn_id: str = setting("INS_EKAPE_CONN_ID", "ekape_api", CONN_ID)
    smtp_conn_id: str = setting("INS_SMTP_CONN_ID", "smtp_alerts", CONN_ID)
    webhook_conn_id: str = setting("INS_WEBHOOK_CONN_ID", "alert_webhook", CONN_ID)
    slack_conn_id: str = setting("INS_SLACK_CONN_ID", "slack_alerts", CONN_ID)
    alert_emails: list[str] = setting("INS_ALERT_EMAILS", ["ins-admins@example.com"], EMAILS)  # noqa: RUF009
    # The weekly success digest goes to these channels (email, slack, webhook); empty: no digest.
    digest_channels: list[str] = setting("INS_DIGEST_CHANNELS", [], DIGEST)  # noqa: RUF009
    # The week's report must be finished by then, or the admins are alerted (Airflow deadline alert):
    # "HH:MM" KST on the Monday of the scheduled run, a duration after the run is queued ("90s", "45m",
    # "10h"), or "off".
    report_deadline: str = setting("INS_REPORT_DEADLINE", "12:30", DEADLINE)
    airflow_base_url: str = setting("INS_AIRFLOW_BASE_URL", "http://localhost:8080", rules.BaseUrl())

    # Pasted into the PL/SQL call (OracleHook.callproc): an identifier, never free text.
    report_procedure: str = setting(
        "INS_REPORT_PROCEDURE",
        "SP_INS_WEEK_MAIN",
        rules.Text(
            "an Oracle procedure name: NAME, SCHEMA.NAME or SCHEMA.PACKAGE.NAME, each part a letter then "
            "letters, digits, _ $ # (up to 128; quoted identifiers are not supported)",
            rules.ORACLE_PROCEDURE,
        ),
    )
    report_proc_type: str = setting(
        "INS_REPORT_PROC_TYPE",
        "WEEK",
        rules.Text("a plain token (letters, digits, _; up to 30)", rules.PLAIN_TOKEN),
    )
    report_week_format: str = setting("INS_REPORT_WEEK_FORMAT", "%Y%m%d", rules.WeekFormat(START))
    # The database call timeout of the report procedure (python-oracledb call_timeout), in seconds; 0: none.
    # The call is never retried automatically once sent (docs/operations.md, "The report procedure's
    # sessions").
    report_timeout_seconds: int = setting("INS_REPORT_TIMEOUT", 3600, rules.Whole(0, "seconds; 0: none"))

    task_retries: int = setting("INS_TASK_RETRIES", 3, rules.Whole(0))
    retry_delay_seconds: int = setting("INS_RETRY_DELAY_SECONDS", 300, rules.Whole(0, "seconds"))
    http_attempts: int = setting("INS_HTTP_ATTEMPTS", 4, rules.Whole(1, "1: no retry"))
    http_backoff_seconds: float = setting("INS_HTTP_BACKOFF_SECONDS", 2.0, rules.Number(0, note="seconds"))
    http_timeout_seconds: float = setting("INS_HTTP_TIMEOUT_SECONDS", 30.0, SECONDS)

    # API capacity (docs/performance.md): each API's calls run in an Airflow pool of this many slots (created
    # by include/ins_report/airflow_edge/pools.py), and every call holds its slot for slots/calls_per_second
    # seconds, so all workers together stay under the provider's rate (0: no pacing). "default_pool" opts out
    # of the dedicated pool.
    kma_pool: str = setting("INS_KMA_POOL", "kma_api", POOL)
    kma_pool_slots: int = setting("INS_KMA_POOL_SLOTS", 4, SLOTS)
    kma_calls_per_second: float = setting("INS_KMA_CALLS_PER_SECOND", 10.0, PACE)
    # data.go.kr development keys; a plan needing more calls fails early
    kma_daily_quota: int = setting("INS_KMA_DAILY_QUOTA", 10_000, QUOTA)
    kosis_pool: str = setting("INS_KOSIS_POOL", "kosis_api", POOL)
    kosis_pool_slots: int = setting("INS_KOSIS_POOL_SLOTS", 2, SLOTS)
    kosis_calls_per_second: float = setting("INS_KOSIS_CALLS_PER_SECOND", 10.0, PACE)
    # EKAPE pig carcass prices (include/ins_report/sources/ekape.py): two calls per trading day; the
    # development key allows 1,000 calls a day, checked before any call.
    ekape_pool: str = setting("INS_EKAPE_POOL", "ekape_api", POOL)
    ekape_pool_slots: int = setting("INS_EKAPE_POOL_SLOTS", 1, SLOTS)
    ekape_calls_per_second: float = setting("INS_EKAPE_CALLS_PER_SECOND", 5.0, PACE)
    ekape_daily_quota: int = setting("INS_EKAPE_DAILY_QUOTA", 1_000, QUOTA)
    # A trading day's prices may change until this time (KST) the next day; the week is collected after its
    # Sunday's (Monday 10:00 KST by default), inside the weather's waiting window.
    ekape_final_at: str = setting("INS_EKAPE_FINAL_AT", "10:00", CLOCK)

    # The external sources the batch collects (include/ins_report/sources/catalog.py), comma-separated.
    sources: list[str] = setting("INS_SOURCES", list(DEFAULT_SOURCES), SOURCES)  # noqa: RUF009

    # Values of day D are published around D+1 09:00 KST (publication_expected_at): `make run` reports the
    # latest week published by then. The Monday run waits for Sunday's ASOS values until
    # publication_wait_until (KST) on the Monday after the report week.
    publication_expected_at: str = setting("INS_PUBLICATION_EXPECTED_AT", "09:00", CLOCK)
    publication_wait_until: str = setting("INS_PUBLICATION_WAIT_UNTIL", "12:00", CLOCK)
    # The two waits (Sunday's ASOS values, EKAPE's final time) wait in the triggerer: ASOS is probed every
    # publication_probe_seconds (one call each), EKAPE's wait ends at its final time. "reschedule": the
    # sensors as before issue #22, a worker start every publication_poke_seconds (the bench's comparison; a
    # deployment without a triggerer). A collection whose answer still lacks the week's data (a KOSIS period,
    # a station's Sunday later than the probe's) asks again publication_poke_seconds later.
    publication_wait_mode: str = setting(
        "INS_PUBLICATION_WAIT_MODE", "deferrable", rules.Choice(("deferrable", "reschedule"))
    )
    publication_probe_seconds: int = setting("INS_PUBLICATION_PROBE_SECONDS", 60, rules.Whole(1, "seconds"))
    publication_poke_seconds: int = setting("INS_PUBLICATION_POKE_SECONDS", 900, rules.Whole(1, "seconds"))
    publication_probe_station: str = setting(
        "INS_PUBLICATION_PROBE_STATION",
        "108",
        rules.Text("an ASOS station id (digits), e.g. 108", rules.STATION_ID),
    )

    # Cutover (include/ins_report/steps/cutover.py): what an enabled legacy Oracle scheduler job does to the
    # report step (fail | warn | off), and its name (looked up as JOB_NAME in USER_/ALL_SCHEDULER_JOBS: no
    # schema).
    legacy_job_guard: str = setting("INS_LEGACY_JOB_GUARD", "fail", rules.Choice(LEGACY_JOB_GUARDS))
    legacy_job_name: str = setting(
        "INS_LEGACY_JOB_NAME",
        "JOB_INS_WEEKLY_REPORT",
        rules.Text(
            "an Oracle scheduler job name without schema (a letter, then letters, digits, _ $ #)",
            rules.ORACLE_IDENTIFIER,
        ),
    )

    # The gate is strict by default (1.0): any missing farm-day or stats period stops the run. Lower values
    # let the report proceed with the gaps listed in the job log and in an alert.
    min_weather_coverage: float = setting("INS_MIN_WEATHER_COVERAGE", 1.0, SHARE)
    min_stats_coverage: float = setting("INS_MIN_STATS_COVERAGE", 1.0, SHARE)
    # Below those, down to these floors, an operator decides in the Airflow UI (include/ins_report/model/
    # gap_policy.py): approve (the report is built with the gaps) or reject (the run stops). Below a floor
    # the run stops unasked. A floor at or above its INS_MIN_* (1.0, say): never ask. The defaults ask about
    # a station down, not about a week with most of its data missing.
    ask_weather_coverage: float = setting("INS_ASK_WEATHER_COVERAGE", 0.8, SHARE)
    ask_stats_coverage: float = setting("INS_ASK_STATS_COVERAGE", 0.8, SHARE)
    # Who may answer: Airflow user ids (the auth manager's; the simple auth manager's: user names); empty:
    # any user allowed to act on the DAG.
    ask_assignees: list[str] = setting("INS_ASK_ASSIGNEES", ["admin"], rules.Tokens())  # noqa: RUF009
    # Nobody answered by then: the default applies. HH:MM (KST, counted from the run's start like
    # INS_REPORT_DEADLINE) or a duration after the question; always before the report deadline.
    ask_timeout: str = setting(
        "INS_ASK_TIMEOUT",
        "12:00",
        rules.Checked(
            "HH:MM (KST on the Monday of the run, after the 02:00 trigger) or a duration such as 30m or 2h",
            partial(ask_timeout_interval, name="INS_ASK_TIMEOUT"),
        ),
    )
    ask_default: str = setting("INS_ASK_DEFAULT", "reject", rules.Choice(ASK_DEFAULTS))

    # After the report procedure, its rows for the week (TR_INS_WEEK_REPORT) must be exactly the week's farms
    # (the farm rule, include/ins_report/model/farms.py), or the run fails naming the farms missing or extra.
    # "off" for a customer whose report table differs from the reference one (the row count is then best
    # effort, as before).
    reconcile_report: bool = setting("INS_RECONCILE_REPORT", True, rules.Switch())
    # Every replacement of a week's report is diffed (include/ins_report/model/report_diff.py): right before
    # the procedure the report step keeps the week's TR_INS_WEEK_REPORT rows, right after it compares them
    # by the key, column by column (TS_INS_REPORT_DIFF, at most max_rows rows a comparison, and the
    # COMPARE_REPORT job-log row with the exact counts). A customer's report table: its key and columns
    # (pasted into the SQL, so plain names only). Numbers are the same within either tolerance.
    report_diff: bool = setting("INS_REPORT_DIFF", True, rules.Switch())
    report_diff_key: str = setting("INS_REPORT_DIFF_KEY", "FARM_NO", rules.SqlNames(single=True))
    report_diff_columns: list[str] = setting(  # noqa: RUF009
        "INS_REPORT_DIFF_COLUMNS", list(REPORT_DIFF_COLUMNS), rules.SqlNames()
    )
    report_diff_abs_tolerance: float = setting(
        "INS_REPORT_DIFF_ABS_TOLERANCE", 0.0, rules.Number(0, note="in the column's unit")
    )
    report_diff_rel_tolerance: float = setting(
        "INS_REPORT_DIFF_REL_TOLERANCE", 0.000000001, rules.Number(0, 1, note="a share of the larger value")
    )
    report_diff_max_rows: int = setting(
        "INS_REPORT_DIFF_MAX_ROWS", 10_000, rules.Whole(0, "rows a comparison keeps; 0: the counts only")
    )

    stations_file: Path = setting("INS_STATIONS_FILE", DATA_DIR / "asos_stations.csv", FILE)  # noqa: RUF009
    kosis_series_file: Path = setting("INS_KOSIS_SERIES_FILE", CONFIG_DIR / "kosis_series.json", FILE)  # noqa: RUF009

    def __post_init__(self) -> None:
        checks = [
            (env, rule, getattr(self, name), repr(getattr(self, name))) for name, env, rule in _declared()
        ]
        problems = rules.problems(checks)
        if isinstance(self.report_diff_columns, list) and self.report_diff_key in self.report_diff_columns:
            problems.append(
                f"INS_REPORT_DIFF_COLUMNS must not name the key INS_REPORT_DIFF_KEY={self.report_diff_key!r}"
            )
        if problems:
            raise SettingsError(problems)

    @property
    def publication_expected_time(self) -> dt.time:
        return dt.time.fromisoformat(self.publication_expected_at)

    @property
    def ekape_final_time(self) -> dt.time:
        return dt.time.fromisoformat(self.ekape_final_at)

    @property
    def publication_wait_time(self) -> dt.time:
        return dt.time.fromisoformat(self.publication_wait_until)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from ``environ`` (default ``os.environ``): a blank or unset variable is its default;
        every bad value is reported at once (``SettingsError``)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        problems = []
        for name, env, rule in _declared():
            text = environ.get(env, "").strip()
            if not text:
                continue
            try:
                values[name] = rule.read(text)
            except ValueError as error:
                problems.append(rules.describe(env, rule, repr(text), str(error)))
        if problems:
            raise SettingsError(problems)
        return cls(**values)


def _declared() -> list[tuple[str, str, rules.Rule]]:
    """(field name, environment variable, rule) of every setting, in declaration order."""
    return [(item.name, item.metadata["env"], item.metadata["rule"]) for item in dataclasses.fields(Settings)]


def env_names() -> list[str]:
    """Every INS_* variable the settings read (for docs and tests: .env.example lists them all)."""
    return [env for _, env, _ in _declared()]
