"""Operations on the real scheduler: the scheduled run, backfills, clearing one mapped location or a whole
run, a failed run's alert, secrets, and a task killed in the middle of its write.

The tests share one deployment and run in file order, like an operator's morning."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import sqlite3
import time
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, quote_plus

import pytest

from include.ins_report.model import clock
from include.ins_report.model.week import ReportWeek, latest_scheduled_week
from tests.scheduler.conftest import DOWNSTREAM_DAG, KMA_KEY, KOSIS_KEY
from tests.support.waiting import wait_for

FETCH_TASK = "collect_weather.collect_station_weather"


class ScheduledRun(NamedTuple):
    run_id: str
    week: ReportWeek
    content: dict[str, list[tuple]]


def assert_clean_week(deployment, week: ReportWeek) -> None:
    """Exactly one clean run's worth of rows: 7 per valid farm, one report row per farm, no strays."""
    content = deployment.week_content(week)
    farms = {row[0] for row in content["weather"]}
    assert len(farms) == 44
    assert len(content["weather"]) == 44 * 7
    assert [row[1] for row in content["report"]] == sorted(farms)
    assert all(row[4] == 7 for row in content["report"])


@pytest.fixture(scope="module")
def scheduled_run(deployment) -> ScheduledRun:
    run_id, week = deployment.start_scheduled_run()
    assert run_id.startswith("scheduled__"), run_id
    assert week.trigger_time.in_timezone("UTC").isoformat() in run_id
    assert deployment.airflow.wait_for_run(run_id) == "success"
    return ScheduledRun(run_id, week, deployment.week_content(week))


def test_unpausing_runs_the_latest_week(deployment, scheduled_run):
    run_id, latest, _ = scheduled_run
    # The latest trigger time (Monday 02:00 KST) before now; the clock is read here, not at import.
    assert latest == latest_scheduled_week(clock.now())
    log = deployment.job_log(run_id)
    assert {row.report_week for row in log} == {latest.start.strftime("%Y%m%d")}
    assert log[-1][:2] == ("FINISH_JOB", "SUCCESS")
    assert_clean_week(deployment, latest)
    labels = [
        ti["rendered_map_index"]
        for ti in deployment.airflow.task_instances(run_id)
        if ti["task_id"] == FETCH_TASK
    ]
    assert any(label.startswith("203 이천 (") for label in labels), labels
    assert all(re.fullmatch(r"\d+ \S+ \(\d+ farms?\)", label) for label in labels), labels


# Extended: the browser flow backfills two missed weeks from the UI's form, with the same checks.
@pytest.mark.extended
def test_backfill_creates_one_run_per_missed_monday(deployment, scheduled_run):
    latest = scheduled_run.week
    older, old = (
        ReportWeek(latest.start - dt.timedelta(days=14)),
        ReportWeek(latest.start - dt.timedelta(days=7)),
    )
    # The window bounds select trigger times (Mondays 02:00 KST), both inclusive.
    result = deployment.airflow.create_backfill(
        "--from-date", older.trigger_time.isoformat(), "--to-date", old.trigger_time.isoformat(),
        "--max-active-runs", "1",
    )  # fmt: skip

    def backfill_runs() -> list[dict]:
        runs = [run for run in deployment.airflow.runs() if run["run_type"] == "backfill"]
        return runs if len(runs) >= 2 else []

    backfills = wait_for(
        backfill_runs,
        timeout=60,
        what=f"two backfill runs ({result.stdout} {result.stderr})",
    )
    assert len(backfills) == 2
    for run in backfills:
        assert deployment.airflow.wait_for_run(run["dag_run_id"], timeout=400) == "success"
    report_windows = []
    for run, week in zip(sorted(backfills, key=lambda r: r["run_after"]), (older, old), strict=True):
        log = deployment.job_log(run["dag_run_id"])
        key = week.start.strftime("%Y%m%d")
        assert {row.report_week for row in log} == {key}, run["dag_run_id"]
        report = next(row for row in log if row.step == "RUN_WEEKLY_REPORT")
        assert f"SP_INS_WEEK_MAIN('WEEK', '{key}')" in report.message
        assert_clean_week(deployment, week)
        (ti,) = [
            t
            for t in deployment.airflow.task_instances(run["dag_run_id"])
            if t["task_id"] == "run_weekly_report"
        ]
        report_windows.append((ti["start_date"], ti["end_date"]))
    # The procedure never ran for two weeks at once.
    (_, end_first), (start_second, _) = sorted(report_windows)
    assert end_first <= start_second


