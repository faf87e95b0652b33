"""Hypothesis property of the gateway's proxy event encoding: the payload Lambda gets is,
byte for byte, ``json.dumps`` of the event, whatever the body, its content type, the
headers, the query or the authorizer's context."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from localenv.gateway.events import EventContext, proxy_event, proxy_payload
from localenv.gateway.requests import Request
from tests.unit.test_gateway_core import model

TEXT = st.text(st.characters(exclude_categories=["Cs"]))
# text/plain is the API's binary media type: those bodies travel as base64.
CONTENT_TYPES = st.sampled_from(
    ["text/plain", "text/plain", "text/plain; charset=utf-8", None, "application/json", ""]
)
CONTEXT = st.none() | st.dictionaries(
    st.text(max_size=8), st.one_of(st.text(max_size=8), st.integers(), st.booleans())
)


@st.composite
def contexts(draw: st.DrawFn) -> EventContext:
    api = model()
    method = api.methods[("/things/{id}", "GET")]
    headers = draw(st.lists(st.tuples(st.text(min_size=1, max_size=8), TEXT), max_size=4))
    content_type = draw(CONTENT_TYPES)
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    request = Request(
        draw(st.sampled_from(["GET", "POST"])),
        "/prod/things/" + draw(st.text("abc%/é", max_size=6)),
        draw(st.text("a=b&c;é%", max_size=10)),
        headers,
        draw(st.binary(min_size=1, max_size=300) | TEXT.map(str.encode) | st.just(b"")),
    )
    path_parameters = draw(st.dictionaries(st.just("id"), TEXT, max_size=1))
    return EventContext(api, request, method, path_parameters, "rid", "xrid", 1_700_000_000.5)


@given(contexts(), CONTEXT)
def test_the_payload_is_json_dumps_of_the_event(ctx: EventContext, authorizer: Any) -> None:
    payload = proxy_payload(ctx, authorizer)
    event(f"base64: {json.loads(payload)['isBase64Encoded']}")
    assert payload == json.dumps(proxy_event(ctx, authorizer)).encode()
