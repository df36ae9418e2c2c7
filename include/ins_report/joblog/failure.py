"""A failed (or retried) task as data, and the MESSAGE of its FAILED or RETRY row written from it.

The task callbacks (include/ins_report/airflow_edge/callbacks.py) build one ``FailureDetail`` and write both
the row (``message()``, the text the DB-side monitoring reads) and, for a FAILED try, the task's XCom
(``as_dict()``), which the failure alert reads back (``from_dict``). Nothing parses the MESSAGE back.
"""

from __future__ import annotations

from dataclasses import dataclass

from include.ins_report.joblog.registry import MAX_FARMS, MESSAGE_BYTES, clip_utf8

FARMS_OPEN = " [farms "  # between a mapped row's label and its farm list


@dataclass(frozen=True)
class FailureDetail:
    """A failed task instance and its error; its row's MESSAGE is
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
        """The detail as plain data (the failed task's XCom), read back with ``from_dict``."""
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
        """The row's MESSAGE, at most MESSAGE_BYTES: the error gives way, the head and the suffix stay."""
        head = ""
        if self.map_index >= 0:
            farms = list(self.farms[:MAX_FARMS])
            if len(self.farms) > MAX_FARMS:
                farms.append(f"… {len(self.farms) - MAX_FARMS} more")
            head = (
                (self.label or str(self.map_index))
                + (f"{FARMS_OPEN}{', '.join(farms)}]" if farms else "")
                + ": "
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


def mapped_label(message: str) -> str:
    """The station label a COLLECT_STATION_WEATHER row's MESSAGE starts with, whatever its status
    (``WeatherMessage.text``, ``FailureDetail.message``): the row's key among the run's outcomes
    (joblog/runlog.py), so that a station's later row supersedes its earlier one."""
    head = message.partition(": ")[0]
    return head.partition(FARMS_OPEN)[0]
