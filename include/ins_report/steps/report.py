"""The report step: call the report procedure for the week, once, then reconcile its rows with the week's
farms."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from include.ins_report.joblog import GATE, REPORT, SUCCESS, WARNING, ReportMessage, RunLog
from include.ins_report.joblog.messages import listed as _listed
from include.ins_report.joblog.messages import periods_text
from include.ins_report.model.errors import PermanentError
from include.ins_report.model.manifest import periods_used
from include.ins_report.model.week import ReportWeek
from include.ins_report.sources import catalog
from include.ins_report.steps.cutover import check_legacy_job
from include.ins_report.steps.gate import ManifestMissingError
from include.ins_report.steps.report_call import (  # the call's exceptions, importable from here as before
    ReportCallNotRetried,  # noqa: F401
    SessionTag,
    before_call,
    call_once,
    check_report_sessions,
)
from include.ins_report.steps.report_compare import compare_report, keep_report
from include.ins_report.steps.weather import select_farms
from include.ins_report.store.farm_db import FarmDatabase, now_text

if TYPE_CHECKING:
    from include.ins_report.steps.context import StepContext

log = logging.getLogger(__name__)


class ReportMismatchError(PermanentError):
    """The report's rows for the week are not the week's farms: the procedure ran, its output is wrong."""


@dataclass(frozen=True)
class Reconciliation:
    """The report's rows against the week's plan: the count, what the job-log row says, and the farms that
    make it a WARNING (farms of TA_FARM now that the week's plan does not have)."""

    rows: int
    note: str
    not_in_plan: tuple[str, ...] = ()


def reconcile_report(
    farm_db: FarmDatabase, week: ReportWeek, week_key: str, week_text: str, gaps_accepted: bool
) -> Reconciliation:
    """TR_INS_WEEK_REPORT's farms for the week against the week's plan (the manifest's TS_INS_WEEK_FARM,
    the farms the gate checked), or ReportMismatchError naming the farms missing or extra.

    A planned farm without a single TM_WEATHER row from its planned station is expected to be missing only
    when the gate accepted gaps (``gaps_accepted``: its CHECK_COLLECTION row is a WARNING). Farms that are
    farms of the week in TA_FARM now but were not planned (added or re-activated after the plan) are named,
    never silently absent: they are the reconciliation's WARNING.
    """
    planned = {farm.farm_no: farm.point_id for farm in farm_db.manifest_farms(week_key)}
    reported = Counter(farm_db.report_farms(week_text))
    days = [day.isoformat() for day in week.days]
    with_weather = {
        str(farm_no)
        for farm_no, _day, point_id, *_values in farm_db.gate_weather(days[0], days[-1])
        if planned.get(str(farm_no)) == str(point_id)
    }
    missing = set(planned) - set(reported)
    unexplained = sorted(missing & with_weather)
    without_weather = sorted(missing - with_weather)
    extra = sorted(set(reported) - set(planned))
    repeated = sorted(farm for farm, count in reported.items() if count > 1)
    rows = sum(reported.values())
    problems = []
    if unexplained:
        problems.append(f"{len(unexplained)} planned farms missing: {_listed(unexplained)}")
    if without_weather and not gaps_accepted:
        problems.append(
            f"{len(without_weather)} planned farms without weather although the gate found the week complete "
            f"(the data changed after the gate; clear check_collection): {_listed(without_weather)}"
        )
    if extra:
        problems.append(f"{len(extra)} extra farms (not in the week's plan): {_listed(extra)}")
    if repeated:
        problems.append(f"farms on more than one row: {_listed(repeated)}")
    if problems:
        raise ReportMismatchError(
            f"TR_INS_WEEK_REPORT for {week_text} does not match the week's plan: {rows} rows for "
            f"{len(planned)} planned farms (TS_INS_WEEK_FARM); {'; '.join(problems)}. The report procedure "
            "must read the farms of the week's manifest (docs/design.md, 'One manifest per week'); "
            "INS_RECONCILE_REPORT=off only if the report table is not the reference TR_INS_WEEK_REPORT"
        )
    note = f"{rows} report rows = the farms of the week's plan"
    if without_weather:
        note += (
            f", less {len(without_weather)} without any weather (accepted gaps): {_listed(without_weather)}"
        )
    current = {farm.farm_no for farm in select_farms(farm_db).valid}
    not_in_plan = tuple(sorted(current - set(planned)))
    if not_in_plan:
        note += (
            f"; {len(not_in_plan)} farms not in this week's plan (in TA_FARM since the plan; clear the whole "
            f"run to include them): {_listed(list(not_in_plan))}"
        )
    return Reconciliation(rows, note, not_in_plan)


def run_weekly_report(ctx: StepContext) -> dict:
    """Call the report procedure for the week, passed explicitly (never NULL: docs/design.md), within
    INS_REPORT_TIMEOUT, then reconcile its rows with the week's farms (INS_RECONCILE_REPORT, on for the
    reference schema). Once the call has reached the database, any error fails the task at once. The week's
    report rows before the call are compared with those after it (INS_REPORT_DIFF: steps/report_compare.py),
    before the reconciliation, so that a report it refuses is compared too."""
    started = now_text()
    settings = ctx.settings
    week_text = ctx.week.start.strftime(settings.report_week_format)
    # Before the call nothing of the procedure runs: each step is retried a few times (report_call.py).
    farm_db = before_call(lambda: ctx.farm_db, "looking up the farm database's connection")
    # Oracle: stops here (INS_LEGACY_JOB_GUARD=fail) or warns while JOB_INS_WEEKLY_REPORT is still enabled.
    legacy_warning = before_call(
        lambda: check_legacy_job(farm_db, settings.legacy_job_guard, settings.legacy_job_name),
        "reading the legacy scheduler job's state",
    )
    if catalog.weather_enabled(settings) and not farm_db.manifest_farms(ctx.week_key):
        raise ManifestMissingError(
            f"the week's plan (TS_INS_WEEK_FARM, week {ctx.week_key}) is empty: the procedure would build an "
            "empty report; clear the whole run so the week is planned again"
        )
    # Oracle: stops here while a session of an earlier attempt (or run) is still in the procedure.
    before_call(lambda: check_report_sessions(farm_db), "checking for a report call still running")
    tag = SessionTag.of(ctx.run_id, settings.report_procedure, week_text)
    call = f"{settings.report_procedure}('{settings.report_proc_type}', '{week_text}')"
    log.info(
        "calling %s (database call timeout %s s; V$SESSION.CLIENT_IDENTIFIER %s)",
        call,
        settings.report_timeout_seconds or "none",
        tag.client_identifier,
    )
    kept = keep_report(ctx, farm_db, week_text)  # the rows the call replaces (None: INS_REPORT_DIFF=off)
    # At most once: once sent, any error fails the task (Airflow's interrupts included).
    call_once(farm_db, settings, tag, week_text, ctx.interrupts)
    compared = compare_report(ctx, farm_db, kept, week_text)
    note, status = "", SUCCESS
    if settings.reconcile_report:
        gate_row = RunLog.from_dicts(farm_db.job_log(ctx.run_id)).latest(GATE.name)
        result = reconcile_report(
            farm_db,
            ctx.week,
            ctx.week_key,
            week_text,
            gaps_accepted=bool(gate_row and gate_row.status == WARNING),
        )
        rows, note = result.rows, result.note
        if result.not_in_plan:
            status = WARNING
    else:
        try:
            rows = farm_db.report_row_count(week_text)
        except Exception as exc:  # the customer's report table may differ from the reference one
            log.warning("report rows not counted: %s", exc)
            rows = None
    used = periods_used(farm_db.manifest_inputs(ctx.week_key))
    message = ReportMessage(
        call, note, legacy_warning or "", {name: periods_text(p) for name, p in used.items()}
    )
    ctx.log(farm_db, REPORT.name, started, rows, message.text(), status=status)
    return {
        "call": call,
        "report_rows": rows,
        "periods": {name: list(p) for name, p in used.items()},
        "report_diff": compared.text() if compared else None,
    }
