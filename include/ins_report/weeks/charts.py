"""The INS weeks charts, rendered on the server with matplotlib (Agg, no display, no network): the week's map
of farms and stations, the stations' days as small multiples, EKAPE's price over 12 weeks. PNG bytes.

Labels are Korean: the font is a CJK one matplotlib finds on the machine (fonts-noto-cjk, which
``make system-deps`` installs); without one the charts still render, with a log line that says why the
Hangul shows as boxes."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Sequence
from functools import cache

from matplotlib.figure import Figure

from include.ins_report.weeks.korea import JEJU, MAINLAND
from include.ins_report.weeks.queries import (
    COMPLETE,
    EXCLUDED,
    GAP,
    FarmPoint,
    StationDay,
    StationPoint,
    on_map,
)

log = logging.getLogger(__name__)
KOREAN_FONTS = ("Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "Malgun Gothic", "Noto Sans CJK JP")
STATUS_COLOURS = {COMPLETE: "#2e7d32", GAP: "#f9a825", EXCLUDED: "#c62828"}
STATUS_LABELS = {COMPLETE: "완전", GAP: "결측", EXCLUDED: "제외"}
WEEKDAYS = "월화수목금토일"
MAX_PANELS = 48  # stations in the small multiples (the ones with the most farms)


@cache
def korean_font() -> str | None:
    """The first Korean-capable font matplotlib knows, or None (logged once)."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    for name in KOREAN_FONTS:
        if name in installed:
            return name
    log.warning(
        "no Korean font found (tried %s): the charts' Hangul renders as boxes; install fonts-noto-cjk "
        "(make system-deps)",
        ", ".join(KOREAN_FONTS),
    )
    return None


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100)
    font = korean_font()
    if font:
        from matplotlib import rcParams

        rcParams["font.family"] = [font, "DejaVu Sans"]
        rcParams["axes.unicode_minus"] = False  # the CJK font has no U+2212
    return figure


def _png(figure: Figure, tight: bool = True) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight" if tight else None)
    return buffer.getvalue()


def farm_map(farms: Sequence[FarmPoint], stations: Sequence[StationPoint], title: str) -> bytes:
    """Farms (dots) and their ASOS stations (triangles) on an outline of South Korea, coloured by status."""
    figure = _figure(6.4, 7.2)
    axes = figure.add_subplot()
    for outline in (MAINLAND, JEJU):
        lons, lats = zip(*outline, strict=True)
        axes.fill(lons, lats, facecolor="#eef2f5", edgecolor="#90a4ae", linewidth=0.8, zorder=0)
    for status in (COMPLETE, GAP, EXCLUDED):
        points = [f for f in farms if f.status == status and on_map(f.lat, f.lon)]  # the rest are listed
        if points:
            axes.scatter(
                [f.lon for f in points],
                [f.lat for f in points],
                s=14,
                c=STATUS_COLOURS[status],
                label=f"농장 {STATUS_LABELS[status]} ({len(points)})",
                zorder=3,
                edgecolors="white",
                linewidths=0.3,
            )
    for status in (COMPLETE, GAP):
        points = [s for s in stations if s.status == status]
        if points:
            axes.scatter(
                [s.lon for s in points],
                [s.lat for s in points],
                marker="^",
                s=46,
                facecolors="none",
                edgecolors=STATUS_COLOURS[status],
                linewidths=1.3,
                label=f"ASOS 관측소 {STATUS_LABELS[status]} ({len(points)})",
                zorder=4,
            )
    if len(stations) <= 60:
        for station in stations:
            axes.annotate(
                station.name,
                (station.lon, station.lat),
                xytext=(3, 3),
                textcoords="offset points",
                fontsize=6,
            )
    axes.set_xlim(124.5, 130.2)
    axes.set_ylim(33.0, 38.8)
    axes.set_aspect(1.25)  # about 1/cos(37°): degrees of longitude are shorter here
    axes.set_title(title)
    axes.set_xlabel("경도")
    axes.set_ylabel("위도")
    axes.legend(loc="lower right", fontsize=7)
    return _png(figure)


