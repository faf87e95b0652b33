"""Properties of the IAM evaluator: Deny wins, Allow is monotonic, wildcards match
as fnmatch-style matching of ``*``/``?`` does and never across ARN segments they must not."""

from __future__ import annotations

import fnmatch
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from localenv.iam.evaluator import IamRequest, Verdict, evaluate
from localenv.iam.matching import action_matches, resource_matches
from localenv.iam.policy import Policy, parse

ACTIONS = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:BatchWriteItem", "logs:PutLogEvents"]
RESOURCES = [
    "arn:aws:dynamodb:us-east-1:123456789012:table/data",
    "arn:aws:dynamodb:us-east-1:123456789012:table/data/index/byOwner",
    "arn:aws:dynamodb:eu-west-1:123456789012:table/other",
    "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:s",
]
CHARS = st.sampled_from("abc/-.*?")


def wildcarded(value: str) -> st.SearchStrategy[str]:
    """A pattern made from ``value`` with some characters (never a colon) turned into * or ?."""
    return st.lists(
        st.sampled_from(["keep", "star", "question"]), min_size=len(value), max_size=len(value)
    ).map(
        lambda kinds: "".join(
            c if k == "keep" or c == ":" else "*" if k == "star" else "?"
            for c, k in zip(value, kinds, strict=True)
        )
    )


def patterns(values: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just("*"), st.sampled_from(values), st.sampled_from(values).flatmap(wildcarded)
    )


statements = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Action": st.lists(patterns(ACTIONS), min_size=1, max_size=3),
        "Resource": st.lists(patterns(RESOURCES), min_size=1, max_size=3),
    }
)
policies = st.lists(
    st.lists(statements, min_size=1, max_size=4).map(
        lambda s: parse("p", {"Version": "2012-10-17", "Statement": s})
    ),
    max_size=3,
)
requests = st.builds(
    lambda a, r: IamRequest(a, (r,), {}), st.sampled_from(ACTIONS), st.sampled_from(RESOURCES)
)


def allow_all(request: IamRequest) -> Policy:
    return parse(
        "a", {"Statement": [{"Effect": "Allow", "Action": request.action, "Resource": "*"}]}
    )


@given(policies, requests)
def test_an_explicit_deny_always_wins(granted: list[Policy], request: IamRequest) -> None:
    denial = parse(
        "d",
        {
            "Statement": [
                {"Effect": "Deny", "Action": request.action, "Resource": request.resources[0]}
            ]
        },
    )
    decision = evaluate(request, [*granted, allow_all(request), denial])
    assert decision.verdict is Verdict.EXPLICIT_DENY


@given(policies, st.lists(statements, min_size=1, max_size=3), requests)
def test_adding_an_allow_never_denies_what_was_allowed(
    granted: list[Policy], extra: list[dict[str, Any]], request: IamRequest
) -> None:
    allows = [dict(s, Effect="Allow") for s in extra]
    before = evaluate(request, granted)
    after = evaluate(request, [*granted, parse("x", {"Statement": allows})])
    if before.allowed:
        assert after.allowed
    if before.verdict is Verdict.EXPLICIT_DENY:
        assert after.verdict is Verdict.EXPLICIT_DENY


def fnmatch_style(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


@given(
    st.sampled_from(RESOURCES).flatmap(
        lambda r: st.tuples(st.just(r), wildcarded(r.split(":", 5)[5]))
    )
)
def test_the_resource_segment_matches_as_fnmatch_does(case: tuple[str, str]) -> None:
    arn, pattern = case
    head = arn.split(":", 5)[:5]
    assert resource_matches(":".join([*head, pattern]), arn) == fnmatch_style(
        pattern, arn.split(":", 5)[5]
    )


@given(st.text(CHARS, max_size=8), st.text(CHARS.filter(lambda c: c not in "*?"), max_size=8))
def test_resource_segment_matching_agrees_with_fnmatch_on_any_text(
    pattern: str, value: str
) -> None:
    prefix = "arn:aws:s3:::"
    assert resource_matches(prefix + pattern, prefix + value) == fnmatch_style(pattern, value)


@given(st.sampled_from(RESOURCES), st.integers(min_value=3, max_value=4))
def test_a_star_inside_a_segment_never_spans_a_colon(arn: str, segment: int) -> None:
    """A ``*`` followed by more of its segment matches as a whole-string glob, never as IAM's."""
    parts = arn.split(":", 5)
    inside = "*" + parts[segment + 1][-1]  # stands for this segment and the next
    pattern = ":".join([*parts[:segment], inside, *parts[segment + 2 :]])
    assert fnmatch_style(pattern, arn)
    assert not resource_matches(pattern, arn)


@given(st.sampled_from(RESOURCES), st.integers(min_value=3, max_value=4))
def test_a_star_ending_a_segment_may_expand_past_the_colon(arn: str, segment: int) -> None:
    parts = arn.split(":", 5)
    pattern = ":".join([*parts[:segment], parts[segment][:1] + "*", *parts[segment + 2 :]])
    assert resource_matches(pattern, arn)


@given(st.sampled_from(ACTIONS).flatmap(lambda a: st.tuples(st.just(a), wildcarded(a))))
def test_actions_match_as_case_insensitive_fnmatch_does(case: tuple[str, str]) -> None:
    action, pattern = case
    assert action_matches(pattern.upper(), action) == fnmatch_style(pattern.lower(), action.lower())