def test_clearing_one_mapped_location_rebuilds_exactly_one_clean_run(deployment, scheduled_run):
    run_id, latest, before = scheduled_run
    (ti,) = [
        t
        for t in deployment.airflow.task_instances(run_id)
        if t["task_id"] == FETCH_TASK and t["rendered_map_index"].startswith("203 ")
    ]
    log_rows = len(deployment.job_log(run_id))
    cleared = deployment.airflow.clear(run_id, [[FETCH_TASK, ti["map_index"]]])
    cleared_ids = {(t["task_id"], t.get("map_index", -1)) for t in cleared}
    assert (FETCH_TASK, ti["map_index"]) in cleared_ids
    assert not any(t == FETCH_TASK and m != ti["map_index"] for t, m in cleared_ids), "only that location"
    assert deployment.airflow.wait_for_run(run_id) == "success"
    assert deployment.week_content(latest) == before
    new_rows = deployment.job_log(run_id)[log_rows:]
    assert [row.step for row in new_rows] == [
        "COLLECT_STATION_WEATHER",
        "CHECK_COLLECTION",
        "COMPARE_REPORT",  # written by the report task right after the procedure: unchanged
        "RUN_WEEKLY_REPORT",
        "FINISH_JOB",
    ]
    assert "after: unchanged; compared with the report of run " in new_rows[2].message
    assert new_rows[0].message.startswith("203 이천")
    assert_clean_week(deployment, latest)


# Extended: the browser flow clears a failed station in the Grid, the gap flows re-run whole weeks.
@pytest.mark.extended
def test_clearing_the_whole_run_rebuilds_exactly_one_clean_run(deployment, scheduled_run):
    run_id, latest, before = scheduled_run
    cleared = deployment.airflow.clear(run_id, None)
    every_task = {t["task_id"] for t in deployment.airflow.get("dags/ins_weekly_report/tasks")["tasks"]}
    assert {t["task_id"] for t in cleared} == every_task
    # start, KOSIS, EKAPE wait + fetch, plan, wait, stations, gate, gap decision, report, finish
    assert len(every_task) == 11
    assert deployment.airflow.wait_for_run(run_id) == "success"
    assert deployment.week_content(latest) == before
    assert_clean_week(deployment, latest)


@pytest.fixture(scope="module")
def failed_run(deployment, scheduled_run):
    """KOSIS answers 500 to every call: the stats task fails after its retry, the run fails and alerts."""
    deployment.emulator("POST", "reset")
    deployment.emulator("POST", "faults", {"api": "kosis", "scenario": "http_500", "count": None})
    mails, hooks = len(deployment.smtp.messages), len(deployment.webhook.requests)
    week = ReportWeek(scheduled_run.week.start - dt.timedelta(days=21))
    run_id = deployment.airflow.trigger(conf={"week": week.start.isoformat()})
    state = deployment.airflow.wait_for_run(run_id, timeout=400)
    deployment.emulator("POST", "reset")
    wait_for(  # the DAG callback runs in the dag-processor, a moment later
        lambda: len(deployment.smtp.messages) > mails and len(deployment.webhook.requests) > hooks,
        timeout=120,
        what="an alert from the dag-processor",
    )
    return run_id, state, week, mails, hooks


def test_failed_collection_alerts_once_and_never_runs_the_procedure(deployment, failed_run):
    run_id, state, week, mails_before, hooks_before = failed_run
    assert state == "failed"
    time.sleep(5)  # a second alert would come from the same dag-processor callback, as fast as the first
    # Read the receivers now (not the first alert's snapshot), so that a later duplicate is seen.
    mails = [m for m in deployment.smtp.messages[mails_before:] if run_id in m["Subject"]]
    hooks = [r for r in deployment.webhook.requests[hooks_before:] if r["json"].get("run_id") == run_id]
    assert len(mails) == 1
    assert len(hooks) == 1
    log = deployment.job_log(run_id)
    steps = [(row.step, row.status) for row in log]
    assert ("COLLECT_KOSIS_SERIES", "RETRY") in steps
    assert ("COLLECT_KOSIS_SERIES", "FAILED") in steps
    assert "RUN_WEEKLY_REPORT" not in {step for step, _ in steps}
    assert deployment.sql(
        "SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ?", (week.start.strftime("%Y%m%d"),)
    ) == [(0,)]
    assert week.start.isoformat() in mails[0]["Subject"]
    assert hooks[0]["json"]["failed_steps"] == ["COLLECT_KOSIS_SERIES"]
    assert "KOSIS [500]" in " ".join(hooks[0]["json"]["errors"])


def test_no_secret_anywhere(deployment, failed_run):
    """Task and DAG-processor logs, rendered templates, XComs, the job log and alerts never hold a key."""
    spellings = {
        secret for key in (KMA_KEY, KOSIS_KEY) for secret in (key, quote(key, safe=""), quote_plus(key))
    }
    found = []
    for folder, _, files in os.walk(deployment.airflow.home / "logs"):
        for name in files:
            text = Path(folder, name).read_text(encoding="utf-8", errors="replace")
            found += [f"{folder}/{name}" for secret in spellings if secret in text]
    airflow = deployment.airflow
    for run in airflow.runs():
        for ti in airflow.task_instances(run["dag_run_id"]):
            text = str(ti.get("rendered_fields")) + str(ti.get("note"))
            base = f"dags/ins_weekly_report/dagRuns/{run['dag_run_id']}/taskInstances/{ti['task_id']}"
            entries = airflow.get(f"{base}/xcomEntries", map_index=ti["map_index"])["xcom_entries"]
            for entry in entries:
                text += str(airflow.get(f"{base}/xcomEntries/{entry['key']}", map_index=ti["map_index"]))
            found += [f"{run['dag_run_id']}/{ti['task_id']}" for secret in spellings if secret in text]
    log_text = str(deployment.sql("SELECT * FROM TS_INS_JOB_LOG"))
    found += ["TS_INS_JOB_LOG" for secret in spellings if secret in log_text]
    alerts = str([m.as_string() for m in deployment.smtp.messages]) + str(deployment.webhook.requests)
    found += ["alerts" for secret in spellings if secret in alerts]
    assert found == []
    assert len(log_text) > 1000  # the job log was read
    assert any(files for _, _, files in os.walk(deployment.airflow.home / "logs"))  # and the logs


