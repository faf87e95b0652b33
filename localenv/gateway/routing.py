"""Match a request path against the API's resources, as API Gateway does.

Literal segments win over ``{param}``, which wins over a greedy ``{proxy+}``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Match:
    resource_path: str
    path_parameters: dict[str, str]


def segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def score(template: list[str]) -> tuple[int, ...]:
    """Sort key: literal segments first, then parameters, greedy last."""
    return tuple(0 if not s.startswith("{") else (2 if s.endswith("+}") else 1) for s in template)


def match(path: str, resource_paths: list[str]) -> Match | None:
    wanted = segments(path)
    candidates = []
    for resource in resource_paths:
        params = bind(segments(resource), wanted)
        if params is not None:
            candidates.append((score(segments(resource)), resource, params))
    if not candidates:
        return None
    _, resource, params = min(candidates)
    return Match(resource, params)


def bind(template: list[str], wanted: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, part in enumerate(template):
        if part.startswith("{") and part.endswith("+}"):
            rest = wanted[index:]
            if not rest:
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if index >= len(wanted):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = wanted[index]
        elif part != wanted[index]:
            return None
    return params if len(template) == len(wanted) else None
