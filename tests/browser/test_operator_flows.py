"""The Monday-morning flows of docs/runbook-monday.md, clicked in the Airflow 3.3 UI as the operators have it
(Korean, Asia/Seoul, 1280x800) and checked in the farm database afterwards:

1. trigger a given week from the Trigger dialog (and a date that is not a Monday);
2. find a failed weather station in the Grid, read its log, clear it with Downstream, and get the database
   a clean run leaves;
3. backfill two missed weeks from the backfill form, one run at a time;
4. read the triage notes (the DAG's docs) and follow a failure alert's link to the failed run.

The tests run in file order on one deployment (the alert's link is followed while its run is still failed,
before flow 2 repairs it). Selectors are data-testids, form-field names, roles and URLs; the only words
compared are the product's own (labels, log lines, the DAG's docs) and the state names from the UI's own
catalogue (tests/browser/ui.py).
The steps under test are clicks; the REST API only sets the scene (a failing run) and reads the outcome.
Weeks are counted back from the scheduled run's, so the tests pass at any hour and date. The guide's
pictures land in tests/artifacts/browser/guide/ (INS_UPDATE_SCREENSHOTS=1 refreshes
docs/screenshots/guide/)."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from typing import NamedTuple

import pendulum
import pytest

from include.ins_report.model.week import ReportWeek
from tests.browser.ui import (
    STATIONS,
    assert_week_reported,
    choose_radio,
    dialog,
    expand_groups,
    fill_datetime,
    log_text,
    open_dag,
    open_run,
    run_span,
    run_url,
    runs_with_week,
    shoot,
    show_log_line,
    state_text,
    ui_text,
)
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.scheduler, pytest.mark.browser]

OUTAGE_STATION = "203"
OUTAGE_LABEL = "203 이천 (3 farms)"
RUN_TIMEOUT = 400


class FlowWeeks(NamedTuple):
    triggered: ReportWeek  # flow 1
    not_a_monday: str  # flow 1: the Wednesday of the triggered week
    outage: ReportWeek  # flows 2 and 4
    missed: tuple[ReportWeek, ReportWeek]  # flow 3


@pytest.fixture(scope="module")
def weeks(deployment) -> FlowWeeks:
    """Weeks before the deployment's scheduled one (the latest, from its run's data interval): published
    whenever the suite runs, and none of them run yet."""

    def before(n: int) -> ReportWeek:
        return ReportWeek(deployment.week.start - dt.timedelta(weeks=n))

    triggered = before(2)
    wednesday = (triggered.start + dt.timedelta(days=2)).isoformat()
    return FlowWeeks(triggered, wednesday, before(1), (before(5), before(4)))


def trigger_from_dialog(page, base: str, week: str, screenshot: str | None = None) -> None:
    """DAG page -> Trigger -> Run Parameters: `week` -> Trigger. The param's field is `element_week`."""
    open_dag(page, base)
    page.get_by_test_id("trigger-dag-button").click()
    form = dialog(page)
    form.get_by_test_id("config-form").wait_for()
    field = form.locator("input[name=element_week]")
    field.fill(week)
    assert field.input_value() == week
    field.blur()
    if screenshot:
        shoot(page, screenshot)
    form.get_by_test_id("trigger-dag-submit").click()
    form.wait_for(state="hidden", timeout=60_000)


# --- 1. Trigger a given week ------------------------------------------------------------------------------


def test_trigger_a_given_week_from_the_dialog(deployment, operator_page, weeks):
    page, airflow, base = operator_page, deployment.airflow, deployment.airflow.url
    bad_day, monday = weeks.not_a_monday, weeks.triggered.start.isoformat()

    # A date that is not a Monday: the form takes any date; the run fails at once, naming the Monday.
    trigger_from_dialog(page, base, bad_day)
    (bad,) = wait_for(lambda: runs_with_week(airflow, bad_day), timeout=60, what="the run of the bad week")
    assert airflow.wait_for_run(bad["dag_run_id"], timeout=120) == "failed"
    log = deployment.job_log(bad["dag_run_id"])
    (start,) = [row for row in log if row[0] == "START_JOB"]
    assert start[1] == "FAILED"
    assert f"week={bad_day} is a Wednesday" in start[4], start
    assert f"week={monday}" in start[4], start
    assert not [row for row in log if row[0] in ("RUN_WEEKLY_REPORT", "COLLECT_STATION_WEATHER")]
    # ... and the operator reads why in the failed task's log.
    open_run(page, base, bad["dag_run_id"])
    page.get_by_test_id("header-card").get_by_text(state_text(page, "failed"), exact=True).wait_for()
    page.goto(f"{run_url(base, bad['dag_run_id'])}/tasks/start_job")
    text = log_text(page)
    assert "AirflowFailException" in text
    assert f"week={bad_day} is a Wednesday; pass the Monday that starts the week, e.g. week={monday}" in (
        " ".join(text.split())
    )
    page.get_by_test_id("virtualized-list").get_by_text(
        f"e.g. week={monday}"
    ).first.scroll_into_view_if_needed()
    shoot(page, "1-trigger-not-a-monday-log")

    # The Monday: the run reports that week.
    trigger_from_dialog(page, base, monday, screenshot="1-trigger-dialog-week")
    (run,) = wait_for(lambda: runs_with_week(airflow, monday), timeout=60, what="the triggered run")
    assert run["run_type"] == "manual"
    assert airflow.wait_for_run(run["dag_run_id"], timeout=RUN_TIMEOUT) == "success"
    assert_week_reported(deployment, run["dag_run_id"], weeks.triggered)
    open_run(page, base, run["dag_run_id"])
    expand_groups(page)
    page.get_by_test_id("header-card").get_by_text(state_text(page, "success"), exact=True).wait_for()
    shoot(page, "1-trigger-run-done")


