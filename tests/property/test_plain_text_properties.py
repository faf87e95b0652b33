"""Hypothesis properties of the plain-text path: a body whose kept text is the body
itself is never cut into lines, and must give exactly what the per-line path gives.

The per-line path (``parse_lines``, itself checked against the straightforward
reference in test_ingest_properties) is the oracle: same kept text and line count,
or the same rejection (kind and detail); and the same upload, chunks included.
"""

from __future__ import annotations

from typing import Any, TypeVar

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from handlers.problems import Rejection
from handlers.records import build_upload, build_upload_from_text
from handlers.text_rules import (
    KeptText,
    Limits,
    decode_strict,
    kept_lines,
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


# Bodies at the plain path's edges: lines padded with spaces or tabs at either end (or
# holding them inside), empty lines, lines of about the line limit, CR or CRLF, and one
# byte that is not plain: a control the per-line path splits at or strips, one it
# keeps, non-ASCII, a Unicode line separator. Each property runs once per kind of edge
# (and once with none, once with any two): a body has edges of that kind only, so that
# each kind is often the one thing that makes a body not plain.
T = TypeVar("T")
PADS = st.sampled_from([" ", "\t", "\t ", " \t"])
BREAKS = st.sampled_from(["\n\n", "\r\n", "\r", "\n \n", "\n\t\n", "\n\n\n"])
ENDS = st.sampled_from(["\n\n", " ", "\t", " \n", "\t\n", "\r\n", "\r"])
STARTS = st.sampled_from(["\n", " ", "\t", "\r\n", "\r"])
# The bytes plain_kept_text must look for itself (NOT_PLAIN); twice as likely in ODD.
NOT_PLAIN_TEXT = "\x0b\x0c\x1c\x1d\x1e\x1f\r"
ODD = st.sampled_from([*NOT_PLAIN_TEXT * 2, *"\x00\x1b\x7f", "é", "\x85", "\u2028"])
# "stripped": one of NOT_PLAIN_TEXT where it would start or end a line.
EDGE_KINDS = ["line starts", "line ends", "breaks", "body start", "body end", "long"]
EDGE_KINDS += ["odd", "stripped"]


def padded_inside(size: int) -> st.SearchStrategy[str]:
    """``size`` characters, a space or a tab among them now and then but not at an end."""
    word = st.text(alphabet="ab,1", min_size=size, max_size=size)
    inside = st.sampled_from(["", "", " ", "\t"])
    return st.builds(lambda w, pad: w[:1] + pad + w[1:] if len(w) > 1 else w, word, inside)


KIND_SETS = [
    *(st.just(frozenset({kind})) for kind in EDGE_KINDS),
    st.just(frozenset[str]()),
    st.frozensets(st.sampled_from(EDGE_KINDS), min_size=2, max_size=2),
]


@st.composite
def edge_bodies(
    draw: st.DrawFn, kind_sets: st.SearchStrategy[frozenset[str]]
) -> tuple[bytes, Limits]:
    kinds = draw(kind_sets)

    def edge(kind: str, cases: st.SearchStrategy[T], plain: T, odds: int = 3) -> T:
        """At one place of ``kind``: an edge case, one time in ``odds`` if the body has them."""
        return draw(cases) if kind in kinds and draw(st.integers(1, odds)) == 1 else plain

    limit = draw(st.integers(min_value=1, max_value=40))
    near_limit = st.sampled_from([limit - 1, limit, limit + 1, limit + 2])
    short = st.integers(1, max(1, limit // 2))
    sizes = [edge("long", near_limit, draw(short)) for _ in range(draw(st.integers(1, 12)))]
    lines = [
        edge("line starts", PADS, "") + draw(padded_inside(size)) + edge("line ends", PADS, "")
        for size in sizes
    ]
    text = edge("body start", STARTS, "", odds=1) + lines[0]
    for line in lines[1:]:
        text += edge("breaks", BREAKS, "\n") + line
    text += edge("body end", ENDS, draw(st.sampled_from(["", "\n"])), odds=1)
    ends = [0, len(text), *(n + k for n, c in enumerate(text) if c == "\n" for k in (0, 1))]
    if "odd" in kinds:  # anywhere, or where it would start or end a line
        text = splice(text, draw(ODD), draw(st.sampled_from(ends) | st.integers(min_value=0)))
    if "stripped" in kinds:  # where str.strip would take it off
        text = splice(text, draw(st.sampled_from(NOT_PLAIN_TEXT)), draw(st.sampled_from(ends)))
    size_limit = draw(st.sampled_from([1 << 20]) | st.integers(1, 300))
    return text.encode("utf-8"), Limits(max_upload_bytes=size_limit, max_line_bytes=limit)


@pytest.mark.parametrize("kinds", KIND_SETS)
@given(data=st.data())
def test_parse_text_at_the_edges_gives_the_kept_lines_joined_or_the_same_rejection(
    kinds: st.SearchStrategy[frozenset[str]], data: st.DataObject
) -> None:
    body, limits = data.draw(edge_bodies(kinds))
    event("plain" if plain_kept_text(body, limits) is not None else "per line")
    assert outcome(parse_text, body, limits) == outcome(joined, body, limits)


@pytest.mark.parametrize("kinds", KIND_SETS)
@given(data=st.data())
def test_the_plain_answer_holds_without_the_control_check_before_it(
    kinds: st.SearchStrategy[frozenset[str]], data: st.DataObject
) -> None:
    """plain_kept_text is right on its own: its kept text is the per-line path's, controls
    that parse_text refuses first included (no size or control check here)."""
    body, limits = data.draw(edge_bodies(kinds))
    plain = plain_kept_text(body, limits)
    event("plain" if plain is not None else "not sure")
    if plain is not None:
        lines = kept_lines(decode_strict(body), limits)
        assert plain == KeptText("\n".join(lines).encode("utf-8"), len(lines))


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
