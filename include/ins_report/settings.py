"""Configuration of the weekly INS batch, read from the environment with production defaults.

Everything an operator may tune lives here, once. Connections (database, APIs, alert channels) are Airflow
connections; this module only names them.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
INCLUDE_DIR = PACKAGE_DIR.parent
SQL_DIR = INCLUDE_DIR / "sql"

DAG_ID = "ins_weekly_report"
JOB_NAME = "INS_WEEKLY_REPORT"
TIMEZONE = "Asia/Seoul"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def _env_float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def _env_fraction(name: str, default: float) -> float:
    value = _env_float(name, default)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1 (a share of the expected rows), got {value}")
    return value


def _clock_time(name: str, value: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be a time of day HH:MM (KST), got {value!r}") from None


def _env_switch(name: str, default: bool) -> bool:
    raw = _env(name, "on" if default else "off").lower()
    if raw in ("on", "true", "yes", "1"):
        return True
    if raw in ("off", "false", "no", "0"):
        return False
    raise ValueError(f"{name} must be on or off, got {raw!r}")


# Every source of include/ins_report/sources/catalog.py, enabled by default (INS_SOURCES); the catalog's
# test checks the two lists name the same sources.
DEFAULT_SOURCES = ("kosis", "ekape", "kma")


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in _env(name, default).split(",") if item.strip()]


@dataclass(frozen=True)
class Settings:
    farm_db_conn_id: str = "farm_db"
    kma_conn_id: str = "kma_api"
    kosis_conn_id: str = "kosis_api"
    ekape_conn_id: str = "ekape_api"
    smtp_conn_id: str = "smtp_alerts"
    webhook_conn_id: str = "alert_webhook"
    slack_conn_id: str = "slack_alerts"
    alert_emails: list[str] = field(default_factory=lambda: ["ins-admins@example.com"])
    # The weekly success digest goes to these channels (email, slack, webhook); empty: no digest.
    digest_channels: list[str] = field(default_factory=list)
    # The week's report must be finished by then, or the admins are alerted (Airflow deadline alert):
    # "HH:MM" KST on the Monday of the scheduled run, a duration after the run is queued ("90s", "45m",
    # "10h"), or "off".
    report_deadline: str = "12:30"
    airflow_base_url: str = "http://localhost:8080"

    report_procedure: str = "SP_INS_WEEK_MAIN"
    report_proc_type: str = "WEEK"
    report_week_format: str = "%Y%m%d"
    # The database call timeout of the report procedure (python-oracledb call_timeout), in seconds; 0: none.
    # The call is never retried automatically once sent (README, "The report procedure").
    report_timeout_seconds: int = 3600

    task_retries: int = 3
    retry_delay_seconds: int = 300
    http_attempts: int = 4
    http_backoff_seconds: float = 2.0
    http_timeout_seconds: float = 30.0

    # API capacity (docs/performance.md): each API's calls run in an Airflow pool of this many slots (created
    # by include/ins_report/pools.py), and every call holds its slot for slots/calls_per_second seconds, so
    # all workers together stay under the provider's rate (0: no pacing). "default_pool" opts out of the
    # dedicated pool.
    kma_pool: str = "kma_api"
    kma_pool_slots: int = 4
    kma_calls_per_second: float = 10.0
    kma_daily_quota: int = 10_000  # data.go.kr development keys; a plan needing more calls fails early
    kosis_pool: str = "kosis_api"
    kosis_pool_slots: int = 2
    kosis_calls_per_second: float = 10.0
    # EKAPE pig carcass prices (include/ins_report/sources/ekape.py): two calls per trading day; the
    # development key allows 1,000 calls a day, checked before any call.
    ekape_pool: str = "ekape_api"
    ekape_pool_slots: int = 1
    ekape_calls_per_second: float = 5.0
    ekape_daily_quota: int = 1_000
    # A trading day's prices may change until this time (KST) the next day; the week is collected after its
    # Sunday's (Monday 10:00 KST by default), inside the weather's waiting window.
    ekape_final_at: str = "10:00"

    # The external sources the batch collects (include/ins_report/sources/catalog.py), comma-separated.
    sources: list[str] = field(default_factory=lambda: list(DEFAULT_SOURCES))

    # Values of day D are published around D+1 09:00 KST (publication_expected_at): `make run` reports the
    # latest week published by then. The Monday run waits for Sunday's ASOS values until
    # publication_wait_until (KST) on the Monday after the report week.
    publication_expected_at: str = "09:00"
    publication_wait_until: str = "12:00"
    publication_poke_seconds: int = 900
    publication_probe_station: str = "108"

    # Cutover (include/ins_report/cutover.py): what an enabled legacy Oracle scheduler job does to the report
    # step (fail | warn | off), and its name.
    legacy_job_guard: str = "fail"
    legacy_job_name: str = "JOB_INS_WEEKLY_REPORT"

    # The gate is strict by default (1.0): any missing farm-day or stats period stops the run. Lower values
    # let the report proceed with the gaps listed in the job log and in an alert.
    min_weather_coverage: float = 1.0
    min_stats_coverage: float = 1.0

    # After the report procedure, its rows for the week (TR_INS_WEEK_REPORT) must be exactly the week's
    # farms (the farm rule, include/ins_report/farms.py), or the run fails naming the farms missing or extra.
    # "off" for a customer whose report table differs from the reference one (the row count is then best
    # effort, as before).
    reconcile_report: bool = True

    stations_file: Path = PACKAGE_DIR / "data" / "asos_stations.csv"
    kosis_series_file: Path = PACKAGE_DIR / "config" / "kosis_series.json"

    @property
    def publication_expected_time(self) -> dt.time:
        return _clock_time("INS_PUBLICATION_EXPECTED_AT", self.publication_expected_at)

    @property
    def ekape_final_time(self) -> dt.time:
        return _clock_time("INS_EKAPE_FINAL_AT", self.ekape_final_at)

    @property
    def publication_wait_time(self) -> dt.time:
        return _clock_time("INS_PUBLICATION_WAIT_UNTIL", self.publication_wait_until)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            farm_db_conn_id=_env("INS_FARM_DB_CONN_ID", cls.farm_db_conn_id),
            kma_conn_id=_env("INS_KMA_CONN_ID", cls.kma_conn_id),
            kosis_conn_id=_env("INS_KOSIS_CONN_ID", cls.kosis_conn_id),
            ekape_conn_id=_env("INS_EKAPE_CONN_ID", cls.ekape_conn_id),
            smtp_conn_id=_env("INS_SMTP_CONN_ID", cls.smtp_conn_id),
            webhook_conn_id=_env("INS_WEBHOOK_CONN_ID", cls.webhook_conn_id),
            slack_conn_id=_env("INS_SLACK_CONN_ID", cls.slack_conn_id),
            alert_emails=_env_list("INS_ALERT_EMAILS", "ins-admins@example.com"),
            digest_channels=_env_list("INS_DIGEST_CHANNELS", ""),
            report_deadline=_env("INS_REPORT_DEADLINE", cls.report_deadline),
            airflow_base_url=_env("INS_AIRFLOW_BASE_URL", cls.airflow_base_url).rstrip("/"),
            report_procedure=_env("INS_REPORT_PROCEDURE", cls.report_procedure),
            report_proc_type=_env("INS_REPORT_PROC_TYPE", cls.report_proc_type),
            report_week_format=_env("INS_REPORT_WEEK_FORMAT", cls.report_week_format),
            report_timeout_seconds=_env_int("INS_REPORT_TIMEOUT", cls.report_timeout_seconds),
            task_retries=_env_int("INS_TASK_RETRIES", cls.task_retries),
            retry_delay_seconds=_env_int("INS_RETRY_DELAY_SECONDS", cls.retry_delay_seconds),
            http_attempts=_env_int("INS_HTTP_ATTEMPTS", cls.http_attempts),
            http_backoff_seconds=_env_float("INS_HTTP_BACKOFF_SECONDS", cls.http_backoff_seconds),
            http_timeout_seconds=_env_float("INS_HTTP_TIMEOUT_SECONDS", cls.http_timeout_seconds),
            kma_pool=_env("INS_KMA_POOL", cls.kma_pool),
            kma_pool_slots=_env_int("INS_KMA_POOL_SLOTS", cls.kma_pool_slots),
            kma_calls_per_second=_env_float("INS_KMA_CALLS_PER_SECOND", cls.kma_calls_per_second),
            kma_daily_quota=_env_int("INS_KMA_DAILY_QUOTA", cls.kma_daily_quota),
            kosis_pool=_env("INS_KOSIS_POOL", cls.kosis_pool),
            kosis_pool_slots=_env_int("INS_KOSIS_POOL_SLOTS", cls.kosis_pool_slots),
            kosis_calls_per_second=_env_float("INS_KOSIS_CALLS_PER_SECOND", cls.kosis_calls_per_second),
            ekape_pool=_env("INS_EKAPE_POOL", cls.ekape_pool),
            ekape_pool_slots=_env_int("INS_EKAPE_POOL_SLOTS", cls.ekape_pool_slots),
            ekape_calls_per_second=_env_float("INS_EKAPE_CALLS_PER_SECOND", cls.ekape_calls_per_second),
            ekape_daily_quota=_env_int("INS_EKAPE_DAILY_QUOTA", cls.ekape_daily_quota),
            ekape_final_at=_env("INS_EKAPE_FINAL_AT", cls.ekape_final_at),
            sources=_env_list("INS_SOURCES", ",".join(DEFAULT_SOURCES)),
            publication_expected_at=_env("INS_PUBLICATION_EXPECTED_AT", cls.publication_expected_at),
            publication_wait_until=_env("INS_PUBLICATION_WAIT_UNTIL", cls.publication_wait_until),
            publication_poke_seconds=_env_int("INS_PUBLICATION_POKE_SECONDS", cls.publication_poke_seconds),
            publication_probe_station=_env("INS_PUBLICATION_PROBE_STATION", cls.publication_probe_station),
            legacy_job_guard=_env("INS_LEGACY_JOB_GUARD", cls.legacy_job_guard),
            legacy_job_name=_env("INS_LEGACY_JOB_NAME", cls.legacy_job_name),
            min_weather_coverage=_env_fraction("INS_MIN_WEATHER_COVERAGE", cls.min_weather_coverage),
            min_stats_coverage=_env_fraction("INS_MIN_STATS_COVERAGE", cls.min_stats_coverage),
            reconcile_report=_env_switch("INS_RECONCILE_REPORT", cls.reconcile_report),
            stations_file=Path(_env("INS_STATIONS_FILE", str(cls.stations_file))),
            kosis_series_file=Path(_env("INS_KOSIS_SERIES_FILE", str(cls.kosis_series_file))),
        )
