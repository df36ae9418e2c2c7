"""Temperature-humidity index (heat stress) for pigs.

NRC (1971) form with the canonical ``- 26`` constant (see reference notes section 5); applied to the
day's maximum temperature and mean relative humidity.
"""

from __future__ import annotations

from include.ins_report.model.plausible import PHYSICAL_HUMIDITY_PCT, PHYSICAL_TEMPERATURE_C

# 국립축산과학원 (NIAS, 2017) bands for pigs: lower bound of each level.
PIG_THI_LEVELS = ((95.0, "폐사"), (84.0, "위험"), (74.0, "경고"), (64.0, "주의"), (float("-inf"), "양호"))


def thi(temperature_c: float | None, relative_humidity: float | None) -> float | None:
    """THI = 1.8·T + 32 − 0.55·(1 − 0.01·RH)·(1.8·T − 26), rounded to 2 decimals; None if an input is.

    The parsers reject values outside the physical ranges (``plausible.PHYSICAL_*``) as data errors, so
    observations never reach this guard: it stays for callers that skip them (a programming error).
    """
    if temperature_c is None or relative_humidity is None:
        return None
    if relative_humidity not in PHYSICAL_HUMIDITY_PCT or temperature_c not in PHYSICAL_TEMPERATURE_C:
        raise ValueError(
            f"THI needs {PHYSICAL_TEMPERATURE_C.describe()} and {PHYSICAL_HUMIDITY_PCT.describe()}, "
            f"got {temperature_c} °C, {relative_humidity} %"
        )
    fahrenheit = 1.8 * temperature_c + 32.0
    return round(fahrenheit - 0.55 * (1.0 - 0.01 * relative_humidity) * (1.8 * temperature_c - 26.0), 2)


def pig_thi_level(value: float | None) -> str | None:
    if value is None:
        return None
    return next(name for bound, name in PIG_THI_LEVELS if value >= bound)
