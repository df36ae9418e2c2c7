"""`make run` at the worst hour of the week: Monday 03:00 KST, when the week that just ended waits for
Sunday's ASOS values (published ~09:00 KST). The launcher, Airflow and the emulators all run with their
process clock moved there by libfaketime; the run must report the latest published week and succeed."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys

import pendulum
import psutil
import pytest
import requests

from include.ins_report.config.settings import DAG_ID, Settings
from include.ins_report.model import clock
from include.ins_report.model.week import week_before
from include.ins_report.sources import catalog
from tests.conftest import ROOT
from tests.support.faketime import faketime_env, latest_monday_at


def test_make_run_at_monday_0300_kst_reports_the_latest_published_week(tmp_path):
    now = clock.now()
    monday_0300 = latest_monday_at(now, dt.time(3))
    expected = catalog.latest_ready_week(monday_0300, Settings())
    waiting = week_before(monday_0300)
    assert expected.start == waiting.start - dt.timedelta(days=7)  # the week before last, by construction

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "INS_"))},
        **faketime_env(monday_0300, now),
        "INS_LOCAL_DIR": str(tmp_path / "local"),
    }
    result = subprocess.run(
        [sys.executable, "scripts/run_week.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"week {expected}: the latest published; {waiting} waits for Sunday's ASOS values" in output
    assert "EKAPE 14 API calls" in output
    summary = re.search(r"week\s+(\S+) \.\. (\S+) \(Mon-Sun, KST\)\s+outcome: (\w+)", output)
    assert summary, output
    assert summary.groups() == (str(expected.start), str(expected.end), "SUCCESS"), output
    assert re.search(r"rows written\s+TM_WEATHER 308,", output), output
    # Airflow itself ran at the moved clock: a manual run's id is the moment it was created.
    run_id = re.search(r"INS weekly report - run manual__(\S+)", output)
    assert run_id, output
    created = pendulum.parse(run_id.group(1))
    assert monday_0300 <= created < monday_0300.add(minutes=15), (created, monday_0300)


def alive(process: psutil.Process) -> bool:
    """Running and not a zombie (exited, not yet reaped)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def live_in(sessions: set[int]) -> list[str]:
    """``pid command`` of every live process of ``sessions``."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) in sessions and alive(process):
                found.append(f"{process.pid} {' '.join(process.cmdline())}")
        except (OSError, psutil.Error):
            continue
    return found


def test_make_run_of_a_week_still_waiting_says_what_it_waits_for_and_stops_cleanly(tmp_path):
    """WEEK set to the week that waits for Sunday: the screen says what for and until when, repeatedly; a
    SIGTERM stops Airflow, every process it forked and the emulators with it: no process is left in the
    launcher's session or in any session it started."""
    monday_0330 = latest_monday_at(clock.now(), dt.time(3, 30))
    waiting = week_before(monday_0330)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "INS_"))},
        "INS_NOW": monday_0330.isoformat(),  # the batch's and the emulators' clock; Airflow's is not needed
        "INS_LOCAL_DIR": str(tmp_path / "local"),
        "INS_PROGRESS_SECONDS": "3",
        "INS_PUBLICATION_POKE_SECONDS": "5",
    }
    process = subprocess.Popen(
        [sys.executable, "scripts/run_week.py", "--week", str(waiting.start)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # as from a terminal: a session of its own, so this one is never counted
    )
    lines: list[str] = []
    # The processes of the run while it waits (Airflow, task processes it forked, the emulator).
    seen: list[tuple[psutil.Process, int, str]] = []
    try:
        for line in process.stdout:
            lines.append(line)
            if "waiting: ASOS" in line:
                break
        for child in psutil.Process(process.pid).children(recursive=True):
            try:
                seen.append((child, os.getsid(child.pid), " ".join(child.cmdline())))
            except (OSError, psutil.Error):
                continue
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=120)
    output = "".join(lines) + rest
    monday_after = waiting.end + dt.timedelta(days=1)
    assert lines[0].startswith(
        f"week {waiting}: waits for Sunday's ASOS values until ~09:00 KST and EKAPE's final prices until "
        f"~10:00 KST; the run waits for them until {monday_after} 12:00 KST"
    ), output
    said = next(line for line in lines if "waiting: ASOS" in line)
    assert f"{monday_0330:%Y-%m-%d %H:%M} KST: week {waiting} still running" in said
    assert ("not final yet; waiting until" in said) or (f"ASOS {waiting.end} not published yet" in said), said
    assert process.returncode == 130, output
    assert "interrupted (SIGTERM); the Airflow run and the emulators were stopped" in output
    # Airflow and the emulator each ran in a session of their own, which the launcher stopped whole.
    shown = "\n".join(f"{child.pid} sid={sid} {command}" for child, sid, command in seen)
    airflow = [(child, sid) for child, sid, command in seen if f"dags test {DAG_ID}" in command]
    emulator = [(child, sid) for child, sid, command in seen if "devtools.emulator" in command]
    assert any(child.pid == sid for child, sid in airflow), shown  # its forked tasks share its session
    assert any(child.pid == sid for child, sid in emulator), shown
    sessions = {process.pid} | {sid for _, sid, _ in seen}
    assert live_in(sessions) == [], f"left running after the stop:\n{live_in(sessions)}\nseen:\n{shown}"
    assert [f"{child.pid} {command}" for child, _, command in seen if alive(child)] == []
    # No emulator answers on its port any more.
    port = int((tmp_path / "local" / "emulator.port").read_text())
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/_emulator/stats", timeout=2)
