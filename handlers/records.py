"""An upload as DynamoDB items: ids, packing of lines into chunks, item sizes.

Pure: takes plain values (and a timestamp), does no I/O.

DynamoDB charges one write unit per started KiB of each item, so one item per
short line would cost ~50x the bytes. Consecutive lines are packed into chunk
items of about ``CHUNK_TARGET_BYTES`` so an upload's write units stay close to
``ceil(bytes / 1 KiB)``. A chunk's lines are joined with ``\\n``: a kept line
never contains a line break, so the join is lossless.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Chunk:
    first: int  # line number of the chunk's first line, counting kept lines from 1
    lines: tuple[str, ...]

    @property
    def sk(self) -> str:
        return chunk_sk(self.first)


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
    digest = hashlib.sha256(ID_DOMAIN + owner.encode("utf-8") + b"\x00" + body)
    return digest.hexdigest()[:32]


def build_upload(owner: str, name: str | None, body: bytes, lines: list[str]) -> Upload:
    return Upload(
        upload_id=upload_id_for(owner, body),
        owner=owner,
        name=name,
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
        line_count=len(lines),
        chunks=tuple(pack_lines(lines)),
    )


def pack_lines(lines: Iterable[str], target: int = CHUNK_TARGET_BYTES) -> Iterator[Chunk]:
    """Greedy packing of consecutive lines into chunks of at most ``target`` bytes.

    A line longer than ``target`` forms a chunk of its own.
    """
    batch: list[str] = []
    size = 0
    first = 1
    for number, line in enumerate(lines, start=1):
        cost = len(line.encode("utf-8")) + (1 if batch else 0)
        if batch and size + cost > target:
            yield Chunk(first, tuple(batch))
            batch, size, first = [], 0, number
            cost -= 1
        batch.append(line)
        size += cost
    if batch:
        yield Chunk(first, tuple(batch))


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
        "count": len(chunk.lines),
        "text": "\n".join(chunk.lines),
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
