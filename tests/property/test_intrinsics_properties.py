"""Hypothesis properties of the intrinsic resolver."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from localenv import intrinsics
from localenv.intrinsics import Scope, Where

HERE = Where("Property", 1)
names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,12}", fullmatch=True)
plain = st.text(alphabet=st.characters(blacklist_characters="${}"), max_size=30)


@given(st.dictionaries(names, plain, min_size=1, max_size=5), st.lists(plain, max_size=5))
def test_sub_replaces_every_variable_and_keeps_plain_text(
    variables: dict[str, str], pieces: list[str]
) -> None:
    template, expected = "", ""
    for index, name in enumerate(variables):
        piece = pieces[index] if index < len(pieces) else ""
        template += piece + "${" + name + "}"
        expected += piece + variables[name]
    scope = Scope(parameters={}, pseudo={})
    assert intrinsics.resolve({"Fn::Sub": [template, variables]}, scope, HERE) == expected


@given(plain)
def test_sub_literal_escape_is_kept_verbatim(text: str) -> None:
    scope = Scope(parameters={}, pseudo={})
    assert intrinsics.resolve({"Fn::Sub": "${!" + text + "}"}, scope, HERE) == "${" + text + "}"


@given(st.lists(plain, min_size=1, max_size=8), st.sampled_from([",", "|", "::"]))
def test_join_then_split_round_trips(items: list[str], delimiter: str) -> None:
    # No item may hold a delimiter character, or a boundary could form a new delimiter.
    items = ["".join(c for c in i if c not in delimiter) for i in items]
    scope = Scope(parameters={}, pseudo={})
    joined = intrinsics.resolve({"Fn::Join": [delimiter, items]}, scope, HERE)
    assert intrinsics.resolve({"Fn::Split": [delimiter, joined]}, scope, HERE) == items


@given(st.booleans(), st.booleans(), plain, plain, plain)
def test_nested_if_picks_the_branch_its_conditions_name(
    a: bool, b: bool, x: str, y: str, z: str
) -> None:
    scope = Scope(parameters={}, pseudo={}, conditions={"A": a, "B": b})
    value = {"Fn::If": ["A", {"Fn::If": ["B", x, y]}, z]}
    expected = (x if b else y) if a else z
    assert intrinsics.resolve(value, scope, HERE) == expected


@given(st.lists(st.booleans(), min_size=1, max_size=6))
def test_no_value_items_vanish_and_others_keep_order(flags: list[bool]) -> None:
    scope = Scope(parameters={}, pseudo={}, conditions={"On": True, "Off": False})
    items = [
        {"Fn::If": ["On" if keep else "Off", str(i), {"Ref": "AWS::NoValue"}]}
        for i, keep in enumerate(flags)
    ]
    assert intrinsics.resolve(items, scope, HERE) == [str(i) for i, k in enumerate(flags) if k]
