"""The Airflow edge's mapping of domain errors (include/ins_report/airflow_edge/errors.py): a failure that a
retry cannot help fails the task at once as an AirflowFailException (no retry, no retry policy), and the job
log names the domain error exactly as before the mapping existed."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowFailException

from include.ins_report.airflow_edge.errors import failing_at_once
from include.ins_report.model.errors import PermanentError
from include.ins_report.model.week import InvalidWeekError
from include.ins_report.sources.errors import PermanentApiError, TransientApiError
from include.ins_report.steps.gate import CollectionIncompleteError
from include.ins_report.steps.report_call import ReportCallNotRetried
from include.ins_report.store.oracle_errors import describe_error


def mapped(error: BaseException) -> BaseException:
    """What leaves ``failing_at_once`` when a task body raises ``error``."""
    try:
        with failing_at_once():
            raise error
    except BaseException as left:
        return left
    raise AssertionError("nothing was raised")


@pytest.mark.parametrize(
    ("error", "described"),
    [
        (PermanentApiError("EKAPE", "30", "key refused"), "PermanentApiError: EKAPE [30] key refused"),
        (
            CollectionIncompleteError("collection incomplete"),
            "CollectionIncompleteError: collection incomplete",
        ),
        (
            InvalidWeekError("week=2026-11-18 is a Wednesday"),
            "InvalidWeekError: week=2026-11-18 is a Wednesday",
        ),
        # A decision without a class of its own reads as the AirflowFailException it always was.
        (PermanentError("the week needs 12 KMA calls"), "AirflowFailException: the week needs 12 KMA calls"),
    ],
)
def test_a_permanent_error_fails_at_once_and_the_job_log_names_the_domain_error(error, described):
    raised = mapped(error)
    assert isinstance(raised, AirflowFailException)  # Airflow neither retries it nor asks the retry policy
    assert raised.__cause__ is error
    assert describe_error(raised) == described


def test_a_wrapper_that_reports_its_cause_keeps_naming_it():
    cause = ValueError("ORA-20001: SP_INS_WEEK_MAIN failed")
    try:
        raise ReportCallNotRetried("not retried automatically") from cause
    except ReportCallNotRetried as error:
        raised = mapped(error)
    assert (
        describe_error(raised) == "ValueError: ORA-20001: SP_INS_WEEK_MAIN failed [not retried automatically]"
    )


def test_other_errors_pass_unchanged():
    transient = TransientApiError("KMA ASOS", "timeout", "no answer")
    assert mapped(transient) is transient  # Airflow's retries (and the retry policy) still apply
