"""The INS weeks pages as HTML (Korean), from the rows of model.py and queries.py; every value escaped.

``prefix`` is where the plugin serves the pages (``/ins-weeks``), ``ui_base`` the Airflow UI's root: the
pages sit in the UI's iframe, so links into the Grid open in the whole window (``TOP_LINKS``)."""

from __future__ import annotations

from html import escape

from include.ins_report.joblog.messages import GATE_KINDS
from include.ins_report.weeks.model import FIGURE_LABELS, Change, WeekRow
from include.ins_report.weeks.queries import COMPLETE, EXCLUDED, GAP, Page, WeekDetail, on_map

STATE_LABELS = {"SUCCESS": "성공", "FAILED": "실패", "WARNING": "경고", "UNFINISHED": "진행 중/미완료"}
GATE_LABELS = {
    "missing_day": "누락일",
    "stale_station": "관측소 지연",
    "core_null": "필수값 없음",
    "rain_unknown": "강수 미상",
    "implausible": "이상값",
    "stats_missing": "통계 누락",
    "stats_null": "통계 값 없음",
}
STYLE = """
body { font-family: 'Noto Sans CJK KR', 'Noto Sans KR', sans-serif; margin: 16px; color: #263238; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #cfd8dc; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #eceff1; white-space: nowrap; }
td.message { max-width: 240px; } td.run { max-width: 150px; word-break: break-all; font-size: 11px; }
td.num { text-align: right; white-space: nowrap; }
.SUCCESS { color: #2e7d32; font-weight: bold; } .FAILED { color: #c62828; font-weight: bold; }
.WARNING { color: #ef6c00; font-weight: bold; } .UNFINISHED { color: #546e7a; font-weight: bold; }
.outlier { background: #ffebee; color: #b71c1c; font-weight: bold; }
.muted { color: #78909c; } ul { margin: 0; padding-left: 16px; } details summary { cursor: pointer; }
img { max-width: 100%; border: 1px solid #eceff1; margin: 6px 0; }
"""


# The UI embeds the page in an iframe sandboxed without top navigation (allow-scripts allow-same-origin):
# a link into the Grid is routed by the UI's own router in the parent window (same origin), as its own
# links are; outside the iframe it is a plain link.
TOP_LINKS = """document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-ui-link]");
  if (!link || window.top === window) return;
  event.preventDefault();
  try {
    window.top.history.pushState({}, "", link.href);
    window.top.dispatchEvent(new PopStateEvent("popstate"));
  } catch (error) {
    window.location.href = link.href;
  }
});"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="ko"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}"
        f"<script>{TOP_LINKS}</script></body></html>"
    )


def _number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _change(change: Change) -> str:
    digits = 0 if change.figure == "price" else 1
    value = _number(change.value, digits)
    if change.delta is None:
        return f'<td class="num" data-figure="{change.figure}">{value}</td>'
    sign = "+" if change.delta >= 0 else "−"
    mark = " ⚠" if change.outlier else ""
    css = ' class="num outlier"' if change.outlier else ' class="num"'
    return (
        f'<td{css} data-figure="{change.figure}" title="전주 대비">{value}'
        f"<br><small>{sign}{_number(abs(change.delta), digits)}{mark}</small></td>"
    )


def _cell(value: object) -> str:
    """A diff table's value: floats without binary noise (-2.9999999999 -> -3)."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def _count(value: int | None) -> str:
    return "—" if value is None else str(value)


def _state(state: str) -> str:
    return f'<span class="{escape(state)}">{escape(STATE_LABELS.get(state, state))}</span>'


def _gate(row: WeekRow) -> str:
    if row.gate_status is None:
        return '<span class="muted">검증 전</span>'
    counts = row.gate_counts or {}
    found = [f"{GATE_LABELS.get(k, k)} {counts[k]}" for k in GATE_KINDS if counts.get(k)]
    text = ", ".join(found) if found else "이상 없음"
    return f"{_state(row.gate_status)}<br>{escape(text)}"


def _sources(row: WeekRow) -> str:
    items = [
        f"<li><b>{escape(s.label)}</b> {_state(s.status)}: 호출 {s.calls if s.calls is not None else '?'}회, "
        f"{s.rows if s.rows is not None else '?'}행, 기간 {escape(s.periods or '—')}</li>"
        for s in row.sources
    ]
    return f"<ul>{''.join(items)}</ul>" if items else '<span class="muted">수집 기록 없음</span>'


def _excluded(row: WeekRow) -> str:
    if not row.excluded_total:
        return "0"
    items = "".join(f"<li>{escape(item)}</li>" for item in row.excluded)
    return f"<details><summary>{row.excluded_total}곳</summary><ul>{items}</ul></details>"


def _text_or(value: str | None, empty: str) -> str:
    return escape(value) if value else f'<span class="muted">{escape(empty)}</span>'


def _grid_link(row: WeekRow, ui_base: str) -> str:
    if not row.grid_path:
        return ""
    return (
        f'<a class="grid-link" data-ui-link target="_top" href="{escape(ui_base + row.grid_path)}">'
        f"{escape(row.run_id)}</a>"
        + (f'<br><small class="muted">실행 {row.runs}회</small>' if row.runs > 1 else "")
    )


HEADERS = (
    "보고 주",
    "상태",
    "보고서 완료",
    "수집 (소스별)",
    "완전성 검증",
    "제외 농장",
    "보고서 행",
    "결측 승인",
    "보고서 변경",
    "가격 원/kg",
    "기온 °C",
    "고온 일수",
    "강수 mm",
    "실행 (Grid)",
)


