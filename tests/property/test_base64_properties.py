"""Hypothesis property of the processor's base64 decoding: the fast decoder for bodies in
padded form gives exactly what the standard strict decoder gives, bytes or refusal."""

from __future__ import annotations

import base64
import binascii

from hypothesis import event, given
from hypothesis import strategies as st

from handlers.problems import Rejection
from handlers.proxy_event import base64_body, padded_form


def standard(text: str) -> bytes | str:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return "refused"


def decoded(text: str) -> bytes | str:
    try:
        return base64_body(text)
    except Rejection:
        return "refused"


# Base64 of some bytes, then now and then one edit: a character replaced, inserted or
# dropped (padding, a character outside the alphabet, non-ASCII), or the last character
# turned into one whose dropped bits are not zero.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
ODD = st.sampled_from([*"=", *"A/+", *" \n\r\t-_*.", "é", "\x00"])


def edit(text: str, kind: int, at: int, char: str) -> str:
    at %= len(text) + 1
    if kind == 1:
        return text[:at] + char + text[at + 1 :]
    if kind == 2:
        return text[:at] + char + text[at:]
    if kind == 3:
        return text[:at] + text[at + 1 :]
    if kind == 4 and text.rstrip("="):
        kept = text.rstrip("=")
        return kept[:-1] + ALPHABET[(ALPHABET.index(kept[-1]) + 1) % 64] + text[len(kept) :]
    return text


texts = st.builds(
    edit,
    st.binary(max_size=40).map(lambda data: base64.b64encode(data).decode()),
    st.integers(0, 4),
    st.integers(min_value=0),
    ODD,
) | st.text(alphabet=ALPHABET + "= \n", max_size=12)


@given(texts)
def test_the_body_decodes_as_the_standard_strict_decoder_decodes_it(text: str) -> None:
    event("padded form" if padded_form(text) else "other")
    assert decoded(text) == standard(text)
