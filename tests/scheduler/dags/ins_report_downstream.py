"""A downstream team's DAG, as the README shows: scheduled on the weekly report's asset, it reads the week
from the event that triggered it. Deployed next to the production DAG by tests/scheduler/conftest.py."""

from airflow.sdk import DAG, task

from include.ins_report.airflow_edge.assets import REPORT

with DAG("ins_report_downstream", schedule=[REPORT], catchup=False, tags=["test"]):

    @task
    def read_week(**context) -> list[str]:
        return [event.extra["week"] for event in context["triggering_asset_events"][REPORT]]

    read_week()
