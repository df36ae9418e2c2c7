"""The emulator's transport faults (devtools/emulator/transport.py) on the wire, read with http.client so that
no client-side recovery hides what was sent: the head and part of a body then a reset, a body in pieces, a
Retry-After, the portal's maintenance page. Each shape is the same for every API."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlencode

import pytest

from devtools.emulator.faults import SCENARIOS, TRANSPORT_SCENARIOS, FaultError, parse_rule

KMA_QUERY = {
    "serviceKey": "dev-kma-key",
    "pageNo": "1",
    "numOfRows": "999",
    "dataType": "JSON",
    "dataCd": "ASOS",
    "dateCd": "DAY",
    "startDt": "20261116",
    "endDt": "20261122",
    "stnIds": "108",
}
KMA_PATH = "/1360000/AsosDalyInfoService/getWthrDataList?" + urlencode(KMA_QUERY)


pytestmark = pytest.mark.emulator(now="2026-11-30T03:00:00+09:00")


@pytest.fixture
def server(emulator):
    """The session's emulator (tests/conftest.py), reset, on this module's clock."""
    return emulator


def get(emulator, path: str = KMA_PATH) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    conn.request("GET", path)
    return conn.getresponse()


def normal_body(emulator) -> bytes:
    response = get(emulator)
    assert response.status == 200
    return response.read()


def test_every_api_knows_the_transport_scenarios():
    assert {"reset_mid_body", "drip_body", "retry_after", "maintenance_html"} == TRANSPORT_SCENARIOS
    for api, scenarios in SCENARIOS.items():
        assert scenarios >= TRANSPORT_SCENARIOS, api


@pytest.mark.parametrize(
    "options",
    [
        {"bytes": -1},
        {"bytes": "10"},
        {"status": 99},
        {"status": True},
        {"retry_after": True},
        {"seconds": -1},
    ],
)
def test_bad_transport_options_are_refused(options):
    with pytest.raises(FaultError):
        parse_rule({"api": "kma", "scenario": "drip_body", **options}, 1)


def test_reset_mid_body_sends_the_head_and_part_of_the_body(server):
    whole = normal_body(server)
    server.add_fault("kma", "reset_mid_body", bytes=100)
    response = get(server)
    assert response.status == 200
    assert int(response.getheader("Content-Length")) == len(whole)
    with pytest.raises((http.client.IncompleteRead, ConnectionResetError)):
        response.read()


def test_reset_mid_body_chunked_cuts_inside_a_chunk(server):
    server.add_fault("kma", "reset_mid_body", chunked=True)
    response = get(server)
    assert response.getheader("Transfer-Encoding") == "chunked"
    with pytest.raises((http.client.IncompleteRead, ConnectionResetError)):
        response.read()


@pytest.mark.parametrize("close", [False, True])
def test_drip_body_delivers_the_normal_body_in_pieces(server, close):
    whole = normal_body(server)
    server.add_fault("kma", "drip_body", bytes=1000, seconds=0.01, close=close)
    response = get(server)
    pieces = []
    while piece := response.read1(65536):
        pieces.append(piece)
    assert b"".join(pieces) == whole
    assert len(pieces) >= len(whole) // 1000  # no piece larger than asked
    assert (response.getheader("Connection") == "close") is close
    assert server.stats()["kma"]["by_fault"] == {"drip_body": 1}


MIDNIGHT = "Mon, 23 Nov 2026 15:00:00 GMT"  # 2026-11-24 00:00 KST


@pytest.mark.parametrize(
    ("options", "status", "header"),
    [({}, 429, "3600"), ({"status": 503, "retry_after": MIDNIGHT}, 503, MIDNIGHT)],
)
def test_retry_after_answers_with_the_header(server, options, status, header):
    server.add_fault("kosis", "retry_after", **options)
    response = get(server, "/openapi/Param/statisticsParameterData.do?method=getList&apiKey=x")
    assert response.status == status
    assert response.getheader("Retry-After") == header
    assert response.read()


@pytest.mark.parametrize("status", [200, 503])
def test_maintenance_html_is_the_portals_notice(server, status):
    server.add_fault("ekape", "maintenance_html", status=status)
    response = get(server, "/openapi-data/service/user/grade/auct/pigGrade?serviceKey=dev-ekape-key")
    assert response.status == status
    assert response.getheader("Content-Type").startswith("text/html")
    page = response.read().decode("utf-8")
    assert "<title>공공데이터포털 시스템 점검 안내</title>" in page
    assert json.dumps(server.stats()["ekape"]["by_fault"]) == '{"maintenance_html": 1}'
