"""The Airflow assets the batch produces, for downstream DAGs: the rows of each source (TA_STATS_DATA per
statistics source, TM_WEATHER per station of the weather source) and the week's report.

Every event's ``extra`` carries the report week (``{"week": "2026-11-16", "week_end": "2026-11-22",
"run_id": ...}``; a weather event also its station), so a DAG scheduled on ``REPORT`` knows which week is
ready. An event is emitted only when its task succeeds: a failed collection or report emits nothing."""

from __future__ import annotations

from airflow.sdk import Asset

from include.ins_report.model.week import ReportWeek
from include.ins_report.sources.catalog import Source

REPORT = Asset(name="ins_weekly_report.report", uri="ins://farm_db/TR_INS_WEEK_REPORT")


def of_source(source: Source) -> Asset:
    """The asset of a source's rows, e.g. ``ins_weekly_report.ekape`` (``ins://farm_db/TA_STATS_DATA/EKAPE``)."""
    return Asset(
        name=f"ins_weekly_report.{source.name}",
        uri=f"ins://farm_db/{source.table}/{source.source}",
    )


def event_extra(week: ReportWeek, run_id: str, **more: str) -> dict[str, str]:
    return {"week": week.start.isoformat(), "week_end": week.end.isoformat(), "run_id": run_id, **more}
