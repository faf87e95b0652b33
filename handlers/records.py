"""An upload as DynamoDB items: ids, packing of lines into chunks, item sizes.

Pure: takes plain values (and a timestamp), does no I/O.

DynamoDB charges one write unit per started KiB of each item, so one item per
short line would cost ~50x the bytes. Consecutive lines are packed into chunk
items of about ``CHUNK_TARGET_BYTES`` so an upload's write units stay close to
``ceil(bytes / 1 KiB)``. A chunk's lines are joined with ``\\n``: a kept line
never contains a line break, so the join is lossless.

An upload that packs into one chunk may instead travel inline in its COMPLETE
metadata item, written with one conditional put (:func:`one_write_item`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

# DynamoDB's item limit is 400 KB (names + values). Chunks aim at 64 KiB and an
# item may never exceed ITEM_SIZE_BOUND, "well under" that limit.
DYNAMODB_ITEM_LIMIT = 400 * 1024
ITEM_SIZE_BOUND = 300 * 1024
CHUNK_TARGET_BYTES = 64 * 1024
# A line longer than the chunk target travels alone in its chunk, so the line
# limit must leave room for the chunk's keys and attribute names.
MAX_LINE_BYTES_CAP = ITEM_SIZE_BOUND - 1024
# Numbers take at most 21 bytes in DynamoDB's size accounting.
NUMBER_SIZE_BOUND = 21

STATUS_PENDING = "PENDING"
STATUS_COMPLETE = "COMPLETE"
META_SK = "META"
CHUNK_SK_PREFIX = "CHUNK#"
UPLOAD_PK_PREFIX = "UPLOAD#"
OWNER_PK_PREFIX = "OWNER#"
ID_DOMAIN = b"dataproc-upload-v1\x00"

Item = dict[str, str | int]


# The byOwner index projects ALL attributes (cloudformation/template.yaml), so every
# write of an item carrying its keys (a COMPLETE metadata item) is charged again, at
# the item's size, in the index.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations
INDEXED_WRITES = 2


@dataclass(frozen=True)
class Chunk:
    first: int  # line number of the chunk's first line, counting kept lines from 1
    text: str  # the chunk's lines joined with "\n"

    @property
    def sk(self) -> str:
        return chunk_sk(self.first)

    # Counted once (a pass over the text): packing reads it for the next chunk's
    # first line, and the chunk's item stores it.
    @cached_property
    def count(self) -> int:
        return self.text.count("\n") + 1

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(self.text.split("\n"))


@dataclass(frozen=True)
class Upload:
    upload_id: str
    owner: str
    name: str | None
    sha256: str
    size: int
    line_count: int
    chunks: tuple[Chunk, ...]

    def summary(self) -> dict[str, str | int | None]:
        """The body the API answers for a stored upload."""
        return {
            "uploadId": self.upload_id,
            "name": self.name,
            "lines": self.line_count,
            "bytes": self.size,
            "sha256": self.sha256,
            "status": STATUS_COMPLETE,
        }


def upload_id_for(owner: str, body: bytes) -> str:
    """Same owner + same bytes -> same id; 128 bits of SHA-256, hex."""
    digest = hashlib.sha256(ID_DOMAIN + owner.encode("utf-8") + b"\x00")
    digest.update(body)  # the body is hashed where it lies, not copied behind the prefix
    return digest.hexdigest()[:32]


def build_upload(owner: str, name: str | None, body: bytes, lines: list[str]) -> Upload:
    return build_upload_from_text(owner, name, body, join_lines(lines), len(lines))


def build_upload_from_text(
    owner: str, name: str | None, body: bytes, text: bytes, line_count: int
) -> Upload:
    """The upload of ``body`` whose ``line_count`` kept lines, joined, are ``text`` (UTF-8)."""
    return Upload(
        upload_id=upload_id_for(owner, body),
        owner=owner,
        name=name,
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
        line_count=line_count,
        chunks=tuple(pack_text(text)) if line_count else (),
    )


def join_lines(lines: Sequence[str]) -> bytes:
    """The lines joined with ``\n``, encoded once; a line may not hold a line break."""
    text = "\n".join(lines)
    if lines and text.count("\n") != len(lines) - 1:
        raise ValueError("a line to pack contains a line break")
    return text.encode("utf-8")


def pack_lines(lines: Sequence[str], target: int = CHUNK_TARGET_BYTES) -> Iterator[Chunk]:
    """Greedy packing of consecutive lines into chunks of at most ``target`` bytes.

    A line longer than ``target`` forms a chunk of its own. The lines are joined
    and encoded once; each chunk is cut from that at a line break (searches in C),
    so no line is encoded or measured one by one.
    """
    data = join_lines(lines)
    if lines:
        yield from pack_text(data, target)


def pack_text(data: bytes, target: int = CHUNK_TARGET_BYTES) -> Iterator[Chunk]:
    """The chunks of the joined lines ``data`` (at least one line, maybe empty)."""
    first = 1
    for start, stop in chunk_spans(data, target):
        chunk = Chunk(first, data[start:stop].decode("utf-8"))
        first += chunk.count
        yield chunk


def chunk_spans(data: bytes, target: int) -> Iterator[tuple[int, int]]:
    """(start, stop) byte offsets of each chunk of the joined lines ``data``."""
    start = 0
    while True:
        stop = chunk_end(data, start, target)
        yield start, stop
        if stop == len(data):
            return
        start = stop + 1


def chunk_end(data: bytes, start: int, target: int) -> int:
    """Where the chunk from ``start`` ends: at the last line break that keeps it within
    ``target`` bytes, or after its first line when that line alone is longer."""
    if len(data) - start <= target:
        return len(data)
    cut = data.rfind(b"\n", start, start + target + 1)
    if cut < 0:  # no break within target: the first line is longer; it ends further on
        cut = data.find(b"\n", start + target + 1)
    return len(data) if cut < 0 else cut


def chunk_sk(first: int) -> str:
    return f"{CHUNK_SK_PREFIX}{first:010d}"


def upload_pk(upload_id: str) -> str:
    return UPLOAD_PK_PREFIX + upload_id


def owner_pk(owner: str) -> str:
    return OWNER_PK_PREFIX + owner


def chunk_item(upload: Upload, chunk: Chunk) -> Item:
    return {
        "pk": upload_pk(upload.upload_id),
        "sk": chunk.sk,
        "first": chunk.first,
        "count": chunk.count,
        "text": chunk.text,
    }


def meta_item(
    upload: Upload, created_at: str, status: str, completed_by: str | None = None
) -> Item:
    """The metadata item; only a COMPLETE one carries the owner-index keys and its writer."""
    item: Item = {
        "pk": upload_pk(upload.upload_id),
        "sk": META_SK,
        "uploadId": upload.upload_id,
        "owner": upload.owner,
        "bytes": upload.size,
        "lines": upload.line_count,
        "chunks": len(upload.chunks),
        "sha256": upload.sha256,
        "createdAt": created_at,
        "status": status,
    }
    if upload.name is not None:
        item["name"] = upload.name
    if status == STATUS_COMPLETE:
        item["gsi1pk"] = owner_pk(upload.owner)
        item["gsi1sk"] = f"{created_at}#{upload.upload_id}"
        item["completedBy"] = completed_by or ""
    return item


def one_write_item(upload: Upload, created_at: str, completed_by: str) -> Item | None:
    """The COMPLETE metadata item carrying the lines inline, when one put may store the upload.

    Only an upload of one chunk qualifies, and only while the inline item costs no
    more write units than PENDING, the chunk and COMPLETE would: both the inline item
    and COMPLETE carry the owner-index keys, so each is charged twice (table and index).
    """
    if len(upload.chunks) != 1:
        return None
    (chunk,) = upload.chunks
    complete = meta_item(upload, created_at, STATUS_COMPLETE, completed_by)
    inline: Item = {**complete, "first": chunk.first, "count": chunk.count, "text": chunk.text}
    pending = meta_item(upload, created_at, STATUS_PENDING)
    if not inline_costs_no_more(inline, pending, chunk_item(upload, chunk), complete):
        return None
    return inline


def inline_costs_no_more(inline: Item, pending: Item, chunk: Item, complete: Item) -> bool:
    """units(inline) x 2 <= units(PENDING) + units(chunk) + units(COMPLETE) x 2.

    PENDING lacks the index keys, so it is written to the table only.
    """
    three_writes = (
        write_units(pending) + write_units(chunk) + INDEXED_WRITES * write_units(complete)
    )
    return INDEXED_WRITES * write_units(inline) <= three_writes


def has_inline_lines(meta: Mapping[str, object]) -> bool:
    """Whether a metadata item carries its upload's lines (written by one put)."""
    return "text" in meta


def chunk_lines(item: Mapping[str, object]) -> list[str]:
    text = item["text"]
    if not isinstance(text, str):
        raise TypeError("chunk text is not a string")
    return text.split("\n")


def item_size(item: Mapping[str, str | int]) -> int:
    """Upper bound of an item's size as DynamoDB counts it (names + values)."""
    total = 0
    for name, value in item.items():
        total += len(name.encode("utf-8"))
        total += len(value.encode("utf-8")) if isinstance(value, str) else NUMBER_SIZE_BOUND
    return total


def write_units(item: Mapping[str, str | int]) -> int:
    """Write capacity units for one standard write: one per started KiB."""
    return max(1, -(-item_size(item) // 1024))
