"""The settings: each declared once (variable, default, rule), every INS_* value checked when they are read,
all bad values reported in one message that names the variable, the value and what is allowed."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from include.ins_report.config import rules as setting_rules
from include.ins_report.config.settings import CHANNELS, DEFAULT_SOURCES, Settings, SettingsError, env_names
from tests.conftest import ROOT


def read(**environ: str) -> Settings:
    return Settings.from_env(environ)


def problems_of(**environ: str) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        read(**environ)
    assert isinstance(raised.value, ValueError)  # callers that catch ValueError keep working
    return raised.value.problems


# --- declared once ----------------------------------------------------------------------------------


def test_every_field_is_declared_with_its_variable_and_rule_once():
    fields = dataclasses.fields(Settings)
    assert fields  # every one below: a variable of its own and a rule
    names = env_names()
    assert len(set(names)) == len(names) == len(fields)
    assert all(re.fullmatch(r"INS_[A-Z0-9_]+", name) for name in names)
    assert all(isinstance(item.metadata["rule"], setting_rules.Rule) for item in fields)


def test_the_defaults_are_the_unset_environment_and_pass_their_own_rules():
    assert read() == Settings()
    assert Settings.from_env({name: "  " for name in env_names()}) == Settings()  # blank: the default


def test_env_example_lists_every_setting():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?(INS_[A-Z0-9_]+)=", text, flags=re.MULTILINE))
    assert set(env_names()) <= listed


def test_the_channel_names_are_defined_once():
    from include.ins_report.alerts import channels

    assert channels.CHANNELS is CHANNELS


# --- the values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "value", "line"),
    [
        ("INS_LEGACY_JOB_GUARD", "fial", "INS_LEGACY_JOB_GUARD must be one of fail, warn, off, got 'fial'"),
        (
            "INS_EKAPE_FINAL_AT",
            "25:00",
            "INS_EKAPE_FINAL_AT must be a time of day HH:MM (KST, 00:00 to 23:59)",
        ),
        (
            "INS_DIGEST_CHANNELS",
            "emial",
            "(email, slack, webhook), comma-separated, got 'emial' (unknown: emial)",
        ),
        ("INS_KMA_POOL_SLOTS", "0", "INS_KMA_POOL_SLOTS must be a whole number >= 1 (a pool needs at least"),
        ("INS_TASK_RETRIES", "-1", "INS_TASK_RETRIES must be a whole number >= 0, got '-1'"),
        (
            "INS_REPORT_PROCEDURE",
            "SP_INS_WEEK_MAIN; DROP TABLE TA_FARM",
            "INS_REPORT_PROCEDURE must be an Oracle",
        ),
    ],
)
def test_the_values_that_used_to_parse_are_refused(env, value, line):
    (problem,) = problems_of(**{env: value})
    assert line in problem
    assert repr(value) in problem


def test_all_bad_values_are_reported_in_one_message():
    with pytest.raises(SettingsError) as raised:
        read(
            INS_LEGACY_JOB_GUARD="fial",
            INS_EKAPE_FINAL_AT="25:00",
            INS_KMA_POOL_SLOTS="0",
            INS_HTTP_ATTEMPTS="4",  # a good one among them
        )
    message = str(raised.value)
    assert message.startswith("3 INS_* settings invalid")
    lines = message.splitlines()[1:]
    assert [line.split(" must be ")[0].strip(" -") for line in lines] == [
        "INS_KMA_POOL_SLOTS",  # declaration order
        "INS_EKAPE_FINAL_AT",
        "INS_LEGACY_JOB_GUARD",
    ]
    for shown in ("got 'fial'", "got '25:00'", "got '0'"):
        assert shown in message


# --- each rule: good and bad values -----------------------------------------------------------------

GOOD = {
    "INS_FARM_DB_CONN_ID": ["farm_db", "ins-prod.oracle", "a:b/c"],
    "INS_ALERT_EMAILS": ["ops@example.com", "a@b.kr, c.d@e.co.kr", " , "],
    "INS_ASK_ASSIGNEES": ["admin", "kim.ops@farm.kr, 42", "*"],
    "INS_ASK_TIMEOUT": ["12:00", "45m", "2h"],
    "INS_DIGEST_CHANNELS": ["email", "Email, webhook", "slack,slack"],
    "INS_REPORT_DEADLINE": ["12:30", "02:01", "90s", "45m", "10h", "off"],
    "INS_AIRFLOW_BASE_URL": ["http://localhost:8080", "https://airflow.example.com/base/"],
    "INS_REPORT_PROCEDURE": ["SP_INS_WEEK_MAIN", "INS.SP_INS_WEEK_MAIN", "INS.PKG_INS.SP_MAIN", "sp$#_1"],
    "INS_REPORT_PROC_TYPE": ["WEEK", "week_2"],
    "INS_REPORT_WEEK_FORMAT": ["%Y%m%d", "%Y-%m-%d", "%G%V", "%GW%V", "%y%j", "%Y/%m/%d"],
    "INS_REPORT_TIMEOUT": ["0", "3600"],
    "INS_TASK_RETRIES": ["0", "3"],
    "INS_RETRY_DELAY_SECONDS": ["0", "300"],
    "INS_HTTP_ATTEMPTS": ["1", "4"],
    "INS_HTTP_BACKOFF_SECONDS": ["0", "0.5", "2"],
    "INS_HTTP_TIMEOUT_SECONDS": ["0.5", "30"],
    "INS_KMA_POOL": ["kma_api", "default_pool", "data.go.kr-1"],
    "INS_KMA_POOL_SLOTS": ["1", "16"],
    "INS_KMA_CALLS_PER_SECOND": ["0", "2.5", "10"],
    "INS_KMA_DAILY_QUOTA": ["1", "10000"],
    "INS_EKAPE_FINAL_AT": ["00:00", "10:00", "23:59"],
    "INS_SOURCES": ["kma", "kosis,kma", "KOSIS, ekape, kma"],
    "INS_PUBLICATION_POKE_SECONDS": ["1", "900"],
    "INS_PUBLICATION_PROBE_STATION": ["108", "90"],
    "INS_LEGACY_JOB_GUARD": ["fail", " Warn ", "OFF"],
    "INS_LEGACY_JOB_NAME": ["JOB_INS_WEEKLY_REPORT", "job_ins_legacy"],
    "INS_MIN_WEATHER_COVERAGE": ["0", "0.95", "1", "1.0"],
    "INS_RECONCILE_REPORT": ["on", "off", "true", "0"],
    "INS_REPORT_DIFF": ["on", "off"],
    "INS_REPORT_DIFF_KEY": ["FARM_NO", "farm_no", "Farm_Key_2"],
    "INS_REPORT_DIFF_COLUMNS": ["AVG_TA", "avg_ta, max_ta", "A,B,C_1"],
    "INS_REPORT_DIFF_ABS_TOLERANCE": ["0", "0.01", "5"],
    "INS_REPORT_DIFF_REL_TOLERANCE": ["0", "0.000000001", "0.01", "1"],
    "INS_REPORT_DIFF_MAX_ROWS": ["0", "10000"],
    "INS_STATIONS_FILE": ["include/ins_report/data/asos_stations.csv", str(ROOT / "README.md")],
}
BAD = {
    "INS_FARM_DB_CONN_ID": ["farm db", "farm;db", "농장"],
    "INS_ALERT_EMAILS": ["ops", "ops@example.com; other@example.com", "a@b"],
    "INS_ASK_ASSIGNEES": ["kim ops", "admin;root", "관리자"],
    "INS_ASK_TIMEOUT": ["off", "01:00", "soon"],
    "INS_DIGEST_CHANNELS": ["emial", "email,pager", "e-mail"],
    "INS_REPORT_DEADLINE": ["01:30", "02:00", "24:00", "12:75", "soon", "0s", "12h30"],
    "INS_AIRFLOW_BASE_URL": ["localhost:8080", "ftp://host", "http://", "http://a b"],
    "INS_REPORT_PROCEDURE": ["SP;DROP", "1SP", "A.B.C.D", '"Quoted"', "SP X", "A..B", "SP()", "S" * 129],
    "INS_REPORT_PROC_TYPE": ["WEEK'", "WE EK", "W" * 31, "주간"],
    "INS_REPORT_WEEK_FORMAT": ["YYYYMMDD", "%Y%m%d%H", "%x", "%m%d", "%Y%m%d'", "%", "%Y%b%d", "%Y%m%d%"],
    "INS_REPORT_TIMEOUT": ["-1", "1e3", "1.5", "10_000", "one"],
    "INS_TASK_RETRIES": ["-1", "3.0"],
    "INS_RETRY_DELAY_SECONDS": ["-5", "5m"],
    "INS_HTTP_ATTEMPTS": ["0", "-1"],
    "INS_HTTP_BACKOFF_SECONDS": ["-0.1", "nan", "inf", "1e1"],
    "INS_HTTP_TIMEOUT_SECONDS": ["0", "-1", "NaN", "30s"],
    "INS_KMA_POOL": ["kma api", "pool/1"],
    "INS_KMA_POOL_SLOTS": ["0", "-2", "four", "2.5"],
    "INS_KMA_CALLS_PER_SECOND": ["-1", "Infinity"],
    "INS_KMA_DAILY_QUOTA": ["0", "10,000"],
    "INS_EKAPE_FINAL_AT": ["25:00", "24:00", "10:60", "9:00", "10", "10:00:00", "10h"],
    "INS_SOURCES": ["nowhere", "kosis,nowhere", ","],
    "INS_PUBLICATION_POKE_SECONDS": ["0", "-900"],
    "INS_PUBLICATION_PROBE_STATION": ["ASOS108", "108a"],
    "INS_LEGACY_JOB_GUARD": ["fial", "maybe", "on"],
    "INS_LEGACY_JOB_NAME": ["SYS.JOB_INS", "JOB INS", "1JOB"],
    "INS_MIN_WEATHER_COVERAGE": ["95", "-0.1", "1.01", "95%"],
    "INS_RECONCILE_REPORT": ["maybe", "enabled"],
    "INS_REPORT_DIFF": ["maybe"],
    "INS_REPORT_DIFF_KEY": ["FARM NO", '"FARM_NO"', "1FARM", "FARM_NO,FARM_NM", "T.FARM_NO", "F#"],
    "INS_REPORT_DIFF_COLUMNS": ["AVG_TA;DROP TABLE TA_FARM", "AVG_TA, AVG_TA", "a,avg_ta,A", ", ", "MAX-TA"],
    "INS_REPORT_DIFF_ABS_TOLERANCE": ["-0.01", "1e-3"],
    "INS_REPORT_DIFF_REL_TOLERANCE": ["1.5", "-1", "1e-9"],
    "INS_REPORT_DIFF_MAX_ROWS": ["-1", "all"],
    "INS_STATIONS_FILE": ["no/such/stations.csv", "include/ins_report/data"],
}


def test_every_rule_has_good_and_bad_examples():
    rules = {type(item.metadata["rule"]) for item in dataclasses.fields(Settings)}
    tested = {type(rule_of(env)) for env in GOOD}
    assert rules <= tested
    assert set(GOOD) == set(BAD)


def rule_of(env: str) -> setting_rules.Rule:
    (rule,) = [item.metadata["rule"] for item in dataclasses.fields(Settings) if item.metadata["env"] == env]
    return rule


@pytest.mark.parametrize(("env", "value"), [(env, value) for env, values in GOOD.items() for value in values])
def test_good_values_are_accepted(env, value):
    read(**{env: value})


@pytest.mark.parametrize(("env", "value"), [(env, value) for env, values in BAD.items() for value in values])
def test_bad_values_are_refused_naming_the_variable_the_value_and_the_allowed(env, value):
    (problem,) = problems_of(**{env: value})
    assert problem.startswith(f"{env} must be {rule_of(env).allowed}, got {value.strip()!r}")


def test_values_are_normalised_where_their_meaning_allows():
    settings = read(
        INS_LEGACY_JOB_GUARD=" Warn ",
        INS_DIGEST_CHANNELS="Email, webhook, email",
        INS_SOURCES="KMA, kosis",
        INS_AIRFLOW_BASE_URL="https://airflow.example.com/",
        INS_RECONCILE_REPORT="off",
        INS_KMA_POOL_SLOTS="+6",
        INS_HTTP_TIMEOUT_SECONDS="2.5",
        INS_STATIONS_FILE="include/ins_report/data/asos_stations.csv",
    )
    assert settings.legacy_job_guard == "warn"
    assert settings.digest_channels == ["email", "webhook"]
    assert settings.sources == ["kma", "kosis"]
    assert settings.airflow_base_url == "https://airflow.example.com"
    assert settings.reconcile_report is False
    assert settings.kma_pool_slots == 6
    assert settings.http_timeout_seconds == 2.5
    assert settings.stations_file == ROOT / "include/ins_report/data/asos_stations.csv"  # not the cwd's


def test_a_deadline_before_the_trigger_says_why():
    (problem,) = problems_of(INS_REPORT_DEADLINE="01:30")
    assert "must be after the 02:00 KST trigger" in problem


def test_a_week_format_says_what_is_wrong_with_it():
    assert problems_of(INS_REPORT_WEEK_FORMAT="%Y%m%d%H")[0].endswith("('%H' is not a date code)")
    assert problems_of(INS_REPORT_WEEK_FORMAT="YYYYMMDD")[0].endswith("(no date code)")
    assert problems_of(INS_REPORT_WEEK_FORMAT="%m%d")[0].endswith("(different weeks give the same text)")


def test_a_missing_file_is_named():
    (problem,) = problems_of(INS_KOSIS_SERIES_FILE="/nonexistent/kosis_series.json")
    assert problem.endswith("got '/nonexistent/kosis_series.json' (no such file)")


# --- settings made in code are held to the same rules ------------------------------------------------


def test_settings_made_in_code_are_checked_too():
    with pytest.raises(SettingsError, match="INS_KMA_POOL_SLOTS must be a whole number >= 1"):
        Settings(kma_pool_slots=0)
    with pytest.raises(SettingsError, match=r"INS_SOURCES must be .* got \['kosis', 'nowhere'\]"):
        Settings(sources=["kosis", "nowhere"])
    with pytest.raises(SettingsError, match="INS_STATIONS_FILE"):
        Settings(stations_file=Path("/nonexistent.csv"))
    with pytest.raises(SettingsError, match="INS_MIN_STATS_COVERAGE"):
        dataclasses.replace(Settings(), min_stats_coverage=1.5)
    with pytest.raises(SettingsError, match="INS_TASK_RETRIES"):
        Settings(task_retries=True)  # a bool is not a count
    assert Settings(kma_calls_per_second=0, http_timeout_seconds=1).http_timeout_seconds == 1


def test_times_of_day_are_times():
    settings = read(INS_EKAPE_FINAL_AT="13:05", INS_PUBLICATION_WAIT_UNTIL="23:59")
    assert (settings.ekape_final_time.hour, settings.ekape_final_time.minute) == (13, 5)
    assert settings.publication_wait_time.hour == 23
    assert Settings().publication_expected_time.hour == 9


def test_the_report_diff_columns_are_plain_names_in_upper_case_and_never_the_key():
    settings = read(INS_REPORT_DIFF_KEY="farm_key", INS_REPORT_DIFF_COLUMNS=" avg_ta , Max_Ta ")
    assert (settings.report_diff_key, settings.report_diff_columns) == ("FARM_KEY", ["AVG_TA", "MAX_TA"])
    assert "named twice: AVG_TA" in problems_of(INS_REPORT_DIFF_COLUMNS="avg_ta,AVG_TA")[0]
    (problem,) = problems_of(INS_REPORT_DIFF_COLUMNS="AVG_TA,FARM_NO")
    assert problem == "INS_REPORT_DIFF_COLUMNS must not name the key INS_REPORT_DIFF_KEY='FARM_NO'"
    assert read().report_diff_columns[:3] == ["FARM_NM", "POINT_ID", "DAYS_OBSERVED"]
    assert "CREATED_AT" not in read().report_diff_columns  # a new value on every build


def test_the_default_sources_and_channels_are_the_rules_lists():
    assert rule_of("INS_SOURCES").known == DEFAULT_SOURCES
    assert rule_of("INS_DIGEST_CHANNELS").known == CHANNELS
