"""The Oracle error catalogue: the code of an error (``ORA-20001``, python-oracledb's ``DPY-``) and what it
means for the operator; how an exception is named in the job log and the alerts."""

from __future__ import annotations

import re

ORACLE_CODE = re.compile(r"\b(?:ORA|DPY)-\d{4,5}\b")
ORACLE_HINTS = {
    "ORA-00054": "a table the procedure needs is locked by another session; clear the task to retry",
    "ORA-00060": "deadlock detected; clear the task to retry",
    "ORA-00942": "a table or view does not exist or is not granted to the batch's user",
    "ORA-01017": "invalid user name or password: fix the farm_db connection",
    "ORA-01555": "snapshot too old: retry outside the heaviest load, or ask the DBA about undo retention",
    "ORA-01653": "a tablespace is full: ask the DBA",
    "ORA-01654": "an index tablespace is full: ask the DBA",
    "ORA-04068": "the procedure's package state was discarded (recompiled); clearing the task is enough",
    "ORA-06550": "PL/SQL compilation error: the procedure or the call is invalid (see the PLS- line)",
    "ORA-12170": "connect timeout: the database host is unreachable (network, firewall)",
    "ORA-12514": "the listener does not know the service: check service_name in the farm_db connection",
    "ORA-12541": "no listener: the database is down or host/port in the farm_db connection are wrong",
    "ORA-28000": "the batch's database account is locked: ask the DBA",
    "ORA-30036": "the undo tablespace is full: ask the DBA",
}


def error_class(exc: BaseException) -> str:
    """The exception's class as an operator can look it up: ``oracledb.DatabaseError``,
    ``sqlite3.OperationalError``, ``PermanentApiError``."""
    module = type(exc).__module__ or ""
    top = module.split(".", 1)[0]
    if top in ("builtins", "include", "__main__", "airflow", ""):
        return type(exc).__name__
    return f"{top}.{type(exc).__name__}"


def oracle_code(error: BaseException | str | None) -> str | None:
    """The first Oracle error code (``ORA-20001``; or a python-oracledb ``DPY-`` code) of an exception, its
    causes, or a message."""
    seen = 0
    while isinstance(error, BaseException) and seen < 5:
        first = error.args[0] if error.args else None
        full_code = getattr(first, "full_code", None)  # python-oracledb's _Error
        if isinstance(full_code, str) and ORACLE_CODE.fullmatch(full_code):
            return full_code
        match = ORACLE_CODE.search(str(error))
        if match:
            return match[0]
        error = error.__cause__ or error.__context__
        seen += 1
    if isinstance(error, str):
        match = ORACLE_CODE.search(error)
        return match[0] if match else None
    return None


def oracle_hint(code: str | None) -> str:
    if not code:
        return ""
    if code == "DPY-4024":
        return (
            "the call exceeded INS_REPORT_TIMEOUT (python-oracledb call_timeout): check on the server that "
            "the procedure no longer runs before clearing the task"
        )
    if code.startswith("DPY-"):
        return "a python-oracledb driver error (connection or protocol), not raised by the database"
    number = int(code.split("-")[1])
    if 20000 <= number <= 20999:
        return "raised by the procedure itself (RAISE_APPLICATION_ERROR): its message says what is wrong"
    return ORACLE_HINTS.get(code, "see the Oracle error reference for this code")


def describe_error(exc: BaseException | None) -> str:
    """``Class: message`` (an Oracle error keeps its lines), never empty."""
    if exc is None:
        return "no exception reported: the task was killed, timed out or lost its heartbeat"
    if getattr(exc, "reports_cause", False) and exc.__cause__ is not None:
        # A wrapper that only changes how Airflow treats the error (no retry): the cause is the error.
        return f"{describe_error(exc.__cause__)} [{exc}]"
    message = str(exc).strip() or repr(exc)
    return f"{error_class(exc)}: {message}"
