"""The weekly batch end to end through Airflow, against the emulated APIs and a real SQLite farm database."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests

from include.ins_report.model.thi import thi
from include.ins_report.model.week import ReportWeek

WEEK = "2026-11-16"
WEEK_KEY = "20261116"
REPORT_WEEK = ReportWeek(dt.date(2026, 11, 16))


@pytest.fixture(scope="module")
def first_run(stack):
    stack.emulator("POST", "reset")
    dag_run = stack.run_week(WEEK)
    return dag_run, stack.emulator("GET", "stats"), stack.week_content(REPORT_WEEK)


def test_the_run_succeeds(first_run):
    dag_run, _, _ = first_run
    assert dag_run.state == "success"
    labels = [ti.rendered_map_index for ti in dag_run.get_task_instances() if ti.map_index >= 0]
    assert labels
    assert all(re.fullmatch(r"\d+ \S+ \(\d+ farms?\)", label) for label in labels), labels
    assert any(label.startswith("203 이천 (") for label in labels)


def test_seven_weather_rows_per_valid_farm(stack, first_run, valid_farm_nos):
    dag_run, _, content = first_run
    weather = content["weather"]
    assert len(valid_farm_nos) == 44
    assert len(weather) == 44 * 7
    assert sorted({row[0] for row in weather}) == valid_farm_nos
    days = sorted({row[1] for row in weather})
    assert days == [f"2026-11-{day}" for day in range(16, 23)]
    for farm_no, _day, _point, _avg, _min, max_ta, avg_rhm, _rain, thi_value, source in weather:
        assert source == "KMA_ASOS"
        assert thi_value == thi(max_ta, avg_rhm), farm_no
    assert stack.sql("SELECT DISTINCT RUN_ID FROM TM_WEATHER") == [(dag_run.run_id,)]


def test_weather_values_are_the_stations_observations(stack, first_run):
    _, _, content = first_run
    # F0001 (Icheon) is served by ASOS 203 이천: compare with what the API itself answers for that week.
    answer = requests.get(
        f"{stack.emulator_url}/1360000/AsosDalyInfoService/getWthrDataList",
        params={
            "serviceKey": "dev-kma-key",
            "pageNo": "1",
            "numOfRows": "10",
            "dataType": "JSON",
            "dataCd": "ASOS",
            "dateCd": "DAY",
            "startDt": "20261116",
            "endDt": "20261122",
            "stnIds": "203",
        },
        timeout=10,
    ).json()
    items = answer["response"]["body"]["items"]["item"]
    expected = [
        (item["tm"], float(item["avgTa"]), float(item["minTa"]), float(item["maxTa"]), float(item["avgRhm"]),
         float(item["sumRn"] or 0))
        for item in items
    ]  # fmt: skip
    stored = [row[1:2] + row[3:8] for row in content["weather"] if row[0] == "F0001"]
    assert {row[2] for row in content["weather"] if row[0] == "F0001"} == {"203"}
    assert stored == expected


def test_stats_periods_of_the_week(stack, first_run):
    _, _, content = first_run
    periods = sorted({(row[1], row[6], row[7]) for row in content["stats"] if row[0] == "KOSIS"})
    # The one period of each series the week reads (kosis_series.json publication_days: 35 and 7).
    assert periods == [("101/DT_1EO311", "Q", "202603"), ("101/DT_1J22003", "M", "202610")]
    # EKAPE: every trading day of the week itself.
    days = sorted({(row[1], row[6], row[7]) for row in content["stats"] if row[0] == "EKAPE"})
    assert days == [("EKAPE/PIG_TANGBAK", "D", f"202611{day}") for day in range(16, 23)]
    national = [row for row in content["stats"] if row[1] == "101/DT_1EO311" and row[4] == "00/00"]
    assert {row[2] for row in national} == {"T001", "T002"}
    sido_heads = sum(row[8] for row in content["stats"] if row[2] == "T002" and row[4] != "00/00")
    assert sido_heads == next(row[8] for row in national if row[2] == "T002")


def test_one_report_row_per_valid_farm(first_run, valid_farm_nos):
    _, _, content = first_run
    report = content["report"]
    assert [row[1] for row in report] == valid_farm_nos
    weather_by_farm: dict[str, list[tuple]] = {}
    for row in content["weather"]:
        weather_by_farm.setdefault(row[0], []).append(row)
    for row in report:
        farm_weather = weather_by_farm[row[1]]
        assert row[4] == 7
        assert row[5] == round(sum(w[3] for w in farm_weather) / 7, 2)
        assert row[7] == max(w[5] for w in farm_weather)
        assert row[12] == sum(1 for w in farm_weather if w[8] >= 74)
        assert row[13] is not None  # national pig heads of the latest published quarter
        assert row[14] is not None  # pork CPI of the latest published month


def test_job_log_of_the_run(stack, first_run):
    dag_run, _, content = first_run
    log = stack.job_log(dag_run.run_id)
    steps = [(step, status) for step, status, *_ in log]
    assert steps[0] == ("START_JOB", "SUCCESS")
    # The two groups run in parallel: their first steps may come in either order.
    assert sorted(steps[1:3]) == [("COLLECT_KOSIS_SERIES", "SUCCESS"), ("PLAN_WEATHER_LOCATIONS", "SUCCESS")]
    # One SUCCESS row per ASOS location of the sample farms (34), each naming its station.
    weather = [row for row in log if row[0] == "COLLECT_STATION_WEATHER"]
    assert len(weather) == 34
    assert {row[1] for row in weather} == {"SUCCESS"}
    # A complete week asks nobody (no APPROVE_GAPS row); the report is compared with what it replaced.
    assert steps[-4:] == [
        ("CHECK_COLLECTION", "SUCCESS"),
        ("COMPARE_REPORT", "SUCCESS"),
        ("RUN_WEEKLY_REPORT", "SUCCESS"),
        ("FINISH_JOB", "SUCCESS"),
    ]
    assert all(status == "SUCCESS" for _, status in steps)
    assert {week for *_, week, _ in log} == {WEEK_KEY}
    weather_logged = sum(count for step, _, count, *_ in log if step == "COLLECT_STATION_WEATHER")
    assert weather_logged == len(content["weather"])
    report_row = next(row for row in log if row[0] == "RUN_WEEKLY_REPORT")
    assert report_row[2] == 44
    assert "SP_INS_WEEK_MAIN('WEEK', '20261116')" in report_row[4]
    plan = next(row for row in log if row[0] == "PLAN_WEATHER_LOCATIONS")
    assert "44 farms" in plan[4]
    assert "1 inactive" in plan[4]
    assert "duplicate farm number" in plan[4]
    assert "missing coordinates" in plan[4]
    assert "outside Korea" in plan[4]


def test_api_calls_one_per_location_plus_the_publication_probe(stack, first_run):
    dag_run, api_stats, _ = first_run
    locations = len([row for row in stack.job_log(dag_run.run_id) if row[0] == "COLLECT_STATION_WEATHER"])
    assert api_stats["kma"]["requests"] == locations + 1
    assert api_stats["kosis"]["requests"] == 2


def test_a_second_run_leaves_the_same_rows(stack, first_run):
    first, _, content = first_run
    second = stack.run_week(WEEK)
    assert second.state == "success"
    assert second.run_id != first.run_id
    assert stack.week_content(REPORT_WEEK) == content
    assert stack.sql("SELECT DISTINCT RUN_ID FROM TM_WEATHER") == [(second.run_id,)]
    assert [step for step, *_ in stack.job_log(second.run_id)][-1] == "FINISH_JOB"
    assert len(stack.job_log(first.run_id)) == len(stack.job_log(second.run_id))


def test_kma_failure_alerts_and_stops_before_the_procedure(stack, first_run):
    stack.emulator("POST", "reset")
    stack.emulator("POST", "faults", {"api": "kma", "scenario": "key_xml_200", "count": None})
    mails, hooks = len(stack.smtp.messages), len(stack.webhook.requests)
    dag_run = stack.run_week("2026-11-09")
    stack.emulator("POST", "reset")
    assert dag_run.state == "failed"
    log = stack.job_log(dag_run.run_id)
    steps = {(step, status) for step, status, *_ in log}
    assert ("WAIT_FOR_WEATHER_PUBLICATION", "FAILED") in steps
    assert ("FINISH_JOB", "FAILED") in steps
    assert not any(step in ("CHECK_COLLECTION", "RUN_WEEKLY_REPORT") for step, _ in steps)
    assert stack.sql("SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = '20261109'") == [(0,)]
    failure = next(
        message for step, status, _, _, message in log if status == "FAILED" and step.startswith("WAIT")
    )
    assert "SERVICE_KEY_IS_NOT_REGISTERED_ERROR" in failure
    assert "dev-kma-key" not in failure

    assert len(stack.smtp.messages) == mails + 1
    mail = stack.smtp.messages[-1]
    assert "2026-11-09" in mail["Subject"]
    assert dag_run.run_id in mail["Subject"]
    assert mail["To"] == "ops@example.com, farm-admin@example.com"
    body = mail.get_body().get_content()
    assert "SERVICE_KEY_IS_NOT_REGISTERED_ERROR" in body
    assert "dev-kma-key" not in body

    assert len(stack.webhook.requests) == hooks + 1
    payload = stack.webhook.requests[-1]["json"]
    assert payload["event"] == "ins_weekly_report_failed"
    assert payload["run_id"] == dag_run.run_id
    assert payload["week_start"] == "2026-11-09"
    assert payload["failed_steps"] == ["WAIT_FOR_WEATHER_PUBLICATION"]
    assert payload["url"].endswith(
        f"/dags/ins_weekly_report/runs/{dag_run.run_id.replace(':', '%3A').replace('+', '%2B')}"
    )


def test_one_failing_station_is_named_in_the_alert(stack, first_run):
    stack.emulator("POST", "reset")
    stack.emulator(
        "POST", "faults", {"api": "kma", "scenario": "key_xml_403", "count": None, "match": {"stnIds": "203"}}
    )
    dag_run = stack.run_week("2026-11-02")
    stack.emulator("POST", "reset")
    assert dag_run.state == "failed"
    log = stack.job_log(dag_run.run_id)
    failed = [
        message
        for step, status, _, _, message in log
        if status == "FAILED" and step == "COLLECT_STATION_WEATHER"
    ]
    assert len(failed) == 1
    assert "203 이천" in failed[0]
    # The other stations were written; the report for that week was not built.
    assert stack.sql("SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = '20261102'") == [(0,)]
    assert (
        stack.sql("SELECT COUNT(*) FROM TM_WEATHER WHERE WEATHER_DATE BETWEEN '2026-11-02' AND '2026-11-08'")[
            0
        ][0]
        > 0
    )
    payload = stack.webhook.requests[-1]["json"]
    assert payload["run_id"] == dag_run.run_id
    assert any("203 이천" in error for error in payload["errors"])
