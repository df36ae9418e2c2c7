"""Airflow connections resolved for the layers below, which import no Airflow: the farm database's
connection (``BaseHook.get_connection``) and an API's ``ApiEndpoint`` on the http provider's ``HttpHook``.

An API key is the connection's password; it is registered with Airflow's secrets masker here, in every
spelling that can reach a log line, before any client uses it.
"""

from __future__ import annotations

from urllib.parse import quote, quote_plus

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from include.ins_report.sources.http import ApiEndpoint
from include.ins_report.store.farm_db import FarmDatabase


def farm_database(conn_id: str) -> FarmDatabase:
    """The farm database on Airflow connection ``conn_id`` (its type chooses the SQL dialect)."""
    return FarmDatabase(conn_id, BaseHook.get_connection(conn_id))


def api_key(conn_id: str) -> str:
    """The API key kept in the connection's password, registered with Airflow's secrets masker."""
    password = BaseHook.get_connection(conn_id).password or ""
    # The key travels URL-encoded: mask every spelling that can reach a log line.
    for spelling in {password, quote(password, safe=""), quote_plus(password)} - {""}:
        mask_secret(spelling)
    return password


def api_endpoint(conn_id: str) -> ApiEndpoint:
    """An API's endpoint on http connection ``conn_id``: the hook's sessions carry the connection's auth,
    headers, proxies and TLS options; nothing is read from the connection before the first call."""
    # Imported here, not at the top: the http provider pulls in aiohttp (about 0.3 s), which every task
    # process would pay on parsing the DAG file (tests/dags/test_parse_cost.py).
    from airflow.providers.http.hooks.http import HttpHook

    hook = HttpHook(method="GET", http_conn_id=conn_id)
    return ApiEndpoint(
        conn_id=conn_id,
        read_key=lambda: api_key(conn_id),
        open_session=hook.get_conn,
        url_for=hook.url_from_endpoint,
    )
