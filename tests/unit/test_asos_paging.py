"""AsosWeatherProvider.fetch_days against scripted servers: the page loop reads the pages the answer
announces, at the page size the server answered, is bounded whatever it claims, names an answer with fewer
rows than it announced, and refuses two different rows for one day."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable

import pytest

from include.ins_report.config.settings import Settings
from include.ins_report.sources import kma_asos
from include.ins_report.sources.errors import ApiDataError, PermanentApiError, TransientApiError
from include.ins_report.sources.kma_asos import AsosPage, AsosWeatherProvider, DailyObservation

WEEK = [dt.date(2026, 11, 16) + dt.timedelta(days=offset) for offset in range(7)]
LOGGER = "include.ins_report.sources.kma_asos"


def obs(day: dt.date, station: str = "108", avg_ta: float = 5.0) -> DailyObservation:
    return DailyObservation(station, day, avg_ta, 0.0, 10.0, 60.0, 0.0)


Answer = Callable[[int, int], tuple]  # (page_no, page size asked) -> (observations, totalCount[, numOfRows])


class Server:
    """A fake getWthrDataList behind a stand-in endpoint (``ApiEndpoint.get``): ``answer(page_no,
    page_size)`` -> (observations, totalCount) or (observations, totalCount, the numOfRows stated)."""

    key = "key"

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.pages: list[int] = []

    def get(self, api, path, params, parse, policy) -> AsosPage:
        page_no, page_size = int(params["pageNo"]), int(params["numOfRows"])
        self.pages.append(page_no)
        return AsosPage(*self.answer(page_no, page_size))


SERVER: Server | None = None  # the test's fake, installed by ``serve``


@pytest.fixture
def serve(monkeypatch) -> Callable[..., Server]:
    def install(answer: Answer) -> Server:
        server = Server(answer)
        monkeypatch.setattr(sys.modules[__name__], "SERVER", server)
        return server

    return install


def fetch(first: dt.date = WEEK[0], last: dt.date = WEEK[-1]) -> list[DailyObservation]:
    return AsosWeatherProvider(Settings(), SERVER, stations=[]).fetch_days("108", first, last)


def honest(days: list[dt.date], cap: int | None = None, state_size: bool = True) -> Answer:
    """Pages of ``days``; ``cap``: the server's own page size, stated in numOfRows unless not ``state_size``
    (then the body echoes the size asked)."""

    def answer(page_no: int, size: int) -> tuple:
        page = min(size, cap or size)
        return (
            [obs(day) for day in days[(page_no - 1) * page : page_no * page]],
            len(days),
            (page if state_size else size),
        )

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

    # Claims a huge total and sends full pages with one new day each (the other rows another station's):
    # only the days asked bound it (ceil(7/3) = 3).
    def answer(page_no: int, size: int) -> tuple:
        return [obs(WEEK[page_no - 1]), obs(WEEK[0], station="159"), obs(WEEK[1], station="159")], 10**6

    server = serve(answer)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert [o.day for o in fetch()] == WEEK[:3]
    assert server.pages == [1, 2, 3]
    assert "totalCount 1000000 claims 333334 pages of 3 rows; stopped after 3" in caplog.text


def test_a_server_sending_one_row_a_page_is_read_at_that_page_size(serve, monkeypatch):
    monkeypatch.setattr(kma_asos, "PAGE_SIZE", 3)
    # One row a page whatever was asked, and a total that is no help: the page size is what it sent.
    server = serve(lambda page_no, size: ([obs(WEEK[page_no - 1])], 10**6))
    assert [o.day for o in fetch()] == WEEK
    assert server.pages == list(range(1, 8))


def test_hard_cap_on_pages(serve, monkeypatch):
    monkeypatch.setattr(kma_asos, "PAGE_SIZE", 1)
    first = dt.date(2026, 1, 1)
    server = serve(lambda page_no, size: ([obs(first + dt.timedelta(days=page_no - 1))], 10**6))
    assert len(fetch(first, dt.date(2026, 12, 31))) == kma_asos.MAX_PAGES
    assert server.pages == list(range(1, kma_asos.MAX_PAGES + 1))


def test_an_empty_page_before_the_announced_total_is_a_short_answer(serve, monkeypatch):
    monkeypatch.setattr(kma_asos, "PAGE_SIZE", 3)
    server = serve(lambda page_no, size: ([obs(WEEK[0])] if page_no == 1 else [], 7))
    with pytest.raises(TransientApiError, match="the server announced 7 rows and sent 1 ") as raised:
        fetch()
    assert raised.value.code == kma_asos.SHORT_ANSWER
    assert not isinstance(raised.value, PermanentApiError)  # asked again later, not failed at once
    assert server.pages == [1, 2]


def test_identical_duplicated_days_are_kept_once_with_a_warning(serve, caplog):
    rows = [obs(WEEK[0], avg_ta=1.0), obs(WEEK[1]), obs(WEEK[0], avg_ta=1.0), obs(WEEK[1])]
    serve(lambda page_no, size: (rows, 4))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        result = fetch()
    assert [(o.day, o.avg_ta) for o in result] == [(WEEK[0], 1.0), (WEEK[1], 5.0)]
    assert "2 duplicated day(s) ignored, each an identical copy: 2026-11-16, 2026-11-17" in caplog.text


@pytest.mark.parametrize("warm_first", [True, False])
def test_conflicting_duplicates_fail_the_station_whatever_the_order(serve, warm_first):
    warm, true = obs(WEEK[1], avg_ta=10.0), obs(WEEK[1], avg_ta=5.0)
    copies = [warm, true] if warm_first else [true, warm]
    serve(lambda page_no, size: ([obs(WEEK[0]), *copies, *(obs(day) for day in WEEK[2:])], 8))
    shown = "avgTa 10 and 5" if warm_first else "avgTa 5 and 10"
    with pytest.raises(ApiDataError, match=f"station 108, 2026-11-17: .*two different rows.*{shown}"):
        fetch()


def test_a_conflict_names_every_differing_value_and_only_those(serve):
    first = DailyObservation("108", WEEK[0], 5.0, 0.0, 10.0, 60.0, 0.0)
    second = DailyObservation("108", WEEK[0], 5.0, -1.5, 10.0, None, 2.5)
    serve(lambda page_no, size: ([first, second], 2))
    with pytest.raises(ApiDataError) as raised:
        fetch()
    assert raised.value.where == "station 108, 2026-11-16"
    assert "(minTa 0 and -1.5, avgRhm 60 and empty, sumRn 0 and 2.5)" in raised.value.problem


def test_conflicting_duplicates_on_different_pages_fail_too(serve, monkeypatch):
    monkeypatch.setattr(kma_asos, "PAGE_SIZE", 4)
    rows = [obs(day) for day in WEEK[:4]] + [obs(WEEK[0], avg_ta=0.0)] + [obs(day) for day in WEEK[4:]]
    server = serve(lambda page_no, size: (rows[(page_no - 1) * size : page_no * size], len(rows)))
    with pytest.raises(ApiDataError, match=r"2026-11-16: .*avgTa 5 and 0"):
        fetch()
    assert server.pages == [1, 2]


def test_a_server_capping_its_pages_is_read_at_its_page_size(serve):
    # The server: at most 5 rows a page, a true totalCount of 7, the page size in numOfRows.
    server = serve(honest(WEEK, cap=5))
    assert [o.day for o in fetch()] == WEEK
    assert server.pages == [1, 2]


def test_a_server_capping_its_pages_without_saying_so_is_read_at_the_size_it_sent(serve):
    server = serve(honest(WEEK, cap=5, state_size=False))  # numOfRows echoes the 999 asked
    assert [o.day for o in fetch()] == WEEK
    assert server.pages == [1, 2]


@pytest.mark.parametrize("state_size", [True, False])
def test_a_short_last_page_is_named_not_blamed_on_missing_days(serve, state_size):
    def answer(page_no: int, size: int) -> tuple:
        rows, total, stated = honest(WEEK, cap=5, state_size=state_size)(page_no, size)
        return rows[:1] if page_no == 2 else rows, total, stated  # page 2 holds 1 of its 2 rows

    server = serve(answer)
    with pytest.raises(TransientApiError) as raised:
        fetch()
    assert "the server announced 7 rows and sent 6 (page 2 of 2 held 1 of 2)" in str(raised.value)
    assert "not missing days" in str(raised.value)
    assert server.pages == [1, 2]


def test_an_answer_whose_one_page_lacks_announced_rows_is_short(serve):
    # One page of 999 holding 5 rows of the 7 announced, the next one empty: short, whatever the page size.
    server = serve(lambda page_no, size: ([obs(day) for day in WEEK[:5]] if page_no == 1 else [], 7, size))
    with pytest.raises(TransientApiError, match=r"announced 7 rows and sent 5 \(page 2 of 2 held 0 of 2\)"):
        fetch()
    assert server.pages == [1, 2]


def test_a_week_complete_on_page_one_needs_no_more_pages_whatever_the_total(serve):
    server = serve(lambda page_no, size: ([obs(day) for day in WEEK], 9, size))  # 2 rows more than sent
    assert [o.day for o in fetch()] == WEEK
    assert server.pages == [1]


def test_no_data_is_no_rows_in_one_call(serve):
    server = serve(lambda page_no, size: ([], 0))
    assert fetch() == []
    assert server.pages == [1]


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
