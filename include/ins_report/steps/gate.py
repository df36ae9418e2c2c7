"""The completeness gate: the week's data in the database, checked for content, before the report is built.

It reads the database only (never task states) and checks exactly the week's manifest
(include/ins_report/model/manifest.py): every farm-day of the planned farms and every statistics cell the
report reads, at its period. What fails is grouped by kind (``KINDS``):

- ``missing_day``: a farm of the week has no ``TM_WEATHER`` row for a day;
- ``stale_station``: the row's ``POINT_ID`` is not the station the plan chooses for the farm this week (a
  row left by an earlier run, before the farm's coordinates were corrected: the week would mix stations);
- ``core_null``: mean, minimum or maximum temperature or mean humidity is NULL;
- ``rain_unknown``: ``SUM_RN`` is NULL, i.e. unknown (a dry day is 0, never NULL): the week's rain would
  be understated;
- ``implausible``: a value outside ``include/ins_report/model/plausible.py``'s ranges, or not
  ``MIN_TA <= AVG_TA <= MAX_TA``;
- ``stats_missing``: a configured item and category of a series has no ``TA_STATS_DATA`` row for a period
  the report reads;
- ``stats_null``: such a row has no value (NULL, or not a finite number).

A farm-day (a series cell) counts as covered only when it has none of these problems; the coverage policy
(include/ins_report/model/gap_policy.py: ``INS_MIN_*_COVERAGE``, strict by default, and the ask floors
``INS_ASK_*_COVERAGE``) decides whether the report proceeds, an operator decides (steps/approval.py) or the
run stops. The ``CHECK_COLLECTION`` row of ``TS_INS_JOB_LOG`` carries the counts by kind
(``joblog.GateMessage``); gaps the policy accepts, or leaves to an operator, are a WARNING row.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from include.ins_report.config.settings import Settings
from include.ins_report.joblog import GATE, WARNING, GateMessage
from include.ins_report.model.errors import PermanentError
from include.ins_report.model.gap_policy import GapOutcome, GapPolicy
from include.ins_report.model.gate_result import KINDS, TITLES, GateResult, Issue
from include.ins_report.model.manifest import by_series
from include.ins_report.model.plausible import WEATHER_PLAUSIBLE
from include.ins_report.sources import catalog
from include.ins_report.store.farm_db import FarmDatabase, now_text

if TYPE_CHECKING:
    from include.ins_report.steps.context import StepContext

log = logging.getLogger(__name__)

CORE_COLUMNS = ("AVG_TA", "MIN_TA", "MAX_TA", "AVG_RHM")
GAPS_ACCEPTED = GateMessage.ACCEPTED  # the CHECK_COLLECTION WARNING row's message starts so


class CollectionIncompleteError(PermanentError):
    """The week's data is not complete in the database; retrying the gate cannot change that."""


class ManifestMissingError(PermanentError):
    """The week's manifest is not in the farm database (a step cleared without the start or the plan that
    writes it): the week must be planned again."""


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def weather_problems(
    planned_point: str,
    point_id: Any,
    avg_ta: Any,
    min_ta: Any,
    max_ta: Any,
    avg_rhm: Any,
    sum_rn: Any,
) -> list[tuple[str, str]]:
    """The problems (kind, detail) of one TM_WEATHER row of a farm whose planned station is
    ``planned_point``; [] for a good row."""
    if str(point_id) != planned_point:
        return [("stale_station", f"from station {point_id}")]
    values = {
        "AVG_TA": _number(avg_ta),
        "MIN_TA": _number(min_ta),
        "MAX_TA": _number(max_ta),
        "AVG_RHM": _number(avg_rhm),
        "SUM_RN": _number(sum_rn),
    }
    problems: list[tuple[str, str]] = []
    nulls = [column for column in CORE_COLUMNS if values[column] is None]
    if nulls:
        problems.append(("core_null", " ".join(f"{column} NULL" for column in nulls)))
    if values["SUM_RN"] is None:
        problems.append(("rain_unknown", ""))
    odd = [
        f"{column} {value:g} not {plausible.describe()}"
        for column, plausible in WEATHER_PLAUSIBLE.items()
        if (value := values[column]) is not None and value not in plausible
    ]
    low, mean, high = values["MIN_TA"], values["AVG_TA"], values["MAX_TA"]
    if low is not None and mean is not None and high is not None and not (low <= mean <= high):
        odd.append(f"not MIN_TA {low:g} <= AVG_TA {mean:g} <= MAX_TA {high:g}")
    if odd:
        problems.append(("implausible", "; ".join(odd)))
    return problems


def check_weather(ctx: StepContext, farm_db: FarmDatabase, result: GateResult) -> None:
    """Every farm-day of the week's planned farms (the manifest's TS_INS_WEEK_FARM): present, from the
    station the plan chose, complete and plausible."""
    farms = farm_db.manifest_farms(ctx.week_key)
    result.farms = len(farms)
    planned = {farm.farm_no: (farm.point_id, farm.station_label) for farm in farms}
    days = [day.isoformat() for day in ctx.week.days]
    position = {day: index for index, day in enumerate(days)}
    # One small number per farm (a bit per day), rows read as a stream: memory grows with the farms, not
    # with their rows.
    present: dict[str, int] = {}
    good: dict[str, int] = {}
    for farm_no, day, point_id, avg_ta, min_ta, max_ta, avg_rhm, sum_rn in farm_db.gate_weather(
        days[0], days[-1]
    ):
        farm_no, day = str(farm_no), str(day)
        if farm_no not in planned or day not in position:
            continue  # not a farm of the week's plan (its rows are not reported either)
        bit = 1 << position[day]
        present[farm_no] = present.get(farm_no, 0) | bit
        point, label = planned[farm_no]
        problems = weather_problems(point, point_id, avg_ta, min_ta, max_ta, avg_rhm, sum_rn)
        if not problems:
            good[farm_no] = good.get(farm_no, 0) | bit
        for kind, detail in problems:
            result.add(Issue(kind, label, farm_no, day, detail))
    for farm in farms:
        mask = present.get(farm.farm_no, 0)
        for index, day in enumerate(days):
            if not mask >> index & 1:
                result.add(Issue("missing_day", farm.station_label, farm.farm_no, day))
    result.weather_rows = sum(mask.bit_count() for mask in present.values())
    result.good_farm_days = sum(mask.bit_count() for mask in good.values())


