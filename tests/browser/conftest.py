"""The Airflow UI in a real browser: the local stack as `make airflow` runs it (API server, scheduler, DAG
processor, triggerer, with the emulators), one scheduled weekly run, and headless Chromium driven by
Playwright. Debian's chromium is used (no browser download): `apt-get install -y chromium fonts-noto-cjk`."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support import deployment as support
from tests.support.airflow_stack import PASSWORD, USER

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
OPERATOR_LOCALE = "ko-KR"  # the operators' browsers speak Korean: the guide's screenshots are taken so
GUIDE_VIEWPORT = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(items) -> None:
    """test_ui.py first: it reads the Grid (and takes docs/screenshots/grid.png) of the one scheduled run,
    before the operator flows add their runs to the same deployment."""
    here = Path(__file__).parent
    slots = [i for i, item in enumerate(items) if Path(item.path).parent == here]
    ordered = sorted((items[i] for i in slots), key=lambda item: Path(item.path).name != "test_ui.py")
    for slot, item in zip(slots, ordered, strict=True):
        items[slot] = item


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


BROWSER_SETTINGS = {
    "INS_TASK_RETRIES": "0",
    "INS_HTTP_ATTEMPTS": "2",  # a station answering 5xx fails in seconds, not minutes
    "INS_HTTP_BACKOFF_SECONDS": "0.1",
    "INS_PUBLICATION_POKE_SECONDS": "5",
    # Gaps in the ask band are asked about (flow 5, test_gap_approval.py; weeks 6 and 7 before the scheduled
    # one); the other flows' faults fail tasks, which no question is about.
    **support.ASKING,
    "INS_ASK_TIMEOUT": "15m",
}


@pytest.fixture(scope="package")
def deployment(tmp_path_factory) -> Iterator[support.Deployment]:
    """The stack (``airflow_deployment``) with one scheduled run (the latest week, as unpausing on a Monday
    would start) done. Its week is published before the schedule, so the run finishes at any hour, Monday
    02:00-09:00 KST included. Failure alerts go to the deployment's webhook receiver. The run and its week
    are the deployment's ``run_id`` and ``week``."""
    chromium_executable()  # fail fast, before the stack starts
    with support.airflow_deployment(tmp_path_factory.mktemp("browser"), BROWSER_SETTINGS) as deployment:
        deployment.run_id, deployment.week = deployment.start_scheduled_run()
        assert deployment.airflow.wait_for_run(deployment.run_id, timeout=400) == "success"
        yield deployment


@pytest.fixture(scope="package")
def playwright_driver():
    """One Playwright driver for the package: every browser context below is started from it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -r requirements-dev.txt", pytrace=False)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        yield playwright


def logged_in_context(playwright, deployment, profile: Path, *, locale: str, viewport: dict[str, int]):
    """A Chromium profile (fresh user data dir) in the operators' time zone, signed in to the UI. The
    login form is found by its fields' names, whatever the language."""
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=chromium_executable(),
        headless=True,
        args=CHROMIUM_FLAGS,
        timezone_id=TIMEZONE,
        locale=locale,
        viewport=viewport,
    )
    context.set_default_timeout(60_000)  # a bound for the waits for states, long enough on a loaded machine
    page = context.new_page()
    url = deployment.airflow.url
    page.goto(f"{url}/")
    page.locator("input[name=username]").fill(USER)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{url}/")
    page.close()
    return context


@pytest.fixture(scope="package")
def browser_context(playwright_driver, deployment, tmp_path_factory):
    """A logged-in Chromium profile in English, in the operators' time zone."""
    profile: Path = tmp_path_factory.mktemp("chromium-profile")
    context = logged_in_context(
        playwright_driver, deployment, profile, locale="en-US", viewport={"width": 1600, "height": 1000}
    )
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="package")
def operator_context(playwright_driver, deployment, tmp_path_factory):
    """A logged-in Chromium profile as the operators have it: Korean (ko-KR), Asia/Seoul, 1280x800."""
    profile: Path = tmp_path_factory.mktemp("chromium-profile-ko")
    context = logged_in_context(
        playwright_driver, deployment, profile, locale=OPERATOR_LOCALE, viewport=GUIDE_VIEWPORT
    )
    try:
        yield context
    finally:
        context.close()


def kept_page(context, request):
    """A new page of ``context``; its last state is kept in tests/artifacts/browser/ after the test."""
    page = context.new_page()
    yield page
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"))
    page.close()


@pytest.fixture
def page(browser_context, request):
    yield from kept_page(browser_context, request)


@pytest.fixture
def operator_page(operator_context, request):
    """A page of the Korean operator's browser."""
    yield from kept_page(operator_context, request)
