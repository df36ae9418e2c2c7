"""DAG integrity and policy: it imports cleanly, follows the team's rules and has the agreed shape."""

import datetime as dt
from datetime import timedelta

import pendulum
import pytest

from include.ins_report import joblog
from include.ins_report.config.settings import DAG_ID, Settings
from include.ins_report.model.week import resolve_report_week
from tests.conftest import ROOT
from tests.support.dags import parse_dags


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.dags[DAG_ID]


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert list(dagbag.dags) == [DAG_ID]


def test_policy(dag):
    assert "Triage notes" in (dag.doc_md or "")
    assert {"ins", "weekly"} <= set(dag.tags)
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert dag.on_failure_callback
    for task in dag.tasks:
        assert task.owner not in ("", "airflow"), task.task_id
        assert task.task_display_name != task.task_id, f"{task.task_id} needs a readable name"
        if task.task_id not in ("finish_job", "run_weekly_report"):
            assert task.retries >= 2, f"{task.task_id} must retry (production default)"
        if task.task_id != "finish_job":
            assert task.on_failure_callback, f"{task.task_id} must record its failure in the job log"
    assert Settings().task_retries >= 2


def test_the_report_procedure_is_never_retried_by_airflow(dag):
    """At most one call per attempt, never two at once: Airflow does not retry the report task (a timeout, a
    kill or a lost worker may leave the first call running), one instance at a time across runs; the steps
    before the call retry inside the task (include/ins_report/steps/report_call.py)."""
    report = dag.get_task("run_weekly_report")
    assert report.retries == 0
    assert report.max_active_tis_per_dag == 1
    assert dag.get_task("check_collection").retries == Settings().task_retries  # the others keep theirs


def test_every_task_classifies_the_farm_databases_errors(dag):
    """One retry decision for Oracle's errors on every task (mapped ones included): credentials and
    privileges fail at once, lost connections are retried."""
    from include.ins_report.airflow_edge.callbacks import FarmDbRetryPolicy

    for task in dag.tasks:
        policy = task.partial_kwargs.get("retry_policy") if hasattr(task, "partial_kwargs") else None
        policy = policy or task.retry_policy
        assert policy == FarmDbRetryPolicy(Settings().farm_db_conn_id), task.task_id


def test_structure(dag):
    ids = {task.task_id for task in dag.tasks}
    assert ids == {
        "start_job",
        "collect_stats.collect_kosis_series",
        "collect_stats.wait_for_ekape_final",
        "collect_stats.collect_ekape_prices",
        "collect_weather.plan_weather_locations",
        "collect_weather.wait_for_weather_publication",
        "collect_weather.collect_station_weather",
        "check_collection",
        "approve_gaps",
        "run_weekly_report",
        "finish_job",
    }
    gate = dag.get_task("check_collection")
    upstream_of_gate = {task.task_id for task in gate.get_flat_relatives(upstream=True)}
    assert {
        task for task in ids if task.startswith(("collect_stats.", "collect_weather."))
    } <= upstream_of_gate
    assert dag.get_task("approve_gaps").upstream_task_ids == {"check_collection"}
    assert dag.get_task("run_weekly_report").upstream_task_ids == {"approve_gaps"}
    assert dag.get_task("finish_job").upstream_task_ids == {"run_weekly_report"}
    # The two groups run in parallel: neither is upstream of the other.
    stats = dag.get_task("collect_stats.collect_kosis_series")
    assert not any(t.task_id.startswith("collect_weather.") for t in stats.get_flat_relatives(upstream=True))
    assert dag.get_task("start_job").downstream_task_ids == {
        "collect_stats.collect_kosis_series",
        "collect_stats.wait_for_ekape_final",
        "collect_weather.plan_weather_locations",
    }
    # EKAPE is collected once its week is final, waiting in the triggerer (no worker slot held).
    assert dag.get_task("collect_stats.collect_ekape_prices").upstream_task_ids == {
        "collect_stats.wait_for_ekape_final"
    }
    assert dag.get_task("collect_stats.collect_ekape_prices").pool == "ekape_api"


def test_every_source_of_the_catalog_is_enabled_by_default():
    from include.ins_report.config.settings import DEFAULT_SOURCES
    from include.ins_report.sources import catalog

    assert tuple(source.name for source in catalog.SOURCES) == DEFAULT_SOURCES
    assert Settings().sources == Settings.from_env().sources == list(DEFAULT_SOURCES)


