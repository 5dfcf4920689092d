"""Layering: data logic (transforms/, checks/) never imports the report's code (rendering/).

Read from the source with `ast`, imports inside functions included, so an arrow upwards
cannot hide behind a deferred import.
"""

from __future__ import annotations

import ast

import pytest

from efc.settings import REPO_ROOT

DATA_LOGIC = ("transforms", "checks")
ABOVE = "rendering"


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in `source`, however deeply nested.

    Relative imports are left out: transforms/ and checks/ are top-level packages, so a
    relative import stays inside them.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.append((node.lineno, node.module))
    return found


def _upward(names: list[tuple[int, str]]) -> list[tuple[int, str]]:
    return [(line, name) for line, name in names
            if name == ABOVE or name.startswith(ABOVE + ".")]


def test_the_walker_finds_deferred_imports():
    source = ("import os\n"
              "def f():\n"
              "    from rendering.formatting import fmt_pct\n"
              "    import rendering.charts as charts\n"
              "from rendering import charts\n"
              "from transforms import rendering_notes\n")
    assert sorted(_upward(imported_modules(source))) == [
        (3, "rendering.formatting"), (4, "rendering.charts"), (5, "rendering")]


@pytest.mark.parametrize("package", DATA_LOGIC)
def test_data_logic_does_not_import_rendering(package: str):
    files = sorted((REPO_ROOT / package).rglob("*.py"))
    assert files, f"no modules found under {package}/"
    upward = [f"{path.relative_to(REPO_ROOT)}:{line} imports {name}"
              for path in files
              for line, name in _upward(imported_modules(path.read_text(encoding="utf-8")))]
    assert not upward, "data logic imports the report's code:\n" + "\n".join(upward)
