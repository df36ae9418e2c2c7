"""Queued fault rules: the next matching API request gets a scripted failure instead of the normal answer."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

KMA_SCENARIOS = frozenset(
    {
        "nodata",
        "too_old",
        "not_published",
        "quota_xml_200",
        "key_xml_200",
        "key_xml_403",
        "key_json_403",
        "quota_xml_429",
        "unauthorized_401_text",
        "html_502",
        "http_500",
        "http_429",
        "empty_200",
        "malformed_json",
        "item_object",
        "item_empty_string",
        "item_missing",
        "empty_values",  # a station outage: every measured value ""
        "bad_values",  # `fields` (default avgTa, maxTa) set to `value` (default "NaN"; any text or number)
        "bare_nan",  # `fields` set to a bare JSON NaN token
        "ignore_page_no",  # page 1 whatever pageNo asks, claiming totalCount `total` (default 1000)
        "duplicate_days",  # every day twice
        "conflicting_duplicates",  # the first day twice, the first copy `delta` (default 5) °C warmer
        "small_pages",  # at most `page_size` (default 5) rows a page, stated in numOfRows; true totalCount
        "short_count",  # totalCount counts `missing` (default 2) last rows that no page serves
        "timeout",
        "reset_connection",
    }
)
KOSIS_SCENARIOS = frozenset(
    {
        "err_json",
        "http_500",
        "http_401",  # a refused key at the HTTP layer
        "http_403",
        "malformed_json",
        "empty_200",
        "timeout",
        "reset_connection",
        "loose_json",
        "zero_value",  # every DT the JSON number 0 ("0" with `as_text`: true)
        "bad_values",  # every DT set to `value` (default "NaN")
        "bare_nan",  # every DT a bare JSON NaN token
        # DT "-" in the cells of classification `level` (default 1) whose code is in `codes` (default ["11"],
        # 서울) and item in `items` (default every item); the pig census table only unless `match` says
        "dash_cells",
    }
)
EKAPE_SCENARIOS = frozenset(
    {
        "key_xml_200",
        "quota_xml_200",
        "http_500",
        "html_502",
        "http_429",
        "empty_200",
        "malformed_xml",
        "nodata",  # resultCode 03 without a body
        "closed",  # the normal answer as on a closed day: grade rows without amounts
        "zero_amounts",  # a closed day answered with zeros: every amount and head count of every row "0"
        "bad_values",  # `fields` (default c_1101eTotAmt) of every row set to `value` (default "NaN")
        "timeout",
        "reset_connection",
    }
)
# How an answer is delivered, for every API (devtools/emulator/transport.py): a reset after part of the body
# (`bytes`, `chunked`), a body dripped `bytes` every `seconds`, HTTP `status` with Retry-After `retry_after`,
# the portal's HTML maintenance notice with HTTP `status`.
TRANSPORT_SCENARIOS = frozenset({"reset_mid_body", "drip_body", "retry_after", "maintenance_html"})
SCENARIOS = {
    "kma": KMA_SCENARIOS | TRANSPORT_SCENARIOS,
    "kosis": KOSIS_SCENARIOS | TRANSPORT_SCENARIOS,
    "ekape": EKAPE_SCENARIOS | TRANSPORT_SCENARIOS,
}

DEFAULT_TIMEOUT_SECONDS = 30.0
# Keys of a rule document that are not scenario options.
_RULE_KEYS = {"api", "scenario", "count", "match"}
# The requests a scenario matches when its rule names none.
_DEFAULT_MATCH = {("kosis", "dash_cells"): {"tblId": "DT_1EO311"}}


class FaultError(ValueError):
    """A fault rule document that cannot be queued."""


@dataclass
class FaultRule:
    id: int
    api: str
    scenario: str
    remaining: int | None  # None: every matching request until reset
    match: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def matches(self, api: str, params: dict[str, str]) -> bool:
        return api == self.api and all(params.get(key) == value for key, value in self.match.items())

    @property
    def seconds(self) -> float:
        return float(self.options.get("seconds", DEFAULT_TIMEOUT_SECONDS))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "api": self.api,
            "scenario": self.scenario,
            "count": self.remaining,
            "match": dict(self.match),
            **self.options,
        }


def parse_rule(document: object, rule_id: int) -> FaultRule:
    """Validate a POSTed rule: {"api", "scenario", "count": int|null (absent: 1), "match": {...}, options}."""
    if not isinstance(document, dict):
        raise FaultError("a fault rule is a JSON object")
    api = str(document.get("api", "")).lower()
    if api not in SCENARIOS:
        raise FaultError(f"api must be one of {sorted(SCENARIOS)}")
    scenario = str(document.get("scenario", ""))
    if scenario not in SCENARIOS[api]:
        raise FaultError(f"unknown {api} scenario {scenario!r}; known: {sorted(SCENARIOS[api])}")
    count = document.get("count", 1)
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise FaultError("count must be a positive integer or null")
    match = document.get("match") or _DEFAULT_MATCH.get((api, scenario), {})
    if not isinstance(match, dict):
        raise FaultError("match must be an object of request parameter -> value")
    options = {key: value for key, value in document.items() if key not in _RULE_KEYS}
    if "fields" in options and (
        not isinstance(options["fields"], list)
        or not options["fields"]
        or not all(isinstance(name, str) for name in options["fields"])
    ):
        raise FaultError("fields must be a non-empty list of field names")
    for name in ("codes", "items"):
        if name in options and (
            not isinstance(options[name], list)
            or not options[name]
            or not all(isinstance(code, str) and code for code in options[name])
        ):
            raise FaultError(f"{name} must be a non-empty list of codes")
    if "level" in options and (
        isinstance(options["level"], bool)
        or not isinstance(options["level"], int)
        or not 1 <= options["level"] <= 8
    ):
        raise FaultError("level must be a classification level 1..8")
    if "total" in options and (
        isinstance(options["total"], bool) or not isinstance(options["total"], int) or options["total"] < 0
    ):
        raise FaultError("total must be a non-negative integer")
    for name in ("page_size", "missing"):
        if name in options and (
            isinstance(options[name], bool) or not isinstance(options[name], int) or options[name] < 1
        ):
            raise FaultError(f"{name} must be a positive integer")
    if "delta" in options and (
        isinstance(options["delta"], bool)
        or not isinstance(options["delta"], (int, float))
        or not math.isfinite(options["delta"])
    ):
        raise FaultError("delta must be a finite number")
    if "value" in options and (
        isinstance(options["value"], bool) or not isinstance(options["value"], (str, int, float))
    ):
        raise FaultError("value must be a string or a number")
    if "bytes" in options and (
        isinstance(options["bytes"], bool) or not isinstance(options["bytes"], int) or options["bytes"] < 0
    ):
        raise FaultError("bytes must be a non-negative integer")
    if "status" in options and (
        isinstance(options["status"], bool)
        or not isinstance(options["status"], int)
        or not 100 <= options["status"] <= 599
    ):
        raise FaultError("status must be an HTTP status 100..599")
    if "retry_after" in options and (
        isinstance(options["retry_after"], bool) or not isinstance(options["retry_after"], (str, int))
    ):
        raise FaultError("retry_after must be seconds or an HTTP date")
    if "seconds" in options:
        try:
            if float(options["seconds"]) < 0:
                raise ValueError
        except (TypeError, ValueError):
            raise FaultError("seconds must be a non-negative number") from None
    return FaultRule(
        id=rule_id,
        api=api,
        scenario=scenario,
        remaining=count,
        match={str(key): str(value) for key, value in match.items()},
        options=options,
    )


class FaultQueue:
    """Rules in arrival order; the first rule matching a request is used and, if counted, consumed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1

    def add(self, document: object) -> FaultRule:
        with self._lock:
            rule = parse_rule(document, self._next_id)
            self._next_id += 1
            self._rules.append(rule)
            return rule

    def take(self, api: str, params: dict[str, str]) -> FaultRule | None:
        with self._lock:
            for index, rule in enumerate(self._rules):
                if not rule.matches(api, params):
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        del self._rules[index]
                return rule
            return None

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.as_dict() for rule in self._rules]

    def clear(self) -> int:
        with self._lock:
            cleared = len(self._rules)
            self._rules.clear()
            return cleared
