"""The batch's steps as plain functions of their inputs (run id, week, settings: ``StepContext``) with
database and API effects; none of them sees Airflow's context or task instance (that is
``include/ins_report/airflow_edge/context.py``'s).

Each step appends its outcome to TS_INS_JOB_LOG under its registry name (``joblog.STEPS``) with the typed
message of its kind; failures and retries are appended by the task callbacks (``callbacks.py``).

- here: start, statistics (KOSIS), finish;
- ``weather_steps``: plan the weather locations, wait for publication, one location's week;
- ``gate``: the completeness gate; ``report_step``: the report procedure and its reconciliation.
"""

from __future__ import annotations

import datetime as dt
import logging

import pendulum

from include.ins_report.joblog import (
    FAILED,
    FINISH,
    REPORT,
    START,
    SUCCESS,
    WARNING,
    FinishMessage,
    SeriesCount,
    StartMessage,
    StatsMessage,
)
from include.ins_report.model import clock
from include.ins_report.model.errors import PermanentError
from include.ins_report.model.manifest import by_series, periods_used
from include.ins_report.sources import catalog
from include.ins_report.steps.context import StepContext
from include.ins_report.steps.gate import ManifestMissingError
from include.ins_report.steps.waiting import not_published, publication_window_end
from include.ins_report.store.farm_db import now_text

log = logging.getLogger(__name__)


class ReportNotBuiltError(PermanentError):
    """The run ended without the report: the finish step fails so that the run fails and alerts."""


# --- start ------------------------------------------------------------------------------------------


def start_job(ctx: StepContext) -> dict:
    """Record the run and write the statistics part of the week's manifest: every cell the report reads, at
    the one period of the week (include/ins_report/model/manifest.py). Computed once per run: the collections
    fetch it, the gate checks it, the procedure reads it."""
    started = now_text()
    farm_db = ctx.farm_db
    cells = [
        cell
        for source in catalog.statistics_sources(ctx.settings)
        for cell in source.inputs(ctx.week, ctx.settings)
    ]
    farm_db.replace_manifest_inputs(ctx.week_key, ctx.run_id, cells)
    ctx.log(farm_db, START.name, started, None, StartMessage(ctx.week.label()).text())
    return {
        "week_start": ctx.week.start.isoformat(),
        "week_end": ctx.week.end.isoformat(),
        "periods": {name: list(periods) for name, periods in periods_used(cells).items()},
    }


# --- statistics --------------------------------------------------------------------------------------


def _unread_gaps(fetched: catalog.SeriesRows, read: set[tuple[str, str, str, str]]) -> list[str]:
    """Stored cells of a fetched table the report does not read, without a value: worth a warning only."""
    return [
        f"{fetched.name} {row['item_id']} {row['category_id']} {row['period']}: no value, not read"
        for row in fetched.rows
        if row["value"] is None
        and (row["series_id"], row["item_id"], row["category_id"], row["period"]) not in read
    ]


def collect_statistics(ctx: StepContext, source: catalog.StatisticsSource) -> dict:
    """Fetch a statistics source's manifest cells (``catalog.StatisticsSource.fetch``, with the task's
    client of the source) and upsert TA_STATS_DATA.

    A period of the manifest the answer has no row for at all is not published yet (KOSIS err 30): waited
    for within the publication window, then a failure naming the series and the period. Odd but usable
    answers (a value missing in a cell the report does not read, a weekday without auction) make the row a
    WARNING that lists them."""
    started = now_text()
    farm_db = ctx.farm_db
    wanted = [
        series
        for series in by_series(farm_db.manifest_inputs(ctx.week_key))
        if series.source == source.source
    ]
    if not wanted:
        raise ManifestMissingError(
            f"the week's manifest has no {source.label} cells (TS_INS_WEEK_INPUT, week {ctx.week_key}): "
            "clear the whole run, start_job included, so the week is planned again"
        )
    fetched = source.fetch(ctx.client(source), ctx.week, wanted, ctx.run_id, now_text())
    for series, got in zip(wanted, fetched, strict=True):
        have = {row["period"] for row in got.rows}
        missing = [period for period in series.periods if period not in have]
        if missing:
            what = f"{source.label} {series.series_id} {series.series_name} period {', '.join(missing)}"
            not_published(source.label, "not_published", what, ctx.week, ctx.settings)
    counts, warnings = [], []
    read = {(cell.series_id, *cell.key) for series in wanted for cell in series.cells}
    for series in fetched:
        written = farm_db.upsert_stats(series.rows)
        counts.append(SeriesCount(series.name, series.periods, written))
        warnings += [*series.warnings, *_unread_gaps(series, read)]
        log.info("%s %s periods %s: %d rows", source.label, series.name, list(series.periods), written)
    for warning in warnings:
        log.warning("%s: %s", source.label, warning)
    total = sum(count.rows for count in counts)
    message = StatsMessage(tuple(counts), tuple(warnings)).text()
    status = WARNING if warnings else SUCCESS
    ctx.log(farm_db, source.collect_step.name, started, total, message, status=status)
    return {
        "rows": total,
        "series": {count.name: {"periods": count.periods, "rows": count.rows} for count in counts},
        "warnings": warnings,
    }


def statistics_final(ctx: StepContext, source: catalog.Source, now: dt.datetime | None = None) -> bool:
    """True once the source's week is final (``Source.ready_at``); after the waiting window
    (INS_PUBLICATION_WAIT_UNTIL on the Monday after the week) the step fails saying what it waited for."""
    moment = pendulum.instance(now) if now else clock.now()
    ready = source.ready_at(ctx.week, ctx.settings)
    if ready is None or moment >= ready:
        return True
    final = ready.format("YYYY-MM-DD HH:mm")
    window_end = publication_window_end(ctx.week, ctx.settings)  # the same window as the weather's wait
    if moment >= window_end:
        raise PermanentError(
            f"{source.label} data of week {ctx.week} is final only at {final} KST, after the waiting "
            f"window ({window_end.format('YYYY-MM-DD HH:mm')} KST)"
        )
    log.info("%s week %s not final yet; waiting until %s KST", source.label, ctx.week, final)
    return False


# --- finish ------------------------------------------------------------------------------------------


def finish_job(ctx: StepContext, task_states: dict[str, str]) -> dict:
    """Record the run's outcome from its task states (by task id); fail (so the run fails and alerts)
    unless the report was built."""
    started = now_text()
    farm_db = ctx.farm_db
    failed = tuple(sorted(task for task, state in task_states.items() if state == "failed"))
    if task_states.get(REPORT.task_id) == "success":
        ctx.log(farm_db, FINISH.name, started, None, FinishMessage(True).text())
        return {"outcome": SUCCESS}
    message = FinishMessage(False, failed, procedure_failed=REPORT.task_id in failed).text()
    ctx.log(farm_db, FINISH.name, started, None, message, status=FAILED)
    raise ReportNotBuiltError(message)
