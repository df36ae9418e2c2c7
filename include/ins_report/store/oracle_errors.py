"""The Oracle error catalogue: the code of an error (``ORA-20001``, python-oracledb's ``DPY-``), what it
means for the operator, and what kind of fault it is; how an exception is named in the job log and alerts.

Three kinds (``error_kind``), one catalogue for every step and callback that touches the farm database:

- ``ACCESS``: credentials and privileges (``ORA-01017``, ``28000``, ``28001``, ``01031``, ``00942``). A retry
  cannot fix them, and every retried login counts towards locking the batch's account (Oracle's default
  profile locks it after 10 failed logins): they fail at once;
- ``TRANSIENT``: the connection was lost or could not be made (``ORA-03113``, ``03114``, ``12170``,
  ``12541``, ``DPY-4011``, ``DPY-6005``): retried;
- ``OTHER``: everything else (Airflow's retries as configured).

No Airflow here: the Airflow layer maps the kinds onto Airflow's retry decisions (callbacks.py).
"""

from __future__ import annotations

import re

ORACLE_CODE = re.compile(r"\b(?:ORA|DPY)-\d{4,5}\b")

ACCESS, TRANSIENT, OTHER = "access", "transient", "other"
LOGIN_CODES = frozenset({"ORA-01017", "ORA-28000", "ORA-28001"})  # the login itself is refused
ACCESS_CODES = LOGIN_CODES | {"ORA-01031", "ORA-00942"}
TRANSIENT_CODES = frozenset({"ORA-03113", "ORA-03114", "ORA-12170", "ORA-12541", "DPY-4011", "DPY-6005"})
CALL_TIMEOUT = "DPY-4024"  # python-oracledb's call_timeout: the client gave up, the server may go on

ORACLE_HINTS = {
    "ORA-00054": "a table the procedure needs is locked by another session; clear the task to retry",
    "ORA-00060": "deadlock detected; clear the task to retry",
    "ORA-00942": "a table or view does not exist or is not granted to the batch's user ({conn}): ask the DBA",
    "ORA-01017": "invalid user name or password: fix the {conn} connection",
    "ORA-01031": "insufficient privileges: the batch's user ({conn}) lacks a grant; ask the DBA",
    "ORA-01555": "snapshot too old: retry outside the heaviest load, or ask the DBA about undo retention",
    "ORA-01653": "a tablespace is full: ask the DBA",
    "ORA-01654": "an index tablespace is full: ask the DBA",
    "ORA-03113": "the connection to the database was lost (end-of-file on communication channel)",
    "ORA-03114": "not connected to the database any more (the connection was lost)",
    "ORA-04068": "the procedure's package state was discarded (recompiled); clearing the task is enough",
    "ORA-06550": "PL/SQL compilation error: the procedure or the call is invalid (see the PLS- line)",
    "ORA-12170": "connect timeout: the database host is unreachable (network, firewall)",
    "ORA-12514": "the listener does not know the service: check service_name in the {conn} connection",
    "ORA-12541": "no listener: the database is down or host/port in the {conn} connection are wrong",
    "ORA-28000": "the batch's database account ({conn}) is locked: ask the DBA to unlock it",
    "ORA-28001": "the password of the batch's database account has expired: renew it and update {conn}",
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


def oracle_codes(error: BaseException | str | None) -> list[str]:
    """Every Oracle or python-oracledb code of an exception, its causes and contexts, or a message, in order
    of appearance (``DPY-6005`` may carry the ``ORA-`` code it wraps)."""
    found: list[str] = []
    seen = 0
    while isinstance(error, BaseException) and seen < 5:
        first = error.args[0] if error.args else None
        full_code = getattr(first, "full_code", None)  # python-oracledb's _Error
        texts = [full_code] if isinstance(full_code, str) else []
        found += [code for text in [*texts, str(error)] for code in ORACLE_CODE.findall(text)]
        error = error.__cause__ or error.__context__
        seen += 1
    if isinstance(error, str):
        found += ORACLE_CODE.findall(error)
    return list(dict.fromkeys(found))


def error_kind(error: BaseException | str | None) -> str:
    """``ACCESS``, ``TRANSIENT`` or ``OTHER`` (the module's docstring) for an exception or a message."""
    codes = set(oracle_codes(error))
    if codes & ACCESS_CODES:
        return ACCESS
    if codes & TRANSIENT_CODES:
        return TRANSIENT
    return OTHER


def login_refused(error: BaseException | str | None) -> bool:
    """The database refused the login itself: another attempt is one more failed login on the account."""
    return bool(set(oracle_codes(error)) & LOGIN_CODES)


def access_note(error: BaseException | str | None, conn_id: str = "farm_db") -> str:
    """For an ``ACCESS`` error: its code, the connection that needs fixing (by its conn id) and why it is
    not retried; "" for any other error."""
    codes = [code for code in oracle_codes(error) if code in ACCESS_CODES]
    if not codes:
        return ""
    code = codes[0]
    why = (
        "another login would count towards locking the account"
        if code in LOGIN_CODES
        else "a retry cannot grant it"
    )
    return f"{code} on connection {conn_id}: {oracle_hint(code, conn_id)}; not retried ({why})"


def server_answered(error: BaseException | str | None) -> bool:
    """The database itself answered the call with an error (an ``ORA-`` code, not a lost connection, not
    the client's call timeout): the call has ended on the server."""
    codes = oracle_codes(error)
    if not codes or CALL_TIMEOUT in codes or set(codes) & TRANSIENT_CODES:
        return False
    return any(code.startswith("ORA-") for code in codes)


def oracle_hint(code: str | None, conn_id: str = "farm_db") -> str:
    """What an Oracle code usually means; ``conn_id``: the farm database's connection, named in the hint."""
    if not code:
        return ""
    if code == CALL_TIMEOUT:
        return (
            "the call exceeded INS_REPORT_TIMEOUT (python-oracledb call_timeout): check on the server that "
            "the procedure no longer runs before clearing the task"
        )
    if code == "DPY-4011":
        return "the connection to the database was lost (closed by the database or the network)"
    if code.startswith("DPY-"):
        return "a python-oracledb driver error (connection or protocol), not raised by the database"
    number = int(code.split("-")[1])
    if 20000 <= number <= 20999:
        return "raised by the procedure itself (RAISE_APPLICATION_ERROR): its message says what is wrong"
    return ORACLE_HINTS.get(code, "see the Oracle error reference for this code").format(conn=conn_id)


def describe_error(exc: BaseException | None) -> str:
    """``Class: message`` (an Oracle error keeps its lines), never empty."""
    if exc is None:
        return "no exception reported: the task was killed, timed out or lost its heartbeat"
    if getattr(exc, "stands_for_cause", False) and exc.__cause__ is not None:
        # The Airflow edge's stand-in for a domain error (airflow_edge/errors.py): the cause is the error.
        return describe_error(exc.__cause__)
    if getattr(exc, "reports_cause", False) and exc.__cause__ is not None:
        # A wrapper that only changes how Airflow treats the error (no retry): the cause is the error.
        return f"{describe_error(exc.__cause__)} [{exc}]"
    message = str(exc).strip() or repr(exc)
    return f"{error_class(exc)}: {message}"
