"""AsosWeatherProvider.fetch_days against scripted servers: the page loop is bounded whatever they claim."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import pytest

from include.ins_report.settings import Settings
from include.ins_report.sources import kma_asos
from include.ins_report.sources.kma_asos import AsosPage, AsosWeatherProvider, DailyObservation

WEEK = [dt.date(2026, 11, 16) + dt.timedelta(days=offset) for offset in range(7)]
LOGGER = "include.ins_report.sources.kma_asos"


def obs(day: dt.date, station: str = "108", avg_ta: float = 5.0) -> DailyObservation:
    return DailyObservation(station, day, avg_ta, 0.0, 10.0, 60.0, 0.0)


class Server:
    """A fake getWthrDataList: ``answer(page_no, page_size)`` -> (observations, totalCount)."""

    def __init__(self, answer: Callable[[int, int], tuple[list[DailyObservation], int]]) -> None:
        self.answer = answer
        self.pages: list[int] = []

    def __call__(self, api, conn_id, endpoint, params, parse, **kwargs) -> AsosPage:
        page_no, page_size = int(params["pageNo"]), int(params["numOfRows"])
        self.pages.append(page_no)
        rows, total = self.answer(page_no, page_size)
        return AsosPage(rows, total)


@pytest.fixture
def serve(monkeypatch) -> Callable[..., Server]:
    monkeypatch.setattr(kma_asos, "api_key", lambda conn_id: "key")

    def install(answer: Callable[[int, int], tuple[list[DailyObservation], int]]) -> Server:
        server = Server(answer)
        monkeypatch.setattr(kma_asos, "http_get", server)
        return server

    return install


def fetch(first: dt.date = WEEK[0], last: dt.date = WEEK[-1]) -> list[DailyObservation]:
    return AsosWeatherProvider(Settings(), stations=[]).fetch_days("108", first, last)


def honest(days: list[dt.date]) -> Callable[[int, int], tuple[list[DailyObservation], int]]:
    def answer(page_no: int, size: int) -> tuple[list[DailyObservation], int]:
        return [obs(day) for day in days[(page_no - 1) * size : page_no * size]], len(days)

    return answer


def test_a_week_is_one_call(serve):
    server = serve(honest(WEEK))
    assert [o.day for o in fetch()] == WEEK
    assert server.pages == [1]


def test_pages_are_followed_up_to_the_total(serve, monkeypatch):
    monkeypatch.setattr(kma_asos, "PAGE_SIZE", 3)
    server = serve(honest(WEEK))
    assert [o.day for o in fetch()] == WEEK
    assert server.pages == [1, 2, 3]


@pytest.mark.parametrize("total", [1000, 10**9])
def test_a_server_ignoring_page_no_with_a_huge_total_costs_one_call_a_week(serve, total):
    server = serve(lambda page_no, size: ([obs(day) for day in WEEK], total))
    assert [o.day for o in fetch()] == WEEK
    assert server.pages == [1]


def test_a_page_that_adds_no_new_day_ends_the_loop(serve, monkeypatch, caplog):
    monkeypatch.setattr(kma_asos, "PAGE_SIZE", 3)
    server = serve(lambda page_no, size: ([obs(day) for day in WEEK[:3]], 1000))  # ignores pageNo
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert [o.day for o in fetch()] == WEEK[:3]
    assert server.pages == [1, 2]
    assert "3 duplicated day(s) ignored" in caplog.text


def test_the_pages_never_exceed_the_days_asked_for(serve, monkeypatch, caplog):
    monkeypatch.setattr(kma_asos, "PAGE_SIZE", 3)

    # Claims a huge total and sends one new day per page: only the days asked bound it (ceil(7/3) = 3).
    server = serve(lambda page_no, size: ([obs(WEEK[page_no - 1])], 10**6))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert [o.day for o in fetch()] == WEEK[:3]
    assert server.pages == [1, 2, 3]
    assert "totalCount 1000000 claims 333334 pages; stopped after 3" in caplog.text


def test_hard_cap_on_pages(serve, monkeypatch):
    monkeypatch.setattr(kma_asos, "PAGE_SIZE", 1)
    first = dt.date(2026, 1, 1)
    server = serve(lambda page_no, size: ([obs(first + dt.timedelta(days=page_no - 1))], 10**6))
    assert len(fetch(first, dt.date(2026, 12, 31))) == kma_asos.MAX_PAGES
    assert server.pages == list(range(1, kma_asos.MAX_PAGES + 1))


def test_an_empty_page_ends_the_loop(serve, monkeypatch):
    monkeypatch.setattr(kma_asos, "PAGE_SIZE", 3)
    server = serve(lambda page_no, size: ([obs(WEEK[0])] if page_no == 1 else [], 7))
    assert [o.day for o in fetch()] == [WEEK[0]]
    assert server.pages == [1, 2]


def test_duplicated_days_keep_the_first_row_with_a_warning(serve, caplog):
    rows = [obs(WEEK[0], avg_ta=1.0), obs(WEEK[1]), obs(WEEK[0], avg_ta=9.0), obs(WEEK[1])]
    serve(lambda page_no, size: (rows, 4))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        result = fetch()
    assert [(o.day, o.avg_ta) for o in result] == [(WEEK[0], 1.0), (WEEK[1], 5.0)]
    assert (
        "2 duplicated day(s) ignored, the first row of each kept: 2026-11-16 with other values, 2026-11-17"
        in (caplog.text)
    )


def test_rows_of_another_station_or_day_are_dropped_with_a_warning(serve, caplog):
    rows = [obs(WEEK[0]), obs(WEEK[1], station="159"), obs(dt.date(2026, 11, 23)), obs(WEEK[2])]
    serve(lambda page_no, size: (rows, 4))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        result = fetch()
    assert [o.day for o in result] == [WEEK[0], WEEK[2]]
    dropped = "2 row(s) for another station or outside 2026-11-16..2026-11-22 dropped"
    assert f"{dropped}: 159 2026-11-17, 108 2026-11-23" in caplog.text


def test_rows_come_back_sorted_by_day(serve):
    serve(lambda page_no, size: ([obs(day) for day in reversed(WEEK)], 7))
    assert [o.day for o in fetch()] == WEEK
