"""How an external API call failed, classified for the retry policy.

- TransientApiError: retry with backoff (timeouts, connection errors, 5xx, 429, maintenance, not yet
  published); ThrottledError: the source asked for a short wait (``Retry-After``) that the retry honours.
- RetryLaterError (a TransientApiError): worth retrying, but not within seconds: the source said when it
  answers again (the daily quota resets at 00:00 KST; a ``Retry-After`` beyond what a call may wait). The
  HTTP layer does not retry it; the message says when to.
- PermanentApiError: fail at once; the message says what to fix (bad key, bad request).
- ApiDataError (a PermanentApiError): the answer arrived but a value breaks the documented format or is
  physically impossible ("NaN", "37,5", humidity 101); asking again returns the same data.
Messages never contain request URLs or keys.
"""

from __future__ import annotations

import datetime as dt
import re

from include.ins_report.model import clock
from include.ins_report.model.errors import PermanentError


class ApiError(Exception):
    def __init__(self, api: str, code: str, message: str) -> None:
        super().__init__(f"{api} [{code}] {message}")
        self.api = api
        self.code = code
        self.message = message


class TransientApiError(ApiError):
    """Worth retrying later."""


class RetryLaterError(TransientApiError):
    """Asking again within seconds cannot help: the source answers again from ``retry_at`` (an aware
    datetime), which the message names. The HTTP layer does not retry it; the task waits for ``retry_at``
    when it falls inside the week's waiting window and fails at once otherwise (airflow_context)."""

    def __init__(self, api: str, code: str, message: str, *, retry_at: dt.datetime) -> None:
        super().__init__(api, code, message)
        self.retry_at = retry_at


class NotYetPublishedError(RetryLaterError):
    """The source has not published what the week needs yet (a publication lag, not a gap): the task asks
    again at ``retry_at``, inside the publication window, without spending a retry. After the window the
    step raises a permanent error naming what never appeared (include/ins_report/steps/waiting.py)."""


class ThrottledError(TransientApiError):
    """The source asked to wait ``wait_seconds`` before asking again (``Retry-After``), short enough for the
    HTTP layer to wait before its next attempt."""

    def __init__(self, api: str, code: str, message: str, *, wait_seconds: float) -> None:
        super().__init__(api, code, message)
        self.wait_seconds = wait_seconds


class PermanentApiError(ApiError, PermanentError):
    """Retrying cannot help: configuration or request must be fixed (the task fails at once)."""


class ApiDataError(PermanentApiError):
    """A value in a well-formed answer is not a documented one: neither tenacity nor Airflow retries it.

    The message names the field, where it was (station and day, or series and period) and the value.
    """

    def __init__(self, api: str, where: str, problem: str) -> None:
        super().__init__(api, "data", f"{where}: {problem}")
        self.where = where
        self.problem = problem


def answer_body(api: str, status: int, text: str, *, key_hint: str) -> str:
    """The stripped body of an answer whose HTTP status carries one, or the classified error: 429 and 5xx
    transient, 401/403 permanent (``key_hint`` says what to check), other 4xx permanent, an empty body
    transient. Every source's parser starts here, after its own check for gateway error documents."""
    if status == 429:
        raise TransientApiError(api, "429", "too many requests")
    if status >= 500:
        raise TransientApiError(api, str(status), "server error")
    if status in (401, 403):
        raise PermanentApiError(api, str(status), f"not authorised: {key_hint}")
    if status >= 400:
        raise PermanentApiError(api, str(status), "request rejected")
    stripped = text.strip()
    if not stripped:
        raise TransientApiError(api, "empty", "empty answer")
    return stripped


# data.go.kr's gateway: quota errors are transient, whatever the API behind it. The daily quota (22) is
# counted per KST day: asking again before 00:00 KST is refused again.
GATEWAY_QUOTA = {"22": "the daily request quota is used up", "23": "too many requests per second"}
DAILY_QUOTA = "22"


def quota_error(api: str, code: str, name: str = "") -> TransientApiError:
    """A quota answer of data.go.kr (``code`` in GATEWAY_QUOTA): the per-second limit (23) is retried with
    backoff; the daily quota (22) is a RetryLaterError at the next 00:00 KST (of include/ins_report/clock)."""
    what = f"{name}: {GATEWAY_QUOTA[code]}" if name else GATEWAY_QUOTA[code]
    if code != DAILY_QUOTA:
        return TransientApiError(api, code, f"{what}; retry later")
    resets = clock.now().start_of("day").add(days=1)
    return RetryLaterError(
        api, code, f"{what}; it resets at {resets.format('YYYY-MM-DD HH:mm')} KST", retry_at=resets
    )


def gateway_error(
    api: str, status: int, text: str, permanent: dict[str, str]
) -> TransientApiError | PermanentApiError:
    """A data.go.kr gateway answer (``OpenAPI_ServiceResponse``, XML or JSON, often with HTTP 200) as the
    error it is: ``permanent`` maps the reason codes that no retry fixes to what to do; quota codes are
    transient; anything else is transient too."""
    code_match = re.search(r"returnReasonCode\W+(\d+)", text)
    code = code_match.group(1) if code_match else "gateway"
    # errMsg and returnAuthMsg swap roles between the classic and newer forms: the name is the one that is
    # an upper-case token such as SERVICE_KEY_IS_NOT_REGISTERED_ERROR.
    messages = re.findall(r"<(?:errMsg|returnAuthMsg)>([^<]*)<", text)
    messages += re.findall(r'"(?:errMsg|returnAuthMsg)"\s*:\s*"([^"]*)"', text)
    name = next((m.strip() for m in messages if re.fullmatch(r"[A-Z][A-Z0-9_]+", m.strip())), "gateway error")
    if code in permanent:
        return PermanentApiError(api, code, f"{name}: {permanent[code]}")
    if code in GATEWAY_QUOTA:
        return quota_error(api, code, name)
    return TransientApiError(api, code, f"{name} (HTTP {status})")
