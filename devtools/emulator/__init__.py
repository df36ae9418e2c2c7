"""Local emulator of the two external APIs of the weekly report: KMA ASOS daily (data.go.kr) and KOSIS.

One HTTP server, standard library only, used by tests and local runs instead of the real services::

    python -m devtools.emulator --host 127.0.0.1 --port 0 --port-file .local/emulator.port

or in-process::

    from devtools.emulator import start_emulator

    with start_emulator(now="2024-07-10T12:00:00+09:00") as emulator:
        requests.get(f"{emulator.url}/1360000/AsosDalyInfoService/getWthrDataList", params={...})

Faults, latency and the clock are steered at run time through ``/_emulator/`` (see ``server.py``).
"""

from devtools.emulator.server import EmulatorConfig, EmulatorHandle, start_emulator

__all__ = ["EmulatorConfig", "EmulatorHandle", "start_emulator"]
