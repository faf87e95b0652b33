"""The PNG chart of one run: each figure next to its floor and goal, and latency
against table size. Needs the ``bench`` extra (matplotlib)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# (label, result key, floor key, goal) — lower is better for every figure here.
BARS: tuple[tuple[str, str, str | None, float], ...] = (
    ("up, warm cache (s)", "up_warm_cache_s", "floor_start_s", 1.5),
    ("up, empty cache (s)", "up_cold_cache_s", "floor_start_s", 6.0),
    ("upload p50 (ms)", "warm_upload_p50_ms", "floor_put_item_p50_ms", 5.0),
    ("upload p99 (ms)", "warm_upload_p99_ms", None, 15.0),
    ("cold first request (100 ms)", "cold_first_request_100ms", None, 4.0),
)


def flat(results: dict[str, Any]) -> dict[str, float]:
    values = {k: v for k, v in results.items() if isinstance(v, (int, float))}
    values["cold_first_request_100ms"] = results["cold_first_request_ms"] / 100
    return values


def figures(axes: Any, results: dict[str, Any]) -> None:
    values = flat(results)
    labels = [b[0] for b in BARS]
    rows = range(len(BARS))
    axes.barh([r + 0.2 for r in rows], [values[b[1]] for b in BARS], 0.4, label="measured")
    floors = [values[b[2]] if b[2] else 0.0 for b in BARS]
    axes.barh([r - 0.2 for r in rows], floors, 0.4, label="floor (same run)")
    axes.scatter([b[3] for b in BARS], list(rows), marker="|", s=400, c="red", label="goal")
    axes.set_yticks(list(rows), labels)
    axes.invert_yaxis()
    axes.set_title("each figure against its floor and goal (lower is better)")
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

    figure, (left, right) = pyplot.subplots(1, 2, figsize=(13, 4.5))
    figures(left, results)
    scaling(right, results)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    pyplot.close(figure)