# --- 4. Triage notes and the alert's link (before 2 repairs the run) --------------------------------


def test_the_docs_show_the_triage_notes(deployment, operator_page):
    page = operator_page
    open_dag(page, deployment.airflow.url)
    page.get_by_test_id("markdown-button").click()
    docs = dialog(page)
    notes = docs.get_by_role("heading", name="Triage notes")
    notes.scroll_into_view_if_needed()
    for note in ("Is a re-run safe?", "Missed weeks", "Who to ask"):
        assert docs.get_by_text(note).first.is_visible(), note
    shoot(page, "4-dag-docs-triage-notes")


@pytest.fixture(scope="module")
def station_outage(deployment, weeks):
    """One station's API answers 500 to every call: the outage week's run fails and alerts (the webhook)."""
    deployment.emulator("DELETE", "faults")
    deployment.emulator(
        "POST",
        "faults",
        {"api": "kma", "scenario": "http_500", "count": None, "match": {"stnIds": OUTAGE_STATION}},
    )
    hooks = len(deployment.webhook.requests)
    run_id = deployment.airflow.trigger(conf={"week": weeks.outage.start.isoformat()})
    try:
        state = deployment.airflow.wait_for_run(run_id, timeout=RUN_TIMEOUT)
        alerts = wait_for(
            lambda: [
                request["json"]
                for request in deployment.webhook.requests[hooks:]
                if request["json"].get("run_id") == run_id
                and request["json"].get("event") == "ins_weekly_report_failed"
            ],
            timeout=120,
            what="the failure alert (DAG callback in the dag-processor)",
        )
        yield SimpleNamespace(run_id=run_id, state=state, alert=alerts[0])
    finally:
        deployment.emulator("DELETE", "faults")


def test_the_alert_link_opens_the_failed_run(deployment, station_outage, operator_page, weeks):
    page, alert = operator_page, station_outage.alert
    assert station_outage.state == "failed"
    log = deployment.job_log(station_outage.run_id)
    failed = [row for row in log if row[1] == "FAILED" and row[0] == "COLLECT_STATION_WEATHER"]
    assert [row[4].split(" [farms")[0] for row in failed] == [OUTAGE_LABEL], failed
    assert not [row for row in log if row[0] == "RUN_WEEKLY_REPORT"], "the procedure must not run"
    assert deployment.week_content(weeks.outage)["report"] == []

    # The run link: the run's page, failed.
    page.goto(alert["url"])
    page.get_by_test_id("header-card").wait_for()
    assert page.url == alert["url"]
    header = page.get_by_test_id("header-card")
    header.get_by_text(station_outage.run_id, exact=True).first.wait_for()
    header.get_by_text(state_text(page, "failed"), exact=True).wait_for()
    shoot(page, "4-alert-link-run")

    # The failed station's link: its mapped instance, by label.
    (failure,) = alert["failures"]
    assert (failure["label"], failure["error_class"]) == (OUTAGE_LABEL, "TransientApiError")
    page.goto(failure["url"])
    assert re.search(rf"/tasks/{re.escape(STATIONS)}/mapped/{failure['map_index']}$", page.url), page.url
    page.get_by_test_id("header-card").get_by_text(OUTAGE_LABEL).first.wait_for()


# --- 2. A failed station, found and fixed in the UI -------------------------------------------------------