# --- statistics --------------------------------------------------------------------------------------


def check_stats(ctx: StepContext, farm_db: FarmDatabase, result: GateResult) -> None:
    """Every cell of the week's manifest (TS_INS_WEEK_INPUT), checked by its source
    (``catalog.StatisticsSource.check``): KOSIS each cell the report reads at its one period, EKAPE every
    day's auction record and, on auction days, the national price. Nothing else of a table is checked."""
    inputs = by_series(farm_db.manifest_inputs(ctx.week_key))
    for source in catalog.statistics_sources(ctx.settings):
        of_source = [series for series in inputs if series.source == source.source]
        if not of_source:
            raise ManifestMissingError(
                f"the week's manifest (TS_INS_WEEK_INPUT, week {ctx.week_key}) has no {source.label} cells: "
                "clear the whole run, start_job included, so the week is planned again"
            )
        for series in of_source:
            rows = farm_db.gate_stats(
                source.source, series.series_id, series.period_type, min(series.periods), max(series.periods)
            )
            cells, good, problems = source.check(series, rows)
            result.stats_cells += cells
            result.good_stats_cells += good
            where = f"{series.series_id} {series.series_name}"
            for kind, label, detail in problems:
                result.add(Issue(kind, where, "", label, detail))


# --- the step ----------------------------------------------------------------------------------------


def measure(ctx: StepContext, farm_db: FarmDatabase) -> GateResult:
    """What the database holds for the week against what the week needs (reads the database only)."""
    result = GateResult()
    if catalog.weather_enabled(ctx.settings):
        check_weather(ctx, farm_db, result)
    check_stats(ctx, farm_db, result)
    return result


def gap_policy(settings: Settings) -> GapPolicy:
    return GapPolicy(
        min_weather=settings.min_weather_coverage,
        min_stats=settings.min_stats_coverage,
        ask_weather=settings.ask_weather_coverage,
        ask_stats=settings.ask_stats_coverage,
    )


def outcome(result: GateResult, decision: GapOutcome) -> dict:
    return {
        "farms": result.farms,
        "weather_rows": result.weather_rows,
        "good_farm_days": result.good_farm_days,
        "stats_cells": result.stats_cells,
        "good_stats_cells": result.good_stats_cells,
        "gaps": sum(result.counts.values()),
        "kinds": dict(result.counts),
        "decision": decision.value,  # the approval step asks only after "ask"
    }


def measure_week(ctx: StepContext) -> tuple[GateResult, GapOutcome]:
    """The week's data against its manifest, and what the coverage policy makes of it; raises
    CollectionIncompleteError for a week the policy stops (or a week without farms)."""
    farm_db = ctx.farm_db
    result = measure(ctx, farm_db)
    if result.farms == 0 and catalog.weather_enabled(ctx.settings):
        raise CollectionIncompleteError(
            "no farm in the week's plan (TS_INS_WEEK_FARM): no usable active farm in TA_FARM, or the plan "
            "did not run; fix TA_FARM, then clear plan_weather_locations with Downstream ticked"
        )
    policy = gap_policy(ctx.settings)
    decision = policy.outcome(result)
    if decision is GapOutcome.STOP:
        for kind in KINDS:
            if result.counts[kind]:
                log.warning("%s: %d", TITLES[kind], result.counts[kind])
        settings = ctx.settings
        asked = (
            f"; an operator is asked down to weather {settings.ask_weather_coverage:.0%}, stats "
            f"{settings.ask_stats_coverage:.0%}"
            if policy.asks
            else ""
        )
        raise CollectionIncompleteError(
            f"collection incomplete for week {ctx.week}: {result.summary()} "
            f"(minimum coverage: weather {settings.min_weather_coverage:.0%}, "
            f"stats {settings.min_stats_coverage:.0%}{asked}); {result.gaps()}"
        )
    return result, decision


def check_collection(ctx: StepContext) -> dict:
    """The CHECK_COLLECTION step: pass; pass with gaps the coverage policy accepts (a WARNING row, which the
    run's notifier reports); pass with gaps for an operator to decide (a WARNING row; the APPROVE_GAPS step
    asks); or fail with what is wrong, by kind."""
    started = now_text()
    result, decision = measure_week(ctx)
    if decision is GapOutcome.COMPLETE:
        message = GateMessage(result.coverage(), result.counts)
        ctx.log(ctx.farm_db, GATE.name, started, result.good_farm_days, message.text())
        return outcome(result, decision)
    for kind in KINDS:
        if result.counts[kind]:
            log.warning("%s: %d", TITLES[kind], result.counts[kind])
    asked = decision is GapOutcome.ASK
    message = GateMessage(result.coverage(), result.counts, result.gaps(), asked=asked)
    ctx.log(ctx.farm_db, GATE.name, started, result.good_farm_days, message.text(), status=WARNING)
    return outcome(result, decision)