def test_the_groups_are_built_from_the_enabled_sources(monkeypatch):
    """INS_SOURCES decides the tasks: without EKAPE and the weather, only KOSIS is collected."""
    monkeypatch.setenv("INS_SOURCES", "kosis")
    bag = parse_dags()
    assert bag.import_errors == {}
    ids = {task.task_id for task in bag.dags[DAG_ID].tasks}
    assert ids == {
        "start_job",
        "collect_stats.collect_kosis_series",
        "check_collection",
        "approve_gaps",
        "run_weekly_report",
        "finish_job",
    }
    monkeypatch.setenv("INS_SOURCES", "kosis,nowhere")
    bag = parse_dags()
    (error,) = bag.import_errors.values()
    assert (
        "INS_SOURCES must be one or more of the catalog's sources (kosis, ekape, kma), comma-separated, "
        "got 'kosis,nowhere' (unknown: nowhere)"
    ) in error


def test_bad_settings_are_one_import_error_naming_each_variable(monkeypatch):
    """A bad INS_* value stops the DAG at parse time (the UI's import errors), not at the report step hours
    later; every bad variable is in the one message, with its value and what is allowed."""
    monkeypatch.setenv("INS_LEGACY_JOB_GUARD", "fial")
    monkeypatch.setenv("INS_EKAPE_FINAL_AT", "25:00")
    monkeypatch.setenv("INS_DIGEST_CHANNELS", "emial")
    monkeypatch.setenv("INS_REPORT_PROCEDURE", "SP_INS_WEEK_MAIN; DROP TABLE TA_FARM")
    bag = parse_dags()
    assert DAG_ID not in bag.dags
    (error,) = bag.import_errors.values()
    assert "4 INS_* settings invalid" in error
    assert "INS_LEGACY_JOB_GUARD must be one of fail, warn, off, got 'fial'" in error
    assert "INS_EKAPE_FINAL_AT must be a time of day HH:MM (KST, 00:00 to 23:59), got '25:00'" in error
    assert "INS_DIGEST_CHANNELS must be alert channels (email, slack, webhook)" in error
    assert "got 'SP_INS_WEEK_MAIN; DROP TABLE TA_FARM'" in error


def test_the_week_param_names_the_first_week(dag):
    from include.ins_report.model.schedule import FIRST_WEEK

    assert str(FIRST_WEEK) in dag.params.get_param("week").description


def test_weather_is_mapped_per_location_with_labels(dag):
    fetch = dag.get_task("collect_weather.collect_station_weather")
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    assert isinstance(fetch, MappedOperator)
    assert fetch.map_index_template == "{{ task.op_kwargs['location']['label'] }}"


WAITS = ("collect_stats.wait_for_ekape_final", "collect_weather.wait_for_weather_publication")


def test_the_waits_defer_to_the_triggerer_and_never_reschedule(dag):
    """Both waits hold no worker slot while they wait: they defer (a trigger, woken within a probe interval
    of the data) and are no reschedule sensors; the pre-#22 sensors are only built on request."""
    from include.ins_report.airflow_edge.waits import FinalTimeWait, StepWait, WeatherPublicationWait

    ekape, asos = (dag.get_task(task_id) for task_id in WAITS)
    assert isinstance(ekape, FinalTimeWait)
    assert isinstance(asos, WeatherPublicationWait)
    for wait in (ekape, asos):
        assert (wait.deferrable, wait.mode, wait.reschedule) == (True, "poke", False), wait.task_id
        assert type(wait).execute_complete is StepWait.execute_complete
    assert asos.pool == "kma_api"  # its worker checks call KMA

    bag = parse_dags(env={"INS_PUBLICATION_WAIT_MODE": "reschedule", "INS_PUBLICATION_POKE_SECONDS": "900"})
    for task_id in WAITS:
        wait = bag.dags[DAG_ID].get_task(task_id)
        assert (wait.deferrable, wait.mode, wait.poke_interval) == (False, "reschedule", 900), task_id


def test_join_and_finish_trigger_rules(dag):
    assert dag.get_task("check_collection").trigger_rule == "none_failed"
    assert dag.get_task("run_weekly_report").trigger_rule == "all_success"
    assert dag.get_task("finish_job").trigger_rule == "all_done"


