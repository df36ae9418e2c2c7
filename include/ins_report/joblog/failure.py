"""The MESSAGE of a FAILED or RETRY row, written by the task callbacks
(include/ins_report/airflow_edge/callbacks.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from include.ins_report.joblog.registry import MAX_FARMS, MESSAGE_BYTES, clip_utf8

_FAILURE = re.compile(
    r"^(?:(?P<label>[^\n]*?)(?: \[farms (?P<farms>[^\]]*)\])?: (?=.* \(task [\w.-]+, map \d+, try))?"
    r"(?P<error>.*) \(task (?P<task>[\w.-]+)(?:, map (?P<map>\d+))?, "
    r"try (?P<try>\d+)(?: of (?P<tries>\d+))?\)\Z",
    re.S,
)


@dataclass(frozen=True)
class FailureDetail:
    """What the MESSAGE of a FAILED or RETRY row says, written by the task callbacks:

    ``203 이천 (2 farms) [farms F0001, F0007]: PermanentApiError: ... (task t, map 3, try 1 of 4)`` for a
    mapped station, ``KosisError: ... (task t, try 4 of 4)`` otherwise."""

    error: str
    task_id: str
    map_index: int = -1
    label: str = ""
    farms: tuple[str, ...] = ()
    try_number: int | None = None
    tries: int | None = None

    def as_dict(self) -> dict:
        """The detail as plain data (an XCom), read back with ``from_dict``."""
        return {
            "error": self.error,
            "task_id": self.task_id,
            "map_index": self.map_index,
            "label": self.label,
            "farms": list(self.farms),
            "try_number": self.try_number,
            "tries": self.tries,
        }

    @classmethod
    def from_dict(cls, data: dict) -> FailureDetail:
        return cls(**{**data, "farms": tuple(data.get("farms") or ())})

    @property
    def error_class(self) -> str:
        head, sep, _ = self.error.partition(": ")
        return head if sep and " " not in head else ""

    def message(self) -> str:
        head = ""
        if self.map_index >= 0:
            farms = list(self.farms[:MAX_FARMS])
            if len(self.farms) > MAX_FARMS:
                farms.append(f"… {len(self.farms) - MAX_FARMS} more")
            head = (
                (self.label or str(self.map_index)) + (f" [farms {', '.join(farms)}]" if farms else "") + ": "
            )
        where = f"task {self.task_id}" + (f", map {self.map_index}" if self.map_index >= 0 else "")
        tries = f"try {self.try_number or 0}" + (f" of {self.tries}" if self.tries else "")
        suffix = f" ({where}, {tries})"
        # The error gives way, in bytes, so that the row keeps its station, farms and task suffix.
        budget = MESSAGE_BYTES - len((head + suffix + " …").encode("utf-8"))
        error = clip_utf8(self.error, max(budget, 0))
        if error != self.error:
            error += " …"
        return f"{head}{error}{suffix}"

    @classmethod
    def parse(cls, message: str | None) -> FailureDetail | None:
        match = _FAILURE.match(message or "")
        if not match:
            return None
        return cls(
            error=match["error"],
            task_id=match["task"],
            map_index=int(match["map"]) if match["map"] else -1,
            label=(match["label"] or "").strip(),
            farms=tuple(farm.strip() for farm in (match["farms"] or "").split(",") if farm.strip()),
            try_number=int(match["try"]),
            tries=int(match["tries"]) if match["tries"] else None,
        )
