"""Metric-math expressions: read into a tree of nodes, refusing what is not supported.

The grammar CloudWatch documents for alarms' expressions, as far as the local
evaluator goes: numbers, metric ids, ``+ - * /``, comparisons ``== != < <= > >=``,
``AND``/``&&``, ``OR``/``||``, ``NOT``, ``[a, b]`` arrays and calls of FILL, IF,
SUM, MAX, MIN and AVG:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
Any other function or operator (``^``, METRICS(), SEARCH(), ...) is refused by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOKEN = re.compile(
    r"\s*(\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|&&|\|\||[-+*/<>()\[\],^!])"
)
NUMBER = re.compile(r"\d+(\.\d+)?")
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
KEYWORDS = {"AND": "AND", "OR": "OR", "NOT": "NOT", "&&": "AND", "||": "OR", "!": "NOT"}
# Lowest binding first: each level's operators.
LEVELS: tuple[frozenset[str], ...] = (
    frozenset({"OR"}),
    frozenset({"AND"}),
    frozenset({"==", "!=", "<", "<=", ">", ">="}),
    frozenset({"+", "-"}),
    frozenset({"*", "/"}),
)
FUNCTIONS = frozenset({"FILL", "IF", "SUM", "MAX", "MIN", "AVG"})


class MetricMathError(ValueError):
    """A metric-math alarm the local evaluator does not evaluate; names what it refuses."""


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Name:
    id: str


@dataclass(frozen=True)
class Call:
    function: str
    arguments: tuple[Node, ...]


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Negative:
    operand: Node


@dataclass(frozen=True)
class Array:
    items: tuple[Node, ...]


Node = Number | Name | Call | Binary | Not | Negative | Array


def tokens(expression: str) -> list[str]:
    found, position = [], 0
    text = expression.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:
            raise MetricMathError(f"{expression!r}: cannot read {text[position:].strip()!r}")
        word = match.group(1)
        found.append(KEYWORDS.get(word.upper(), word))
        position = match.end()
    return found


class Parser:
    def __init__(self, expression: str):
        self.expression = expression
        self.tokens = tokens(expression)
        self.position = 0

    def parse(self) -> Node:
        node = self.level(0)
        if self.position != len(self.tokens):
            self.refuse(f"unexpected {self.tokens[self.position]!r}")
        return node

    def refuse(self, what: str) -> None:
        raise MetricMathError(f"{self.expression!r}: {what}")

    def peek(self) -> str:
        return self.tokens[self.position] if self.position < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if not token or (expected is not None and token != expected):
            self.refuse(f"expected {expected or 'more'}, found {token or 'the end'}")
        self.position += 1
        return token

    def level(self, index: int) -> Node:
        if index == len(LEVELS):
            return self.unary()
        node = self.level(index + 1)
        while self.peek() in LEVELS[index]:
            op = self.take()
            node = Binary(op, node, self.level(index + 1))
        return node

    def unary(self) -> Node:
        if self.peek() == "NOT":
            self.take()
            return Not(self.unary())
        if self.peek() == "-":
            self.take()
            return Negative(self.unary())
        return self.primary()

    def primary(self) -> Node:
        word = self.take()
        if word == "(":
            node = self.level(0)
            self.take(")")
            return node
        if word == "[":
            return Array(self.items("]"))
        if NUMBER.fullmatch(word):
            return Number(float(word))
        if not IDENTIFIER.fullmatch(word):
            self.refuse(f"{word!r} is not supported locally")
        if self.peek() == "(":
            return self.call(word)
        return Name(word)

    def call(self, function: str) -> Node:
        if function.upper() not in FUNCTIONS:
            self.refuse(f"function {function} is not evaluated locally")
        self.take("(")
        return Call(function.upper(), self.items(")"))

    def items(self, closing: str) -> tuple[Node, ...]:
        found = []
        while self.peek() != closing:
            found.append(self.level(0))
            if self.peek() != closing:
                self.take(",")
        self.take(closing)
        return tuple(found)
