"""The table measure.py prints: each figure, then its floor from the same run."""

from __future__ import annotations

from typing import Any


def print_table(results: dict[str, Any]) -> None:
    ingest = results["ingest"]
    rows = [
        ("localenv up --detach to ready, empty build cache", f"{results['up_cold_cache_s']:.2f} s"),
        ("localenv up --detach to ready, warm cache", f"{results['up_warm_cache_s']:.2f} s"),
        (
            "  its CPU: the command / the stack process",
            f"{results['up_warm_cache_cpu_s']['command']:.2f} / "
            f"{results['up_warm_cache_cpu_s']['stack']:.2f} s",
        ),
        ("up to first 201 (warm cache)", f"{results['up_to_first_201_s']:.2f} s"),
        (
            "cold first request (authorizer + processor cold)",
            f"{results['cold_first_request_ms']:.0f} ms",
        ),
        (
            "warm one-line upload p50 / p99",
            f"{results['warm_upload_p50_ms']:.1f} / {results['warm_upload_p99_ms']:.1f} ms",
        ),
        ("uploads/s, one client", f"{results['uploads_per_s_one_client']:.0f}"),
        (
            "warm gateway+runtime round trip (echo) p50 / p99",
            f"{results['warm_echo_p50_ms']:.1f} / {results['warm_echo_p99_ms']:.1f} ms",
        ),
        (
            "AWS call (GetItem) p50: moto directly / edge+IAM, embedded / edge, forwarding",
            f"{results['edge_direct_moto_p50_ms']:.2f} / {results['edge_embedded_p50_ms']:.2f} / "
            f"{results['edge_forwarding_p50_ms']:.2f} ms",
        ),
        (
            "edge's added latency per AWS call p50: embedded / forwarding",
            f"{results['edge_overhead_embedded_p50_ms']:+.2f} / "
            f"{results['edge_overhead_forwarding_p50_ms']:+.2f} ms",
        ),
        (
            f"ingest {ingest['bytes'] / 1048576:.2f} MiB, {ingest['lines']} lines over HTTP",
            f"{ingest['http_lines_per_s']:.0f} lines/s, {ingest['http_mib_per_s']:.2f} MiB/s",
        ),
        (
            "same items, raw BatchWriteItem into the emulator",
            f"{ingest['batch_lines_per_s']:.0f} lines/s",
        ),
        ("same lines, one PutItem per line", f"{ingest['put_per_line_lines_per_s']:.0f} lines/s"),
        (
            "write units per MiB: packed / floor / one item per line",
            f"{ingest['write_units_per_mib']:.0f} / {ingest['floor_units_per_mib']:.0f} / "
            f"{ingest['per_line_write_units_per_mib']:.0f}",
        ),
    ]
    rows += [
        (f"cold import handlers.{k} (python3.12)", f"{v:.0f} ms")
        for k, v in results["import_ms"].items()
    ]
    rows += floor_rows(results) + size_rows(results) + environment_rows(results)
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def floor_rows(results: dict[str, Any]) -> list[tuple[str, str]]:
    ingest = results["ingest"]
    return [
        (
            "floor: import moto.server + raw deploy calls",
            f"{results['floor_import_moto_server_s']:.2f} + "
            f"{results['floor_raw_deploy_s']:.2f} = {results['floor_start_s']:.2f} s",
        ),
        (
            "floor: one PutItem straight into the emulator p50",
            f"{results['floor_put_item_p50_ms']:.1f} ms",
        ),
        (
            "floor of a paced upload: PutItem + echo, both paced as the uploads",
            f"{results['floor_put_item_paced_p50_ms']:.1f} + "
            f"{results['warm_echo_paced_p50_ms']:.1f} = "
            f"{results['floor_upload_paced_p50_ms']:.1f} ms",
        ),
        ("ingest over HTTP / raw packed BatchWriteItem", f"{ingest['http_vs_batch']:.2f}x"),
    ]


def size_rows(results: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (
            f"warm GET / upload p50 at {int(size):,} items",
            f"{row['get_p50_ms']:.1f} / {row['upload_p50_ms']:.1f} ms",
        )
        for size, row in results["table_size"].items()
    ]


def environment_rows(results: dict[str, Any]) -> list[tuple[str, str]]:
    before, after = results["environment_before"], results["environment_after"]
    return [
        (
            "load average (1 min) at start / end, cores",
            f"{before['load_average_1m']:.2f} / {after['load_average_1m']:.2f}, {before['cores']}",
        ),
        (
            "compiled bytecode found / PYTHONDONTWRITEBYTECODE",
            f"{before['site_packages_bytecode']} / {before['dont_write_bytecode']}",
        ),
    ]
