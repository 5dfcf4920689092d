"""The arrows between our modules run one way: no module imports one that imports it back,
counting imports inside functions (which only hide a cycle, they do not remove it)."""

from __future__ import annotations

import ast

from efc.settings import REPO_ROOT

PACKAGES = ("checks", "transforms", "efc", "flows")


def imports() -> dict[str, set[str]]:
    """Each of our modules and the modules of ours it imports, anywhere in its body."""
    graph: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).glob("*.py")):
            module = f"{package}.{path.stem}"
            found = set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                else:
                    continue
                found |= {n for n in names if n.split(".")[0] in PACKAGES}
            graph[module] = found & {f"{p}.{f.stem}" for p in PACKAGES
                                     for f in (REPO_ROOT / p).glob("*.py")}
    return graph


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


def test_no_import_cycles_among_checks_transforms_efc_and_flows():
    assert cycles(imports()) == []


def test_cycles_are_found():
    assert cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"]]


def test_the_assessment_does_not_read_the_validation_suites():
    assert not {m for m in imports()["transforms.assessment"] if m.startswith("checks.")}
