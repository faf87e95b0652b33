"""The text rules of an upload: bytes in, kept lines out, or one precise rejection.

Pure: no I/O, no clock. The contract (cloudformation/openapi.yaml, README "The API"):

- strict UTF-8; a leading UTF-8 BOM is dropped; a UTF-16/32 BOM is refused;
- no NUL or other C0 control character except tab (CR and LF end lines);
- lines end at ``\\n``, ``\\r\\n`` or ``\\r`` and only there. ``str.splitlines``
  also splits on ``\\v``, ``\\f``, ``\\x1c-\\x1e``, ``\\x85``, U+2028 and U+2029,
  so it is not used;
- each line is stripped of surrounding whitespace (``str.strip``), empty lines
  are dropped, order is kept;
- the line limit applies to the kept line, after stripping: what is stored, so
  surrounding whitespace (and a line of spaces, which is dropped) never counts.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from handlers.problems import Rejection, RejectionKind

LINE_BREAK = re.compile(r"\r\n|\r|\n")
# C0 controls minus TAB (0x09), LF (0x0A) and CR (0x0D).
FORBIDDEN_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# Longest first: the UTF-32 LE BOM starts with the UTF-16 LE one.
FOREIGN_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32LE"),
    (codecs.BOM_UTF32_BE, "UTF-32BE"),
    (codecs.BOM_UTF16_LE, "UTF-16LE"),
    (codecs.BOM_UTF16_BE, "UTF-16BE"),
)


@dataclass(frozen=True)
class Limits:
    """Upload limits in bytes (configured from the environment)."""

    max_upload_bytes: int = 4 * 1024 * 1024
    max_line_bytes: int = 256 * 1024


def parse_lines(body: bytes, limits: Limits) -> list[str]:
    """Return the kept lines of ``body`` or raise the one :class:`Rejection` that applies."""
    check_size(body, limits)
    text = decode_strict(body)
    check_controls(text, body)
    kept: list[str] = []
    for raw in LINE_BREAK.split(text):
        line = raw.strip()
        check_line_length(line, len(kept) + 1, limits)
        if line:
            kept.append(line)
    if not kept:
        raise Rejection(RejectionKind.NO_CONTENT, "The body has no non-empty line.")
    return kept


def check_size(body: bytes, limits: Limits) -> None:
    if not body:
        raise Rejection(RejectionKind.EMPTY_BODY, "The request body is empty.")
    if len(body) > limits.max_upload_bytes:
        raise Rejection(
            RejectionKind.TOO_LARGE,
            f"The body is {len(body)} bytes; the limit is {limits.max_upload_bytes} bytes.",
        )


def decode_strict(body: bytes) -> str:
    """Decode strict UTF-8, dropping one leading UTF-8 BOM."""
    for bom, name in FOREIGN_BOMS:
        if body.startswith(bom):
            raise Rejection(
                RejectionKind.UNSUPPORTED_MEDIA,
                f"The body starts with a {name} byte order mark; only UTF-8 is accepted.",
            )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejection(
            RejectionKind.INVALID_TEXT,
            f"The body is not valid UTF-8: {exc.reason} at byte offset {exc.start}.",
        ) from exc
    return text.removeprefix("\ufeff")


def check_controls(text: str, body: bytes) -> None:
    found = FORBIDDEN_CONTROL.search(text)
    if found is None:
        return
    # Every character before a C0 control is counted in UTF-8 bytes, plus the BOM if any.
    bom = len(codecs.BOM_UTF8) if body.startswith(codecs.BOM_UTF8) else 0
    offset = bom + len(text[: found.start()].encode("utf-8"))
    raise Rejection(
        RejectionKind.INVALID_TEXT,
        f"Control character U+{ord(found.group()):04X} at byte offset {offset}; "
        "only tab, CR and LF are allowed.",
    )


def check_line_length(line: str, number: int, limits: Limits) -> None:
    # A character is at most 4 bytes in UTF-8: skip the encode for short lines.
    if len(line) * 4 <= limits.max_line_bytes:
        return
    size = len(line.encode("utf-8"))
    if size > limits.max_line_bytes:
        raise Rejection(
            RejectionKind.LINE_TOO_LONG,
            f"A line (after {number - 1} kept lines) is {size} bytes; "
            f"the limit is {limits.max_line_bytes} bytes.",
        )
