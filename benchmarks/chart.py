"""The PNG chart of one run: each figure next to its floor and goal, and latency
against table size. Needs the ``bench`` extra (matplotlib)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# (label, result key, floor key, goal): lower is better for each of these.
BARS: tuple[tuple[str, str, str | None, float], ...] = (
    ("up, warm cache (< 1.5 s)", "up_warm_cache_s", "floor_start_s", 1.5),
    ("up, empty cache (< 6 s)", "up_cold_cache_s", "floor_start_s", 6.0),
    ("upload p50 (< 5 ms)", "warm_upload_p50_ms", "floor_upload_paced_p50_ms", 5.0),
    ("upload p99 (< 15 ms)", "warm_upload_p99_ms", "warm_echo_paced_p99_ms", 15.0),
    ("cold first request (< 400 ms)", "cold_first_request_ms", None, 400.0),
    ("HTTP ingest: batch / HTTP (<= 1/0.6)", "batch_vs_http", None, 1 / 0.6),
    ("write units per MiB / floor (<= 1.05)", "units_vs_floor", None, 1.05),
    ("GET p50 at 100k / at 100 items (<= 1.5)", "get_growth", None, 1.5),
    ("upload p50 at 100k / at 100 items (<= 1.5)", "upload_growth", None, 1.5),
)


def flat(results: dict[str, Any]) -> dict[str, float]:
    values = {k: float(v) for k, v in results.items() if isinstance(v, (int, float))}
    ingest, sizes = results["ingest"], results["table_size"]
    values["batch_vs_http"] = 1 / ingest["http_vs_batch"]
    values["units_vs_floor"] = ingest["write_units_per_mib"] / ingest["floor_units_per_mib"]
    for key, name in (("get_p50_ms", "get_growth"), ("upload_p50_ms", "upload_growth")):
        values[name] = sizes["100000"][key] / sizes["100"][key]
    return values


def figures(axes: Any, results: dict[str, Any]) -> None:
    """Each figure and its floor divided by its goal: left of 1 meets the goal."""
    values = flat(results)
    rows = range(len(BARS))
    measured = [values[key] / goal for _, key, _, goal in BARS]
    floors = [values[f] / goal if f else 0.0 for _, _, f, goal in BARS]
    axes.barh([r + 0.2 for r in rows], measured, 0.4, label="measured / goal")
    axes.barh([r - 0.2 for r in rows], floors, 0.4, label="floor (same run) / goal")
    axes.axvline(1.0, color="red", label="goal")
    axes.set_yticks(list(rows), [b[0] for b in BARS])
    axes.invert_yaxis()
    axes.set_title("each figure against its goal (left of the line: met)")
    axes.legend(loc="lower right")


def scaling(axes: Any, results: dict[str, Any]) -> None:
    by_size = results["table_size"]
    sizes = [int(s) for s in by_size]
    for key, label in (("get_p50_ms", "GET p50"), ("upload_p50_ms", "upload p50")):
        axes.plot(sizes, [by_size[str(s)][key] for s in sizes], marker="o", label=label)
    axes.set_xscale("log")
    axes.set_ylim(bottom=0)
    axes.set_xlabel("items in the table")
    axes.set_ylabel("ms")
    axes.set_title("warm latency against table size (goal: flat within 1.5x)")
    axes.legend()


def write(results: dict[str, Any], path: Path) -> None:
    import matplotlib  # noqa: PLC0415 - an optional extra

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: PLC0415

    figure, (left, right) = pyplot.subplots(1, 2, figsize=(14, 5))
    figures(left, results)
    scaling(right, results)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    pyplot.close(figure)
