"""What the operator-flow browser tests share: the Airflow 3.3 UI's selectors (data-testid attributes, URLs,
form field names: never the words of one language), the UI's own translations for the few places where
only a text tells a state, the guide's screenshots, and the farm-database checks.

Selectors were read from the UI bundled with the installed Airflow (``airflow/ui/dist``)."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import expect

from include.ins_report.model.week import ReportWeek
from tests.browser.conftest import ARTIFACTS
from tests.conftest import ROOT

DAG = "ins_weekly_report"
STATIONS = "collect_weather.collect_station_weather"
GUIDE_SHOTS = ARTIFACTS / "guide"
DOCS_SHOTS = ROOT / "docs" / "screenshots" / "guide"  # refreshed with INS_UPDATE_SCREENSHOTS=1
# The UI bundled with the installed Airflow (found without importing airflow).
UI_LOCALES = Path(importlib.util.find_spec("airflow").submodule_search_locations[0]) / "ui/dist/i18n/locales"


# --- the UI's words -------------------------------------------------------------------------------------


@functools.cache
def _catalogue(language: str, namespace: str) -> dict:
    path = UI_LOCALES / language / f"{namespace}.json"
    if not path.exists():
        path = UI_LOCALES / "en" / f"{namespace}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def ui_text(page, key: str, namespace: str = "common") -> str:
    """The text the UI shows for ``key`` in the browser's language (from the UI's own catalogues). The
    browser's language, not ``<html lang>``: that attribute was seen out of step with the words shown (a
    flow waited for "Success" on a Korean page; a wait for it to match the browser's language timed out)."""
    language = page.evaluate("navigator.language") or "en"
    value = _catalogue(language.split("-")[0], namespace)
    for part in key.split("."):
        value = value[part]
    return value


def state_text(page, state: str) -> str:
    """A task or run state as the UI's badge spells it (``failed`` -> 실패 in Korean)."""
    return ui_text(page, f"states.{state}")


# --- pages ---------------------------------------------------------------------------------------------


def run_url(base: str, run_id: str) -> str:
    return f"{base}/dags/{DAG}/runs/{quote(run_id, safe='')}"


def wait_translated(page) -> None:
    """The UI loads its catalogues lazily: wait until the navigation shows words, not i18n keys."""
    page.get_by_test_id("nav-home-link").wait_for()
    expect(page.get_by_test_id("nav-sidebar")).not_to_contain_text(
        re.compile(r"\bnav\.[a-z]"), timeout=60_000
    )


def open_dag(page, base: str) -> None:
    page.goto(f"{base}/dags/{DAG}")
    wait_translated(page)
    page.get_by_test_id("trigger-dag-button").wait_for()


def open_run(page, base: str, run_id: str) -> None:
    page.goto(run_url(base, run_id))
    wait_translated(page)
    page.get_by_test_id("header-card").wait_for()


def expand_groups(page) -> None:
    button = page.get_by_test_id("expand-all-button")
    button.wait_for()
    if button.is_enabled():
        button.click()


# True once no tooltip is open and no transition or finite animation runs (spinners loop forever: not
# waited for). Polled on animation frames, so a layout that moves is seen moving.
SETTLED = """() => !document.querySelector("[data-scope=tooltip][data-part=content][data-state=open]")
    && document.getAnimations().every(
        (a) => a.playState !== "running" || a.effect?.getComputedTiming().iterations === Infinity)"""


def settle(page) -> None:
    """No pointer over anything, no tooltip open and the layout settled (its transitions done), before a
    screenshot: waited for as states, not for a time, so a slow machine only takes longer."""
    page.mouse.move(5, page.viewport_size["height"] - 5)
    page.wait_for_function(SETTLED, polling="raf")


