"""One run through Airflow per fault class of the HTTP layer (issue 18): the faults the batch recovers from
end in a built report with no person involved, the ones it cannot fail at once saying what to do."""

from __future__ import annotations

WEEK, WEEK_KEY = "2026-10-12", "20261012"


def fault(stack, api: str, scenario: str, **options) -> None:
    stack.emulator("POST", "faults", {"api": api, "scenario": scenario, **options})


def test_transient_faults_once_are_recovered_inside_their_tasks(stack):
    """In one run: a connection reset mid-body (KOSIS), an HTTP 200 maintenance page (one KMA station) and a
    short Retry-After (EKAPE), each once. Each task asks again itself; the run builds the report with no
    RETRY row, so nobody is paged."""
    stack.emulator("POST", "reset")
    before = stack.emulator("GET", "stats")
    fault(stack, "kosis", "reset_mid_body", count=1)
    fault(stack, "kma", "maintenance_html", count=1, match={"stnIds": "203"})
    fault(stack, "ekape", "retry_after", count=1, retry_after="1")
    dag_run = stack.run_week(WEEK)
    stats = stack.emulator("GET", "stats")
    stack.emulator("POST", "reset")
    assert dag_run.state == "success"
    log = stack.job_log(dag_run.run_id)
    assert not [row for row in log if row.status in ("FAILED", "RETRY")]  # recovered by the HTTP layer
    assert stats["kosis"]["requests"] - before["kosis"]["requests"] == 3  # two series, one asked again
    assert stats["ekape"]["requests"] - before["ekape"]["requests"] == 15  # 14, one asked again
    locations = len([row for row in log if row.step == "COLLECT_STATION_WEATHER"])
    assert stats["kma"]["requests"] - before["kma"]["requests"] == locations + 2  # the probe, one again
    (report,) = [row for row in log if row.step == "RUN_WEEKLY_REPORT"]
    assert report.status == "SUCCESS"


def test_a_used_up_daily_quota_fails_at_once_saying_when_it_resets(stack):
    """EKAPE's quota code 22: not retried within seconds (one call), the week's waiting window is long over,
    so the task fails at once naming the reset time, and the run stops before the procedure."""
    stack.emulator("POST", "reset")
    fault(stack, "ekape", "quota_xml_200", count=None)
    dag_run = stack.run_week(WEEK)
    stats = stack.emulator("GET", "stats")
    stack.emulator("POST", "reset")
    assert dag_run.state == "failed"
    assert stats["ekape"]["requests"] == 1
    log = stack.job_log(dag_run.run_id)
    (failed,) = [row for row in log if row.step == "COLLECT_EKAPE_PRICES" and row.status == "FAILED"]
    assert "the daily request quota is used up; it resets at" in failed.message
    assert "00:00 KST" in failed.message
    assert "after the waiting window" in failed.message
    assert not [row for row in log if row.step == "COLLECT_EKAPE_PRICES" and row.status == "RETRY"]
    assert "RUN_WEEKLY_REPORT" not in {row.step for row in log}
