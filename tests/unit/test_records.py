"""Records: known answers for ids, sizes and packing (issue 16, gaps 8 and 10)."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from handlers import records
from handlers.records import (
    Chunk,
    Item,
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
        Chunk(1, "aaaa\nbbbb"),
        Chunk(3, "cccc"),
    ]
    assert list(pack_lines(["aaaa", "bbbb", "cccc"], target=8)) == [
        Chunk(1, "aaaa"),
        Chunk(2, "bbbb"),
        Chunk(3, "cccc"),
    ]
    assert list(pack_lines(["aaaa", "bbbb", "cccc"], target=14)) == [Chunk(1, "aaaa\nbbbb\ncccc")]


def test_a_line_over_the_target_travels_alone_and_the_next_starts_fresh() -> None:
    assert list(pack_lines(["a", "x" * 20, "bb", "cc"], target=5)) == [
        Chunk(1, "a"),
        Chunk(2, "x" * 20),
        Chunk(3, "bb\ncc"),
    ]


def test_an_empty_line_first_is_a_chunk_of_its_own_when_the_next_does_not_fit() -> None:
    assert list(pack_lines(["", "abc"], target=1)) == [Chunk(1, ""), Chunk(2, "abc")]
    assert list(pack_lines(["", "abc"], target=4)) == [Chunk(1, "\nabc")]
    assert list(pack_lines(["ab", "", "cdef"], target=3)) == [Chunk(1, "ab\n"), Chunk(3, "cdef")]


def test_a_target_of_zero_bytes_puts_each_line_alone() -> None:
    expected = [Chunk(1, "a"), Chunk(2, "bb"), Chunk(3, "c")]
    assert list(pack_lines(["a", "bb", "c"], target=0)) == expected


def test_packing_counts_utf8_bytes() -> None:
    assert list(pack_lines(["éé", "é"], target=6)) == [Chunk(1, "éé"), Chunk(2, "é")]
    assert list(pack_lines(["éé", "é"], target=7)) == [Chunk(1, "éé\né")]


def test_no_lines_no_chunks_and_the_default_target_is_64_kib() -> None:
    assert list(pack_lines([])) == []
    assert build_upload("alice", None, b"", []).chunks == ()
    assert build_upload("alice", None, b"", [""]).chunks == (Chunk(1, ""),)
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


# One write for small uploads: the lines inline in the COMPLETE metadata item.

OWNER = "7d8e9f00-1111-4222-8333-944455566677"  # a Cognito sub: 36 characters
REQUEST = "11111111-2222-4333-8444-555555555555"  # a Lambda request id: 36 characters
AT = "2026-11-27T10:00:00.000Z"


def one_line(size: int, name: str | None = None) -> records.Upload:
    line = "x" * size
    return build_upload(OWNER, name, line.encode(), [line])


def test_the_inline_item_is_the_complete_item_plus_the_chunks_fields() -> None:
    upload = build_upload("alice", "n.txt", b"a\r\nb", ["a", "b"])
    item = records.one_write_item(upload, AT, "req")
    complete = meta_item(upload, AT, records.STATUS_COMPLETE, "req")
    assert item == {**complete, "first": 1, "count": 2, "text": "a\nb"}
    assert records.has_inline_lines(item)
    assert not records.has_inline_lines(complete)


def test_an_upload_of_two_chunks_is_never_inline() -> None:
    lines = ["x" * 1000] * 66  # two chunks of the 64 KiB target
    upload = build_upload(OWNER, None, "\n".join(lines).encode(), lines)
    assert len(upload.chunks) == 2
    assert records.one_write_item(upload, AT, REQUEST) is None
    tiny = dataclasses.replace(upload, chunks=(Chunk(1, "a"), Chunk(2, "b")))
    assert records.one_write_item(tiny, AT, REQUEST) is None


def test_inline_up_to_the_last_size_that_costs_no_more_write_units() -> None:
    # Item sizes of a one-line upload of n bytes (36-character owner and request id,
    # no name): inline 538 + n, PENDING 323, chunk 115 + n, COMPLETE 482. Inline costs
    # 2 x units(538 + n); three writes cost 1 + units(79 + n) + 2 x 1.
    assert records.one_write_item(one_line(1), AT, REQUEST) is not None
    assert records.one_write_item(one_line(1510), AT, REQUEST) is not None  # 2x2 <= 1+2+2
    assert records.one_write_item(one_line(1511), AT, REQUEST) is None  # 2x3 > 1+2+2
    assert records.one_write_item(one_line(1933), AT, REQUEST) is None  # 2x3 > 1+2+2
    assert records.one_write_item(one_line(1934), AT, REQUEST) is not None  # 2x3 <= 1+3+2
    assert records.one_write_item(one_line(2534), AT, REQUEST) is not None  # 2x3 <= 1+3+2
    assert records.one_write_item(one_line(2535), AT, REQUEST) is None  # 2x4 > 1+3+2


def test_a_long_name_moves_the_limit() -> None:
    # The name is in the metadata twice over (inline and COMPLETE) but once in PENDING.
    assert records.one_write_item(one_line(1250, "n" * 256), AT, REQUEST) is not None
    assert records.one_write_item(one_line(1251, "n" * 256), AT, REQUEST) is None


def test_the_pending_items_own_units_count() -> None:
    # An owner long enough to take PENDING past 1 KiB. Units of inline, PENDING, chunk
    # and COMPLETE: 4, 2 (1,025 bytes), 2, 2, so 2x4 <= 2+2+2x2: one write.
    assert records.one_write_item(
        build_upload("o" * 738, None, b"x" * 1131, ["x" * 1131]), AT, REQUEST
    )
    # 4, 1 (1,011 bytes), 2, 2: 2x4 > 1+2+2x2, three writes.
    assert not records.one_write_item(
        build_upload("o" * 724, None, b"x" * 1159, ["x" * 1159]), AT, REQUEST
    )


def sized(size: int) -> Item:
    """An item of exactly ``size`` bytes as DynamoDB counts them."""
    return {"a": "x" * (size - 1)}


@pytest.mark.parametrize(
    ("inline", "pending", "chunk", "complete", "allowed"),
    [
        # units: inline, pending, chunk, complete
        (1024, 1024, 1024, 1024, True),  # 2x1 <= 1+1+2x1
        (2048, 1024, 1024, 1024, True),  # 2x2 <= 1+1+2: equal units are allowed
        (2049, 1024, 1024, 1024, False),  # 2x3 > 4
        (3072, 1024, 2048, 1024, False),  # 2x3 > 1+2+2
        (3072, 2048, 2048, 1024, True),  # 2x3 <= 2+2+2
        (3072, 1024, 3072, 1024, True),  # 2x3 <= 1+3+2
        (3072, 1024, 1024, 2048, True),  # 2x3 <= 1+1+2x2
        (4096, 1024, 1024, 2048, False),  # 2x4 > 1+1+2x2
    ],
)
def test_inline_costs_no_more_at_the_boundary(
    inline: int, pending: int, chunk: int, complete: int, allowed: bool
) -> None:
    assert (
        records.inline_costs_no_more(sized(inline), sized(pending), sized(chunk), sized(complete))
        is allowed
    )


def test_a_line_with_a_line_break_cannot_be_packed() -> None:
    with pytest.raises(ValueError, match=r"^a line to pack contains a line break$"):
        list(pack_lines(["a\nb"]))
    with pytest.raises(ValueError, match="line break"):
        list(pack_lines(["a", "b\n"]))
    assert list(pack_lines([""])) == [Chunk(1, "")]


def test_a_chunk_counts_and_lists_its_lines() -> None:
    chunk = Chunk(7, "a\nbb\n")
    assert (chunk.count, chunk.lines, chunk.sk) == (3, ("a", "bb", ""), "CHUNK#0000000007")
