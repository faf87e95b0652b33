"""IAM's wildcard matching for actions and resource ARNs.

IAM matches ``*`` (any run of characters) and ``?`` (one character); actions
case-insensitively, resources case-sensitively. In a resource ARN wildcards
stay within their colon-separated segment, but "if the * wildcard is the last
character of a resource ARN segment, it can expand to match beyond the colon
boundaries":
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html

Matching runs the pattern as a bit-parallel automaton (one bit per pattern
position, a few integer operations per character), so its time is linear in
the value. A backtracking regular expression of the same pattern takes time
polynomial in the value with the number of wildcards as the degree: a request
ARN the caller chooses (a long path) against a policy with several wildcards
could stall the gateway.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

ANY, ONE, STAR, SEGMENT_STAR = "any", "one", "star", "segment-star"
COLON = ":"


@dataclass
class Automaton:
    """Bit j set: the first j tokens of the pattern are matched."""

    size: int  # number of tokens; bit ``size`` means the whole pattern matched
    literals: dict[str, int] = field(default_factory=dict)  # char -> tokens that are it
    one: int = 0  # ``?``: any one character (not a colon, in an ARN segment)
    one_crosses_colon: bool = True
    star: int = 0  # ``*`` matching any run
    segment_star: int = 0  # ``*`` matching a run without a colon

    def closure(self, state: int) -> int:
        """A star may match nothing: skip it (and the stars after it)."""
        stars = self.star | self.segment_star
        while True:
            grown = state | ((state & stars) << 1)
            if grown == state:
                return state
            state = grown

    def step(self, state: int, char: str) -> int:
        colon = char == COLON
        advance = self.literals.get(char, 0)
        if not colon or self.one_crosses_colon:
            advance |= self.one
        stay = self.star | (0 if colon else self.segment_star)
        return self.closure(((state & advance) << 1) | (state & stay))

    def matches(self, value: str) -> bool:
        state = self.closure(1)
        for char in value:
            state = self.step(state, char)
            if not state:
                return False
        return bool(state >> self.size & 1)


def build(tokens: list[tuple[str, str]], one_crosses_colon: bool) -> Automaton:
    automaton = Automaton(len(tokens), one_crosses_colon=one_crosses_colon)
    for position, (kind, char) in enumerate(tokens):
        bit = 1 << position
        if kind == ANY:
            automaton.literals[char] = automaton.literals.get(char, 0) | bit
        elif kind == ONE:
            automaton.one |= bit
        elif kind == STAR:
            automaton.star |= bit
        else:
            automaton.segment_star |= bit
    return automaton


def token(char: str) -> tuple[str, str]:
    return (STAR, "") if char == "*" else (ONE, "") if char == "?" else (ANY, char)


@functools.lru_cache(maxsize=4096)
def glob_automaton(pattern: str) -> Automaton:
    return build([token(c) for c in pattern], one_crosses_colon=True)


@functools.lru_cache(maxsize=4096)
def arn_automaton(pattern: str) -> Automaton:
    tokens: list[tuple[str, str]] = []
    for index, segment in enumerate(pattern.split(COLON)):
        if index:
            tokens.append((ANY, COLON))
        last = len(segment) - 1
        for position, char in enumerate(segment):
            kind, literal = token(char)
            tokens.append(
                (SEGMENT_STAR, "") if kind == STAR and position != last else (kind, literal)
            )
    return build(tokens, one_crosses_colon=False)


# The same few (pattern, action or ARN) pairs recur on every AWS call of a function:
# answers for values up to this long are remembered (longer ones, e.g. a request path
# the client chose, are matched each time rather than filling memory).
CACHED_VALUE_CHARACTERS = 512
Compiler = Callable[[str], Automaton]


def run(compiler: Compiler, pattern: str, value: str) -> bool:
    if len(value) <= CACHED_VALUE_CHARACTERS:
        return cached_run(compiler, pattern, value)
    return compiler(pattern).matches(value)


@functools.lru_cache(maxsize=32768)
def cached_run(compiler: Compiler, pattern: str, value: str) -> bool:
    return compiler(pattern).matches(value)


def glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """``*`` any run (newlines included), ``?`` one character."""
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    return run(glob_automaton, pattern, value)


def action_matches(pattern: str, action: str) -> bool:
    return glob(pattern, action, ignore_case=True)


def resource_matches(pattern: str, arn: str) -> bool:
    return pattern == "*" or run(arn_automaton, pattern, arn)
