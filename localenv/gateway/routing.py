"""Match a request path against the API's resources, as API Gateway does.

Literal segments win over ``{param}``, which wins over a greedy ``{proxy+}``; a
resource that lacks the request's method falls through to the next one that
has it, e.g. a sibling ``{proxy+}`` (LocalStack's AWS recording,
tests/aws/services/apigateway/test_apigateway_lambda.py::
test_proxy_routing_with_hardcoded_resource_sibling).

The path arrives percent-encoded: ``%2F`` is a character of a segment, not a
separator; literal segments and ``{param}`` values are compared decoded; a greedy
parameter keeps the encoding and any ``//`` inside it (test_apigateway_lambda
.snapshot.json, ``…with-path-encoded-email``, ``…with-double-slash``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote


@dataclass(frozen=True)
class Match:
    resource_path: str
    path_parameters: dict[str, str]


def segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def score(template: list[str]) -> tuple[int, ...]:
    """Sort key: literal segments first, then parameters, greedy last."""
    return tuple(0 if not s.startswith("{") else (2 if s.endswith("+}") else 1) for s in template)


def match(
    path: str, resource_paths: list[str], serves: Callable[[str], bool] = lambda _: True
) -> Match | None:
    """The most specific resource matching ``path`` that ``serves`` the request's method."""
    candidates = []
    for resource in resource_paths:
        params = bind(segments(resource), path)
        if params is not None:
            candidates.append((score(segments(resource)), resource, params))
    for _, resource, params in sorted(candidates):
        if serves(resource):
            return Match(resource, params)
    return None


def bind(template: list[str], path: str) -> dict[str, str] | None:
    wanted = path.lstrip("/").split("/") if path.strip("/") else []
    params: dict[str, str] = {}
    for index, part in enumerate(template):
        if part.startswith("{") and part.endswith("+}"):
            rest = "/".join(wanted[index:])
            if not rest.strip("/"):
                return None
            params[part[1:-2]] = rest
            return params
        if index >= len(wanted) or not wanted[index]:
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = unquote(wanted[index])
        elif part != unquote(wanted[index]):
            return None
    return params if wanted[len(template) :] in ([], [""]) else None
