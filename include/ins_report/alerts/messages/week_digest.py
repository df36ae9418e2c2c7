"""The weekly digest's week (issue #21 part 4): the week's row of the INS weeks page as text, its figures
in the JSON payload, and one inline chart (EKAPE's price over 12 weeks), so an admin who never opens
Airflow still sees the week. Pure: the row and the chart are read and drawn by the caller."""

from __future__ import annotations

from dataclasses import replace

from include.ins_report.alerts.messages.alert import Alert
from include.ins_report.alerts.messages.report_diff import week_page_url
from include.ins_report.config.settings import Settings
from include.ins_report.weeks.model import FIGURE_LABELS, WeekRow

CHART_CID = "ins-week-price.png"


def _change(row: WeekRow) -> list[str]:
    lines = []
    for change in row.changes:
        digits = 0 if change.figure == "price" else 1
        value = "—" if change.value is None else f"{change.value:,.{digits}f}"
        delta = "" if change.delta is None else f" ({change.delta:+,.{digits}f} vs the week before)"
        mark = "  ⚠ outlier" if change.outlier else ""
        lines.append(f"  {FIGURE_LABELS[change.figure]:<28} {value}{delta}{mark}")
    return lines


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


def week_lines(row: WeekRow, settings: Settings) -> list[str]:
    sources = "; ".join(
        f"{s.label} {s.calls if s.calls is not None else '?'} calls, {s.rows} rows ({s.periods})"
        for s in row.sources
    )
    return [
        "",
        f"The week at a glance ({week_page_url(settings, row.week_key)}):",
        *_change(row),
        f"  Sources:   {sources or 'none recorded'}",
        f"  Gate:      {row.gate_summary or 'not run'}",
        f"  Excluded:  {row.excluded_total} farms; report rows: {_count(row.report_rows)}",
        # The gap decision and the report diff have their own lines in the digest (digest.py).
        "  (chart: EKAPE's national price over the last 12 weeks, below)",
    ]


def with_week(alert: Alert, row: WeekRow | None, chart_png: bytes | None, settings: Settings) -> Alert:
    """The digest with the week's row (text and payload) and its chart (an inline image of the e-mail)."""
    if row is None:
        return alert
    lines = week_lines(row, settings)
    if not chart_png:
        lines = lines[:-1]
    payload = {**alert.payload, "week_row": row.as_dict(), "week_page": week_page_url(settings, row.week_key)}
    text = alert.text + "\n" + "\n".join(lines)
    payload["text"] = text
    images = {**alert.images, CHART_CID: chart_png} if chart_png else alert.images
    return replace(alert, text=text, payload=payload, images=images)
