"""EKAPE pig carcass prices end to end through Airflow: a week's auction days and the day without auction
land in TA_STATS_DATA, the report carries the week's average price; an EKAPE outage stops the run before the
procedure and the alert names EKAPE."""

from __future__ import annotations

from include.ins_report.sources import ekape

WEEK = "2026-11-09"  # Monday 11-09 .. Sunday 11-15: six auction days, Sunday closed
WEEK_KEY = "20261109"


def ekape_rows(stack, run_id: str) -> dict[tuple[str, str, str], float | None]:
    rows = stack.sql(
        "SELECT ITEM_ID, CATEGORY_ID, PERIOD, VALUE FROM TA_STATS_DATA WHERE SOURCE = ? AND RUN_ID = ?",
        (ekape.SOURCE, run_id),
    )
    return {(item, category, period): value for item, category, period, value in rows}


def test_a_week_of_prices_with_its_day_without_auction(stack):
    stack.emulator("POST", "reset")
    dag_run = stack.run_week(WEEK)
    assert dag_run.state == "success"
    rows = ekape_rows(stack, dag_run.run_id)
    held = {
        period: value
        for (item, category, period), value in rows.items()
        if (item, category) == (ekape.ITEM_AUCTION_HELD, ekape.CATEGORY_AUCTION)
    }
    assert held == {f"202611{day:02d}": (0.0 if day == 15 else 1.0) for day in range(9, 16)}
    prices = {
        period: value
        for (item, category, period), value in rows.items()
        if (item, category) == (ekape.ITEM_PRICE, ekape.CATEGORY_HEADLINE)
    }
    assert sorted(prices) == [f"202611{day:02d}" for day in range(9, 15)]  # never a price for Sunday
    assert all(3000 < price < 9000 for price in prices.values())
    # Two calls (암, 거세) per day, all seven days asked.
    assert stack.emulator("GET", "stats")["ekape"]["requests"] == 14
    report = stack.sql(
        "SELECT DISTINCT PIG_PRICE_AVG FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ?", (WEEK_KEY,)
    )
    assert report == [(round(sum(prices.values()) / len(prices), 1),)]
    steps = [(row.step, row.status) for row in stack.job_log(dag_run.run_id)]
    assert ("WAIT_FOR_EKAPE_FINAL", "SUCCESS") not in steps  # the wait is a sensor: no row of its own
    assert ("COLLECT_EKAPE_PRICES", "SUCCESS") in steps


def test_an_ekape_outage_stops_the_run_before_the_procedure_and_names_ekape(stack):
    stack.emulator("POST", "reset")
    hooks = len(stack.webhook.requests)
    stack.emulator("POST", "faults", {"api": "ekape", "scenario": "http_500", "count": None})
    try:
        dag_run = stack.run_week("2026-11-02")
    finally:
        stack.emulator("POST", "reset")
    assert dag_run.state == "failed"
    steps = [(row.step, row.status) for row in stack.job_log(dag_run.run_id)]
    assert ("COLLECT_EKAPE_PRICES", "FAILED") in steps
    assert "RUN_WEEKLY_REPORT" not in {step for step, _ in steps}
    assert stack.sql("SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = '20261102'") == [(0,)]
    (alert,) = [
        r["json"] for r in stack.webhook.requests[hooks:] if r["json"].get("run_id") == dag_run.run_id
    ]
    assert alert["failed_steps"] == ["COLLECT_EKAPE_PRICES"]
    assert "EKAPE [500]" in " ".join(alert["errors"])
