"""`make run`: one weekly run end to end on the embedded default, then a summary of what it did.

Initialises the Airflow metadata database and the farm database under .local/, starts the API emulators,
runs the DAG once through Airflow (`airflow dags test`: a real DAG run recorded in the metadata database),
stops the emulators and prints the week, farms, API calls, rows written, the gate and the report.

Airflow and the emulators run in sessions of their own (devtools/processes.py). Whatever ends this script (the
run's end, an error, Ctrl-C or SIGTERM at any moment), every process of those sessions is stopped before it
exits, the task processes `airflow dags test` forks included: SIGTERM, up to 20 s, then SIGKILL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools import hitl  # noqa: E402
from devtools.embedded import (  # noqa: E402
    LOCAL_DIR,
    airflow_env,
    connection_env,
    emulator_process,
    init_farm_db,
)
from devtools.hitl import Question  # noqa: E402
from devtools.processes import Supervisor, describe  # noqa: E402
from include.ins_report import joblog  # noqa: E402
from include.ins_report.alerts.messages.approval import required_action_url, rest_path  # noqa: E402
from include.ins_report.config.settings import DAG_ID, Settings  # noqa: E402
from include.ins_report.model import clock  # noqa: E402
from include.ins_report.model.farms import classify_farms  # noqa: E402
from include.ins_report.model.week import (  # noqa: E402
    InvalidWeekError,
    ReportWeek,
    parse_week_param,
    week_before,
)
from include.ins_report.sources import catalog  # noqa: E402

PROGRESS_SECONDS = float(os.environ.get("INS_PROGRESS_SECONDS") or 30)  # how often a long run speaks
QUESTION_POLL_SECONDS = 3  # how soon a question on the week's gaps is printed, and its default applied
ASK_TIMEOUT = "10m"  # make run's INS_ASK_TIMEOUT unless the environment sets one
STOP_GRACE_SECONDS = 20  # after Ctrl-C or SIGTERM, how long Airflow may take to stop before it is killed
# Every process this script starts, and the stop of all of them on the way out.
SUPERVISOR = Supervisor(grace=STOP_GRACE_SECONDS)


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def airflow(args: list[str], env: dict[str, str], log_path: Path) -> int:
    airflow_bin = str(Path(sys.executable).with_name("airflow"))
    with log_path.open("ab") as log:
        process = SUPERVISOR.start([airflow_bin, *args], env=env, cwd=ROOT, stdout=log, stderr=log)
        try:
            return process.wait()
        finally:
            SUPERVISOR.stop(process)  # anything it left behind; on an interrupt, the command itself


def last_log_id(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COALESCE(MAX(LOG_ID), 0) FROM TS_INS_JOB_LOG").fetchone()[0]


def summary(
    db: Path, since_log_id: int, api_stats: dict, wall: float, log_path: Path, about_week: str
) -> tuple[str, bool]:
    conn = sqlite3.connect(db)
    row = conn.execute(
        "SELECT RUN_ID, REPORT_WEEK FROM TS_INS_JOB_LOG WHERE LOG_ID > ? ORDER BY LOG_ID LIMIT 1",
        (since_log_id,),
    ).fetchone()
    if not row:
        return f"The run wrote nothing to TS_INS_JOB_LOG; Airflow's output is in {log_path}", False
    run_id, week_key = row
    steps = conn.execute(
        "SELECT STEP_NM, STATUS, ROW_COUNT, MESSAGE FROM TS_INS_JOB_LOG WHERE RUN_ID = ? AND LOG_ID > ? "
        "ORDER BY LOG_ID",
        (run_id, since_log_id),
    ).fetchall()
    week_start = f"{week_key[:4]}-{week_key[4:6]}-{week_key[6:]}"
    week_end = (dt.date.fromisoformat(week_start) + dt.timedelta(days=6)).isoformat()
    selection = classify_farms(
        conn.execute("SELECT FARM_NO, FARM_NM, LAT, LON, USE_YN FROM TA_FARM").fetchall()
    )
    # The week's plan as the run wrote it (the manifest), not a fresh read of TA_FARM.
    planned_farms, locations = conn.execute(
        "SELECT COUNT(*), COUNT(DISTINCT POINT_ID) FROM TS_INS_WEEK_FARM WHERE REPORT_WEEK = ?", (week_key,)
    ).fetchone()
    weather_rows = conn.execute(
        "SELECT COUNT(*) FROM TM_WEATHER "
        "WHERE WEATHER_DATE BETWEEN date(?) AND date(?, '+6 days') AND RUN_ID = ?",
        (week_start, week_start, run_id),
    ).fetchone()[0]
    stats_rows = conn.execute("SELECT COUNT(*) FROM TA_STATS_DATA WHERE RUN_ID = ?", (run_id,)).fetchone()[0]
    report_rows = conn.execute(
        "SELECT COUNT(*) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ?", (week_key,)
    ).fetchone()[0]
    job_rows = len(steps)
    gate = next(((status, message) for step, status, _, message in steps if step == "CHECK_COLLECTION"), None)
    gate_counts = joblog.parse_gate_counts(gate[1] if gate else None) or {}
    finish = next((status for step, status, _, _ in reversed(steps) if step == "FINISH_JOB"), "NOT RECORDED")
    report_row = next(
        (message for step, _, _, message in reversed(steps) if step == "RUN_WEEKLY_REPORT"), None
    )
    report_message = joblog.ReportMessage.parse(report_row)
    periods = (
        ", ".join(f"{name} {text}" for name, text in report_message.periods.items()) if report_message else ""
    )
    statistics = []
    for source in catalog.statistics_sources(Settings.from_env()):
        rows = conn.execute(
            "SELECT ITEM_ID, CATEGORY_ID, PERIOD, VALUE FROM TA_STATS_DATA WHERE SOURCE = ? AND RUN_ID = ?",
            (source.source, run_id),
        ).fetchall()
        calls = api_stats.get(source.name, {}).get("requests", "?")
        description = source.describe(rows)
        described = f"; {description}" if description else ""
        statistics.append(f"{source.label} {calls} API calls, {len(rows)} rows{described}")
    price = conn.execute(
        "SELECT AVG(PIG_PRICE_AVG), COUNT(PIG_PRICE_AVG) FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ?",
        (week_key,),
    ).fetchone()
    hot = conn.execute(
        "SELECT FARM_NO, FARM_NM, MAX_THI, HEAT_STRESS_DAYS FROM TR_INS_WEEK_REPORT WHERE REPORT_WEEK = ? "
        "ORDER BY MAX_THI DESC, FARM_NO LIMIT 3",
        (week_key,),
    ).fetchall()
    conn.close()

    lines = [
        "",
        f"INS weekly report - run {run_id}",
        f"  week            {week_start} .. {week_end} (Mon-Sun, KST)   outcome: {finish}",
        f"                  {about_week}",
        f"  farms           {planned_farms} in the week's plan, {len(selection.excluded)} rows excluded, "
        f"{selection.inactive} inactive",
    ]
    lines += [
        f"                  excluded {farm.farm_no or '?'} {farm.name}: {farm.reason}"
        for farm in selection.excluded
    ]
    lines += [
        f"  weather         {locations} ASOS locations, "
        f"{api_stats.get('kma', {}).get('requests', '?')} KMA API calls",
        *[f"  {'statistics' if i == 0 else '':<16}{line}" for i, line in enumerate(statistics)],
        f"  rows written    TM_WEATHER {weather_rows}, TA_STATS_DATA {stats_rows}, "
        f"TR_INS_WEEK_REPORT {report_rows}, TS_INS_JOB_LOG {job_rows}",
        "  gate            " + (f"{gate[0]}: {joblog.gate_headline(gate[1])}" if gate else "not reached"),
        "                  by kind: " + (" ".join(f"{kind}={n}" for kind, n in gate_counts.items()) or "-"),
        f"  report          {report_rows} farm rows for week {week_key}",
        f"                  periods read: {periods or '-'}",
        "                  national pig carcass price (EKAPE, 등외 excl.): "
        + (f"{price[0]:,.1f} 원/kg in {price[1]} rows" if price and price[1] else "not in the report"),
    ]
    lines += [
        f"                  hottest: {no} {name} max THI {thi} ({days} heat-stress days)"
        for no, name, thi, days in hot
    ]
    lines += [
        "  job log         " + ", ".join(f"{step}={status}" for step, status, _, _ in steps[:3]) + ", ...",
        f"  wall time       {wall:.1f} s    (Airflow output: {shown(log_path)})",
        "",
    ]
    return "\n".join(lines), finish == "SUCCESS"


def station_down(port: int, station: str) -> None:
    """The emulator answers ``station`` without data for the whole run (an outage)."""
    fault = {"api": "kma", "scenario": "nodata", "count": None, "match": {"stnIds": station}}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/_emulator/faults",
        data=json.dumps(fault).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def choose_week(requested: str, settings: Settings, now: dt.datetime) -> tuple[ReportWeek, str]:
    """The week to run and a sentence about its data. Without a request: the latest week every enabled
    source has published at ``now`` (before Monday ~10:00 KST, the week before last). InvalidWeekError on a
    bad one."""

    def waits(week: ReportWeek) -> str:
        return " and ".join(
            f"{source.ready_what} until ~{moment:%H:%M} KST"
            for source, moment in sorted(catalog.pending(week, settings, now), key=lambda item: item[1])
        )

    if not requested:
        week, newest = catalog.latest_ready_week(now, settings), week_before(now)
        if newest == week:
            return week, f"week {week}: the latest published"
        return week, f"week {week}: the latest published; {newest} waits for {waits(newest)}"
    week = parse_week_param(requested, now=now)
    if not catalog.pending(week, settings, now):
        return week, f"week {week}: published"
    wait_until = week.monday_after(settings.publication_wait_time)
    return week, (
        f"week {week}: waits for {waits(week)}; the run waits for them until "
        f"{wait_until:%Y-%m-%d %H:%M} KST, as the scheduled Monday run does"
    )


def latest_wait_line(log_path: Path, since: int) -> tuple[str | None, int]:
    """The newest "... waiting until ..." line (a source not published or final yet) that Airflow's
    output gained since byte ``since``."""
    with log_path.open("rb") as log:
        log.seek(since)
        chunk = log.read()
    lines = [line for line in chunk.decode("utf-8", "replace").splitlines() if "waiting until" in line]
    return (lines[-1].strip() if lines else None), since + len(chunk)


def print_question(question: Question, env: dict[str, str], timeout: str) -> None:
    """The question on the week's gaps, where to answer it and when the default applies."""
    base = env["INS_AIRFLOW_BASE_URL"]
    page = required_action_url(Settings.from_env(env), question.run_id)
    path = rest_path(question.run_id)
    answer_by = (
        f"{question.answer_by.astimezone(clock.KST):%Y-%m-%d %H:%M} KST" if question.answer_by else "?"
    )
    rule = "  " + "-" * 100
    print(
        "\n".join(
            [
                "",
                f"  DECISION NEEDED: {question.subject}",
                rule,
                *(f"  {line}" for line in question.body.splitlines()),
                rule,
                f"  Answer by {answer_by} (INS_ASK_TIMEOUT={timeout}); then the default applies.",
                f"    UI:    {page}   (login admin / admin)",
                f"    REST:  TOKEN=$(curl -s -X POST {base}/auth/token -H 'Content-Type: application/json' "
                '-d \'{"username":"admin","password":"admin"}\' | python3 -c '
                "'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
                f'           curl -X PATCH {base}{path} -H "Authorization: Bearer $TOKEN" '
                "-H 'Content-Type: application/json' "
                '-d \'{"chosen_options": ["Approve"], "params_input": {"reason": "why"}}\'',
                '    here:  make answer DECISION=approve REASON="why"      (or DECISION=reject)',
                "",
            ]
        ),
        flush=True,
    )


