"""The one error kind every layer shares: a retry cannot help, so the task fails at once.

The domain raises it (or a subclass naming what went wrong) without knowing Airflow; the Airflow edge turns
it into ``AirflowFailException`` around every task body (include/ins_report/airflow_edge/errors.py), so that
neither Airflow's retries nor the farm database's retry policy are spent on it (docs/design.md, layers).
"""

from __future__ import annotations


class PermanentError(Exception):
    """Retrying cannot change the outcome: configuration, data or the week must be fixed first; the message
    says what to fix."""
