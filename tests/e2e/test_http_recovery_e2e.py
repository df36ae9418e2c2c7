"""A connection that cannot make a request, end to end through Airflow (issue 18's reproduction): with a
schema typo (``httpx``) in the EKAPE connection, requests' InvalidSchema quoted the URL with ``serviceKey=``
into the FAILED row, the failure XCom and the alert. Now the task fails at once with a configuration error
naming the connection, no request reaches the API, and the key is nowhere in the job log or the alert."""

from __future__ import annotations

import json
from urllib.parse import quote_plus

from devtools.embedded import DEV_EKAPE_KEY

WEEK = "2026-10-26"


def test_a_schema_typo_fails_the_source_at_once_naming_its_connection_without_the_key(stack, monkeypatch):
    stack.emulator("POST", "reset")
    hooks = len(stack.webhook.requests)
    conn = json.loads(stack.env["AIRFLOW_CONN_EKAPE_API"])
    monkeypatch.setenv("AIRFLOW_CONN_EKAPE_API", json.dumps({**conn, "schema": "httpx"}))
    dag_run = stack.run_week(WEEK)
    assert dag_run.state == "failed"
    assert stack.emulator("GET", "stats")["ekape"]["requests"] == 0
    rows = stack.job_log(dag_run.run_id)
    (failed,) = [row for row in rows if row.step == "COLLECT_EKAPE_PRICES" and row.status == "FAILED"]
    assert "PermanentApiError: EKAPE [config] the request cannot be sent (InvalidSchema)" in failed.message
    assert "check the ekape_api connection's schema (http or https)" in failed.message
    assert "RUN_WEEKLY_REPORT" not in {row.step for row in rows}
    (alert,) = [
        r["json"] for r in stack.webhook.requests[hooks:] if r["json"].get("run_id") == dag_run.run_id
    ]
    assert alert["failed_steps"] == ["COLLECT_EKAPE_PRICES"]
    written = json.dumps([row.message for row in rows], ensure_ascii=False) + json.dumps(
        alert, ensure_ascii=False
    )
    assert "ekape_api connection" in written
    for spelling in (DEV_EKAPE_KEY, quote_plus(DEV_EKAPE_KEY), "serviceKey", "httpx://"):
        assert spelling not in written
