"""The strict decimal rule, written once for the pure code: a plain decimal as the APIs and the farm master
write it (optional sign, ASCII digits, optional fraction), nothing that ``float()`` would also take
(``'3_7.5'``, ``'1e3'``, ``'NaN'``, ``'inf'``, ``' 3 7'``).

The sources' parser (include/ins_report/sources/numbers.py, ``parse_decimal``) applies the same rule to the
APIs' values; the farm coordinates (include/ins_report/model/farms.py) and the numeric settings
(include/ins_report/config/rules.py) use this module. No I/O, no Airflow.
"""

from __future__ import annotations

import math
import re

DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
WHOLE = re.compile(r"[+-]?\d+", re.ASCII)


def decimal_value(text: str) -> float | None:
    """``text`` as a finite float if it is a plain decimal, else None (``"1"`` and 400 zeros: not finite)."""
    if not DECIMAL.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None