def test_a_failed_station_found_and_cleared_in_the_grid(deployment, station_outage, operator_page, weeks):
    page, airflow, base, run_id = (
        operator_page,
        deployment.airflow,
        deployment.airflow.url,
        station_outage.run_id,
    )
    assert station_outage.state == "failed"

    # The Grid: the station task's cell lists its instances by label; the failed one is the outage station.
    open_run(page, base, run_id)
    expand_groups(page)
    page.get_by_test_id(f"grid-{run_id}-{STATIONS}").click()
    page.wait_for_url(re.compile(rf"/tasks/{re.escape(STATIONS)}/mapped$"))
    labels = page.get_by_test_id("table-cell-rendered_map_index")
    rows = page.locator("table tbody tr")

    def only_station_rows() -> bool:  # the run's table (all tasks) is replaced by the station instances
        shown = [label.strip() for label in labels.all_inner_texts()]
        return bool(shown) and all(shown) and OUTAGE_LABEL in shown and len(shown) == rows.count()

    wait_for(only_station_rows, timeout=60, what="the station instances listed by label", poll=0.5)
    failed_badge = state_text(page, "failed")
    states = {
        row.get_by_test_id("table-cell-rendered_map_index").inner_text().strip(): row.get_by_test_id(
            "state-badge"
        ).inner_text()
        for row in rows.all()
    }
    assert [label for label, state in states.items() if state.strip() == failed_badge] == [OUTAGE_LABEL], (
        states
    )
    station_row = rows.filter(has=labels.get_by_text(OUTAGE_LABEL, exact=True))
    station_row.scroll_into_view_if_needed()
    shoot(page, "2-grid-failed-station")

    # Its log: the error class and what to do.
    station_row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(rf"/tasks/{re.escape(STATIONS)}/mapped/\d+$"))
    map_index = int(page.url.rsplit("/", 1)[1])
    text = " ".join(log_text(page).split())
    assert "TransientApiError: KMA ASOS [500] server error" in text, text[-2000:]
    assert f"What to do: Weather station “{OUTAGE_LABEL}”" in text, text[-2000:]
    assert "clear it with “Downstream” ticked" in text
    show_log_line(page, "What to do:")
    shoot(page, "2-station-log")

    # The provider is back: clear that instance with Downstream (the header's first action: Clear). The run's
    # deadline alert (INS_REPORT_DEADLINE, hours after queueing) is still pending, so the clear also moves it:
    # on Airflow 3.3.x only with plugins/deadline_clear_fix.py (else HTTP 500, apache/airflow#70368).
    deployment.emulator("DELETE", "faults")
    before = len(deployment.job_log(run_id))
    page.get_by_test_id("header-card").get_by_role("button").first.click()
    form = dialog(page)
    affected = form.get_by_test_id("table-list")
    affected.get_by_test_id("table-cell-task_id").first.wait_for()

    def affected_tasks() -> set[tuple[str, str]]:
        return {
            (cells[0].strip(), cells[1].strip())
            for cells in (
                (
                    row.get_by_test_id("table-cell-task_id").inner_text(),
                    row.get_by_test_id("table-cell-map_index").inner_text(),
                )
                for row in affected.locator("tbody tr").all()
            )
        }

    expected = {
        (STATIONS, str(map_index)),
        ("check_collection", "-1"),
        ("approve_gaps", "-1"),
        ("run_weekly_report", "-1"),
        ("finish_job", "-1"),
    }
    if (
        affected_tasks() != expected
    ):  # Downstream not preselected: tick it (past, future, upstream, downstream)
        form.locator("[data-scope=segment-group] [data-part=item], [role=radiogroup] label").nth(3).click()
        wait_for(
            lambda: affected_tasks() == expected,
            timeout=60,
            poll=0.2,
            what=f"the affected tasks with Downstream ticked to be {sorted(expected)}",
        )
    assert affected_tasks() == expected  # this station only, and everything after it
    shoot(page, "2-clear-with-downstream")
    form.get_by_role("button").last.click()
    form.wait_for(state="hidden", timeout=60_000)

    def station_state() -> str:
        (ti,) = [
            t
            for t in airflow.task_instances(run_id)
            if t["task_id"] == STATIONS and t["map_index"] == map_index
        ]
        return str(ti["state"])

    # The dialog closing is not the clear landing: until the station leaves "failed", the run may still read
    # "failed" too (a loaded machine showed it), and waiting for the run's end would stop there.
    wait_for(
        lambda: station_state() != "failed",
        timeout=60,
        poll=0.5,
        what="the cleared station instance to leave the failed state",
    )
    assert airflow.wait_for_run(run_id, timeout=RUN_TIMEOUT) == "success"
    tries = {
        ti["map_index"]: ti["try_number"]
        for ti in airflow.task_instances(run_id)
        if ti["task_id"] == STATIONS
    }
    assert tries.pop(map_index) == 2
    assert set(tries.values()) == {1}, tries  # the other stations did not run again
    new_rows = deployment.job_log(run_id)[before:]
    assert [row[:2] for row in new_rows] == [
        ("COLLECT_STATION_WEATHER", "SUCCESS"),
        ("CHECK_COLLECTION", "SUCCESS"),
        ("COMPARE_REPORT", "SUCCESS"),  # the week's first report: nothing replaced
        ("RUN_WEEKLY_REPORT", "SUCCESS"),
        ("FINISH_JOB", "SUCCESS"),
    ], new_rows
    assert new_rows[0][4].startswith(OUTAGE_LABEL)
    assert_week_reported(deployment, run_id, weeks.outage)
    repaired = deployment.week_content(weeks.outage)
    open_run(page, base, run_id)
    expand_groups(page)
    page.get_by_test_id("header-card").get_by_text(state_text(page, "success"), exact=True).wait_for()
    shoot(page, "2-run-repaired")

    # A clean run of the same week (REST: the reference, not the step under test) changes nothing.
    clean = airflow.trigger(conf={"week": weeks.outage.start.isoformat()})
    assert airflow.wait_for_run(clean, timeout=RUN_TIMEOUT) == "success"
    assert_week_reported(deployment, clean, weeks.outage)
    assert deployment.week_content(weeks.outage) == repaired


