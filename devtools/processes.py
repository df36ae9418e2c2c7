"""Child processes in sessions of their own, and a stop that reaches every process of such a session.

``airflow dags test`` forks a process per task and Airflow's supervisor puts each into a process group of
its own (``setpgid``), so a signal to the Airflow command or to its process group misses them, and a killed
parent leaves them running with PPID 1. They stay in the session, though: a child started here leads a new
session (``start_new_session``) that holds everything it starts, whoever their parent is later. A stop
signals every process of the session by session id: SIGINT (Ctrl-C, on which ``airflow dags test`` unwinds
at once; it ignores SIGTERM), SIGTERM, each with a bounded wait, then SIGKILL, until none is left. Zombies
(exited, not yet reaped) count as gone.

Used by ``make run``, ``make airflow`` and the emulator process of the tests; no Airflow import.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterable
from contextlib import suppress

import psutil

POLL_SECONDS = 0.1
KILL_WAIT_SECONDS = 10.0  # after SIGKILL: the kernel's time to tear processes down, on a loaded machine


def start(command: list[str], **popen_kwargs) -> subprocess.Popen:
    """``subprocess.Popen`` in a new session (its process id is the session id)."""
    return subprocess.Popen(command, start_new_session=True, **popen_kwargs)


def _session_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:  # gone, or not ours to see
        return None


def members(sessions: Iterable[int]) -> list[psutil.Process]:
    """The live processes (not zombies) of ``sessions``."""
    wanted = set(sessions)
    found = []
    for process in psutil.process_iter():
        if _session_of(process.pid) not in wanted:
            continue
        with suppress(psutil.Error):
            if process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
    return found


def child_sessions() -> set[int]:
    """The sessions of this process's descendants other than its own (also those not registered yet: a
    child whose ``Popen`` call was interrupted)."""
    own = os.getsid(0)
    found = set()
    with suppress(psutil.Error):
        for child in psutil.Process().children(recursive=True):
            session = _session_of(child.pid)
            if session is not None and session != own:
                found.add(session)
    return found


INTERRUPT_WAIT_SECONDS = 5.0  # for the processes to unwind on SIGINT before SIGTERM


def _signal_all(sessions: set[int], signum: int) -> list[psutil.Process]:
    alive = members(sessions)
    for process in alive:
        with suppress(psutil.Error):
            process.send_signal(signum)
    return alive


def _wait_gone(sessions: set[int], timeout: float, reap: Iterable[subprocess.Popen]) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while True:
        for child in reap:
            child.poll()  # a direct child's zombie goes away only when waited for
        alive = members(sessions)
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(POLL_SECONDS)


def stop_sessions(
    sessions: Iterable[int], *, grace: float, reap: Iterable[subprocess.Popen] = ()
) -> list[psutil.Process]:
    """Stop every process of ``sessions``: SIGINT, as a terminal's Ctrl-C (``airflow dags test`` unwinds on
    it, while it ignores SIGTERM), up to INTERRUPT_WAIT_SECONDS; then SIGTERM and up to ``grace`` seconds;
    then SIGKILL (repeated for any process started meanwhile) for up to KILL_WAIT_SECONDS. Returns what is
    still alive after that (normally nothing). Never signals the caller's own session."""
    own = os.getsid(0)
    sessions = {session for session in sessions if session != own}
    reap = list(reap)
    if not sessions:
        return []
    if not _signal_all(sessions, signal.SIGINT):
        _wait_gone(sessions, 0, reap)
        return []
    alive = _wait_gone(sessions, INTERRUPT_WAIT_SECONDS, reap)
    if alive:
        _signal_all(sessions, signal.SIGTERM)
        alive = _wait_gone(sessions, grace, reap)
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    while alive and time.monotonic() < deadline:
        _signal_all(sessions, signal.SIGKILL)
        alive = _wait_gone(sessions, min(1.0, max(0.0, deadline - time.monotonic())), reap)
    for child in reap:
        with suppress(subprocess.TimeoutExpired):
            child.wait(timeout=1)
    return alive


def describe(processes: Iterable[psutil.Process]) -> str:
    """``pid command`` of each process, for a message."""
    shown = []
    for process in processes:
        with suppress(psutil.Error):
            shown.append(f"{process.pid} {' '.join(process.cmdline())[:120]}")
    return "; ".join(shown) or "-"


class Supervisor:
    """The sessions a launcher starts, all stopped on every way out of it: a normal end, an exception, or
    SIGINT / SIGTERM / SIGHUP at any point (the first one unwinds as KeyboardInterrupt; later ones are
    ignored, so that the stop they asked for is not itself interrupted)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self, *, grace: float) -> None:
        self.grace = grace
        self.children: list[subprocess.Popen] = []
        self.stopping = False
        self.interrupted_by: int | None = None

    def start(self, command: list[str], **popen_kwargs) -> subprocess.Popen:
        child = start(command, **popen_kwargs)
        self.children.append(child)
        return child

    def stop(self, *children: subprocess.Popen) -> list[psutil.Process]:
        """Stop these children's sessions, all at once (what they left behind included); returns what did not
        stop."""
        return stop_sessions({child.pid for child in children}, grace=self.grace, reap=children)

    def _interrupt(self, signum, frame) -> None:
        if self.stopping:
            return  # the stop is under way: it finishes
        self.stopping = True
        self.interrupted_by = signum
        raise KeyboardInterrupt(f"signal {signum}")

    def _stop_all(self) -> list[psutil.Process]:
        sessions = {child.pid for child in self.children} | child_sessions()
        return stop_sessions(sessions, grace=self.grace, reap=self.children)

    def run(self, main) -> tuple[int | None, list[psutil.Process]]:
        """``main()`` under this supervision; then every session it started is stopped, whatever happened.
        Returns main's exit code (None when interrupted) and the processes that did not stop. An exception
        other than an interrupt propagates, after the stop."""
        previous = {signum: signal.signal(signum, self._interrupt) for signum in self.SIGNALS}
        code: int | None = None
        left: list[psutil.Process] = []
        try:
            code = main()
        except KeyboardInterrupt:
            code = None
        finally:
            while True:  # an interrupt that lands before `stopping` is set: stop again, it is idempotent
                try:
                    self.stopping = True
                    left = self._stop_all()
                    break
                except KeyboardInterrupt:
                    code = None
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return code, left