def test_every_task_is_a_step_of_the_job_log_registry(dag):
    """The DAG's tasks are the registry's steps (joblog.STEPS): task id, display name; each step a distinct
    STEP_NM, a next action, and the tables the alerts count as written."""
    tasks = {task.task_id: task for task in dag.tasks}
    registry = {step.task_id: step for step in joblog.STEPS.values()}
    assert set(tasks) == set(registry)
    for task_id, step in registry.items():
        assert tasks[task_id].task_display_name == step.title, task_id
        assert joblog.step_for_task(task_id) is step
        assert step.next_action
    assert len({step.name for step in joblog.STEPS.values()}) == len(joblog.STEPS)
    assert {step.table for step in joblog.STEPS.values() if step.table} == {
        "TA_STATS_DATA",
        "TM_WEATHER",
        "TR_INS_WEEK_REPORT",
    }


def test_the_schedule_is_defined_once_and_read_by_dag_week_and_deadline(dag):
    from include.ins_report.airflow_edge.timetable import timetable
    from include.ins_report.alerts.deadline import deadline_interval
    from include.ins_report.model import schedule
    from include.ins_report.model.week import ReportWeek

    assert dag.timetable == timetable()
    assert ReportWeek(dt.date(2026, 11, 16)).trigger_time.time() == schedule.TRIGGER_TIME
    assert deadline_interval("12:30") == timedelta(hours=12, minutes=30) - timedelta(
        hours=schedule.TRIGGER_TIME.hour, minutes=schedule.TRIGGER_TIME.minute
    )


def test_schedule_is_monday_0200_kst_with_a_one_week_interval(dag):
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction
    from airflow.timetables.trigger import CronTriggerTimetable

    timetable = coerce_to_core_timetable(dag.timetable)
    assert isinstance(timetable, CronTriggerTimetable)
    info = timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(pendulum.datetime(2026, 11, 18, tz="Asia/Seoul"), None, catchup=True),
    )
    kst = pendulum.timezone("Asia/Seoul")
    assert info.run_after == pendulum.datetime(2026, 11, 23, 2, tz=kst)
    assert info.data_interval.end - info.data_interval.start == timedelta(weeks=1)
    assert resolve_report_week(info.data_interval.end, None).start == dt.date(2026, 11, 16)


def test_week_param_is_declared(dag):
    param = dag.params.get_param("week")
    assert param.value is None
    assert param.schema["format"] == "date"


def test_the_benchmark_baseline_runs_the_products_statistics_with_the_products_defaults(dag):
    """The bench compares designs of the weather collection; the rest must not drift from the product."""
    bench = parse_dags(ROOT / "bench" / "dags")
    assert bench.import_errors == {}
    (naive,) = bench.dags.values()
    stats = sorted(t.task_id for t in dag.tasks if t.task_id.startswith("collect_stats.collect_"))
    assert sorted(t.task_id for t in naive.tasks if t.task_id.startswith("collect_stats.")) == stats
    for name in ("owner", "retries", "retry_delay", "execution_timeout", "on_failure_callback"):
        assert getattr(naive.get_task("check_collection"), name) == getattr(
            dag.get_task("check_collection"), name
        ), name


def test_the_gap_question_asks_for_a_reason_only_assigned_to_the_admins_and_rejects_by_default(dag):
    """The approval task (airflow_edge/approval.py): Approve or Reject, a reason as its only form field
    (the DAG's week param is not part of the question), the admins of INS_ASK_ASSIGNEES, the default
    INS_ASK_DEFAULT on timeout, and the question's notifier."""
    from airflow.providers.standard.operators.hitl import ApprovalOperator

    from include.ins_report.alerts.notifier import InsAlertNotifier

    task = dag.get_task("approve_gaps")
    assert isinstance(task, ApprovalOperator)
    assert task.options == ["Approve", "Reject"]
    assert task.defaults == ["Reject"]
    assert set(task.serialized_params) == {"reason"}
    assert task.assigned_users == [{"id": "admin", "name": "admin"}]
    assert [notifier.kind for notifier in task.notifiers if isinstance(notifier, InsAlertNotifier)] == [
        "question"
    ]
    assert task.retries >= 1  # Airflow 3.3's race of a fast answer ends in a retry, not a failure
    assert task.retry_delay == timedelta(seconds=10)
    with pytest.raises(ValueError, match="not fields of the question"):
        task.validate_params_input({"reason": "x", "week": "2026-11-16"})
