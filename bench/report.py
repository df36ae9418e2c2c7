"""Bench results as JSON, a Markdown table with the targets, and a plot of wall time against farm count."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from bench import history, time_to_report

PRODUCT, BASELINE = "product", "baseline"

COLUMNS = (
    ("variant", "variant"),
    ("farm_rows", "farms"),
    ("usable_farms", "usable"),
    ("stations", "stations"),
    ("task_instances", "task instances"),
    ("wall_s", "run wall s (range)"),
    ("collection_s", "collection s"),
    ("kma_fetch_calls", "KMA fetch calls"),
    ("kma_probe_calls", "KMA probes"),
    ("kma_quota_errors", "quota errors"),
    ("kma_peak_concurrency", "peak API concurrency"),
    ("kosis_calls", "KOSIS calls"),
    ("ekape_calls", "EKAPE calls"),
    ("db_statements", "DB statements"),
    ("db_rows_written", "rows written"),
    ("peak_task_rss_mb", "peak task RSS MB"),
    ("largest_xcom_bytes", "largest XCom KB"),
    ("complete", "complete"),
)


def summarize(runs: list[dict]) -> list[dict]:
    """One row per variant and size: median wall and collection times of its runs (with their range), the
    highest memory, concurrency and quota errors seen, complete only if every run was."""
    groups: dict[tuple[str, int], list[dict]] = {}
    for run in runs:
        groups.setdefault((run["variant"], run["farm_rows"]), []).append(run)
    rows = []
    for group in groups.values():
        row = dict(group[0])
        walls = [run["wall_s"] for run in group]
        row["runs"] = len(group)
        row["wall_s"] = round(statistics.median(walls), 1)
        row["wall_s_range"] = [min(walls), max(walls)]
        row["collection_s"] = round(statistics.median(run["collection_s"] for run in group), 1)
        for key in ("gate_task_s", "report_task_s", "gate_step_s", "report_step_s"):  # the history table's
            values = [run[key] for run in group if run.get(key) is not None]
            row[key] = round(statistics.median(values), 2) if values else None
        heaviest = max(group, key=lambda run: run["peak_task_rss_mb"])
        row["peak_task_rss_mb"], row["peak_task"] = heaviest["peak_task_rss_mb"], heaviest["peak_task"]
        for key in ("kma_peak_concurrency", "kma_quota_errors", "kma_calls", "kma_fetch_calls", "tries"):
            row[key] = max(run[key] for run in group)
        row["complete"] = all(run["complete"] for run in group)
        row["state"] = ", ".join(sorted({run["state"] for run in group}))
        row["notes"] = [note for run in group for note in run["notes"]]
        rows.append(row)
    return rows


def _cell(key: str, value: object, row: dict | None = None) -> str:
    if key == "wall_s" and row and row.get("runs", 1) > 1:
        low, high = row["wall_s_range"]
        return f"{value:,.1f} ({low:,.1f}–{high:,.1f})"
    if key == "largest_xcom_bytes":
        return f"{int(value) / 1024:.1f}"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def table(runs: list[dict]) -> str:
    """The summary table (one row per variant and size) of the runs."""
    head = "| " + " | ".join(title for _, title in COLUMNS) + " |"
    rule = "|" + "|".join("---" if key == "variant" else "---:" for key, _ in COLUMNS) + "|"
    lines = [head, rule]
    for row in summarize(runs):
        lines.append("| " + " | ".join(_cell(key, row[key], row) for key, _ in COLUMNS) + " |")
    return "\n".join(lines)


def _product(runs: list[dict], size: int) -> dict | None:
    return next((run for run in runs if run["variant"] == PRODUCT and run["farm_rows"] == size), None)


def targets(runs: list[dict]) -> list[tuple[str, bool | None, str]]:
    """(target, met (None: not measured in this run), the measured numbers), on the summary rows."""
    runs = summarize(runs)
    products = [run for run in runs if run["variant"] == PRODUCT]
    found: list[tuple[str, bool | None, str]] = []
    calls = [(run["farm_rows"], run["kma_fetch_calls"], run["stations"]) for run in products]
    found.append(
        (
            "weather API calls per run = distinct stations used, at every size",
            bool(calls) and all(fetch == stations for _, fetch, stations in calls),
            "; ".join(f"{size:,}: {fetch} calls / {stations} stations" for size, fetch, stations in calls)
            + " (plus the publication probe)",
        )
    )
    small, large = _product(runs, 1_000), _product(runs, 100_000)
    if small and large and small["wall_s"]:
        ratio = large["wall_s"] / small["wall_s"]
        found.append(
            (
                "wall time at 100,000 farms <= 3 x wall time at 1,000 farms",
                ratio <= 3,
                f"{large['wall_s']:.1f} s / {small['wall_s']:.1f} s = {ratio:.2f} x",
            )
        )
    else:
        found.append(("wall time at 100,000 farms <= 3 x wall time at 1,000 farms", None, "not measured"))
    if large:
        found.append(
            (
                "peak memory of any task < 1 GB at 100,000 farms",
                large["peak_task_rss_mb"] < 1024,
                f"{large['peak_task_rss_mb']:.0f} MB ({large['peak_task']})",
            )
        )
    else:
        found.append(("peak memory of any task < 1 GB at 100,000 farms", None, "not measured"))
    baseline = next((run for run in runs if run["variant"] == BASELINE), None)
    same = _product(runs, baseline["farm_rows"]) if baseline else None
    if baseline and same and same["wall_s"]:
        speedup = baseline["wall_s"] / same["wall_s"]
        found.append(
            (
                f"product at {baseline['farm_rows']:,} farms >= 5 x faster than the per-farm baseline",
                speedup >= 5 and baseline["complete"],
                f"{baseline['wall_s']:.1f} s / {same['wall_s']:.1f} s = {speedup:.1f} x",
            )
        )
    else:
        found.append(("product >= 5 x faster than the per-farm baseline", None, "not measured"))
    if history_target := history.history_target(runs):
        found.append(history_target)
    found.append(
        (
            "every run complete (run succeeded, 7 weather rows and 1 report row per usable farm)",
            all(run["complete"] for run in runs),
            ", ".join(f"{run['variant']} {run['farm_rows']:,}: {run['state']}" for run in runs),
        )
    )
    return found


def markdown(document: dict) -> str:
    runs = document["runs"]
    options = document["options"]
    machine = document["machine"]
    limit = options.get("rate_limit")
    lines = [
        "# Bench results",
        "",
        f"Run {document['started_at']} ({document['duration_s']} s), report week {document['week']}; "
        f"{machine['cpus']} CPUs, {machine['memory_gb']} GB, Python {machine['python']}, "
        f"Airflow {machine['airflow']}, LocalExecutor with parallelism {options['parallelism']}.",
        f"Emulated APIs: {options['latency_ms']} ms per call"
        + (f", KMA limit {limit[0]} calls per {limit[1]:g} s (quota error beyond)" if limit else "")
        + f"; product KMA pool {options['pool_slots']} slots, "
        f"paced to {options['calls_per_second']:g} calls/s.",
        "",
        table(runs),
        "",
        "| target | met | measured |",
        "|---|---|---|",
    ]
    for name, met, measured in targets(runs) + time_to_report.targets(document.get("time_to_report")):
        mark = "n/a" if met is None else ("yes" if met else "**NO**")
        lines.append(f"| {name} | {mark} | {measured} |")
    if history_rows := history.history_table(summarize(runs)):
        lines += ["", history_rows]
    if latency := document.get("time_to_report"):
        lines += ["", time_to_report.table(latency)]
    notes = [
        f"{run['variant']} {run['farm_rows']:,}: {note}" for run in summarize(runs) for note in run["notes"]
    ]
    if notes:
        lines += ["", *[f"- {note}" for note in notes]]
    lines += [
        "",
        "Wall times: the run's start to its end, as the metadata database records them; "
        "product rows are the median of their runs, with the range in brackets"
        + (", after an unrecorded warm-up run" if options.get("warmup_size") else " (no warm-up run)")
        + ". Collection: first collect task start to last collect task end. KMA fetch calls ask for a "
        "station's 7 days, probes for Sunday only (the publication wait). DB statements and rows written "
        "count what the tasks sent to the farm database (an executemany batch is one statement; the job log "
        "included). Peak task RSS is the largest `ru_maxrss` of any task process of the run (it includes the "
        "pages the process shares with Airflow's own code); results.json names the task (`peak_task`).",
        "",
    ]
    return "\n".join(lines)


def plot(document: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = summarize(document["runs"])
    products = sorted((run for run in runs if run["variant"] == PRODUCT), key=lambda run: run["farm_rows"])
    baselines = [run for run in runs if run["variant"] == BASELINE]
    figure, axis = plt.subplots(figsize=(7, 4.2), dpi=110)
    xs = [run["farm_rows"] for run in products]
    walls = [run["wall_s"] for run in products]
    spread = [
        [run["wall_s"] - run.get("wall_s_range", [run["wall_s"]] * 2)[0] for run in products],
        [run.get("wall_s_range", [run["wall_s"]] * 2)[1] - run["wall_s"] for run in products],
    ]
    axis.errorbar(xs, walls, yerr=spread, fmt="o-", capsize=4, label="product: whole run", color="tab:blue")
    axis.plot(
        xs, [run["collection_s"] for run in products], "s--", label="product: collection", color="tab:cyan"
    )
    for run in products:
        axis.annotate(
            f"{run['wall_s']:.0f} s", (run["farm_rows"], run["wall_s"]), textcoords="offset points",
            xytext=(7, 5), ha="left", fontsize=8,
        )  # fmt: skip
    if baselines:
        axis.plot(
            [run["farm_rows"] for run in baselines],
            [run["wall_s"] for run in baselines],
            "X",
            markersize=10,
            color="tab:red",
            label="per-farm baseline: whole run",
        )
        for run in baselines:
            axis.annotate(
                f"{run['wall_s']:.0f} s", (run["farm_rows"], run["wall_s"]), textcoords="offset points",
                xytext=(8, -3), fontsize=8, color="tab:red",
            )  # fmt: skip
    axis.set_xscale("log")
    sizes = sorted({run["farm_rows"] for run in runs})
    axis.set_xticks(sizes, [f"{size:,}" for size in sizes])
    axis.minorticks_off()
    axis.set_xlabel("farms (TA_FARM rows)")
    axis.set_ylabel("wall time (s)")
    axis.set_ylim(bottom=0)
    axis.set_title(f"INS weekly report: wall time against farm count ({document['started_at'][:10]})")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


MARKERS = ("<!-- bench:results -->", "<!-- /bench:results -->")


def update_doc(document: dict, path: Path) -> bool:
    """Replace the results between the markers of ``path`` (docs/performance.md, README.md) by this run's."""
    if not path.exists():
        return False
    text = path.read_text(encoding="utf-8")
    start, end = text.find(MARKERS[0]), text.find(MARKERS[1])
    if start < 0 or end < start:
        return False
    body = markdown(document).split("\n", 2)[2].strip()  # without the "# Bench results" heading
    path.write_text(f"{text[: start + len(MARKERS[0])]}\n{body}\n{text[end:]}", encoding="utf-8")
    return True


def write(document: dict, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": folder / "results.json",
        "markdown": folder / "results.md",
        "plot": folder / "wall_time.png",
    }
    paths["json"].write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["markdown"].write_text(markdown(document), encoding="utf-8")
    plot(document, paths["plot"])
    return paths
