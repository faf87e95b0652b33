"""The API contract's line rules (cloudformation/openapi.yaml), one test each, pure core."""

from __future__ import annotations

import codecs

import pytest

from handlers.problems import Rejection, RejectionKind
from handlers.text_rules import (
    KeptText,
    Limits,
    lines_surely_within,
    parse_lines,
    parse_text,
    plain_kept_text,
)

LIMITS = Limits(max_upload_bytes=1024, max_line_bytes=16)


def rejection(body: bytes, limits: Limits = LIMITS) -> Rejection:
    with pytest.raises(Rejection) as caught:
        parse_lines(body, limits)
    return caught.value


def test_lines_end_at_lf_crlf_and_cr_only() -> None:
    assert parse_lines(b"a\nb\r\nc\rd", LIMITS) == ["a", "b", "c", "d"]


@pytest.mark.parametrize("separator", ["\x85", "\u2028", "\u2029"])
def test_unicode_separators_do_not_end_a_line(separator: str) -> None:
    assert parse_lines(f"a{separator}b\nc".encode(), LIMITS) == [f"a{separator}b", "c"]


def test_lines_are_stripped_empty_ones_dropped_order_kept() -> None:
    assert parse_lines(b"  b \n\n\t\n a\t\n\r\nc", LIMITS) == ["b", "a", "c"]


def test_crlf_is_one_break_not_two() -> None:
    assert parse_lines(b"a\r\n\r\nb", LIMITS) == ["a", "b"]


def test_leading_utf8_bom_is_dropped() -> None:
    assert parse_lines(codecs.BOM_UTF8 + b"x\ny", LIMITS) == ["x", "y"]


def test_bom_later_in_the_text_is_kept() -> None:
    assert parse_lines("a\n\ufeffb".encode(), LIMITS) == ["a", "\ufeffb"]


def test_empty_body_is_400() -> None:
    assert rejection(b"").kind is RejectionKind.EMPTY_BODY
    assert RejectionKind.EMPTY_BODY.status == 400


def test_body_over_the_limit_is_413_and_at_the_limit_is_fine() -> None:
    limits = Limits(max_upload_bytes=10, max_line_bytes=16)
    assert parse_lines(b"0123456789", limits) == ["0123456789"]
    assert rejection(b"0123456789\n", limits).kind is RejectionKind.TOO_LARGE
    assert RejectionKind.TOO_LARGE.status == 413


def test_line_over_the_line_limit_is_413() -> None:
    assert parse_lines(b"x" * 16, LIMITS) == ["x" * 16]
    found = rejection(b"ok\n" + b"x" * 17)
    assert found.kind is RejectionKind.LINE_TOO_LONG
    assert found.kind.status == 413


def test_line_limit_counts_utf8_bytes_not_characters() -> None:
    assert (
        rejection(("é" * 9).encode()).kind is RejectionKind.LINE_TOO_LONG
    )  # 18 bytes, 9 characters


@pytest.mark.parametrize(
    "bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE]
)
def test_utf16_and_utf32_boms_are_415(bom: bytes) -> None:
    found = rejection(bom + "hi".encode("utf-16-le"))
    assert found.kind is RejectionKind.UNSUPPORTED_MEDIA
    assert found.kind.status == 415


def test_invalid_utf8_is_422_naming_the_byte_offset() -> None:
    found = rejection(b"abc\n\xc3\x28")
    assert found.kind is RejectionKind.INVALID_TEXT
    assert "byte offset 4" in found.detail
    assert found.kind.status == 422


@pytest.mark.parametrize("body", [b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"ab\xff"])
def test_surrogates_overlongs_and_out_of_range_are_invalid(body: bytes) -> None:
    assert rejection(body).kind is RejectionKind.INVALID_TEXT


C0_REFUSED = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]


@pytest.mark.parametrize("control", C0_REFUSED)
def test_c0_controls_are_422_with_their_offset(control: str) -> None:
    found = rejection(f"é\n{control}".encode())
    assert found.kind is RejectionKind.INVALID_TEXT
    assert f"U+{ord(control):04X}" in found.detail
    assert "byte offset 3" in found.detail


