"""Domain errors onto Airflow's failure semantics, at the edge of every task body.

Below the edge a failure that a retry cannot help is a plain ``PermanentError``
(include/ins_report/model/errors.py). Airflow fails a task at once, without its retries and without the
task's ``retry_policy``, only for an ``AirflowFailException``: ``failing_at_once`` raises one in its place.
The job log keeps naming the domain error (``PermanentApiError: ...``): the raised exception stands for its
cause in ``store/oracle_errors.describe_error``. A bare ``PermanentError`` (a decision with a message and no
class of its own) is raised as the plain ``AirflowFailException`` it always was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from airflow.sdk.exceptions import AirflowFailException

from include.ins_report.model.errors import PermanentError


class FailedAtOnce(AirflowFailException):
    """A domain error that a retry cannot help, as Airflow must see it; the job log and the alerts name the
    domain error itself (its ``__cause__``)."""

    stands_for_cause = True  # store/oracle_errors.describe_error describes the cause instead


@contextmanager
def failing_at_once() -> Iterator[None]:
    """Around a task body: a ``PermanentError`` fails the task at once (no retry, no retry policy)."""
    try:
        yield
    except PermanentError as exc:
        if type(exc) is PermanentError:
            raise AirflowFailException(str(exc)) from exc
        raise FailedAtOnce(str(exc)) from exc
