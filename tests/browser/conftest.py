"""The Airflow UI in a real browser: the local stack as `make airflow` runs it (API server, scheduler, DAG
processor, triggerer, with the emulators), one scheduled weekly run, and headless Chromium driven by
Playwright. Debian's chromium is used (no browser download): `apt-get install -y chromium fonts-noto-cjk`."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from include.ins_report.localdev import connection_env, emulator_process, init_farm_db
from tests.conftest import ROOT
from tests.support.airflow_stack import PASSWORD, USER, AirflowStack

CHROMIUM = os.environ.get("INS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "tests" / "artifacts" / "browser"
TIMEZONE = "Asia/Seoul"  # the operators' browsers; Airflow 3.3's UI shows times in the browser's zone


def chromium_executable() -> str:
    """Debian's chromium, or fail (not skip) with what to install."""
    found = shutil.which(CHROMIUM)
    if not found:
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests need it. On Debian/Ubuntu: "
            "`apt-get install -y chromium fonts-noto-cjk` (or set INS_CHROMIUM to a Chromium binary).",
            pytrace=False,
        )
    return found


@dataclass
class Deployment:
    airflow: AirflowStack
    run_id: str


@pytest.fixture(scope="package")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    """The stack with one scheduled run (the latest week, as unpausing on a Monday would start) done."""
    chromium_executable()  # fail fast, before the stack starts
    tmp = tmp_path_factory.mktemp("browser")
    farm_db = tmp / "farm.db"
    init_farm_db(farm_db)
    with emulator_process(tmp) as port:
        env = {**connection_env(farm_db, port), "INS_TASK_RETRIES": "0"}
        with AirflowStack(tmp / "airflow", env) as airflow:
            airflow.unpause()
            deadline = time.monotonic() + 120
            while not (runs := airflow.runs()):
                assert time.monotonic() < deadline, "no scheduled run after unpausing"
                time.sleep(1)
            run_id = runs[0]["dag_run_id"]
            assert airflow.wait_for_run(run_id, timeout=400) == "success"
            yield Deployment(airflow, run_id)


@pytest.fixture(scope="package")
def browser_context(deployment, tmp_path_factory):
    """A logged-in Chromium profile (fresh user data dir) in the operators' time zone."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -r requirements-dev.txt", pytrace=False)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    profile: Path = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium_executable(),
            headless=True,
            args=CHROMIUM_FLAGS,
            timezone_id=TIMEZONE,
            locale="en-US",
            viewport={"width": 1600, "height": 1000},
        )
        context.set_default_timeout(30_000)
        page = context.new_page()
        url = deployment.airflow.url
        page.goto(f"{url}/")
        page.get_by_label("Username").fill(USER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{url}/")
        page.close()
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context, request):
    page = browser_context.new_page()
    yield page
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"))
    page.close()
