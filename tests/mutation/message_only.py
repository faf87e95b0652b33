"""Candidates for tests/mutation/equivalents.txt: mutants that change only a message.

Compares each mutant function in ``mutants/handlers/*.py`` with its original,
node by node. A mutant is message-only when every difference is a string (or a
string replaced by None) inside the arguments of a ``raise`` or of a ``logger``
call: the text a log line or an exception carries, never a value the API
answers or a decision. Prints one equivalents line per candidate; review them
before adding them.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

MUTANT = re.compile(r"(?P<base>.+)__mutmut_(?P<n>\d+)$")


def functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text("utf-8"))
    return {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


# A Rejection's detail reaches the client as the problem's ``detail``: its text may
# change, but it may not become None.
CLIENT_VISIBLE = {"Rejection"}


def message_nodes(func: ast.FunctionDef) -> set[int]:
    """ids of nodes inside a raise's or a logger call's arguments (not a Rejection's None)."""
    inside: set[int] = set()
    for node in ast.walk(func):
        roots: list[ast.AST] = []
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            roots = [*node.exc.args, *node.exc.keywords]
            if ast.unparse(node.exc.func) in CLIENT_VISIBLE:
                roots = [arg for arg in roots if is_text(arg)]
                inside.update(-id(arg) for arg in roots)
        elif isinstance(node, ast.Call) and "logger" in ast.unparse(node.func):
            roots = [*node.args, *node.keywords]
        for root in roots:
            inside.update(id(sub) for sub in ast.walk(root))
    return inside


def differences(a: ast.AST, b: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
    if type(a) is not type(b):
        yield a, b
        return
    for field in a._fields:
        x, y = getattr(a, field), getattr(b, field)
        if isinstance(x, ast.AST) and isinstance(y, ast.AST):
            yield from differences(x, y)
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for p, q in zip(x, y, strict=True):
                if isinstance(p, ast.AST) and isinstance(q, ast.AST):
                    yield from differences(p, q)
                elif p != q:
                    yield a, b
        elif x != y and field not in {"name", "ctx"}:
            yield a, b


def is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and (isinstance(node.value, str) or node.value is None)
    )


def acceptable(original: ast.AST, mutant: ast.AST, allowed: set[int]) -> bool:
    if id(original) not in allowed or not (is_text(original) and is_text(mutant)):
        return False
    visible = -id(original) in allowed
    return not (visible and isinstance(mutant, ast.Constant) and mutant.value is None)


def candidates(path: Path, module: str) -> Iterator[str]:
    funcs = functions(path)
    for name, func in funcs.items():
        match = MUTANT.fullmatch(name)
        original = funcs.get(f"{match['base']}__mutmut_orig") if match else None
        if original is None:
            continue
        allowed = message_nodes(original)
        diffs = list(differences(original, func))
        if diffs and all(acceptable(a, b, allowed) for a, b in diffs):
            yield f"{module}.{name}  message text only (an exception's or a log line's text)"


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "mutants")
    for path in sorted(root.glob("handlers/*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        for line in candidates(path, module):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