def test_a_task_killed_mid_write_leaves_no_partial_week(deployment, scheduled_run):
    """SIGKILL the weather task of one station while its upsert is open; the retry writes the whole week."""
    week = ReportWeek(scheduled_run.week.start - dt.timedelta(days=28))
    # 40,000 more farms around Seoul make station 108's write long enough to be caught in the middle.
    rows = [
        (f"S{n:05d}", f"서울 근교 {n}", 37.50 + (n % 200) * 0.001, 126.90 + (n // 200) * 0.0005, "Y")
        for n in range(40_000)
    ]
    with sqlite3.connect(deployment.farm_db) as conn:
        conn.executemany(
            "INSERT INTO TA_FARM (FARM_NO, FARM_NM, LAT, LON, USE_YN) VALUES (?, ?, ?, ?, ?)", rows
        )
    try:
        journal = deployment.farm_db.with_name(deployment.farm_db.name + "-journal")
        run_id = deployment.airflow.trigger(conf={"week": week.start.isoformat()})

        def station_108_writing() -> dict | None:
            running = next(
                (
                    t
                    for t in deployment.airflow.task_instances(run_id)
                    if t["task_id"] == FETCH_TASK
                    and (t["rendered_map_index"] or "").startswith("108 ")
                    and t["state"] == "running"
                    and t.get("pid")
                ),
                None,
            )
            return running if running and journal.exists() else None

        ti = wait_for(station_108_writing, timeout=300, poll=0.05, what="station 108's task caught writing")
        os.kill(ti["pid"], signal.SIGKILL)
        assert journal.exists()  # a hot journal: the killed transaction never committed
        first, last = week.start.isoformat(), week.end.isoformat()
        seoul = deployment.sql(
            "SELECT COUNT(*) FROM TM_WEATHER WHERE FARM_NO LIKE 'S%' AND WEATHER_DATE BETWEEN ? AND ?",
            (first, last),
        )
        assert seoul == [(0,)], "rows of the killed write are visible"
        assert deployment.airflow.wait_for_run(run_id, timeout=600) == "success"
        tries = [
            t["try_number"]
            for t in deployment.airflow.task_instances(run_id)
            if t["task_id"] == FETCH_TASK and t["rendered_map_index"].startswith("108 ")
        ]
        assert tries == [2]
        counts = deployment.sql(
            "SELECT COUNT(*), COUNT(DISTINCT FARM_NO) FROM TM_WEATHER WHERE WEATHER_DATE BETWEEN ? AND ?",
            (first, last),
        )
        assert counts == [(40_044 * 7, 40_044)]
    finally:
        with sqlite3.connect(deployment.farm_db) as conn:
            conn.execute("DELETE FROM TA_FARM WHERE FARM_NO LIKE 'S%'")


def test_a_downstream_dag_runs_after_each_built_week_and_not_after_a_failed_one(
    deployment, scheduled_run, failed_run
):
    """The report's asset (include/ins_report/airflow_edge/assets.py) schedules a downstream team's DAG with
    the week in the event; a failed week emits no event."""
    airflow = deployment.airflow
    _, _, failed_week, _, _ = failed_run
    built = {
        row[0]
        for row in deployment.sql(
            "SELECT DISTINCT REPORT_WEEK FROM TS_INS_JOB_LOG WHERE STEP_NM = 'RUN_WEEKLY_REPORT' "
            "AND STATUS = 'SUCCESS'"
        )
    }

    def downstream_weeks() -> set[str]:
        runs = airflow.runs(DOWNSTREAM_DAG)
        if not runs or any(run["state"] not in ("success", "failed") for run in runs):
            return set()
        weeks = set()
        for run in runs:
            assert run["state"] == "success", run
            base = f"dags/{DOWNSTREAM_DAG}/dagRuns/{run['dag_run_id']}/taskInstances/read_week"
            value = airflow.get(f"{base}/xcomEntries/return_value")["value"]
            weeks |= set(json.loads(value) if isinstance(value, str) else value)
        return weeks

    weeks = wait_for(downstream_weeks, timeout=120, what="the downstream DAG's runs")
    assert scheduled_run.week.start.isoformat() in weeks
    assert {dt.datetime.strptime(key, "%Y%m%d").date().isoformat() for key in built} == weeks
    assert failed_week.start.isoformat() not in weeks
