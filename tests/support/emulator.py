"""The API emulator (devtools/emulator) as a real local server shared by the whole test session: one server
per set of API keys, handed to each test reset and configured as the test's ``emulator`` marker asks.

A module states what it needs once, e.g. ``pytestmark = pytest.mark.emulator(now=NOW, kosis_lag_days=0)``;
the keys (``kma_key``, ``kosis_key``, ``ekape_key``) pick the server, the other fields are the emulator's
runtime settings (``EmulatorState.configure``), applied over its defaults before every test."""

from __future__ import annotations

import dataclasses
from typing import Any

from devtools.emulator import start_emulator
from devtools.emulator.server import RUNTIME_SETTINGS, EmulatorConfig, EmulatorHandle

KEYS = ("kma_key", "kosis_key", "ekape_key")
# What EmulatorState.configure accepts, at EmulatorConfig's defaults: every test starts from these.
RUNTIME_DEFAULTS = {name: getattr(EmulatorConfig(), name) for name in RUNTIME_SETTINGS}


class EmulatorServers:
    """The session's emulator servers, started on first use (one per key set) and stopped at its end."""

    def __init__(self) -> None:
        self._servers: dict[tuple[str, ...], EmulatorHandle] = {}

    def get(self, **settings: Any) -> EmulatorHandle:
        """The server with these keys, its faults and counters cleared and its settings the defaults
        overridden by ``settings``."""
        unknown = set(settings) - set(KEYS) - set(RUNTIME_DEFAULTS)
        if unknown:
            raise ValueError(f"not an emulator setting: {sorted(unknown)}")
        keys = {name: settings.pop(name, getattr(EmulatorConfig(), name)) for name in KEYS}
        server_key = tuple(keys[name] for name in KEYS)
        if server_key not in self._servers:
            self._servers[server_key] = start_emulator(dataclasses.replace(EmulatorConfig(), **keys))
        server = self._servers[server_key]
        server.configure(**{**RUNTIME_DEFAULTS, **settings})
        server.reset()  # after configure: a new EKAPE quota keeps the calls already counted
        return server

    def stop(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()
