"""devtools/processes.py: a stop reaches every process of a started session, also one that left its parent's
process group, was orphaned (PPID 1) and ignores SIGTERM, as Airflow's forked task processes can be; and the
supervisor stops everything on every way out, an interrupt during the stop included."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from devtools import processes
from tests.support.waiting import wait_for

# A leader that forks a grandchild into a process group of its own (as Airflow's supervisor does with a
# task process), which ignores SIGTERM, writes its pid and sleeps; the leader then exits: the grandchild is
# orphaned, in the leader's session still.
ORPHANING_LEADER = textwrap.dedent(
    """
    import os, signal, sys, time
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with open(sys.argv[1] + ".tmp", "w") as handle:
            handle.write(str(os.getpid()))
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        while True:
            time.sleep(1)
    os._exit(0)
    """
)
SLEEPER = "import time\nwhile True:\n    time.sleep(1)\n"


@pytest.fixture
def orphans():
    """The orphans a test made; any still running afterwards (a failed test) is killed."""
    made: list[psutil.Process] = []
    yield made
    for process in made:
        with contextlib.suppress(psutil.Error):
            process.kill()


def orphan(made: list[psutil.Process], pid_file: Path, start=processes.start) -> psutil.Process:
    leader = start([sys.executable, "-c", ORPHANING_LEADER, str(pid_file)])
    leader.wait(timeout=60)
    # The grandchild renames its pid file into place, maybe after the leader exited: wait for it to appear.
    written = wait_for(
        lambda: pid_file.exists() and pid_file.read_text(), timeout=60, what="the grandchild's pid"
    )
    grandchild = psutil.Process(int(written))
    made.append(grandchild)
    assert os.getsid(grandchild.pid) == leader.pid
    assert os.getpgid(grandchild.pid) == grandchild.pid  # not in the leader's process group
    assert leader.pid not in {grandchild.ppid()}  # orphaned
    return grandchild


def gone(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_stop_reaches_an_orphan_in_its_own_process_group_that_ignores_sigterm(tmp_path, orphans):
    grandchild = orphan(orphans, tmp_path / "pid")
    session = os.getsid(grandchild.pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(session, 0)  # what a group signal to the leader would reach: nothing
    assert [process.pid for process in processes.members({session})] == [grandchild.pid]
    left = processes.stop_sessions({session}, grace=0.2)
    assert left == []
    assert gone(grandchild)
    assert processes.members({session}) == []


def test_a_stop_never_signals_the_callers_own_session():
    assert processes.stop_sessions({os.getsid(0)}, grace=0) == []
    assert psutil.Process().is_running()


def test_the_supervisor_stops_what_a_normal_end_left_running():
    supervisor = processes.Supervisor(grace=5)
    started: list = []

    def main() -> int:
        started.append(supervisor.start([sys.executable, "-c", SLEEPER]))
        return 3

    code, left = supervisor.run(main)
    assert (code, left) == (3, [])
    assert started[0].returncode == -signal.SIGINT  # unwound by the first signal, as Ctrl-C does
    assert signal.getsignal(signal.SIGTERM) is not supervisor._interrupt  # handlers restored


def test_an_interrupt_anywhere_stops_everything_once_even_one_during_the_stop(tmp_path, monkeypatch, orphans):
    """SIGTERM while main prints (not in a wait): main unwinds, the stop runs to its end although a second
    SIGTERM arrives while it waits for a child that ignores SIGTERM, and that child is killed."""
    supervisor = processes.Supervisor(grace=1)
    printed: list[int] = []
    grandchildren: list[psutil.Process] = []

    def main() -> int:
        grandchildren.append(orphan(orphans, tmp_path / "pid", start=supervisor.start))
        supervisor.start([sys.executable, "-c", SLEEPER])
        while len(printed) < 10**7:  # bounded, should the signal never come
            printed.append(len(printed))
            if len(printed) == 100:
                os.kill(os.getpid(), signal.SIGTERM)
        return 0

    real_signal_all = processes._signal_all

    def signal_all(sessions, signum):
        if signum == signal.SIGTERM:
            os.kill(os.getpid(), signal.SIGTERM)  # a second one, in the middle of the stop
        return real_signal_all(sessions, signum)

    monkeypatch.setattr(processes, "_signal_all", signal_all)
    code, left = supervisor.run(main)
    assert code is None
    assert len(printed) < 10**7
    assert supervisor.interrupted_by == signal.SIGTERM
    assert left == []
    assert gone(grandchildren[0])  # orphaned and deaf to SIGTERM: found by its session, killed
    assert all(child.poll() is not None for child in supervisor.children)
