"""The Airflow pools the DAG's API tasks run in: one per external API, sized to the provider's concurrency.

A task whose pool does not exist is never scheduled (it waits in "scheduled" without an error), so every
place that starts Airflow for this project creates the pools from this one definition:

    python -m include.ins_report.airflow_edge.pools --apply       # `airflow pools import` of the below
    python -m include.ins_report.airflow_edge.pools > pools.json  # the same, as a file to import

Names and sizes come from the settings (``INS_KMA_POOL``, ``INS_KMA_POOL_SLOTS``, ...). A pool name set to
``default_pool`` opts out: nothing is created for it and the task shares Airflow's default pool (its
``max_active_tis_per_dagrun`` still bounds one run). tests/dags/test_pools.py checks that the DAG uses no
other pool than these.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from include.ins_report.config.settings import Settings

DEFAULT_POOL = "default_pool"


def pool_definitions(settings: Settings) -> dict[str, dict]:
    """The pools to create, in the format of ``airflow pools import`` ({name: {slots, description, ...}})."""
    pools = {
        settings.kma_pool: {
            "slots": settings.kma_pool_slots,
            "description": (
                f"KMA ASOS (data.go.kr): at most {settings.kma_pool_slots} calls at once, "
                f"{settings.kma_calls_per_second:g} calls/s in all (INS weekly report)"
            ),
            "include_deferred": False,
        },
        settings.kosis_pool: {
            "slots": settings.kosis_pool_slots,
            "description": (
                f"KOSIS OpenAPI: at most {settings.kosis_pool_slots} calls at once, "
                f"{settings.kosis_calls_per_second:g} calls/s in all (INS weekly report)"
            ),
            "include_deferred": False,
        },
        settings.ekape_pool: {
            "slots": settings.ekape_pool_slots,
            "description": (
                f"EKAPE pig prices (data.go.kr): at most {settings.ekape_pool_slots} calls at once, "
                f"{settings.ekape_calls_per_second:g} calls/s in all (INS weekly report)"
            ),
            "include_deferred": False,
        },
    }
    for name, pool in pools.items():
        if pool["slots"] < 1:
            raise ValueError(f"pool {name!r} needs at least one slot, not {pool['slots']}")
    return {name: pool for name, pool in pools.items() if name != DEFAULT_POOL}


def airflow_command() -> str:
    """The ``airflow`` next to this interpreter (a virtualenv), else the one on PATH."""
    local = Path(sys.executable).with_name("airflow")
    return str(local) if local.exists() else "airflow"


def apply_pools(settings: Settings, env: dict[str, str] | None = None) -> dict[str, dict]:
    """Create or resize the pools in the Airflow metadata database (``airflow pools import``)."""
    pools = pool_definitions(settings)
    if not pools:
        return pools
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pools.json"
        path.write_text(json.dumps(pools), encoding="utf-8")
        subprocess.run(
            [airflow_command(), "pools", "import", str(path)],
            env=env if env is not None else dict(os.environ),
            check=True,
            capture_output=True,
            text=True,
        )
    return pools


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The INS weekly report's Airflow pools.")
    parser.add_argument("--apply", action="store_true", help="create/resize them with `airflow pools import`")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.apply:
        for name, pool in apply_pools(settings).items():
            print(f"pool {name}: {pool['slots']} slots")
    else:
        print(json.dumps(pool_definitions(settings), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