def shoot(page, name: str, *, target=None) -> Path:
    """A screenshot for the operator's guide (tests/artifacts/browser/guide/, and docs/screenshots/guide/
    with INS_UPDATE_SCREENSHOTS=1). ``target``: a locator to shoot instead of the viewport."""
    GUIDE_SHOTS.mkdir(parents=True, exist_ok=True)
    path = GUIDE_SHOTS / f"{name}.png"
    settle(page)
    (target or page).screenshot(path=str(path))
    if os.environ.get("INS_UPDATE_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SHOTS / path.name)
    return path


def dialog(page):
    """The open modal dialog (Chakra renders it with role=dialog)."""
    found = page.get_by_role("dialog").last
    found.wait_for()
    return found


def choose_radio(scope, value: str) -> None:
    """Click the radio option of ``value`` as a user does: on its label (the input itself is visually hidden,
    so clicking it can land outside the viewport)."""
    option = scope.locator(f"label:has(input[type=radio][value={value}])")
    option.scroll_into_view_if_needed()
    option.click()
    assert scope.locator(f"input[type=radio][value={value}]").is_checked(), value


def fill_datetime(page, field, day: str, hhmm: str) -> None:
    """Airflow's date-time picker (``datetime-input``): a popover with a date field (YYYY/MM/DD) and a time
    field (HH:mm), in the browser's time zone."""
    field.click()
    popover = page.locator("[data-scope=popover][data-part=content][data-state=open]")
    popover.wait_for()
    inputs = popover.locator("input")
    inputs.nth(0).fill(day)
    inputs.nth(1).fill(hhmm)
    inputs.nth(1).press("Enter")
    if popover.is_visible():
        page.keyboard.press("Escape")
    popover.wait_for(state="hidden")


def _log_setting(page, testid: str, on_key: str) -> None:
    """Turn a log-view setting on (the menu item reads ``on_key``'s text once it is on; the choice is kept
    in the browser, so it is only clicked when off). After a click the menu is opened again until it reads
    the setting on: the state the log view is rendered in, not a pause."""
    on_text = ui_text(page, on_key)
    menu = page.get_by_test_id("log-settings-button")
    item = page.get_by_test_id(testid)
    menu.click()
    item.wait_for()
    if on_text not in item.inner_text():
        item.click()
        item.wait_for(state="hidden")
        menu.click()
        expect(item).to_contain_text(on_text)
    page.keyboard.press("Escape")
    item.wait_for(state="hidden")


# True once the virtualised log view has rendered the lines of its visible part: the rendered rows (a
# contiguous range, positioned in the list's sized box) reach from the top to the bottom of what is shown.
LOG_VIEW_RENDERED = """(view) => {
    const rows = [...view.querySelectorAll("[data-testid^=virtualized-item-], [data-testid^=group-header-]")];
    if (!rows.length) return false;
    const box = rows[0].parentElement.getBoundingClientRect(), shown = view.getBoundingClientRect();
    const top = Math.max(box.top, shown.top), bottom = Math.min(box.bottom, shown.bottom);
    const rects = rows.map((row) => row.getBoundingClientRect());
    return Math.min(...rects.map((r) => r.top)) <= top + 1
        && Math.max(...rects.map((r) => r.bottom)) >= bottom - 1;
}"""


def _scroll_log(page, container, script: str) -> int:
    """Scroll the log view by ``script`` (which returns the new scrollTop) and wait until the lines now
    shown are rendered."""
    top = container.evaluate(script)
    page.wait_for_function(LOG_VIEW_RENDERED, arg=container.element_handle(), polling="raf")
    return top


HALF_A_VIEW_DOWN = "e => { e.scrollTop += e.clientHeight / 2; return e.scrollTop; }"


def log_text(page) -> str:
    """The task log as the log view renders it, lines wrapped and groups expanded (the view is virtualised:
    scroll through it and collect the lines)."""
    container = page.get_by_test_id("virtual-scroll-container")
    container.wait_for()
    page.locator("[data-testid^=virtualized-item-]").first.wait_for()
    _log_setting(page, "log-settings-wrap", "wrap.unwrap")
    _log_setting(page, "log-settings-expand", "expand.collapse")
    seen: dict[str, str] = {}
    top, previous = _scroll_log(page, container, "e => { e.scrollTop = 0; return e.scrollTop; }"), -1
    while top != previous:
        for item in page.locator("[data-testid^=virtualized-item-], [data-testid^=group-header-]").all():
            seen[item.get_attribute("data-testid") or ""] = item.inner_text()
        previous = top
        top = _scroll_log(page, container, HALF_A_VIEW_DOWN)
    return "\n".join(seen.values())


def show_log_line(page, text: str) -> None:
    """Scroll the (virtualised) log view from the top until a line with ``text`` is rendered, and bring that
    line into the viewport (for the guide's screenshot of it)."""
    container = page.get_by_test_id("virtual-scroll-container")
    line = page.locator("[data-testid^=virtualized-item-]").filter(has_text=text).first
    top = _scroll_log(page, container, "e => { e.scrollTop = 0; return e.scrollTop; }")
    while not line.count():
        previous, top = top, _scroll_log(page, container, HALF_A_VIEW_DOWN)
        assert top != previous, f"no log line with {text!r}"
    line.scroll_into_view_if_needed()
    expect(line).to_be_in_viewport()


# --- runs and the farm database (read through the REST API and SQL: the steps under test are clicked, their
# effects are checked) ------------------------------------------------------------------------------------


def runs_with_week(airflow, week: str) -> list[dict]:
    return [run for run in airflow.runs() if (run.get("conf") or {}).get("week") == week]


def run_span(deployment, run_id: str, step: str | None = None) -> tuple[str, str]:
    """When the run's job-log rows (or its ``step`` rows) started and ended (KST wall-clock text)."""
    ((started, ended),) = deployment.sql(
        "SELECT MIN(STARTED_AT), MAX(ENDED_AT) FROM TS_INS_JOB_LOG "
        "WHERE RUN_ID = ? AND STEP_NM = COALESCE(?, STEP_NM)",
        (run_id, step),
    )
    assert started, (run_id, step)
    assert ended, (run_id, step)
    return started, ended


def assert_week_reported(deployment, run_id: str, week: ReportWeek) -> None:
    """The run logged only this week, called the procedure for it and finished; the report holds one row
    per farm with weather on all 7 days."""
    key = week.start.strftime("%Y%m%d")
    log = deployment.job_log(run_id)
    assert log, f"no TS_INS_JOB_LOG rows for {run_id}"
    assert {row.report_week for row in log} == {key}, (run_id, {row.report_week for row in log})
    assert (log[-1].step, log[-1].status) == ("FINISH_JOB", "SUCCESS"), log[-1]
    report = [row for row in log if row.step == "RUN_WEEKLY_REPORT" and row.status == "SUCCESS"]
    assert report, log
    assert f"SP_INS_WEEK_MAIN('WEEK', '{key}')" in report[-1].message, report
    content = deployment.week_content(week)
    farms = {row[0] for row in content["weather"]}  # FARM_NO, WEATHER_DATE, ...
    assert len(farms) == 44
    assert len(content["weather"]) == 44 * 7
    assert [row[1] for row in content["report"]] == sorted(farms)  # REPORT_WEEK, FARM_NO, ...
