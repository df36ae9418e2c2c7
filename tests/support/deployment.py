"""One way to stand up a test deployment: a SQLite farm database, the API emulators as their own process,
real SMTP and webhook receivers, and (for the scheduler tiers) a real Airflow stack on loopback.

Every tier (e2e, scheduler, browser, celery) holds its deployment as a ``Deployment``; the e2e, scheduler and
browser tiers build it with ``local_services`` / ``airflow_deployment``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pendulum
import requests

from devtools.embedded import (
    DEV_KMA_KEY,
    DEV_KOSIS_KEY,
    connection_env,
    emulator_process,
    init_farm_db,
)
from include.ins_report.config.settings import DAG_ID
from include.ins_report.model.week import ReportWeek, week_before
from tests.support import farm_db as farm_db_reads
from tests.support.airflow_stack import AirflowStack
from tests.support.receivers import SmtpReceiver, WebhookReceiver
from tests.support.waiting import wait_for

# The emulators publish day D at D+1 00:00 KST in scheduler stacks, so the scheduled run of the latest week
# (Monday 02:00 KST) finds its data whatever the hour the suite runs. The waiting path has its own tests,
# which set the emulator's clock and publication hour explicitly.
PUBLISHED_BEFORE_THE_SCHEDULE = ("--publish-hour", "0")
NO_QUESTIONS = {"INS_ASK_WEATHER_COVERAGE": "1.0", "INS_ASK_STATS_COVERAGE": "1.0"}
ASKING = {"INS_ASK_WEATHER_COVERAGE": "", "INS_ASK_STATS_COVERAGE": ""}  # blank: the defaults


@dataclass
class Deployment:
    """A test deployment, the one class of every tier; the tiers' conftests only choose what it has: the e2e
    tier a farm database, the emulator and receivers, its runs through ``dag.test()`` in this process
    (``run_week``); the scheduler and browser tiers the same plus a real Airflow stack (``airflow``); the
    Celery tier an Airflow stack on a synthetic farm database, no receivers (``run_week_on_stack``)."""

    farm_db: Path
    emulator_url: str
    smtp: SmtpReceiver | None = None
    webhook: WebhookReceiver | None = None
    slack: WebhookReceiver | None = None
    env: dict[str, str] = field(default_factory=dict)  # the connections of this deployment
    airflow: AirflowStack | None = None
    week: ReportWeek | None = None  # the week the tier runs, where it runs one (browser, celery)
    run_id: str = ""  # the browser tier's scheduled run, waited for by its fixture

    def emulator(self, method: str, path: str, payload: dict | None = None) -> dict:
        """Call the emulator's control API (`/_emulator/<path>`): reset, faults, config, stats."""
        response = requests.request(method, f"{self.emulator_url}/_emulator/{path}", json=payload, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else {}

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        return farm_db_reads.query(self.farm_db, query, params)

    def job_log(self, run_id: str) -> list[farm_db_reads.JobLogRow]:
        return farm_db_reads.job_log(self.farm_db, run_id)

    def week_content(self, week: ReportWeek | None = None) -> dict[str, list[tuple]]:
        """The rows a run leaves for ``week`` (default: the deployment's week)."""
        return farm_db_reads.week_content(self.farm_db, week or self.week)

    def fresh_farm_db(self, farm_set) -> None:
        """The farm database of a clean week from a bench farm set (between runs only)."""
        from bench.generator import write_farm_db

        write_farm_db(self.farm_db, farm_set)

    def run_week(self, week: str):
        """One DAG run for ``week`` through Airflow's ``dag.test()`` in this process, the DAG parsed with the
        settings of this moment (tests/support/dags.py); returns the DagRun."""
        from tests.support.dag_callbacks import dag_test
        from tests.support.dags import parse_dags

        return dag_test(parse_dags().dags[DAG_ID], run_conf={"week": week})

    def trigger_week(self) -> str:
        """A manual run of the deployment's week on its Airflow stack, through the REST API; its run id."""
        return self.airflow.trigger(conf={"week": self.week.start.isoformat()})

    def run_week_on_stack(self, timeout: float = 300) -> tuple[str, str]:
        """``trigger_week`` and wait: the run id and its final state."""
        run_id = self.trigger_week()
        return run_id, self.airflow.wait_for_run(run_id, timeout=timeout, poll=1)

    def start_scheduled_run(self, timeout: float = 120) -> tuple[str, ReportWeek]:
        """Unpause the DAG, as an operator would on a Monday, and return the scheduled run it starts and its
        report week (from the run's own data interval: no wall clock involved)."""
        self.airflow.unpause()
        run = wait_for(
            lambda: next((r for r in self.airflow.runs() if r["run_type"] == "scheduled"), None),
            timeout=timeout,
            what="a scheduled run after unpausing",
        )
        return run["dag_run_id"], week_before(pendulum.parse(run["data_interval_end"]))


@contextmanager
def local_services(
    tmp: Path,
    *,
    emulator_args: tuple[str, ...] = (),
    latency_ms: int = 0,
    slack: str | None = None,
    kma_key: str = DEV_KMA_KEY,
    kosis_key: str = DEV_KOSIS_KEY,
) -> Iterator[Deployment]:
    """Farm database, emulator process and alert receivers; ``Deployment.env`` holds their connections."""
    farm_db = tmp / "farm.db"
    init_farm_db(farm_db)
    keys = ("--kma-key", kma_key, "--kosis-key", kosis_key)
    with ExitStack() as stack:
        smtp = stack.enter_context(SmtpReceiver())
        webhook = stack.enter_context(WebhookReceiver())
        slack_receiver = stack.enter_context(WebhookReceiver()) if slack else None
        port = stack.enter_context(
            emulator_process(tmp, latency_ms=latency_ms, extra_args=(*keys, *emulator_args))
        )
        env = connection_env(
            farm_db, port, smtp_port=smtp.port, webhook_url=webhook.url, kma_key=kma_key, kosis_key=kosis_key
        )
        # The tiers' gap tests are about the gate stopping a week; nobody is asked there (dag.test() would
        # wait for an answer). The questions have their own tests (tests/scheduler/test_gap_approval.py,
        # tests/browser/test_gap_approval.py), which set the floors back to their defaults.
        env.update(NO_QUESTIONS)
        if slack_receiver:
            # A Slack incoming webhook: ``slack`` is the token part of its path, as Slack gives them.
            url = f"{slack_receiver.url.rsplit('/hooks/', 1)[0]}/services/{slack}"
            env["AIRFLOW_CONN_SLACK_ALERTS"] = json.dumps({"conn_type": "slackwebhook", "password": url})
        yield Deployment(farm_db, f"http://127.0.0.1:{port}", smtp, webhook, slack_receiver, env)


@contextmanager
def airflow_deployment(
    tmp: Path,
    settings: dict[str, str],
    *,
    components: tuple[str, ...] | None = None,
    dag_ids: tuple[str, ...] = (DAG_ID,),
    **services,
) -> Iterator[Deployment]:
    """``local_services`` plus a real Airflow stack (API server, scheduler, DAG processor, triggerer) whose
    scheduled runs find their week published (PUBLISHED_BEFORE_THE_SCHEDULE)."""
    services["emulator_args"] = (*PUBLISHED_BEFORE_THE_SCHEDULE, *services.get("emulator_args", ()))
    with local_services(tmp, **services) as deployment:
        # Likewise EKAPE's week is final at Monday 00:00 here (its Sunday has no auction either way).
        env = {**deployment.env, "INS_EKAPE_FINAL_AT": "00:00", **settings}
        with AirflowStack(tmp / "airflow", env, components, dag_ids=dag_ids) as airflow:
            deployment.airflow = airflow
            yield deployment
