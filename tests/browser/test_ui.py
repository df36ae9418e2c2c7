"""What an operator sees in the Airflow UI after a weekly run, checked in headless Chromium: the Grid and
the Graph show the two collection groups, the gate, the report task and the weather stations by their
labels, each with its state, in the operators' time zone. Screenshots go to tests/artifacts/browser/
(``INS_UPDATE_SCREENSHOTS=1`` also refreshes docs/screenshots/grid.png)."""

from __future__ import annotations

import os
import re
import shutil
from urllib.parse import quote

import pendulum
import pytest
from playwright.sync_api import expect

from include.ins_report.joblog import STEPS
from tests.browser.conftest import ARTIFACTS, TIMEZONE
from tests.browser.ui import settle
from tests.conftest import ROOT

pytestmark = pytest.mark.scheduler

DAG = "ins_weekly_report"
STATIONS = "collect_weather.collect_station_weather"
# The Grid's rows with every group expanded: (task or group id, the name the operator reads), from the job
# log's step registry (the DAG's titles) and the enabled sources (the statistics group's name).
ROWS = [
    ("start_job", "Start: record the run"),
    ("collect_stats", "Collect statistics (KOSIS, EKAPE)"),
    ("collect_stats.collect_kosis_series", STEPS["COLLECT_KOSIS_SERIES"].title),
    ("collect_stats.wait_for_ekape_final", STEPS["WAIT_FOR_EKAPE_FINAL"].title),
    ("collect_stats.collect_ekape_prices", STEPS["COLLECT_EKAPE_PRICES"].title),
    ("collect_weather", "Collect weather (KMA ASOS)"),
    ("collect_weather.plan_weather_locations", STEPS["PLAN_WEATHER_LOCATIONS"].title),
    ("collect_weather.wait_for_weather_publication", STEPS["WAIT_FOR_WEATHER_PUBLICATION"].title),
    (STATIONS, STEPS["COLLECT_STATION_WEATHER"].title),
    ("check_collection", STEPS["CHECK_COLLECTION"].title),
    ("approve_gaps", STEPS["APPROVE_GAPS"].title),
    ("run_weekly_report", STEPS["RUN_WEEKLY_REPORT"].title),
    ("finish_job", STEPS["FINISH_JOB"].title),
]
EXPAND = "button[aria-label='Expand all task groups'], button[aria-label='taskGroups.expandAll']"


def expand_groups(page) -> None:
    """Expand every task group (the choice is kept in the browser: the button is off when all are open)."""
    button = page.locator(EXPAND).first
    button.wait_for()
    if button.is_enabled():
        button.click()


def run_path(deployment) -> str:
    return f"{deployment.airflow.url}/dags/{DAG}/runs/{quote(deployment.run_id, safe='')}"


def grid_tooltip(page, run_id: str, task_id: str) -> dict[str, str]:
    """Hover a Grid cell and read its tooltip (Task ID, State, Run ID, Start Date, ...)."""
    page.get_by_test_id(f"grid-{run_id}-{task_id}").hover()
    tooltip = page.locator("[data-scope=tooltip][data-part=content]").filter(has_text=f"Task ID: {task_id}")
    tooltip.first.wait_for()
    text = tooltip.first.inner_text()
    page.mouse.move(5, 995)  # away, so the next tooltip is the only one
    return dict(re.findall(r"^([A-Z][\w ]+): (.+)$", text, flags=re.M))


def test_the_grid_after_a_run(deployment, page):
    airflow, run_id = deployment.airflow, deployment.run_id
    page.goto(run_path(deployment))
    page.get_by_role("button", name="Show Grid (Press g)").click()
    expand_groups(page)
    names = page.locator("[data-testid^='task-'][data-task-id] > a p")
    names.last.wait_for()
    shown = [name.strip() for name in names.all_inner_texts()]
    assert [re.sub(r"\s*\[.*\]$", "", name) for name in shown] == [title for _, title in ROWS]

    # The run as the operator finds it: the Grid, the run's state, its deadline met, its task instances.
    page.get_by_text("Met", exact=True).wait_for()
    settle(page)
    page.screenshot(path=str(ARTIFACTS / "grid.png"))
    if os.environ.get("INS_UPDATE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "screenshots" / "grid.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / "grid.png", target)

    # Every row's state in this run, as its tooltip tells it, in the operators' time zone.
    tooltips = {task_id: grid_tooltip(page, run_id, task_id) for task_id, _ in ROWS}
    assert {task_id: tip.get("State") for task_id, tip in tooltips.items()} == dict.fromkeys(
        (task_id for task_id, _ in ROWS), "Success"
    )
    (start,) = [ti for ti in airflow.task_instances(run_id) if ti["task_id"] == "start_job"]
    kst = pendulum.parse(start["start_date"]).in_timezone(TIMEZONE).strftime("%Y-%m-%d %H:%M:%S")
    assert tooltips["start_job"]["Start Date"] == kst
    assert page.get_by_role("button", name="+09:00").is_visible()  # the UI's time zone: KST

    # The weather stations, by label, each with its state.
    page.get_by_test_id(f"grid-{run_id}-{STATIONS}").click()
    stations = [ti for ti in airflow.task_instances(run_id) if ti["task_id"] == STATIONS]
    page.get_by_text(f"{len(stations)} Task Instances").wait_for()
    rows = page.locator("table tbody tr")
    assert rows.count() == len(stations)
    table = {
        cells[0].strip(): cells[1].strip()
        for cells in (row.locator("td").all_inner_texts()[1:3] for row in rows.all())
    }
    assert table == {ti["rendered_map_index"]: "Success" for ti in stations}
    assert "203 이천 (3 farms)" in table
    page.get_by_role("link", name="203 이천 (3 farms)").wait_for()

    settle(page)
    page.screenshot(path=str(ARTIFACTS / "stations.png"))


def test_the_graph_after_a_run(deployment, page):
    page.goto(run_path(deployment))
    page.get_by_role("button", name="Show Graph (Press g)").click()
    expand_groups(page)
    nodes = page.locator(".react-flow__node[data-id]")
    for task_id, _ in ROWS:  # every node drawn with its state (the states come in a query of their own)
        expect(page.locator(f".react-flow__node[data-id='{task_id}']")).to_contain_text("success")
    settle(page)  # and the layout settles
    shown = {node.get_attribute("data-id"): node.inner_text() for node in nodes.all()}
    for task_id, title in ROWS:
        lines = [line.strip() for line in shown[task_id].splitlines() if line.strip()]
        assert lines[0].startswith(title), (task_id, lines)
        assert "success" in lines, (task_id, lines)
    assert "Task Group" in shown["collect_weather"]
    assert shown[STATIONS].splitlines()[0].strip() == "Fetch station week into TM_WEATHER [34]"
    page.screenshot(path=str(ARTIFACTS / "graph.png"))


def test_the_dag_page_shows_the_deadline_alert(deployment, page):
    """The DAG's page lists its deadline alert (Monday 12:30 KST by default)."""
    page.goto(f"{deployment.airflow.url}/dags/{DAG}")
    page.get_by_text("1 deadline", exact=True).wait_for()
    page.get_by_text("0 2 * * 1", exact=True).wait_for()  # the schedule, Mondays 02:00 (KST)
    page.screenshot(path=str(ARTIFACTS / "dag.png"))
