"""Hypothesis properties of the plain-text path: a body whose kept text is the body
itself is never cut into lines, and must give exactly what the per-line path gives.

The per-line path (``parse_lines``, itself checked against the straightforward
reference in test_ingest_properties) is the oracle: same kept text and line count,
or the same rejection (kind and detail); and the same upload, chunks included.
"""

from __future__ import annotations

from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from handlers.problems import Rejection
from handlers.records import build_upload, build_upload_from_text
from handlers.text_rules import (
    KeptText,
    Limits,
    lines_surely_within,
    parse_lines,
    parse_text,
    plain_kept_text,
)


def outcome(parse: Any, body: bytes, limits: Limits) -> Any:
    try:
        return parse(body, limits)
    except Rejection as rejection:
        return (rejection.kind, rejection.detail)


def joined(body: bytes, limits: Limits) -> KeptText:
    lines = parse_lines(body, limits)
    return KeptText("\n".join(lines).encode("utf-8"), len(lines))


# Mostly plain ASCII, with what makes a body not plain now and then: a space or tab
# at a line's end or start, empty lines, CR, a control, non-ASCII, long runs.
PIECES = st.sampled_from(
    [
        *"abc,;019-",
        *("line", " ", "\t", "\n", "\n", "\n\n", "\r", "\r\n", "\x0b", "\x00"),
        *("é", "\u2028", "\x85", "\ufeff", "x" * 40, "y" * 300),
    ]
)
# CSV-like lines, a final LF or not, and sometimes one piece above spliced in anywhere.
plain_texts = st.tuples(
    st.lists(st.text(alphabet="abc,;019- ", min_size=1, max_size=50), min_size=1, max_size=30),
    st.sampled_from(["", "\n"]),
).map(lambda shape: "\n".join(shape[0]) + shape[1])


def splice(text: str, piece: str, at: int) -> str:
    at %= len(text) + 1
    return text[:at] + piece + text[at:]


spliced = st.builds(splice, plain_texts, PIECES, st.integers(min_value=0))
bodies = (st.lists(PIECES, max_size=60).map("".join) | plain_texts | spliced).map(
    lambda text: text.encode("utf-8")
)
limits = st.builds(
    Limits,
    max_upload_bytes=st.integers(min_value=1, max_value=5000),
    max_line_bytes=st.integers(min_value=1, max_value=700),
)


@given(bodies, limits)
def test_parse_text_gives_the_kept_lines_joined_or_the_same_rejection(
    body: bytes, limits: Limits
) -> None:
    event("plain" if plain_kept_text(body, limits) is not None else "per line")
    assert outcome(parse_text, body, limits) == outcome(joined, body, limits)


@given(st.binary(max_size=300), limits)
def test_parse_text_of_any_bytes_agrees_with_the_per_line_path(body: bytes, limits: Limits) -> None:
    assert outcome(parse_text, body, limits) == outcome(joined, body, limits)


@given(bodies, st.text(max_size=20), st.none() | st.text(max_size=10))
def test_the_upload_built_from_the_kept_text_is_the_one_built_from_the_lines(
    body: bytes, owner: str, name: str | None
) -> None:
    try:
        kept = parse_text(body, Limits())
    except Rejection:
        return
    expected = build_upload(owner, name, body, parse_lines(body, Limits()))
    assert build_upload_from_text(owner, name, body, kept.data, kept.count) == expected


@given(st.lists(st.integers(min_value=0, max_value=400), max_size=30), st.integers(1, 200))
def test_surely_within_is_never_wrong(lengths: list[int], limit: int) -> None:
    data = b"\n".join(b"x" * length for length in lengths)
    if lines_surely_within(data, limit):
        assert max(lengths, default=0) <= limit
    else:
        event("not sure")
