"""localenv/ARCHITECTURE.md names every module of the harness in its module table."""

from __future__ import annotations

import re

from tests.template_model import ROOT

PACKAGE = ROOT / "localenv"


def test_every_module_has_a_row_in_the_module_table() -> None:
    first_cells = re.findall(r"^\| ([^|]+) \|", (PACKAGE / "ARCHITECTURE.md").read_text(), re.M)
    table = {name for cell in first_cells for name in re.findall(r"`([\w/]+\.py)`", cell)}
    modules = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name not in {"__init__.py", "__main__.py"}
    }
    assert modules - table == set()
    assert table - modules == set()
