"""A JSON request body decoded once per call, by the edge, for moto too.

The edge decodes a JSON body to read the call's parameters (``edge.calls``), then
moto 5.2's request parser (``BaseJSONParser._parse_body_as_json``) decodes the same
bytes again: for a batch of large items, a decode is ~2 ms per MiB, each time. The
edge offers moto its document for the call it forwards (``offered``); the patched
parser takes it when moto's own decoding would give the same value, and decodes as
before otherwise.

When it is the same: moto decodes the body as strict UTF-8 and parses the text,
falling back to ``json.loads`` of the bytes when the bytes are not UTF-8; the edge
parses the bytes with ``json.loads``, which decodes them as UTF-8 (surrogates
allowed) when ``json.detect_encoding`` finds no BOM and no UTF-16/32 NULs. Then the
two texts are equal whenever strict UTF-8 decodes the bytes, and when it does not,
moto's fallback is the edge's call itself. A body moto would read otherwise (a BOM,
UTF-16/32) or the edge could not parse is left to moto.

Who owns the document: moto's parser reads it and builds its parameters afresh
(structures, lists and maps are new; strings and numbers are immutable), and the
edge's interceptors only read the call's parameters (``edge.calls.AwsCall``).

Written so it can be offered upstream as a parser that accepts an already decoded
body (``RequestParser.parse`` given a document instead of bytes).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.parse import BaseJSONParser

# kept for the tests that compare both
ORIGINAL_PARSE_BODY: Callable[[BaseJSONParser, Any], Any] = BaseJSONParser._parse_body_as_json
_offer = threading.local()  # one call at a time per edge thread


def apply() -> None:
    BaseJSONParser._parse_body_as_json = parse_body_as_json  # type: ignore[method-assign]


@contextmanager
def offered(body: bytes, document: Any) -> Iterator[None]:
    """While moto serves a call on this thread: ``document`` is ``json.loads(body)``."""
    _offer.call = (body, document)
    try:
        yield
    finally:
        _offer.call = None


def parse_body_as_json(self: BaseJSONParser, body_contents: Any) -> Any:
    """moto's ``_parse_body_as_json``, or the edge's document when it is the same value."""
    call = getattr(_offer, "call", None)
    if call is not None and same_decoding(call[0], body_contents):
        return call[1]
    return ORIGINAL_PARSE_BODY(self, body_contents)


def same_decoding(offered_body: bytes, body_contents: Any) -> bool:
    """Whether moto would decode ``body_contents`` to what ``json.loads(offered_body)`` is."""
    if not isinstance(body_contents, bytes) or not body_contents:
        return False
    if body_contents is not offered_body and body_contents != offered_body:
        return False
    return json.detect_encoding(body_contents) == "utf-8"
