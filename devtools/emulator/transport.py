"""Transport fault shapes, the same for every fake API: how an answer is delivered rather than what it says.

The scenarios (``faults.TRANSPORT_SCENARIOS``) bend the API's normal answer:

- ``reset_mid_body``: the status line, the headers (with the full ``Content-Length``) and the first ``bytes``
  of the body (default: half of it), then the connection is reset. ``chunked: true`` sends the body in
  chunked transfer encoding instead and cuts it inside a chunk.
- ``drip_body``: the normal answer, its body sent ``bytes`` (default 1) at a time, ``seconds`` (default 5)
  apart: every read gets data in time, the whole answer takes long. ``close: true`` adds
  ``Connection: close`` (the client's HTTP library then hands the socket to the response).
- ``retry_after``: HTTP ``status`` (default 429) with ``Retry-After: retry_after`` (default 3600; seconds or
  an HTTP date, sent as given) and a short text body.
- ``maintenance_html``: the portal's HTML maintenance notice (시스템 점검 안내) with HTTP ``status`` (default
  200), as data.go.kr shows during planned maintenance.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from devtools.emulator.common import HTML_TYPE, TEXT_TYPE, Answer
from devtools.emulator.faults import FaultRule

MAINTENANCE_HTML = """<!DOCTYPE html>
<html lang="ko">
<head><meta charset="UTF-8"><title>공공데이터포털 시스템 점검 안내</title></head>
<body>
<h1>시스템 점검 안내</h1>
<p>보다 나은 서비스를 위해 시스템 점검을 실시하고 있습니다. 점검 시간 동안 서비스 이용이 중단됩니다.</p>
<p>System maintenance is in progress. The service will be back after the maintenance.</p>
</body>
</html>
"""


@dataclass
class Delivery(Answer):
    """An answer delivered in a shape of its own: cut after ``cut_after`` body bytes (then reset), or
    dripped ``piece_bytes`` at a time, ``piece_seconds`` apart."""

    cut_after: int | None = None
    chunked: bool = False
    piece_bytes: int = 0
    piece_seconds: float = 0.0
    close: bool = False  # say "Connection: close" (the connection is closed after the answer either way)


def _number(rule: FaultRule, name: str, default: float, low: float) -> float:
    value = rule.options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
        return default
    return float(value)


def bend(rule: FaultRule, normal: Answer) -> Answer:
    """The answer ``rule`` (a transport scenario) makes of the API's ``normal`` one."""
    scenario = rule.scenario
    if scenario == "retry_after":
        status = int(_number(rule, "status", 429, 100))
        retry_after = str(rule.options.get("retry_after", 3600))
        return Answer(
            status=status,
            body=b"Too Many Requests" if status == 429 else b"Service Unavailable",
            content_type=TEXT_TYPE,
            headers={"Retry-After": retry_after},
            result=f"http:{status}",
        )
    if scenario == "maintenance_html":
        status = int(_number(rule, "status", 200, 100))
        return Answer(
            status=status, body=MAINTENANCE_HTML.encode(), content_type=HTML_TYPE, result="maintenance"
        )
    fields = {
        "status": normal.status,
        "body": normal.body,
        "content_type": normal.content_type,
        "headers": dict(normal.headers),
        "result": scenario,
    }
    if scenario == "reset_mid_body":
        cut = int(_number(rule, "bytes", len(normal.body) // 2, 0))
        return Delivery(
            **fields,
            cut_after=min(cut, max(0, len(normal.body) - 1)),
            chunked=bool(rule.options.get("chunked")),
        )
    if scenario == "drip_body":
        return Delivery(
            **fields,
            piece_bytes=int(_number(rule, "bytes", 1, 1)),
            piece_seconds=_number(rule, "seconds", 5.0, 0),
            close=bool(rule.options.get("close")),
        )
    raise ValueError(f"not a transport scenario: {scenario}")


def deliver(handler: BaseHTTPRequestHandler, answer: Delivery, stopping: threading.Event) -> None:
    """Write ``answer`` in its shape. A client that hangs up ends it (the caller catches the OSError)."""
    handler.close_connection = True
    handler.send_response(answer.status)
    handler.send_header("Content-Type", answer.content_type)
    if answer.chunked:
        handler.send_header("Transfer-Encoding", "chunked")
    else:
        handler.send_header("Content-Length", str(len(answer.body)))
    for name, value in answer.headers.items():
        handler.send_header(name, value)
    if answer.close:
        handler.send_header("Connection", "close")
    handler.end_headers()
    body = answer.body
    if answer.cut_after is not None:
        part = body[: answer.cut_after]
        if answer.chunked:  # a chunk announced whole, sent in part
            handler.wfile.write(f"{len(body):x}\r\n".encode() + part)
        else:
            handler.wfile.write(part)
        handler.wfile.flush()
        _reset(handler)
        return
    step = max(1, answer.piece_bytes)
    for start in range(0, len(body), step):
        if start and stopping.wait(answer.piece_seconds):
            return
        piece = body[start : start + step]
        handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if answer.chunked else piece)
        handler.wfile.flush()
    if answer.chunked:
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Drop the connection (RST rather than FIN where the OS allows)."""
    with contextlib.suppress(OSError):
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
