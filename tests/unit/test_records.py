"""Records: known answers for ids, sizes and packing (issue 16, gaps 8 and 10)."""

from __future__ import annotations

import hashlib

from handlers import records
from handlers.records import (
    Chunk,
    build_upload,
    chunk_item,
    item_size,
    meta_item,
    pack_lines,
    upload_id_for,
    write_units,
)


def test_the_upload_id_is_pinned_across_deploys() -> None:
    # Changing the domain string or the layout would break replay idempotency.
    assert upload_id_for("owner-1", b"one\ntwo\n") == "011815942bb1e1db5e11c549ce5f8a4a"
    expected = hashlib.sha256(b"dataproc-upload-v1\x00owner-1\x00one\ntwo\n").hexdigest()[:32]
    assert upload_id_for("owner-1", b"one\ntwo\n") == expected


def test_item_size_counts_names_and_utf8_values_and_21_bytes_a_number() -> None:
    assert item_size({}) == 0
    assert item_size({"ab": "cdé"}) == 2 + 4
    assert item_size({"n": 5}) == 1 + 21
    assert item_size({"pk": "x", "count": 10**9}) == 2 + 1 + 5 + 21


def test_write_units_are_one_per_started_kib() -> None:
    assert write_units({}) == 1
    assert write_units({"a": "x" * 1023}) == 1
    assert write_units({"a": "x" * 1024}) == 2
    assert write_units({"a": "x" * 2047}) == 2
    assert write_units({"a": "x" * 2048}) == 3


def test_the_line_cap_leaves_room_for_a_chunk_items_keys() -> None:
    assert records.MAX_LINE_BYTES_CAP < records.ITEM_SIZE_BOUND < records.DYNAMODB_ITEM_LIMIT
    line = "x" * records.MAX_LINE_BYTES_CAP
    upload = build_upload("o" * 128, None, line.encode(), [line])
    (chunk,) = upload.chunks
    assert item_size(chunk_item(upload, chunk)) <= records.ITEM_SIZE_BOUND


def test_chunks_are_filled_exactly_to_the_target() -> None:
    # 4 + 1 + 4 = 9 bytes fit a target of 9; a third line would need 14.
    assert list(pack_lines(["aaaa", "bbbb", "cccc"], target=9)) == [
        Chunk(1, ("aaaa", "bbbb")),
        Chunk(3, ("cccc",)),
    ]
    assert list(pack_lines(["aaaa", "bbbb", "cccc"], target=8)) == [
        Chunk(1, ("aaaa",)),
        Chunk(2, ("bbbb",)),
        Chunk(3, ("cccc",)),
    ]
    assert list(pack_lines(["aaaa", "bbbb", "cccc"], target=14)) == [
        Chunk(1, ("aaaa", "bbbb", "cccc"))
    ]


def test_a_line_over_the_target_travels_alone_and_the_next_starts_fresh() -> None:
    assert list(pack_lines(["a", "x" * 20, "bb", "cc"], target=5)) == [
        Chunk(1, ("a",)),
        Chunk(2, ("x" * 20,)),
        Chunk(3, ("bb", "cc")),
    ]


def test_packing_counts_utf8_bytes() -> None:
    assert list(pack_lines(["éé", "é"], target=6)) == [Chunk(1, ("éé",)), Chunk(2, ("é",))]
    assert list(pack_lines(["éé", "é"], target=7)) == [Chunk(1, ("éé", "é"))]


def test_no_lines_no_chunks_and_the_default_target_is_64_kib() -> None:
    assert list(pack_lines([])) == []
    assert records.CHUNK_TARGET_BYTES == 64 * 1024
    assert len(list(pack_lines(["x" * 1000] * 65))) == 1
    assert len(list(pack_lines(["x" * 1000] * 66))) == 2


def test_items_carry_every_field_and_only_complete_ones_the_index_keys() -> None:
    upload = build_upload("alice", "n.txt", b"a\nb", ["a", "b"])
    pending = meta_item(upload, "2026-11-27T10:00:00.000Z", records.STATUS_PENDING)
    assert pending == {
        "pk": f"UPLOAD#{upload.upload_id}",
        "sk": "META",
        "uploadId": upload.upload_id,
        "owner": "alice",
        "bytes": 3,
        "lines": 2,
        "chunks": 1,
        "sha256": hashlib.sha256(b"a\nb").hexdigest(),
        "createdAt": "2026-11-27T10:00:00.000Z",
        "status": "PENDING",
        "name": "n.txt",
    }
    complete = meta_item(upload, "2026-11-27T10:00:00.000Z", records.STATUS_COMPLETE, "req")
    assert complete == {
        **pending,
        "status": "COMPLETE",
        "gsi1pk": "OWNER#alice",
        "gsi1sk": f"2026-11-27T10:00:00.000Z#{upload.upload_id}",
        "completedBy": "req",
    }
    unnamed = meta_item(upload, "2026-11-27T10:00:00.000Z", records.STATUS_COMPLETE)
    assert unnamed["completedBy"] == ""
    assert chunk_item(upload, upload.chunks[0]) == {
        "pk": f"UPLOAD#{upload.upload_id}",
        "sk": "CHUNK#0000000001",
        "first": 1,
        "count": 2,
        "text": "a\nb",
    }
