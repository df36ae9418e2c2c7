"""The INS weeks page (plugins/ins_weeks.py) in the operators' browser (Korean, Asia/Seoul): after the
deployment's scheduled run and a re-run of its week that changed a report value, the page is opened from
the UI's navigation, its numbers are checked against the farm database, a row is followed to its run in
the Grid, and the week's page with its map and charts is shot for the runbook (tests/artifacts/browser/
guide/, and docs/screenshots/guide/ with INS_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing

import pytest
from playwright.sync_api import expect

from tests.browser.ui import open_run, run_url, shoot, wait_translated

pytestmark = pytest.mark.scheduler

IMAGES_LOADED = "() => [...document.images].every((i) => i.complete && i.naturalWidth > 0)"


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


@pytest.fixture(scope="module")
def rerun(deployment) -> str:
    """A re-run of the deployment's week after the week's report had one farm's mean temperature 3 °C off
    (as a report built from other data would): the re-run's report differs from the one it replaces."""
    key = deployment.week.key
    with closing(sqlite3.connect(deployment.farm_db)) as conn, conn:
        conn.execute(
            "UPDATE TR_INS_WEEK_REPORT SET AVG_TA = AVG_TA + 3 WHERE REPORT_WEEK = ? AND FARM_NO = "
            "(SELECT MIN(FARM_NO) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ?)",
            (key, key),
        )
    run_id, state = deployment.run_week_on_stack(timeout=400)
    assert state == "success"
    return run_id


def test_the_weeks_page_from_the_navigation_matches_the_farm_database(deployment, operator_page, rerun):
    page, base, key = operator_page, deployment.airflow.url, deployment.week.key
    page.goto(f"{base}/")
    wait_translated(page)
    page.get_by_test_id("nav-sidebar").locator("a[href$='plugin/ins-weeks']").click()
    page.wait_for_url(re.compile(r"/plugin/ins-weeks$"))
    frame = page.frame_locator("iframe")
    row = frame.locator(f"tr[data-week='{key}']")
    row.wait_for()

    ((reported, temperature),) = deployment.sql(
        "SELECT COUNT(*), AVG(AVG_TA) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ?", (key,)
    )
    expect(row.locator("td[data-field=report_rows]")).to_have_text(str(reported))
    expect(row.locator("td[data-figure=temperature]")).to_contain_text(_number(temperature, 1))
    ((price,),) = deployment.sql(
        "SELECT AVG(s.VALUE) FROM TS_INS_WEEK_INPUT m JOIN TA_STATS_DATA s ON s.SOURCE = m.SOURCE "
        "AND s.SERIES_ID = m.SERIES_ID AND s.ITEM_ID = m.ITEM_ID AND s.CATEGORY_ID = m.CATEGORY_ID "
        "AND s.PERIOD_TYPE = m.PERIOD_TYPE AND s.PERIOD = m.PERIOD "
        "WHERE m.REPORT_WEEK = ? AND m.REPORT_COLUMN = 'PIG_PRICE_AVG' AND s.VALUE > 0",
        (key,),
    )
    expect(row.locator("td[data-figure=price]")).to_contain_text(_number(price, 0))
    expect(row).to_contain_text("실행 2회")  # the scheduled run and the re-run
    compared = deployment.sql(
        "SELECT MESSAGE FROM TS_INS_JOB_LOG WHERE RUN_ID = ? AND STEP_NM = 'COMPARE_REPORT' ORDER BY LOG_ID",
        (rerun,),
    )
    if compared:  # the report step's diff (issue #21 part 1), shown as the job log has it
        expect(row).to_contain_text(compared[-1][0][:60])
    shoot(page, "ins-weeks-page")

    # The row's link opens the re-run in the Grid, in the whole window.
    row.locator("a.grid-link").click()
    page.wait_for_url(run_url(base, rerun), wait_until="commit")
    open_run(page, base, rerun)


def test_the_week_page_shows_the_map_and_charts(deployment, operator_page, rerun):
    page, base, key = operator_page, deployment.airflow.url, deployment.week.key
    page.goto(f"{base}/ins-weeks/week/{key}")
    page.locator("img.map").wait_for()
    page.wait_for_function(IMAGES_LOADED)
    ((planned,),) = deployment.sql("SELECT COUNT(*) FROM TS_INS_WEEK_FARM WHERE REPORT_WEEK = ?", (key,))
    counts = page.locator("p.farm-counts").inner_text()
    complete, gap = (int(n) for n in re.findall(r"(\d+)", counts)[:2])
    assert complete + gap == planned
    for image in ("img.map", "img.multiples", "img.price"):
        assert page.locator(image).evaluate("i => i.naturalWidth") > 300
    shoot(page, "ins-weeks-week", target=page.locator("body"))
