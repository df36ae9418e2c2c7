"""The report step: call the report procedure for the week, once, then reconcile its rows with the week's
farms."""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING

from airflow.sdk.exceptions import AirflowFailException

from include.ins_report.cutover import check_legacy_job
from include.ins_report.joblog import REPORT, ReportMessage
from include.ins_report.joblog.messages import listed as _listed
from include.ins_report.warehouse import Warehouse, now_text
from include.ins_report.weather_steps import select_farms
from include.ins_report.week import ReportWeek

if TYPE_CHECKING:
    from include.ins_report.steps import StepContext

log = logging.getLogger(__name__)


class ReportCallNotRetried(AirflowFailException):
    """The procedure call reached the database and failed (an ORA- error, ORA-20xxx from the procedure
    itself, or INS_REPORT_TIMEOUT): the task fails at once, without Airflow's retries. PL/SQL may still run
    on the server after the client gave up, and a deterministic error would only repeat; the operator
    checks on the server and clears the task (README, "The report procedure")."""

    reports_cause = True  # the job log and the alert name the cause (oracle_errors.describe_error)


NOT_RETRIED = (
    "not retried automatically: check on the database that the procedure no longer runs, then clear the task"
)


class ReportMismatchError(AirflowFailException):
    """The report's rows for the week are not the week's farms: the procedure ran, its output is wrong."""


def reconcile_report(warehouse: Warehouse, week: ReportWeek, week_text: str) -> tuple[int, str]:
    """TR_INS_WEEK_REPORT's farms for the week against the week's farms (the farm rule): the row count and
    a note, or ReportMismatchError naming the farms missing or extra.

    A farm of the week with no TM_WEATHER row at all for the week is expected to be missing: only the
    coverage policy can have let the report proceed without it (its farm-days are the gate's accepted gaps).
    """
    expected = {farm.farm_no for farm in select_farms(warehouse).valid}
    reported = Counter(warehouse.report_farms(week_text))
    with_weather = set(warehouse.weather_day_masks([day.isoformat() for day in week.days]))
    missing = sorted((expected - set(reported)) & with_weather)
    accepted = sorted(expected - set(reported) - with_weather)
    extra = sorted(set(reported) - expected)
    repeated = sorted(farm for farm, count in reported.items() if count > 1)
    rows = sum(reported.values())
    if missing or extra or repeated:
        problems = []
        if missing:
            problems.append(f"{len(missing)} farms of the week missing: {_listed(missing)}")
        if extra:
            problems.append(f"{len(extra)} extra farms (not farms of the week): {_listed(extra)}")
        if repeated:
            problems.append(f"farms on more than one row: {_listed(repeated)}")
        raise ReportMismatchError(
            f"TR_INS_WEEK_REPORT for {week_text} does not match the farms of the week: {rows} rows for "
            f"{len(expected)} farms (TA_FARM by the farm rule); {'; '.join(problems)}. The report procedure "
            "selects or keys farms differently from the batch (README, 'Where the data lands'); "
            "INS_RECONCILE_REPORT=off only if the report table is not the reference TR_INS_WEEK_REPORT"
        )
    note = f"{rows} report rows = the farms of the week"
    if accepted:
        note += f", less {len(accepted)} without any weather (accepted gaps): {_listed(accepted)}"
    return rows, note


def run_weekly_report(ctx: StepContext) -> dict:
    """Call the report procedure for the week, passed explicitly (never NULL: see DESIGN), within
    INS_REPORT_TIMEOUT, then reconcile its rows with the week's farms (INS_RECONCILE_REPORT, on for the
    reference schema). Once the call has reached the database, any error fails the task at once."""
    started = now_text()
    settings = ctx.settings
    week_text = ctx.week.start.strftime(settings.report_week_format)
    warehouse = ctx.warehouse()
    # Oracle: stops here (INS_LEGACY_JOB_GUARD=fail) or warns while JOB_INS_WEEKLY_REPORT is still enabled.
    legacy_warning = check_legacy_job(warehouse, settings.legacy_job_guard, settings.legacy_job_name)
    call = f"{settings.report_procedure}('{settings.report_proc_type}', '{week_text}')"
    log.info("calling %s (database call timeout %s s)", call, settings.report_timeout_seconds or "none")
    try:
        warehouse.run_report(
            settings.report_procedure, settings.report_proc_type, week_text, settings.report_timeout_seconds
        )
    except Exception as exc:
        if not warehouse.report_call_sent:
            raise  # the database was not reached: nothing runs there, Airflow's retries apply
        raise ReportCallNotRetried(NOT_RETRIED) from exc
    note = ""
    if settings.reconcile_report:
        rows, note = reconcile_report(warehouse, ctx.week, week_text)
    else:
        try:
            rows = warehouse.report_row_count(week_text)
        except Exception as exc:  # the customer's report table may differ from the reference one
            log.warning("report rows not counted: %s", exc)
            rows = None
    message = ReportMessage(call, note, legacy_warning or "")
    ctx.log(warehouse, REPORT.name, started, rows, message.text())
    return {"call": call, "report_rows": rows}