def week_cells(row: WeekRow, prefix: str, ui_base: str, link_week: bool = True) -> str:
    week = escape(row.week_label)
    if link_week:
        week = f'<a class="week-link" href="{escape(prefix)}/week/{escape(row.week_key)}">{week}</a>'
    return (
        f"<td>{week}</td><td>{_state(row.state)}</td>"
        f"<td>{_text_or(row.report_ready_at, '—')}</td>"
        f"<td>{_sources(row)}</td><td>{_gate(row)}</td><td>{_excluded(row)}</td>"
        f'<td class="num" data-field="report_rows">{_count(row.report_rows)}</td>'
        f'<td class="message">{_text_or(row.decision, "결정 없음")}</td>'
        f'<td class="message">{_text_or(row.diff, "변경 기록 없음")}</td>'
        + "".join(_change(change) for change in row.changes)
        + f'<td class="run">{_grid_link(row, ui_base)}</td>'
    )


def _table(rows: list[WeekRow], prefix: str, ui_base: str, link_week: bool = True) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in HEADERS)
    body = "".join(
        f'<tr data-week="{escape(r.week_key)}">{week_cells(r, prefix, ui_base, link_week)}</tr>' for r in rows
    )
    return f'<table class="weeks"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


FIGURES_NOTE = "지표: " + "; ".join(FIGURE_LABELS.values()) + ". 작은 글씨: 전주 대비 변화."
OUTLIER_NOTE = (
    "⚠ 전주 대비 변화가 큰 값: 가격 ±8% 초과, 기온 ±5 °C 초과, 고온스트레스 일수 ±1.5일 초과, "
    "강수량 ±40 mm 초과 (include/ins_report/weeks/model.py OUTLIER_LIMITS)."
)


def index_page(page: Page, prefix: str, ui_base: str) -> str:
    pager = []
    if page.page > 1:
        pager.append(f'<a href="{escape(prefix)}/?page={page.page - 1}">← 최근</a>')
    pager.append(f"{page.page} / {page.pages} 쪽 (모두 {page.weeks}주)")
    if page.page < page.pages:
        pager.append(f'<a class="older" href="{escape(prefix)}/?page={page.page + 1}">이전 →</a>')
    body = (
        "<h1>INS 주간 보고서: 주별 현황</h1>"
        "<p>주마다 한 줄 (최신 주가 위): 실행 상태, 수집, 완전성 검증, 제외 농장, 보고서, 결측 승인, "
        "보고서 변경, 주요 지표의 전주 대비 변화. 주를 누르면 지도와 차트가 열립니다.</p>"
        + (_table(page.rows, prefix, ui_base) if page.rows else "<p>작업 로그에 기록된 주가 없습니다.</p>")
        + f'<p class="muted">{escape(FIGURES_NOTE)}<br>{escape(OUTLIER_NOTE)}</p>'
        + f'<p class="pager">{" · ".join(pager)}</p>'
    )
    return _page("INS 주별 현황", body)


def week_page(detail: WeekDetail, week_key: str, prefix: str, ui_base: str) -> str:
    base = f"{escape(prefix)}/week/{escape(week_key)}"
    counts = {
        status: sum(1 for f in detail.farms if f.status == status) for status in (COMPLETE, GAP, EXCLUDED)
    }
    off_map = sum(1 for f in detail.farms if not on_map(f.lat, f.lon))
    row = detail.row
    title = f"INS 보고 주 {row.week_label if row else week_key}"
    summary = (
        _table([row], prefix, ui_base, link_week=False) if row else "<p>이 주의 작업 로그가 없습니다.</p>"
    )
    gaps = [f for f in detail.farms if f.status == GAP]
    gap_list = "".join(
        f"<li>{escape(f.farm_no)} {escape(f.name)} (관측소 {escape(str(f.station))})</li>" for f in gaps
    )
    if detail.diff_rows:
        diff = (
            '<table class="diff"><thead><tr><th>비교 회차</th><th>농장</th><th>항목</th><th>종류</th>'
            "<th>이전 값</th><th>새 값</th><th>차이</th></tr></thead><tbody>"
            + "".join(
                "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in r) + "</tr>" for r in detail.diff_rows
            )
            + "</tbody></table>"
        )
    else:
        diff = f"<p>{_text_or(row.diff if row else None, '기록된 보고서 변경 없음 (no diff recorded)')}</p>"
    body = (
        f'<p><a href="{escape(prefix)}/">← 주별 현황</a></p><h1>{escape(title)}</h1>{summary}'
        f'<h2>농장과 ASOS 관측소</h2><p class="farm-counts">완전 {counts[COMPLETE]} · 결측 {counts[GAP]} · '
        f"제외 {counts[EXCLUDED]}" + (f" (지도 밖: 좌표 없음·국외 {off_map}곳)" if off_map else "") + "</p>"
        f'<img class="map" alt="농장 지도" src="{base}/map.png">'
        + (
            f"<details><summary>결측 농장 {len(gaps)}곳</summary><ul>{gap_list}</ul></details>"
            if gaps
            else ""
        )
        + "<h2>관측소별 일별 기온·THI·강수</h2>"
        f'<img class="multiples" alt="관측소별 날씨" src="{base}/stations.png">'
        f'<h2>EKAPE 전국 지육가격 (최근 12주)</h2><img class="price" alt="가격" src="{base}/price.png">'
        f"<h2>보고서 변경 (재실행 비교)</h2>{diff}"
    )
    return _page(title, body)
