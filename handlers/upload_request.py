"""From a POST /dataproc proxy event to an :class:`Upload`, or one rejection. Pure."""

from __future__ import annotations

import unicodedata

from handlers.problems import Rejection, RejectionKind
from handlers.proxy_event import ProxyEvent, body_bytes, caller, header, query_param
from handlers.records import Upload, build_upload_from_text
from handlers.text_rules import Limits, parse_text

MAX_NAME_CHARS = 256
# Controls (Cc: C0, DEL, C1), format characters (Cf: bidi overrides such as
# U+202E, zero-width characters) and lone surrogates (Cs, which no UTF-8
# encoder accepts) are refused in a name.
NAME_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def parse_upload(event: ProxyEvent, limits: Limits) -> Upload:
    owner = caller(event)
    check_content_type(header(event, "Content-Type"))
    name = upload_name(event)
    body = body_bytes(event)
    kept = parse_text(body, limits)
    return build_upload_from_text(owner, name, body, kept.data, kept.count)


def check_content_type(value: str | None) -> None:
    """``text/plain`` with no charset or ``charset=utf-8``; anything else is a 415."""
    if value is None:
        raise Rejection(
            RejectionKind.UNSUPPORTED_MEDIA, "Content-Type is missing; send text/plain."
        )
    media_type, *params = value.split(";")
    if media_type.strip().lower() != "text/plain":
        raise Rejection(
            RejectionKind.UNSUPPORTED_MEDIA,
            f"Content-Type {media_type.strip()!r} is not accepted; send text/plain.",
        )
    for param in params:
        key, _, raw = param.partition("=")
        if key.strip().lower() != "charset":
            continue
        charset = raw.strip().strip('"').lower()
        if charset != "utf-8":
            raise Rejection(
                RejectionKind.UNSUPPORTED_MEDIA,
                f"charset {charset!r} is not accepted; only utf-8.",
            )


def upload_name(event: ProxyEvent) -> str | None:
    name = query_param(event, "name")
    if name is None:
        return None
    if not name or len(name) > MAX_NAME_CHARS or any(map(forbidden_in_name, name)):
        raise Rejection(
            RejectionKind.BAD_REQUEST,
            f"name must be 1 to {MAX_NAME_CHARS} characters without control, format "
            "or surrogate characters (Unicode categories Cc, Cf, Cs).",
        )
    return name


def forbidden_in_name(char: str) -> bool:
    return unicodedata.category(char) in NAME_FORBIDDEN_CATEGORIES
