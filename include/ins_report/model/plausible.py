"""Value ranges of the weather data, in one place: what is physically possible and what is plausible.

Two tiers, used by two different checks:

- ``PHYSICAL_*``: values no instrument can report (humidity 101 %, negative rain, 70 °C). The parsers at the
  edge (``include/ins_report/sources``) reject them as a data error (``ApiDataError``) naming the field, the
  station and the day, so nothing downstream (``thi()``, the database) ever sees them.
- ``PLAUSIBLE_*`` / ``WEATHER_PLAUSIBLE``: what a daily ASOS value in Korea can be. The completeness gate
  checks these in ``TM_WEATHER`` (together with ``min <= mean <= max``), so an odd but possible value is
  reported by kind and falls under the coverage policy instead of failing the collection.

Bounds are inclusive; ``None`` means unbounded on that side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    low: float | None
    high: float | None
    unit: str

    def __contains__(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self) -> str:
        if self.high is None:
            return f">= {self.low:g} {self.unit}"
        if self.low is None:
            return f"<= {self.high:g} {self.unit}"
        return f"{self.low:g}..{self.high:g} {self.unit}"


# --- plausible: checked by the completeness gate in the database -------------------------------------
# Korea's daily records stay well inside -45..+45 °C (lowest about -32.6 °C, highest 41.0 °C).
PLAUSIBLE_TEMPERATURE_C = Range(-45.0, 45.0, "°C")
PLAUSIBLE_HUMIDITY_PCT = Range(0.0, 100.0, "%")
PLAUSIBLE_RAIN_MM = Range(0.0, None, "mm")
# Also plausible-checked by the gate: MIN_TA <= AVG_TA <= MAX_TA on every row that has all three.

# TM_WEATHER column -> its plausible range (what the gate iterates over).
WEATHER_PLAUSIBLE: dict[str, Range] = {
    "AVG_TA": PLAUSIBLE_TEMPERATURE_C,
    "MIN_TA": PLAUSIBLE_TEMPERATURE_C,
    "MAX_TA": PLAUSIBLE_TEMPERATURE_C,
    "AVG_RHM": PLAUSIBLE_HUMIDITY_PCT,
    "SUM_RN": PLAUSIBLE_RAIN_MM,
}

# --- physical: rejected where the API answer is parsed --------------------------------------------------
# World records: -89.2 °C and 56.7 °C; about 1,825 mm of rain in one day.
PHYSICAL_TEMPERATURE_C = Range(-90.0, 60.0, "°C")
PHYSICAL_HUMIDITY_PCT = Range(0.0, 100.0, "%")  # also the domain of thi()
PHYSICAL_RAIN_MM = Range(0.0, 2000.0, "mm")