@pytest.mark.parametrize("control", C0_REFUSED)
def test_a_c0_control_anywhere_in_a_plain_body_is_refused(control: str) -> None:
    with pytest.raises(Rejection) as caught:
        parse_text(b"id,value\n1,a\n2,b" + control.encode() + b"c\n3,d\n", Limits())
    assert caught.value.detail == (
        f"Control character U+{ord(control):04X} at byte offset 16; "
        "only tab, CR and LF are allowed."
    )


def test_tab_cr_and_lf_are_not_refused() -> None:
    assert parse_lines(b"a\tb\rc\nd", LIMITS) == ["a\tb", "c", "d"]


def test_control_offset_counts_the_dropped_bom() -> None:
    assert "byte offset 4" in rejection(codecs.BOM_UTF8 + b"a\x00").detail


def test_tab_is_allowed_inside_a_line() -> None:
    assert parse_lines(b"a\tb", LIMITS) == ["a\tb"]


@pytest.mark.parametrize("body", [b" ", b"\n\n", b"\r\n \t\r", codecs.BOM_UTF8])
def test_no_non_empty_line_is_422(body: bytes) -> None:
    found = rejection(body)
    assert found.kind is RejectionKind.NO_CONTENT
    assert found.kind.status == 422
    assert found.detail == "The body has no non-empty line."


# Defect 11: the line limit applies to the kept (stripped) line, both ways.


def test_a_line_at_the_limit_once_stripped_is_kept() -> None:
    limits = Limits(max_upload_bytes=1024, max_line_bytes=8)
    assert parse_lines(b"   12345678 \t\nnext", limits) == ["12345678", "next"]


def test_a_line_one_byte_over_the_limit_once_stripped_is_413() -> None:
    limits = Limits(max_upload_bytes=1024, max_line_bytes=8)
    found = rejection(b"ok\n 123456789 ", limits)
    assert found.kind is RejectionKind.LINE_TOO_LONG
    assert "9 bytes" in found.detail
    assert "after 1 kept lines" in found.detail


def test_a_long_line_of_spaces_is_dropped_not_refused() -> None:
    limits = Limits(max_upload_bytes=1024, max_line_bytes=8)
    assert parse_lines(b"a\n" + b" " * 100 + b"\nb", limits) == ["a", "b"]


def test_the_limit_counts_utf8_bytes_at_the_boundary() -> None:
    limits = Limits(max_upload_bytes=1024, max_line_bytes=8)
    assert parse_lines(" éééé ".encode(), limits) == ["éééé"]  # 8 bytes
    assert rejection("ééééx".encode(), limits).kind is RejectionKind.LINE_TOO_LONG  # 9 bytes


def test_cr_and_crlf_beside_unicode_separators_still_end_lines() -> None:
    body = "a\x85b\r\nc\rd\u2028e\r\n\u2029\rx\u2029y\n".encode()
    assert parse_lines(body, LIMITS) == ["a\x85b", "c", "d\u2028e", "x\u2029y"]


def test_a_long_line_is_numbered_by_the_kept_lines_before_it() -> None:
    found = rejection(b"a\n\n   \r\nb\r" + b"x" * 17 + b"\n" + b"y" * 18)
    assert found.kind is RejectionKind.LINE_TOO_LONG
    assert found.detail == "A line (after 2 kept lines) is 17 bytes; the limit is 16 bytes."


def test_a_control_after_wide_characters_names_its_byte_offset() -> None:
    found = rejection(codecs.BOM_UTF8 + "é😀\n\x1f".encode())
    assert found.detail == (
        "Control character U+001F at byte offset 10; only tab, CR and LF are allowed."
    )


# The plain path: a body whose kept text is the body itself is not cut into lines.


def test_a_csv_body_is_its_own_kept_text_less_the_final_lf() -> None:
    body = b"id,value\n1,a b\n2,c\t d\n"
    kept = plain_kept_text(body, Limits())
    assert kept == KeptText(b"id,value\n1,a b\n2,c\t d", 3)
    assert parse_text(body, Limits()) == kept


