"""CloudWatch metric math for alarms: the ``Metrics`` of a PutMetricAlarm, evaluated per period.

Supported, with CloudWatch's semantics
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html):
``MetricStat`` queries (Sum, Average, Minimum, Maximum, SampleCount, pNN),
numbers, metric ids, ``+ - * /``, comparisons ``== != < <= > >=``, ``AND``/``&&``,
``OR``/``||``, ``NOT``, ``FILL(x, number)``, ``IF(condition, a[, b])``,
``SUM``/``MAX``/``MIN``/``AVG`` of a series (a scalar) or of an array ``[m1, m2]``
(a series), and ``ReturnData`` (exactly one query returns the alarm's data).
Anything else (METRICS(), FILL with REPEAT or LINEAR, ``^``, search
expressions, other functions) is refused by name when the alarm is read.

A series is one value per evaluated period, newest first; ``None`` is a
period without data. Arithmetic on two series gives a value only where both
have one (which is what FILL is for); dividing by zero gives no value.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from localenv.observe.metric_expression import (
    Array,
    Binary,
    Call,
    MetricMathError,
    Name,
    Negative,
    Node,
    Not,
    Number,
    Parser,
)
from localenv.observe.metrics import MetricKey

Series = tuple[float | None, ...]
Value = float | Series | list[Series]
BINARY: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "==": lambda a, b: float(a == b),
    "!=": lambda a, b: float(a != b),
    "<": lambda a, b: float(a < b),
    "<=": lambda a, b: float(a <= b),
    ">": lambda a, b: float(a > b),
    ">=": lambda a, b: float(a >= b),
    "AND": lambda a, b: float(bool(a) and bool(b)),
    "OR": lambda a, b: float(bool(a) or bool(b)),
}
AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "SUM": lambda v: float(sum(v)),
    "MAX": lambda v: float(max(v)),
    "MIN": lambda v: float(min(v)),
    "AVG": lambda v: float(sum(v)) / len(v),
}


def statistic(name: str, samples: Sequence[float]) -> float:
    """One period's value of a statistic over its samples (CloudWatch's definitions)."""
    if name == "Sum":
        return float(sum(samples))
    if name == "Average":
        return float(sum(samples)) / len(samples)
    if name == "Minimum":
        return float(min(samples))
    if name == "Maximum":
        return float(max(samples))
    if name == "SampleCount":
        return float(len(samples))
    if re.fullmatch(r"p\d+(\.\d+)?", name):
        return percentile(samples, float(name[1:]))
    raise MetricMathError(f"statistic {name} is not evaluated locally")


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least q% of samples at or below it."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


# --------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class MetricStat:
    key: MetricKey
    period: int
    stat: str


@dataclass(frozen=True)
class Query:
    id: str
    label: str
    return_data: bool
    stat: MetricStat | None = None
    expression: Node | None = None


Fetch = Callable[[MetricStat], Series]


QUERY_KEYS = frozenset({"Id", "MetricStat", "Expression", "Label", "ReturnData", "Period"})


def query_of(raw: Mapping[str, Any]) -> Query:
    unknown = set(raw) - QUERY_KEYS
    if unknown:  # AccountId (cross-account metrics) and anything newer
        raise MetricMathError(f"query {raw.get('Id')}: {sorted(unknown)} not evaluated locally")
    label, returns = str(raw.get("Label", "")), bool(raw.get("ReturnData", True))
    if "Expression" in raw:
        return Query(raw["Id"], label, returns, expression=Parser(raw["Expression"]).parse())
    if "MetricStat" not in raw:
        raise MetricMathError(
            f"query {raw.get('Id')}: only MetricStat and Expression are evaluated"
        )
    stat = raw["MetricStat"]
    metric = stat["Metric"]
    dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
    statistic(stat["Stat"], [0.0])  # refuses an unknown statistic now, not at evaluation
    key = MetricKey.of(metric["Namespace"], metric["MetricName"], dims)
    return Query(raw["Id"], label, returns, stat=MetricStat(key, int(stat["Period"]), stat["Stat"]))


@dataclass(frozen=True)
class MetricMath:
    """An alarm's metric queries; ``result`` is the one with ReturnData true."""

    queries: tuple[Query, ...]
    result: Query
    period: int

    @classmethod
    def from_api(cls, metrics: Sequence[Mapping[str, Any]]) -> MetricMath:
        queries = tuple(query_of(raw) for raw in metrics)
        returning = [q for q in queries if q.return_data]
        if len(returning) != 1:
            # PutMetricAlarm: exactly one of Metrics has ReturnData true.
            raise MetricMathError(f"{len(returning)} queries return data; an alarm needs one")
        periods = {q.stat.period for q in queries if q.stat is not None}
        if len(periods) != 1:
            raise MetricMathError(f"metric periods {sorted(periods)}: an alarm needs one period")
        math_ = cls(queries, returning[0], periods.pop())
        if not isinstance(math_.evaluate(lambda _s: (None,)), tuple):
            raise MetricMathError(f"{math_.result.id} does not return a single time series")
        return math_

    def evaluate(self, fetch: Fetch) -> Value:
        """The ReturnData query's value, each metric read once through ``fetch``."""
        return Evaluation(self.queries, fetch).value(self.result.id)


