"""The table and chart of benchmarks/peer.py: each figure for both stacks, ratio = peer / ours."""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from benchmarks.measure import percentile

Statistic = Literal["median", "p50", "p99"]
REASON_CHARS = 90


@dataclass(frozen=True)
class Figure:
    short: str  # the chart's label
    label: str
    key: str  # in results["samples"]
    statistic: Statistic
    unit: Literal["s", "ms"]


FIGURES = (
    Figure(
        "start to ready",
        "start to ready (ours: `up --detach`; peer: start + package + deploy)",
        "start_s",
        "median",
        "s",
    ),
    Figure("cold first POST", "cold first authorized POST", "cold_ms", "median", "ms"),
    Figure("warm POST p50", "warm one-line POST p50", "post_ms", "p50", "ms"),
    Figure("warm POST p99", "warm one-line POST p99", "post_ms", "p99", "ms"),
    Figure(
        "warm GET p50, few uploads",
        "warm GET of one upload p50, {small}",
        "get_small_ms",
        "p50",
        "ms",
    ),
    Figure(
        "warm GET p50, after the POSTs",
        "… after {rounds} more uploads: {large}",
        "get_large_ms",
        "p50",
        "ms",
    ),
    Figure("1 MiB upload", "1 MiB upload of 20-byte lines (median)", "big_ms", "median", "ms"),
)


def value(samples: Any, statistic: Statistic) -> float | str:
    """The figure, or why there is none (a stack's reason, or no samples)."""
    if isinstance(samples, str):
        return samples
    if not samples:
        return "not measured"
    if statistic == "median":
        return float(statistics.median(samples))
    return percentile(samples, 50 if statistic == "p50" else 99)


def rows(results: dict[str, Any], rounds: int) -> list[dict[str, Any]]:
    peer_reason = results["peer"].get("could_not")
    out = []
    for figure in FIGURES:
        samples = results["samples"].get(figure.key, {})
        ours = value(samples.get("ours", []), figure.statistic)
        peer = peer_reason or value(samples.get("peer", []), figure.statistic)
        ratio = peer / ours if isinstance(peer, float) and isinstance(ours, float) else None
        out.append(
            {
                "figure": label(figure, results, rounds),
                "short": figure.short,
                "unit": figure.unit,
                "ours": ours,
                "peer": peer,
                "ratio": ratio,
            }
        )
    return out


def label(figure: Figure, results: dict[str, Any], rounds: int) -> str:
    items = results["items"]
    return figure.label.format(
        small=uploads(items.get("get_small_ms")),
        large=uploads(items.get("get_large_ms")),
        rounds=rounds,
    )


def uploads(counts: dict[str, int] | None) -> str:
    """Uploads in the table, and its items on each side (the item layout is each stack's)."""
    if not counts:
        return "?"
    sides = " / ".join(f"{name} {count:,}" for name, count in counts.items() if name != "uploads")
    return f"{counts['uploads']:,} uploads in the table (items: {sides})"


def shown(entry: float | str, unit: str) -> str:
    if isinstance(entry, str):
        reason = entry if len(entry) <= REASON_CHARS else entry[:REASON_CHARS] + "…"
        return f"could not: {reason}"
    if unit == "s":
        return f"{entry:.2f} s"
    return f"{entry:,.0f} ms" if entry >= 100 else f"{entry:.1f} ms"


def table(results: dict[str, Any]) -> str:
    name = results["peer"]["name"]
    lines = [f"| Figure | ours | {name} | ratio |", "|---|---:|---:|---:|"]
    for row in results["rows"]:
        ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "—"
        lines.append(
            f"| {row['figure']} | {shown(row['ours'], row['unit'])} | "
            f"{shown(row['peer'], row['unit'])} | {ratio} |"
        )
    return "\n".join([*lines, "", *notes(results)])


def notes(results: dict[str, Any]) -> list[str]:
    before, after = results["environment_before"], results["environment_after"]
    lines = [
        f"run {before['utc']} to {after['utc']}, {before['cores']} cores, load average (1 min) "
        f"{before['load_average_1m']:.2f} at start / {after['load_average_1m']:.2f} at end",
        "ratio = peer / ours: > 1 means ours is faster",
    ]
    lines += [
        f"peer deploys the template without {gone['resource']}: {gone['reason']}"
        for gone in results["peer"].get("left_out", [])
    ]
    if "could_not" in results["peer"]:
        lines.append(f"peer: {results['peer']['could_not']}")
    return lines


def chart(results: dict[str, Any], path: Path) -> None:
    """Horizontal bars: each figure's ratio, the line at 1 (right of it: ours is faster)."""
    try:
        import matplotlib  # noqa: PLC0415 - an optional extra

        matplotlib.use("Agg")
        from matplotlib import pyplot  # noqa: PLC0415
    except ImportError:
        print("no chart: matplotlib is not installed (pip install -e '.[bench]')", file=sys.stderr)
        return
    measured = [row for row in results["rows"] if row["ratio"] is not None]
    ratios = [row["ratio"] for row in measured]
    figure, axes = pyplot.subplots(figsize=(9, 0.45 * len(measured) + 1.6))
    places = range(len(measured))
    colours = ["tab:green" if r > 1 else "tab:orange" for r in ratios]
    axes.barh(places, [r - 1 for r in ratios], left=1.0, color=colours)
    for place, ratio in zip(places, ratios, strict=True):
        axes.text(ratio, place, f" {ratio:.2f}x ", va="center", ha="left" if ratio > 1 else "right")
    axes.axvline(1.0, color="black", linewidth=1)
    axes.set_yticks(list(places), [row["short"] for row in measured])
    axes.invert_yaxis()
    axes.set_xscale("log")
    low, high = min([*ratios, 0.5]) / 1.6, max([*ratios, 2.0]) * 1.6
    axes.set_xlim(low, high)
    ticks = [2.0**n for n in range(-6, 8) if low <= 2.0**n <= high]
    axes.set_xticks(ticks, [f"{t:g}" for t in ticks])
    axes.minorticks_off()
    axes.set_xlabel(f"{results['peer']['name']} / ours: right of 1, ours is faster (log scale)")
    when = results["environment_before"]["utc"][:16].replace("T", " ")
    axes.set_title(f"the same requests, interleaved ({when} UTC)")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    pyplot.close(figure)
