"""The arrows between our modules run one way: no module imports one that imports it back,
and data logic (checks/, transforms/) never reaches up to the report (rendering/) or the flows.
Imports inside functions count: they hide a cycle, they do not remove it."""

from __future__ import annotations

import ast

from efc.settings import REPO_ROOT

PACKAGES = ("checks", "transforms", "efc", "flows", "rendering")
DATA_LOGIC = ("checks", "transforms")


def imported_names() -> dict[str, set[str]]:
    """Each of our modules (subpackages too) and every name of ours it imports, anywhere."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            names: set[str] = set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
                elif isinstance(node, ast.Import):
                    names |= {a.name for a in node.names}
            found[module] = {n for n in names if n.split(".")[0] in PACKAGES}
    return found


def imports() -> dict[str, set[str]]:
    """Each of our modules and the modules of ours it imports (a name that is a function or a
    class of a module counts as the module)."""
    names = imported_names()
    return {module: set(names) & targets for module, targets in names.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle, each as the path that closes it."""
    found, done = [], set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            found.append(path[path.index(module):] + [module])
            return
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    return found


def test_the_graph_is_read():
    graph = imports()
    assert "checks.expectations" in graph["checks.validation"]
    assert "transforms.catalogue" in graph["checks.validation"]


def test_cycles_are_found():
    assert cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"]]


def test_no_import_cycles():
    assert cycles(imports()) == []


def test_data_logic_never_imports_rendering_or_flows():
    upward = {module: sorted(n for n in names if n.split(".")[0] in ("rendering", "flows"))
              for module, names in imported_names().items()
              if module.split(".")[0] in DATA_LOGIC}
    assert {module: names for module, names in upward.items() if names} == {}


def test_the_assessment_does_not_read_the_validation_suites():
    assert not {m for m in imports()["transforms.assessment"] if m.startswith("checks.")}
