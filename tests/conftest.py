"""Test-wide set-up: Airflow's environment must be in place before anything imports airflow. Also the test
kit every tier shares: the ``farm_db``, ``emulator`` and ``dagbag`` fixtures (built in tests/support/)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools.embedded import LOCAL_DIR, airflow_env  # noqa: E402  (no airflow import inside)

# One Airflow home (metadata database) per pytest-xdist worker: `make test` runs two at a time.
TEST_AIRFLOW_HOME = LOCAL_DIR / f"test-airflow-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
os.environ.update(airflow_env(TEST_AIRFLOW_HOME))

# Tiers by folder, so one can be run alone (`pytest -m scheduler`) and `make test-fast` picks the quick ones.
TIERS = {
    "dags": "dags",
    "unit": "unit",
    "e2e": "e2e",
    "scheduler": "scheduler",
    "celery": "celery",
    "browser": "browser",
    "oracle": "oracle",
}


# `make test` runs on two pytest-xdist workers (`-n 2 --dist loadscope`, StackScheduling below): a
# module's tests stay together and in file order on one worker, so its module-scoped deployment starts once;
# the browser package, whose two modules share one package-scoped stack, is one unit. The units that hold an
# Airflow stack are collected first, longest first, so that the two workers end together.
SHARED_STACK_PACKAGES = ("tests/browser",)
STACKS_FIRST = (
    "browser",
    "scheduler/test_operations.py",
    "scheduler/test_gap_approval.py",
    "scheduler/test_deadline.py",
    "celery",
    "e2e/test_make_run_question.py",
    "e2e",
)


def _rank(relative: str) -> int:
    ranks = (n for n, prefix in enumerate(STACKS_FIRST) if relative.startswith(prefix))
    return next(ranks, len(STACKS_FIRST))


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "emulator(**settings): the emulator fixture's keys and runtime settings (tests/support/emulator.py)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        parts = Path(str(item.path)).relative_to(ROOT / "tests").parts
        tier = TIERS.get(parts[0]) if len(parts) > 1 else None
        if tier:
            item.add_marker(getattr(pytest.mark, tier))
    items.sort(key=lambda item: _rank(Path(str(item.path)).relative_to(ROOT / "tests").as_posix()))  # stable


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Load-scope scheduling (a unit of work is a module), with the browser package as one unit. Written
    here because pytest-xdist's own ``loadgroup`` does not group on pytest 9 (it rewrites ``item._nodeid``,
    which pytest 9 no longer reads)."""
    from xdist.scheduler import LoadScopeScheduling

    class StackScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            package = next((p for p in SHARED_STACK_PACKAGES if nodeid.startswith(p + "/")), None)
            return package or super()._split_scope(nodeid)

    config.option.loadscopereorder = False  # keep the collection order above
    return StackScheduling(config, log)


# --- the test kit: built here only, imported late (airflow must not be imported before the env above) -------


@pytest.fixture
def farm_db(tmp_path, monkeypatch):
    """A SQLite farm database with the reference schema and the sample farms, behind the ``farm_db``
    connection (monkeypatched): a FarmDatabase that is also its file's path (tests/support/farm_db.py)."""
    from tests.support.farm_db import SqliteFarmDatabase

    return SqliteFarmDatabase(tmp_path / "farm.db", monkeypatch)


@pytest.fixture(scope="session")
def emulator_servers():
    """The API emulator as real local servers for the session, one per key set (tests/support/emulator.py)."""
    from tests.support.emulator import EmulatorServers

    servers = EmulatorServers()
    yield servers
    servers.stop()


@pytest.fixture
def emulator(emulator_servers, request):
    """The session's emulator, reset and configured as the closest ``emulator`` marker asks (else the
    emulator's defaults): no test sees another's faults, counters or clock."""
    marker = request.node.get_closest_marker("emulator")
    return emulator_servers.get(**(marker.kwargs if marker else {}))


@pytest.fixture(scope="session")
def dagbag():
    """The product's DAGs folder parsed once for the session, with the default settings
    (tests/support/dags.py; a parse under other settings is ``parse_dags(env=...)``)."""
    from tests.support.dags import parse_dags

    return parse_dags()


@pytest.fixture
def step_context():
    """The factory of a step's context with stand-ins for what the step touches (tests/support/steps.py)."""
    from tests.support.steps import step_context as build

    return build