def run_airflow_with_progress(
    args: list[str], env: dict[str, str], log_path: Path, week: ReportWeek, airflow_home: Path
) -> int:
    """Run the DAG through Airflow, saying on the screen at least once a minute what it is doing (a run
    that waits for Sunday's publication would otherwise be silent for hours). A question on the week's
    gaps is printed with where to answer it (an API server is started for the UI and the REST call), and
    its timeout's default is applied when it is due (devtools/hitl.py). However this ends, Airflow's
    sessions are stopped before it returns (task processes that outlived ``airflow dags test`` included)."""
    airflow_bin = str(Path(sys.executable).with_name("airflow"))
    started, offset, waiting_line = time.monotonic(), log_path.stat().st_size, None
    spoke = started
    asked: set[str] = set()
    api_server = None
    with log_path.open("ab") as log:
        process = SUPERVISOR.start([airflow_bin, *args], env=env, cwd=ROOT, stdout=log, stderr=log)
        try:
            while True:
                try:
                    return process.wait(timeout=QUESTION_POLL_SECONDS)
                except subprocess.TimeoutExpired:
                    pass
                for question in hitl.waiting(airflow_home / "airflow.db"):
                    if question.run_id not in asked:
                        asked.add(question.run_id)
                        if api_server is None:
                            api_server = SUPERVISOR.start(
                                [
                                    airflow_bin,
                                    "api-server",
                                    "--host",
                                    "127.0.0.1",
                                    "--port",
                                    env["AIRFLOW__API__PORT"],
                                ],
                                env=env,
                                cwd=ROOT,
                                stdout=log,
                                stderr=log,
                            )
                        print_question(question, env, env["INS_ASK_TIMEOUT"])
                    if question.answer_by and clock.now() >= question.answer_by:
                        print("  nobody answered in time: the default applies", flush=True)
                        hitl.apply_timeouts(env)
                if time.monotonic() - spoke < PROGRESS_SECONDS:
                    continue
                spoke = time.monotonic()
                line, offset = latest_wait_line(log_path, offset)
                waiting_line = line or waiting_line
                elapsed, now = time.monotonic() - started, clock.now()
                status = f"  ... {elapsed:.0f} s, {now:%Y-%m-%d %H:%M} KST: week {week} still running"
                if asked and hitl.waiting(airflow_home / "airflow.db"):
                    status += "; waiting for the decision on its gaps (above)"
                elif waiting_line:
                    status += f"; waiting: {waiting_line.split('] ', 1)[-1][:200]}"
                print(status, flush=True)
        finally:
            # Ctrl-C / SIGTERM anywhere above (the progress print included): the run stops with us.
            SUPERVISOR.stop(*[child for child in (process, api_server) if child is not None])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--week", default="", help="Monday of the week to report (YYYY-MM-DD); default: the latest published"
    )
    parser.add_argument(
        "--station-down",
        default="",
        help="an ASOS station id the emulator answers without data (a demo of the question on gaps)",
    )
    parser.add_argument("--api-port", type=int, default=8080, help="the API server's port, for answers")
    args = parser.parse_args()
    started = time.monotonic()
    try:
        week, about_week = choose_week(args.week, Settings.from_env(), clock.now())
    except (InvalidWeekError, ValueError) as exc:
        print(f"make run: {exc}", file=sys.stderr)
        return 2
    print(about_week)

    LOCAL_DIR.mkdir(exist_ok=True)
    (LOCAL_DIR / "logs").mkdir(exist_ok=True)
    log_path = LOCAL_DIR / "logs" / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log"
    log_path.touch()
    farm_db = LOCAL_DIR / "farm.db"
    seeded = init_farm_db(farm_db)
    print(f"farm database {shown(farm_db)}" + (f" (seeded {seeded} farm rows)" if seeded else ""))
    # The API server that answers a question on the week's gaps (started only when one is asked).
    env = {**os.environ, **airflow_env(LOCAL_DIR / "airflow", api_port=args.api_port)}
    # `airflow dags test` cannot run a DAG with a deadline alert (Airflow 3.3.2); it needs a scheduler anyway.
    env["INS_REPORT_DEADLINE"] = "off"
    # A question on the week's gaps waits this long here (not until 12:00 KST), so an unattended run ends.
    env["INS_ASK_TIMEOUT"] = os.environ.get("INS_ASK_TIMEOUT") or ASK_TIMEOUT
    if catalog.pending(week, Settings.from_env(), clock.now()):
        # `airflow dags test` runs a deferred task's trigger in line, every other task waiting for it: EKAPE's
        # wait until 10:00 would hold the ASOS wait and its progress. A week still waiting uses the
        # reschedule sensors here, which take turns; the deferrable waits run on a scheduler (make airflow).
        env.setdefault("INS_PUBLICATION_WAIT_MODE", "reschedule")
    passwords = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    passwords.parent.mkdir(parents=True, exist_ok=True)
    if not passwords.exists():
        passwords.write_text(json.dumps({"admin": "admin"}))  # the embedded default's login for answers
    print("airflow metadata database: migrating ...")
    if airflow(["db", "migrate"], env, log_path) != 0:
        print(f"airflow db migrate failed; see {log_path}", file=sys.stderr)
        return 1

    since = last_log_id(farm_db)
    with emulator_process(LOCAL_DIR) as port:
        env.update(connection_env(farm_db, port))
        if args.station_down:
            station_down(port, args.station_down)
            print(f"station {args.station_down} answers without data (--station-down): its farms have gaps")
        print(f"API emulators on 127.0.0.1:{port}; running {DAG_ID} for week {week} through Airflow ...")
        command = ["dags", "test", DAG_ID, "-c", json.dumps({"week": week.start.isoformat()})]
        code = run_airflow_with_progress(command, env, log_path, week, LOCAL_DIR / "airflow")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/stats", timeout=10) as response:
            api_stats = json.load(response)
    text, succeeded = summary(farm_db, since, api_stats, time.monotonic() - started, log_path, about_week)
    print(text)
    if code != 0 or not succeeded:
        print(f"the run did not succeed (airflow exit code {code}); see {log_path}", file=sys.stderr)
        return 1
    return 0


def launch() -> int:
    """main() under the supervisor: SIGINT, SIGTERM (a CI timeout, `kill`) and SIGHUP unwind it, and every
    process it started is stopped, whatever ended it."""
    code, left = SUPERVISOR.run(main)
    if left:
        print(f"make run: these processes of the run did not stop: {describe(left)}", file=sys.stderr)
    if code is None:
        name = signal.Signals(SUPERVISOR.interrupted_by).name if SUPERVISOR.interrupted_by else "interrupt"
        if not left:
            print(
                f"make run: interrupted ({name}); the Airflow run and the emulators were stopped",
                file=sys.stderr,
            )
        return 130
    return 1 if left else code


if __name__ == "__main__":
    sys.exit(launch())