class Evaluation:
    def __init__(self, queries: Sequence[Query], fetch: Fetch):
        self.queries = {q.id: q for q in queries}
        self.fetch = fetch
        self.values: dict[str, Value] = {}
        self.visiting: set[str] = set()

    def value(self, id: str) -> Value:
        if id in self.values:
            return self.values[id]
        query = self.queries.get(id)
        if query is None:
            raise MetricMathError(f"unknown id {id}")
        if id in self.visiting:
            raise MetricMathError(f"{id} refers to itself")
        self.visiting.add(id)
        if query.stat is not None:
            result: Value = self.fetch(query.stat)
        else:
            assert query.expression is not None  # a query is one or the other
            result = self.node(query.expression)
        self.values[id] = result
        return result

    def node(self, node: Node) -> Value:
        if isinstance(node, Number):
            return node.value
        if isinstance(node, Name):
            return self.value(node.id)
        if isinstance(node, Array):
            return [series(self.node(item), "an array item") for item in node.items]
        if isinstance(node, Call):
            return self.call(node)
        return self.operation(node)

    def operation(self, node: Binary | Not | Negative) -> Value:
        if isinstance(node, Binary):
            return combine(BINARY[node.op], self.node(node.left), self.node(node.right))
        if isinstance(node, Not):
            return combine(lambda a, _b: float(not a), self.node(node.operand), 0.0)
        return combine(lambda a, _b: -a, self.node(node.operand), 0.0)

    def call(self, node: Call) -> Value:
        args = node.arguments
        if node.function == "FILL":
            if len(args) != 2 or not isinstance(args[1], Number):
                raise MetricMathError("FILL is evaluated with a number only (not REPEAT, LINEAR)")
            filler = args[1].value
            return fill(self.node(args[0]), filler)
        if node.function == "IF":
            if len(args) not in {2, 3}:
                raise MetricMathError("IF takes a condition and one or two values")
            return if_(*(self.node(a) for a in args))
        if len(args) != 1:
            raise MetricMathError(f"{node.function} takes one series or one array")
        return aggregate(AGGREGATES[node.function], self.node(args[0]))


def series(value: Value, what: str) -> Series:
    if not isinstance(value, tuple):
        raise MetricMathError(f"{what} must be a single time series")
    return value


def combine(function: Callable[[float, float], float], left: Value, right: Value) -> Value:
    """A binary operation, point by point; a scalar applies to every point."""
    if isinstance(left, list) or isinstance(right, list):
        raise MetricMathError("operators on arrays of time series are not evaluated locally")
    if isinstance(left, float) and isinstance(right, float):
        scalar = point(function, left, right)
        return math.nan if scalar is None else scalar
    size = len(left) if isinstance(left, tuple) else len(right)  # type: ignore[arg-type]
    lefts = left if isinstance(left, tuple) else (left,) * size
    rights = right if isinstance(right, tuple) else (right,) * size
    return tuple(point(function, a, b) for a, b in zip(lefts, rights, strict=True))


def point(
    function: Callable[[float, float], float], a: float | None, b: float | None
) -> float | None:
    """One point; none where either side has none (NaN: a scalar without a value)."""
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return None
    try:
        return function(a, b)
    except ZeroDivisionError:
        return None  # CloudWatch drops a point divided by zero


def fill(value: Value, filler: float) -> Value:
    if isinstance(value, list):
        return [tuple(filler if v is None else v for v in s) for s in value]
    if isinstance(value, float):
        return value
    return tuple(filler if v is None else v for v in value)


def if_(condition: Value, yes: Value, no: Value | None = None) -> Value:
    """IF: the true value where the condition is non-zero, the false one (or nothing) elsewhere."""
    if isinstance(condition, float):
        chosen = yes if condition else no
        return math.nan if chosen is None else chosen
    test = series(condition, "IF's condition")
    yeses = spread(yes, len(test))
    noes = spread(math.nan if no is None else no, len(test))
    return tuple(
        None if t is None else (y if t else n) for t, y, n in zip(test, yeses, noes, strict=True)
    )


def spread(value: Value, size: int) -> Series:
    """A series as it is; a scalar as a series of it (NaN: no value)."""
    if isinstance(value, float):
        return (None if math.isnan(value) else value,) * size
    return series(value, "IF's value")


def aggregate(function: Callable[[list[float]], float], value: Value) -> Value:
    """Of an array: a series, point by point; of a series: one scalar over it."""
    if isinstance(value, list):
        return tuple(
            function(present) if (present := [v for v in points if v is not None]) else None
            for points in zip(*value, strict=True)
        )
    if isinstance(value, tuple):
        present = [v for v in value if v is not None]
        return function(present) if present else math.nan
    return value
