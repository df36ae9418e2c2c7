"""The benchmark's own parts: deterministic farm sets like real ones, and the targets read from the runs."""

from __future__ import annotations

import json

from bench import report
from bench.generator import BAD_SHARES, generate
from include.ins_report.config.settings import Settings
from include.ins_report.model.farms import classify_farms, weather_locations
from include.ins_report.model.stations import load_stations
from tests.conftest import ROOT


def test_farm_sets_are_deterministic_and_hold_the_planned_bad_rows():
    first, again, other = generate(5_000), generate(5_000), generate(5_000, seed=2)
    assert first.rows == again.rows
    assert first.rows != other.rows
    selection = classify_farms(first.rows)
    reasons = {farm.reason.split(" (")[0] for farm in selection.excluded}
    assert reasons == {
        "missing coordinates",
        "coordinates outside Korea",
        "duplicate farm number",
        "no farm number",
    }
    bad = sum(round(5_000 * share) for share in BAD_SHARES.values())
    # A duplicated number excludes both of its rows.
    assert bad <= len(selection.excluded) <= bad + round(5_000 * BAD_SHARES["duplicate_number"])
    assert 0.01 < selection.inactive / 5_000 < 0.03
    assert len(selection.valid) + len(selection.excluded) + selection.inactive == 5_000


def test_farms_spread_over_most_stations_and_crowd_in_the_pig_districts():
    selection = classify_farms(generate(10_000).rows)
    locations = weather_locations(selection.valid, load_stations(Settings().stations_file))
    assert len(locations) >= 85
    busiest = max(locations, key=lambda location: len(location.farm_nos))
    assert busiest.point_id == "177"  # 홍성, the largest pig district
    assert len(busiest.farm_nos) > 5 * len(selection.valid) / len(locations)


def run(variant: str, farms: int, wall: float, **overrides) -> dict:
    values = {
        "variant": variant, "farm_rows": farms, "usable_farms": farms, "stations": 90, "task_instances": 97,
        "wall_s": wall, "collection_s": wall - 5, "kma_fetch_calls": 90, "kma_probe_calls": 1,
        "kma_calls": 91, "kma_quota_errors": 0, "kma_peak_concurrency": 4, "kosis_calls": 2,
        "ekape_calls": 14, "db_statements": 400, "db_rows_written": farms * 7, "peak_task_rss_mb": 200.0,
        "peak_task": "check_collection", "largest_xcom_bytes": 9000, "tries": 97, "complete": True,
        "state": "success", "notes": [],
    }  # fmt: skip
    return values | overrides


def test_targets_use_the_median_of_the_repeats():
    runs = [
        run("product", 1_000, 40.0),
        run("product", 1_000, 50.0),
        run("product", 100_000, 60.0),
        run("product", 100_000, 70.0),
        run("baseline", 1_000, 400.0, task_instances=1000),
    ]
    found = {name: (met, measured) for name, met, measured in report.targets(runs)}
    assert found["wall time at 100,000 farms <= 3 x wall time at 1,000 farms"] == (
        True,
        "65.0 s / 45.0 s = 1.44 x",
    )
    assert found["product at 1,000 farms >= 5 x faster than the per-farm baseline"][0] is True
    table = report.table(runs)
    assert "| 45.0 (40.0–50.0) |" in table
    assert len(table.splitlines()) == 2 + 3


def test_a_missed_target_is_reported():
    runs = [run("product", 1_000, 40.0, kma_fetch_calls=91), run("product", 100_000, 200.0)]
    found = {name: met for name, met, _ in report.targets(runs)}
    assert found["weather API calls per run = distinct stations used, at every size"] is False
    assert found["wall time at 100,000 farms <= 3 x wall time at 1,000 farms"] is False
    assert found["product >= 5 x faster than the per-farm baseline"] is None


def test_the_published_table_is_what_the_report_renders_and_says_how_it_was_measured():
    document = json.loads((ROOT / "bench" / "results" / "results.json").read_text(encoding="utf-8"))
    assert report.markdown(document) == (ROOT / "bench" / "results" / "results.md").read_text(
        encoding="utf-8"
    )
    assert "after an unrecorded warm-up run" in report.markdown(document)
    document["options"]["warmup_size"] = None
    assert "(no warm-up run)" in report.markdown(document)
    # The tables people read, between the markers of the docs and the README, are this run's too.
    start, end = report.MARKERS
    body = report.markdown(json.loads((ROOT / "bench" / "results" / "results.json").read_text("utf-8")))
    body = body.split("\n", 2)[2].strip()
    for doc in ("docs/performance.md",):  # the README links to it
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert text[text.index(start) + len(start) : text.index(end)].strip() == body, doc
