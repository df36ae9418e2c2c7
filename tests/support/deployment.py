"""What e2e and scheduler tests share about a running deployment: the emulator's control API and the
farm database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import requests


class DeploymentAccess:
    farm_db: Path
    emulator_url: str

    def emulator(self, method: str, path: str, payload: dict | None = None) -> dict:
        """Call the emulator's control API (`/_emulator/<path>`): reset, faults, config, stats."""
        response = requests.request(method, f"{self.emulator_url}/_emulator/{path}", json=payload, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else {}

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.farm_db) as conn:
            return conn.execute(query, params).fetchall()
