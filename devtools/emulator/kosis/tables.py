"""The fake KOSIS tables: period codes and the catalogue (items, classifications, deterministic values).

Add a table to ``CATALOGUE`` by describing its items, classifications and a value function. Values are
deterministic per (table, item, codes, period).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from devtools.emulator.common import fmt2, stable_rng

_PERIODS_PER_YEAR = {"Y": 1, "H": 2, "Q": 4, "M": 12}


# --------------------------------------------------------------------------------------------------------- #
# Periods                                                                                                   #
# --------------------------------------------------------------------------------------------------------- #


def period_index(code: str, prd_se: str) -> int | None:
    """Periods as consecutive integers (year * periods_per_year + part); None when the code is malformed."""
    per_year = _PERIODS_PER_YEAR.get(prd_se)
    code = code.strip()
    if per_year is None or not code.isdigit():
        return None
    if prd_se == "Y":
        return int(code) if len(code) == 4 else None
    if len(code) != 6 or not 1 <= int(code[4:]) <= per_year:
        return None
    return int(code[:4]) * per_year + int(code[4:]) - 1


def period_code(index: int, prd_se: str) -> str:
    if prd_se == "Y":
        return f"{index:04d}"
    year, part = divmod(index, _PERIODS_PER_YEAR[prd_se])
    return f"{year:04d}{part + 1:02d}"


def period_end(index: int, prd_se: str) -> dt.date:
    per_year = _PERIODS_PER_YEAR[prd_se]
    year, part = divmod(index, per_year)
    month = (part + 1) * 12 // per_year
    return dt.date(year, month, calendar.monthrange(year, month)[1])


# --------------------------------------------------------------------------------------------------------- #
# Catalogue                                                                                                 #
# --------------------------------------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    name_eng: str


@dataclass(frozen=True)
class Classification:
    name: str
    name_eng: str
    codes: tuple[Code, ...]


@dataclass(frozen=True)
class Item:
    itm_id: str
    name: str
    name_eng: str
    unit: str
    unit_eng: str


# values(table, period_code) -> {(itm_id, code_level1, code_level2, ...): DT}
ValueFunction = Callable[["Table", str], dict[tuple[str, ...], str]]


@dataclass(frozen=True)
class Table:
    org_id: str
    tbl_id: str
    name: str
    prd_se: str
    first_period: str
    items: tuple[Item, ...]
    classifications: tuple[Classification, ...]
    values: ValueFunction
    # LST_CHN_DE: this many days after the period end (not before it is served, not after today)
    revision_days: tuple[int, int]

    @property
    def first_index(self) -> int:
        first = period_index(self.first_period, self.prd_se)
        assert first is not None
        return first


_SIDO = Classification(
    "시도별",
    "By Province",
    (
        Code("00", "전국", "Whole country"),
        Code("11", "서울특별시", "Seoul"),
        Code("26", "부산광역시", "Busan"),
        Code("27", "대구광역시", "Daegu"),
        Code("28", "인천광역시", "Incheon"),
        Code("29", "광주광역시", "Gwangju"),
        Code("30", "대전광역시", "Daejeon"),
        Code("31", "울산광역시", "Ulsan"),
        Code("36", "세종특별자치시", "Sejong"),
        Code("41", "경기도", "Gyeonggi-do"),
        Code("42", "강원특별자치도", "Gangwon-do"),
        Code("43", "충청북도", "Chungcheongbuk-do"),
        Code("44", "충청남도", "Chungcheongnam-do"),
        Code("45", "전북특별자치도", "Jeonbuk-do"),
        Code("46", "전라남도", "Jeollanam-do"),
        Code("47", "경상북도", "Gyeongsangbuk-do"),
        Code("48", "경상남도", "Gyeongsangnam-do"),
        Code("50", "제주특별자치도", "Jeju-do"),
    ),
)
_FARM_SCALE = Classification("사육규모별", "By Scale of Farming", (Code("00", "합계", "Total"),))

# Typical (households, heads) per province; nationwide ~5,500 households and ~11,000,000 pigs.
_PIG_BASE = {
    "11": (0, 0),
    "26": (10, 9_000),
    "27": (15, 20_000),
    "28": (40, 45_000),
    "29": (3, 1_000),
    "30": (3, 800),
    "31": (40, 95_000),
    "36": (50, 95_000),
    "41": (1_000, 1_850_000),
    "42": (230, 560_000),
    "43": (330, 640_000),
    "44": (1_100, 2_350_000),
    "45": (600, 1_330_000),
    "46": (550, 1_120_000),
    "47": (700, 1_500_000),
    "48": (550, 870_000),
    "50": (260, 560_000),
}
_PIG_QUARTER_FACTOR = (0.99, 1.0, 1.012, 1.004)


def _pig_values(table: Table, period: str) -> dict[tuple[str, ...], str]:
    """Households (T001) and heads (T002) per province; 전국 (00) is the sum of the provinces."""
    index = period_index(period, table.prd_se)
    assert index is not None
    years = index / 4 - 2024  # the base levels are those of 2024
    quarter = index % 4
    values: dict[tuple[str, ...], str] = {}
    totals = {"T001": 0, "T002": 0}
    for code, (households, heads) in _PIG_BASE.items():
        for itm_id, base, trend in (("T001", households, -0.015), ("T002", heads, -0.003)):
            rng = stable_rng(table.tbl_id, itm_id, code, "00", period)
            level = base * (1 + trend * years) * (1 + rng.gauss(0, 0.01))
            if itm_id == "T002":
                level *= _PIG_QUARTER_FACTOR[quarter]
            value = max(1, round(level)) if base else 0
            totals[itm_id] += value
            values[(itm_id, code, "00")] = str(value)
    for itm_id, total in totals.items():
        values[(itm_id, "00", "00")] = str(total)
    return values


def _cpi_values(table: Table, period: str) -> dict[tuple[str, ...], str]:
    """Consumer price index (2020=100): pork rising ~3.5 %/year with a summer peak, beef ~1.2 %/year."""
    index = period_index(period, table.prd_se)
    assert index is not None
    years = (index + 0.5) / 12 - 2020.5
    month = index % 12 + 1
    values: dict[tuple[str, ...], str] = {}
    for code, growth, seasonal in (("A01114", 1.035, 0.025), ("A01113", 1.012, 0.006)):
        rng = stable_rng(table.tbl_id, "T", code, period)
        level = 100 * growth**years * (1 + seasonal * math.sin(2 * math.pi * (month - 4) / 12))
        values[("T", code)] = fmt2(min(140.0, max(95.0, level + rng.gauss(0, 0.6))))
    return values


CATALOGUE: dict[tuple[str, str], Table] = {
    ("101", "DT_1EO311"): Table(
        org_id="101",
        tbl_id="DT_1EO311",
        name="시도별 돼지 사육가구 및 마릿수",
        prd_se="Q",
        first_period="201701",
        items=(
            Item("T001", "사육가구수", "Number of households", "가구", "Household"),
            Item("T002", "사육마릿수", "Number of heads", "마리", "Head"),
        ),
        classifications=(_SIDO, _FARM_SCALE),
        values=_pig_values,
        revision_days=(25, 50),
    ),
    ("101", "DT_1J22003"): Table(
        org_id="101",
        tbl_id="DT_1J22003",
        name="품목별 소비자물가지수",
        prd_se="M",
        first_period="202001",
        items=(Item("T", "지수", "Index", "2020=100", "2020=100"),),
        classifications=(
            Classification(
                "품목별",
                "By Item",
                (Code("A01114", "돼지고기", "Pork"), Code("A01113", "쇠고기", "Beef")),
            ),
        ),
        values=_cpi_values,
        revision_days=(1, 10),
    ),
}
