"""One stand-in for Airflow's ``ti`` (``RuntimeTaskInstanceProtocol``), for the task callbacks, the plan's
farm lists and the failure notifier: its identity, the XComs of its run (pushed and pulled as Airflow does,
every call recorded) and the run's task states."""

from __future__ import annotations

from typing import Any

_ALL = object()  # xcom_pull without map_indexes: every map index of the task, as Airflow's


class FakeTaskInstance:
    """A task instance of one run; ``instance()`` gives another of the same run, sharing its XComs and
    states. ``states``: the run's task states as ``get_task_states`` answers them (a mapped instance as
    ``<task_id>_<map_index>``)."""

    def __init__(
        self,
        task_id: str = "check_collection",
        map_index: int = -1,
        *,
        try_number: int = 1,
        max_tries: int = 0,
        states: dict[str, str] | None = None,
        xcoms: dict[tuple[str, int, str], Any] | None = None,
    ) -> None:
        self.task_id, self.map_index, self.try_number, self.max_tries = (
            task_id,
            map_index,
            try_number,
            max_tries,
        )
        self.start_date = None
        self.states: dict[str, str] = {} if states is None else states
        self.xcoms: dict[tuple[str, int, str], Any] = {} if xcoms is None else xcoms  # (task, index, key)
        self.pushed: list[tuple[str, int, str]] = []
        self.pulled: list[tuple[str, str, Any]] = []

    def instance(self, task_id: str, map_index: int = -1, **more: Any) -> FakeTaskInstance:
        """Another task instance of the same run (its XComs and states are this one's)."""
        return FakeTaskInstance(task_id, map_index, states=self.states, xcoms=self.xcoms, **more)

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed.append((self.task_id, self.map_index, key))
        self.xcoms[(self.task_id, self.map_index, key)] = value

    def xcom_pull(self, task_ids: str, key: str = "return_value", map_indexes: Any = _ALL) -> Any:
        """One task's XCom: of ``map_indexes`` when given, else of every map index (a list when more than
        one, the value alone when one, None when none: Airflow's RuntimeTaskInstance.xcom_pull)."""
        self.pulled.append((task_ids, key, None if map_indexes is _ALL else map_indexes))
        if map_indexes is not _ALL:
            return self.xcoms.get((task_ids, map_indexes, key))
        values = [
            value for (task, _, name), value in sorted(self.xcoms.items()) if (task, name) == (task_ids, key)
        ]
        if not values:
            return None
        return values[0] if len(values) == 1 else values

    def get_task_states(self, dag_id: str, run_ids: list[str]) -> dict[str, dict[str, str]]:
        return {run_ids[0]: dict(self.states)}

    def failed(self) -> FakeTaskInstance:
        """This instance recorded as failed in the run's states; returns itself."""
        self.states[self.task_id if self.map_index < 0 else f"{self.task_id}_{self.map_index}"] = "failed"
        return self
