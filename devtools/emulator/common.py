"""Pieces shared by the fake APIs: the answer object, the KST clock, deterministic randomness."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from dataclasses import dataclass, field

KST = dt.timezone(dt.timedelta(hours=9), "KST")

JSON_TYPE = "application/json;charset=UTF-8"
XML_TYPE = "application/xml;charset=UTF-8"
TEXT_TYPE = "text/plain;charset=UTF-8"
HTML_TYPE = "text/html;charset=UTF-8"


@dataclass
class Answer:
    """What the server sends back for one request.

    ``reset`` closes the socket without any response; ``delay_s`` is slept before answering (on top of the
    configured latency); ``result`` is the provider/gateway outcome code kept for the counters.
    """

    status: int = 200
    body: bytes = b""
    content_type: str = JSON_TYPE
    reset: bool = False
    delay_s: float = 0.0
    result: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def json_bytes(document: object) -> bytes:
    """Compact UTF-8 JSON as the Korean portals send it (no spaces, no ASCII escaping)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_answer(document: object, *, status: int = 200, result: str = "") -> Answer:
    return Answer(status=status, body=json_bytes(document), content_type=JSON_TYPE, result=result)


def truncated(body: bytes) -> bytes:
    """The first half of a JSON body: never valid JSON, like a response cut by a broken proxy."""
    cut = max(1, len(body) // 2)
    return body[:cut]


def stable_rng(*parts: object) -> random.Random:
    """A Random seeded from sha256 of the joined parts: identical in every process and Python version."""
    digest = hashlib.sha256(":".join(str(part) for part in parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def parse_now(value: dt.datetime | str | None) -> dt.datetime | None:
    """A fixed emulator clock from an ISO 8601 string or datetime; naive values are taken as KST."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=KST)
    return moment.astimezone(KST)


def fmt1(value: float) -> str:
    """One decimal, never ``-0.0``."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def fmt2(value: float) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def hhmm(minutes: int) -> str:
    """``HHmm`` for a minute of the day (0..1439)."""
    minutes = max(0, min(1439, int(minutes)))
    return f"{minutes // 60:02d}{minutes % 60:02d}"
