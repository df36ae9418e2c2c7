"""Airflow 3.3.x cannot clear a run that has a deadline still pending on ``DAGRUN_QUEUED_AT``, and every run
of ins_weekly_report has one (INS_REPORT_DEADLINE, 12:30 KST by default). Clearing a task of such a run (the
runbook's "clear the failed station with Downstream", on a Monday morning before 12:30) answers HTTP 500
("Internal Server Error" in the UI) and the api-server logs ``TypeError: unsupported type for timedelta
seconds component: dict``: ``clear_task_instances`` re-computes the deadline from the alert's interval as if
it were a number of seconds, while since 3.3.0 it is stored as JSON (apache/airflow#70368, fix proposed in
apache/airflow#70370).

Until an Airflow release has the fix, this plugin replaces that one function with one that decodes the
interval the way Airflow does when it creates the run's deadline. It patches only while the installed
function still has the faulty line, so an Airflow with the fix is left alone (and this file can go). The
API server loads it with the plugins, before it serves a request."""

from __future__ import annotations

import inspect
import logging

from airflow.plugins_manager import AirflowPlugin

log = logging.getLogger(__name__)
FAULTY_LINE = "timedelta(seconds=deadline_alert.interval)"


def recalculate_dagrun_queued_at_deadlines(dagrun, new_queued_at, session) -> None:
    """Move the run's pending queued-at deadlines to ``new_queued_at`` + the alert's interval (Airflow's
    ``_recalculate_dagrun_queued_at_deadlines``, with the interval decoded)."""
    from airflow.models.deadline import Deadline, ReferenceModels
    from airflow.models.deadline_alert import DeadlineAlert as DeadlineAlertModel
    from airflow.serialization.decoders import decode_deadline_alert
    from airflow.serialization.definitions.deadline import DeadlineAlertFields, SerializedVariableInterval
    from airflow.serialization.enums import DagAttributeTypes, Encoding
    from sqlalchemy import false, select

    results = session.execute(
        select(Deadline, DeadlineAlertModel)
        .join(DeadlineAlertModel, Deadline.deadline_alert_id == DeadlineAlertModel.id)
        .where(
            Deadline.dagrun_id == dagrun.id,
            Deadline.missed == false(),
            DeadlineAlertModel.reference[ReferenceModels.REFERENCE_TYPE_FIELD].as_string()
            == ReferenceModels.DagRunQueuedAtDeadline.__name__,
        )
    ).all()
    for deadline, alert in results:
        interval = decode_deadline_alert(
            {
                Encoding.TYPE: DagAttributeTypes.DEADLINE_ALERT,
                Encoding.VAR: {
                    DeadlineAlertFields.REFERENCE: alert.reference,
                    DeadlineAlertFields.INTERVAL: alert.interval,
                    DeadlineAlertFields.CALLBACK: alert.callback_def,
                },
            }
        ).interval
        if isinstance(interval, SerializedVariableInterval):
            interval = interval.resolve()
        deadline.deadline_time = new_queued_at + interval
    # No flush or commit: the caller commits, as in Airflow's own function.


def install() -> bool:
    """Replace Airflow's function if it is the faulty one; True if it was replaced."""
    from airflow.models import taskinstance

    current = getattr(taskinstance, "_recalculate_dagrun_queued_at_deadlines", None)
    if current is None or current is recalculate_dagrun_queued_at_deadlines:
        return False
    try:
        source = inspect.getsource(current)
    except OSError:  # no source installed: leave Airflow as it is
        log.warning("Cannot read the source of %s: not patched (apache/airflow#70368)", current)
        return False
    if FAULTY_LINE not in source:
        return False
    taskinstance._recalculate_dagrun_queued_at_deadlines = recalculate_dagrun_queued_at_deadlines
    log.info("Patched clear_task_instances' queued-at deadline recalculation (apache/airflow#70368)")
    return True


install()


class DeadlineClearFix(AirflowPlugin):
    name = "ins_deadline_clear_fix"
