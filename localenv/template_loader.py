"""Read a CloudFormation YAML template, keeping the line of every mapping.

Short-form intrinsics (``!Ref``, ``!Sub`` ...) become their long form
(``{"Ref": ...}``, ``{"Fn::Sub": ...}``), exactly as CloudFormation reads them.
Every mapping is a :class:`Node` that knows the line it starts on, so an error
can name the line of what it could not honour.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from localenv.errors import LocalenvError


class TemplateError(LocalenvError):
    """The template cannot be read or used; the message names what and where."""


class Node(dict[str, Any]):
    """A mapping of the template, with the 1-based line it starts on."""

    line: int = 0


# libyaml's parser (PyYAML's C extension) reads the template ~8x faster than the
# pure-Python one, with the same nodes and the same marks (lines).
SafeBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(SafeBase):  # type: ignore[misc]
    pass


def _mapping(loader: Loader, node: yaml.MappingNode) -> Node:
    result = Node({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})
    result.line = node.start_mark.line + 1
    return result


def _intrinsic(loader: Loader, suffix: str, node: yaml.Node) -> Node:
    name = "Ref" if suffix == "Ref" else ("Condition" if suffix == "Condition" else f"Fn::{suffix}")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = _mapping(loader, node)
    else:  # pragma: no cover - YAML has no other node kinds
        raise TemplateError(f"line {node.start_mark.line + 1}: unreadable !{suffix}")
    result = Node({name: value})
    result.line = node.start_mark.line + 1
    return result


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
Loader.add_multi_constructor("!", _intrinsic)


def load(path: Path) -> Node:
    try:
        document = yaml.load(path.read_text(), Loader=Loader)  # noqa: S506 - SafeLoader subclass
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path}: {exc}") from exc
    if not isinstance(document, Node) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources)")
    return document


def line_of(value: Any, fallback: int = 0) -> int:
    return value.line if isinstance(value, Node) else fallback