# --- 3. Backfill missed weeks -------------------------------------------------------------------------------


def test_backfill_two_missed_weeks_from_the_form(deployment, operator_page, weeks):
    page, airflow, base = operator_page, deployment.airflow, deployment.airflow.url
    first, second = (week.trigger_time for week in weeks.missed)  # Mondays 02:00 KST after each week
    backfills_before = {b["id"] for b in airflow.get("backfills", dag_id="ins_weekly_report")["backfills"]}

    open_dag(page, base)
    page.get_by_test_id("trigger-dag-button").click()
    form = dialog(page)
    choose_radio(form, "backfill")
    pickers = form.get_by_test_id("datetime-input")
    pickers.nth(1).wait_for()
    # The browser's time zone (Asia/Seoul): the bounds are the trigger times themselves, both inclusive.
    fill_datetime(page, pickers.nth(0), first.strftime("%Y/%m/%d"), first.strftime("%H:%M"))
    fill_datetime(page, pickers.nth(1), second.strftime("%Y/%m/%d"), second.strftime("%H:%M"))
    choose_radio(form, "none")  # missing runs only
    form.locator("input[name=max_active_runs]").fill("1")
    # The form's dry run counts the runs: both missed Mondays, in the words of the browser's language.
    will_run = ui_text(page, "backfill.affected_other", "components").replace("{{count}}", "2")
    form.get_by_text(will_run).wait_for()
    shoot(page, "3-backfill-form")
    form.get_by_role("button").last.click()
    form.wait_for(state="hidden", timeout=60_000)

    (backfill,) = [
        b
        for b in airflow.get("backfills", dag_id="ins_weekly_report")["backfills"]
        if b["id"] not in backfills_before
    ]
    assert pendulum.parse(backfill["from_date"]) == first, backfill
    assert pendulum.parse(backfill["to_date"]) == second, backfill
    assert backfill["max_active_runs"] == 1

    def backfill_runs() -> list[dict] | None:
        found = [run for run in airflow.runs() if run["run_type"] == "backfill"]
        return found if len(found) >= 2 else None

    runs = wait_for(backfill_runs, timeout=120, what="two backfill runs")
    assert len(runs) == 2, runs
    runs.sort(key=lambda run: run["run_after"])
    for run in runs:
        assert airflow.wait_for_run(run["dag_run_id"], timeout=RUN_TIMEOUT) == "success"
    for run, week in zip(runs, weeks.missed, strict=True):
        assert pendulum.parse(run["run_after"]) == week.trigger_time
        assert_week_reported(deployment, run["dag_run_id"], week)
    # One run at a time, so the procedure never overlaps (KST wall-clock text sorts as time).
    first_run, second_run = (run_span(deployment, run["dag_run_id"]) for run in runs)
    assert first_run[1] <= second_run[0], (first_run, second_run)
    first_report, second_report = (
        run_span(deployment, run["dag_run_id"], "RUN_WEEKLY_REPORT") for run in runs
    )
    assert first_report[1] <= second_report[0], (first_report, second_report)

    wait_for(
        lambda: airflow.get(f"backfills/{backfill['id']}")["completed_at"],
        timeout=120,
        what="the backfill marked completed",
    )
    page.goto(f"{base}/dags/ins_weekly_report/backfills")
    page.get_by_test_id("table-list").wait_for()
    shoot(page, "3-backfill-done")