@pytest.mark.parametrize(
    "body",
    [
        b"a\n\nb",  # an empty line
        b"a \nb",  # a space at a line's end
        b"a\n\tb",  # a tab at a line's start
        b" a",  # at the body's start
        b"a\t",  # at its end
        b"a\r\nb",  # CR
        b"a\n\n",  # two final line breaks
        b"\na",  # a first line break: an empty first line
        b"a\n\tb\nc",  # a tab at an inner line's start
        b"a\t\nb",  # ... at its end
        b"a\n b\nc",  # a space at an inner line's start
        b"x y\nz\t\nw",  # spaces inside lines, and a tab at a line's end
        b"x\ty\n z",  # tabs inside lines, and a space at a line's start
        b"\n",  # nothing kept
        b"caf\xc3\xa9",  # not ASCII
        b"\xef\xbb\xbfa",  # a BOM
    ],
)
def test_bodies_whose_kept_text_differs_take_the_per_line_path(body: bytes) -> None:
    assert plain_kept_text(body, Limits()) is None


@pytest.mark.parametrize("byte", [b"\r", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f"])
@pytest.mark.parametrize("where", ["a{}\nb", "a\n{}b", "a{}b"])
def test_a_byte_the_per_line_path_splits_at_or_strips_is_never_plain(
    byte: bytes, where: str
) -> None:
    """Not even without the control check, which refuses all of them but CR first."""
    body = where.format(byte.decode()).encode()
    assert plain_kept_text(body, Limits()) is None


def test_spaces_and_tabs_inside_lines_keep_a_body_plain() -> None:
    body = b"a b\tc\nd\te f\n"
    assert plain_kept_text(body, Limits()) == KeptText(b"a b\tc\nd\te f", 2)


def test_a_line_that_could_be_over_the_limit_takes_the_per_line_path() -> None:
    limits = Limits(max_line_bytes=10)
    # Windows of 6 bytes: each holds a line break, so no line can be over 10 bytes.
    assert plain_kept_text(b"01234\n56789\n01234", limits) == KeptText(b"01234\n56789\n01234", 3)
    assert plain_kept_text(b"01234567890", limits) is None
    with pytest.raises(Rejection) as caught:
        parse_text(b"ok\n01234567890", limits)
    assert caught.value.kind is RejectionKind.LINE_TOO_LONG
    assert caught.value.detail == "A line (after 1 kept lines) is 11 bytes; the limit is 10 bytes."


def test_too_many_windows_take_the_per_line_path() -> None:
    data = b"ab\n" * 3000
    assert lines_surely_within(data, 1000)
    assert not lines_surely_within(data, 4)  # 3000 windows of 3 bytes: not looked at
    assert parse_text(data, Limits(max_line_bytes=4)).count == 3000


def test_a_lone_cr_inside_a_line_ends_it_so_the_body_is_not_plain() -> None:
    assert plain_kept_text(b"a\rb", Limits()) is None
    assert parse_text(b"a\rb", Limits()) == KeptText(b"a\nb", 2)


def test_a_plain_body_without_a_final_lf_is_kept_as_it_is_not_copied() -> None:
    body = b"id,value\n1,a"
    assert parse_text(body, Limits()).data is body  # not joined again from its lines


@pytest.mark.parametrize("limit", range(1, 14))
def test_a_line_over_the_limit_is_never_surely_within_wherever_it_lies(limit: int) -> None:
    for before in range(2 * limit + 2):
        for length in (limit + 1, limit + 2):
            data = b"\n" * before + b"x" * length + b"\n" * (2 * limit)
            assert not lines_surely_within(data, limit), (before, length)


def test_surely_within_when_every_window_holds_a_line_break() -> None:
    assert lines_surely_within(b"\nab", 2)  # one window of 2 bytes, its break at 0
    assert lines_surely_within(b"a\n" * 1024, 2)  # 1,024 windows: still looked at
    assert not lines_surely_within(b"a\n" * 1025, 2)  # 1,025: not looked at
