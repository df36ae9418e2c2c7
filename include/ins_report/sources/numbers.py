"""The one number parser of the external sources: finite decimals, documented placeholders, nothing else.

``parse_decimal`` returns a float, or None for "unknown" (``""``, JSON null and the source's documented
placeholders); anything else raises ``ApiDataError`` naming the field, where it was and the value:
``"NaN"``, ``"Infinity"``, a bare JSON ``NaN`` (Python's json module accepts it), ``"1e5"``, ``"37,5"``,
text. A value outside ``valid`` (``include.ins_report.model.plausible``, physical limits) is a data error too.
"""

from __future__ import annotations

import math
import re

from include.ins_report.model.plausible import Range
from include.ins_report.sources.errors import ApiDataError

# Plain decimals as the APIs write them: optional sign, ASCII digits, optional fraction; no exponent.
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
# KOSIS may group thousands ("1,234,567"); only exact groups of three, so "37,5" stays an error.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", re.ASCII)
_SHOWN = 40  # characters of a bad value quoted in the message


def _shown(raw: object) -> str:
    text = repr(raw)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def parse_decimal(
    raw: object,
    *,
    api: str,
    field: str,
    where: str,
    placeholders: frozenset[str] = frozenset(),
    grouping: bool = False,
    valid: Range | None = None,
) -> float | None:
    """``raw`` as a finite float, or None when it is documented as unknown.

    ``placeholders``: the source's texts for "no value" (e.g. KOSIS ``"-"``). ``grouping``: accept
    thousands separators. ``valid``: the physically possible range; outside it is a data error.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):  # a JSON true/false is a number to Python, not to us
        raise ApiDataError(api, where, f"{field} {_shown(raw)} is not a number")
    if isinstance(raw, (int, float)):
        value = float(raw)
        if not math.isfinite(value):
            raise ApiDataError(api, where, f"{field} {_shown(raw)} is not a finite number")
    elif isinstance(raw, str):
        text = raw.strip()
        if not text or text in placeholders:
            return None
        if _DECIMAL.fullmatch(text):
            value = float(text)
        elif grouping and _GROUPED.fullmatch(text):
            value = float(text.replace(",", ""))
        else:
            raise ApiDataError(api, where, f"{field} {_shown(raw)} is not a decimal number")
        if not math.isfinite(value):  # "1" followed by 400 zeros overflows to inf
            raise ApiDataError(api, where, f"{field} {_shown(raw)} is not a finite number")
    else:
        raise ApiDataError(api, where, f"{field} {_shown(raw)} is not a number")
    if valid is not None and value not in valid:
        raise ApiDataError(api, where, f"{field} {value:g} is outside the possible {valid.describe()}")
    return value
