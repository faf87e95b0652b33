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

# C0 controls minus TAB (0x09), LF (0x0A) and CR (0x0D). In UTF-8 these bytes stand
# only for themselves (every byte of a multi-byte sequence is 0x80 or more), so they
# are looked for in the body's bytes, where a match's position is its byte offset.
FORBIDDEN_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORBIDDEN_CONTROLS = tuple(bytes([b]) for b in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
# The ASCII bytes besides LF that the per-line path treats as a line break
# (str.splitlines: CR, VT, FF, FS, GS, RS) or strips (str.strip: those and US).
# check_controls refuses all but CR first; plain_kept_text looks for them itself,
# so that its answer holds for any bytes.
NOT_PLAIN = tuple(bytes([b]) for b in b"\r\x0b\x0c\x1c\x1d\x1e\x1f")
# What the per-line path strips or drops that a plain body may still hold: a space or
# tab, at a line's start or end. Searched only when the body holds that byte at all.
PADDING = (b" ", b"\t")
# A regex literal search is 2-3x quicker than bytes.find for a two-byte needle
# (measured on 4 MiB, CPython 3.11 and 3.12: ~1.5 against ~3.7 ms).
EMPTY_LINE = re.compile(b"\n\n")
PADDED_LINE = {pad: (re.compile(b"\n" + pad), re.compile(pad + b"\n")) for pad in PADDING}
# Line breaks of str.splitlines that are text here: NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR.
OTHER_BREAKS = ("\x85", "\u2028", "\u2029")

# Past this many windows of half the line limit, the per-line path is as quick.
MAX_LINE_WINDOWS = 1024

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


@dataclass(frozen=True)
class KeptText:
    """The kept lines joined with ``\\n``, UTF-8 encoded, and how many lines they are."""

    data: bytes
    count: int


def parse_lines(body: bytes, limits: Limits) -> list[str]:
    """Return the kept lines of ``body`` or raise the one :class:`Rejection` that applies."""
    return kept_lines(checked_text(body, limits), limits)


def parse_text(body: bytes, limits: Limits) -> KeptText:
    """The kept lines of ``body`` joined, as :func:`parse_lines` would give them, or its
    rejection. A body whose kept text is the body itself (see :func:`plain_kept_text`)
    is returned as it is: no line of it is decoded, stripped or joined again."""
    text = checked_text(body, limits)
    plain = plain_kept_text(body, limits)
    if plain is not None:
        return plain
    lines = kept_lines(text, limits)
    return KeptText("\n".join(lines).encode("utf-8"), len(lines))


def plain_kept_text(body: bytes, limits: Limits) -> KeptText | None:
    """The kept text when it is ``body`` itself less one final LF, else None (not sure).

    So it is for ASCII without CR (nor any other of ``NOT_PLAIN``) in which no line is
    empty or starts or ends with a space or tab, and no line can be over the limit:
    the common CSV or log body.
    Decided by searches over the bytes (each one pass in C); no line is cut out,
    decoded, stripped or joined again.
    """
    core = body.removesuffix(b"\n")
    if not core.isascii() or any(map(core.__contains__, NOT_PLAIN)):
        return None
    if some_line_empty_or_padded(core):
        return None
    if not lines_surely_within(core, limits.max_line_bytes):
        return None
    return KeptText(core, core.count(b"\n") + 1)


def some_line_empty_or_padded(core: bytes) -> bool:
    """Whether a line of ``core`` (LF-separated) is empty or starts or ends with a space
    or tab: the lines ``str.strip`` and the empty-line rule would change, once no
    other whitespace is there (``NOT_PLAIN``). An empty ``core`` counts: no line to keep."""
    if not core or core[0] in b"\n \t" or core[-1] in b"\n \t":
        return True
    if EMPTY_LINE.search(core):
        return True
    return any(padded_line(core, pad) for pad in PADDING)


def padded_line(core: bytes, pad: bytes) -> bool:
    """Whether a line of ``core`` starts or ends with ``pad``, its first and last aside."""
    starts, ends = PADDED_LINE[pad]
    return pad in core and (starts.search(core) is not None or ends.search(core) is not None)


def lines_surely_within(data: bytes, limit: int) -> bool:
    """True when no line of ``data`` (split at LF) can be longer than ``limit`` bytes.

    A line of ``limit`` + 1 bytes or more covers at least one whole aligned window of
    ``limit // 2 + 1`` bytes, so when every whole window holds an LF, no line is over
    the limit. A window without one answers False (the per-line path then decides),
    as does a body of too many windows.
    """
    width = limit // 2 + 1
    windows = len(data) // width
    if windows > MAX_LINE_WINDOWS:
        return False
    return all(data.find(b"\n", k * width, (k + 1) * width) >= 0 for k in range(windows))


def checked_text(body: bytes, limits: Limits) -> str:
    """The decoded body, once its size, encoding and control characters pass."""
    check_size(body, limits)
    text = decode_strict(body)
    check_controls(body)
    return text


def kept_lines(text: str, limits: Limits) -> list[str]:
    # filter(None, ...) keeps the non-empty lines; map, filter and split loop in C.
    kept = list(filter(None, map(str.strip, split_lines(text))))
    check_line_lengths(kept, limits)
    if not kept:
        raise Rejection(RejectionKind.NO_CONTENT, "The body has no non-empty line.")
    return kept


def split_lines(text: str) -> list[str]:
    """The lines between CRLF, CR and LF breaks, give or take empty lines (dropped later).

    ``str.splitlines`` (one pass in C) also cuts at ``\\v``, ``\\f`` and
    ``\\x1c``-``\\x1e``, refused by :func:`check_controls` before this runs, and at
    ``OTHER_BREAKS``: only a text holding one of those takes the slower way, every
    CR turned into LF, then a split at LF (a CRLF so becomes two breaks around an
    empty line).
    """
    if any(map(text.__contains__, OTHER_BREAKS)):
        return text.replace("\r", "\n").split("\n")
    return text.splitlines()


def check_line_lengths(kept: list[str], limits: Limits) -> None:
    """Refuse the first kept line over the limit; numbers count kept lines from 1."""
    # A character is at most 4 bytes in UTF-8: when even the longest line could not
    # exceed the limit, no line is looked at one by one.
    if max(map(len, kept), default=0) * 4 <= limits.max_line_bytes:
        return
    for number, line in enumerate(kept, start=1):
        check_line_length(line, number, limits)


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


def check_controls(body: bytes) -> None:
    # One search per forbidden byte (27 memchr-speed passes in C, ~1.3 ms for 4 MiB
    # against ~2.5 ms for one bytes.translate) tells whether there is any; only then
    # does the slower regex find the first one.
    if not any(map(body.__contains__, FORBIDDEN_CONTROLS)):
        return
    found = FORBIDDEN_CONTROL.search(body)
    assert found is not None
    raise Rejection(
        RejectionKind.INVALID_TEXT,
        f"Control character U+{body[found.start()]:04X} at byte offset {found.start()}; "
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