def station_multiples(days: Sequence[StationDay], title: str) -> bytes:
    """One small panel per station, on one scale for all: daily mean temperature and THI (lines), rain
    (bars from the panel's floor), the THI 74 line (heat stress) dotted. Drawn as panels inside a single
    axes: a figure of dozens of matplotlib axes takes seconds to lay out, this one a fraction."""
    from matplotlib.collections import LineCollection, PolyCollection

    by_station: dict[str, list[StationDay]] = {}
    for day in days:
        by_station.setdefault(day.stn_id, []).append(day)
    stations = sorted(by_station, key=lambda stn: (-len(by_station[stn]), stn))[:MAX_PANELS]
    stations.sort(key=lambda stn: (len(stn), stn))
    columns = 6
    rows = max(1, -(-len(stations) // columns))
    figure = _figure(2.0 * columns, 1.25 * rows + 0.9)
    axes = figure.add_axes((0.01, 0.01, 0.98, 1 - 0.9 / figure.get_figheight()))
    axes.set_axis_off()
    more = "" if len(by_station) <= MAX_PANELS else f" (관측소 {MAX_PANELS}곳)"
    figure.suptitle(title + more, y=1 - 0.12 / figure.get_figheight())
    if not stations:
        axes.text(0.5, 0.5, "관측값 없음", ha="center", transform=axes.transAxes)
        return _png(figure, tight=False)
    levels = [v for day in days for v in (day.temperature, day.thi) if v is not None] or [0.0]
    low, high = min(min(levels), 0.0) - 2, max(max(levels), 80.0) + 2
    wettest = max((day.rain or 0 for day in days), default=0) or 1.0
    width, height, top = 7.0, 1.0, 0.72  # a panel: x 0..7 (Mon..Sun), lines in the lower 72 %

    def level(value: float) -> float:
        return (value - low) / (high - low) * top

    frames, temperature, thi, heat, bars = [], [], [], [], []
    for index, stn in enumerate(stations):
        x0, y0 = (index % columns) * (width + 1.0), -(index // columns) * (height + 0.45)
        frames.append([(x0, y0), (x0 + width, y0), (x0 + width, y0 + height), (x0, y0 + height)])
        values = sorted(by_station[stn], key=lambda day: day.day)
        xs = [x0 + dt.date.fromisoformat(v.day[:10]).weekday() + 0.5 for v in values]
        temperature.append(
            [
                (x, y0 + level(v.temperature))
                for x, v in zip(xs, values, strict=True)
                if v.temperature is not None
            ]
        )
        thi.append([(x, y0 + level(v.thi)) for x, v in zip(xs, values, strict=True) if v.thi is not None])
        heat.append([(x0, y0 + level(74)), (x0 + width, y0 + level(74))])
        for x, v in zip(xs, values, strict=True):
            if v.rain:
                h = v.rain / wettest * height * 0.5
                bars.append([(x - 0.3, y0), (x + 0.3, y0), (x + 0.3, y0 + h), (x - 0.3, y0 + h)])
        axes.text(x0 + 0.1, y0 + height + 0.05, f"{stn} {values[0].name}", fontsize=7, va="bottom")
        for day_index, name in enumerate(WEEKDAYS):
            axes.text(
                x0 + day_index + 0.5, y0 - 0.04, name, fontsize=5, ha="center", va="top", color="#78909c"
            )
    axes.add_collection(PolyCollection(frames, facecolors="#fafafa", edgecolors="#cfd8dc", linewidths=0.6))
    axes.add_collection(PolyCollection(bars, facecolors="#1e88e5", alpha=0.4, edgecolors="none"))
    axes.add_collection(LineCollection(heat, colors="#6a1b9a", linewidths=0.5, linestyles=":"))
    axes.add_collection(LineCollection(temperature, colors="#d84315", linewidths=1.2, label="평균기온"))
    axes.add_collection(LineCollection(thi, colors="#6a1b9a", linewidths=1.0, linestyles="--", label="THI"))
    axes.set_xlim(-0.3, columns * (width + 1.0) - 0.7)
    axes.set_ylim(-(rows - 1) * (height + 0.45) - 0.25, height + 0.3)
    axes.legend(
        loc="upper right", bbox_to_anchor=(1.0, 1.0 + 0.55 / figure.get_figheight()), ncols=2, fontsize=6
    )
    figure.text(
        0.01,
        1 - 0.55 / figure.get_figheight(),
        f"세로 눈금 (모든 관측소 공통): 기온·THI {low:.0f}~{high:.0f}, 강수 막대 0~{wettest * 2:.0f} mm; "
        "점선: THI 74 (고온스트레스)",
        fontsize=6,
        color="#546e7a",
    )
    return _png(figure, tight=False)


def price_chart(prices: Sequence[tuple[str, float]], week_start: dt.date, title: str) -> bytes:
    """EKAPE's daily national price (points) and each week's mean (steps) over the last 12 weeks; the
    report week shaded."""
    figure = _figure(7.2, 3.0)
    axes = figure.add_subplot()
    days = [dt.datetime.strptime(period, "%Y%m%d").date() for period, _ in prices]
    values = [value for _, value in prices]
    if prices:
        axes.plot(days, values, "o", markersize=3, color="#5d4037", label="일별 경락가격")
        weekly: dict[dt.date, list[float]] = {}
        for day, value in zip(days, values, strict=True):
            weekly.setdefault(day - dt.timedelta(days=day.weekday()), []).append(value)
        mondays = sorted(weekly)
        means = [sum(weekly[m]) / len(weekly[m]) for m in mondays]
        axes.step(
            [*mondays, mondays[-1] + dt.timedelta(days=7)],
            [*means, means[-1]],
            where="post",
            color="#ef6c00",
            label="주 평균",
        )
    else:
        axes.text(0.5, 0.5, "가격 자료 없음", ha="center", transform=axes.transAxes)
    axes.axvspan(week_start, week_start + dt.timedelta(days=7), color="#ffe0b2", alpha=0.6, label="보고 주")
    axes.set_title(title)
    axes.set_ylabel("원/kg")
    axes.legend(fontsize=7, loc="best")
    figure.autofmt_xdate()
    return _png(figure)
