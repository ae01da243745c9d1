"""The shape of the code: no import cycles, and no `click` below the CLI.

Both are read from the source with `ast`, so they hold for every module, imported by a
test or not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "menus", "workers")
"""Our importable packages whose module-level imports must not form a cycle."""


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level(body: list[ast.stmt]):
    """Import statements run when the module is imported: not those inside functions, nor
    under `if TYPE_CHECKING:`; class bodies, `if`, `try` and `with` blocks count."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.ClassDef):
            yield from _module_level(node.body)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _module_level(block)
        elif isinstance(node, ast.With):
            yield from _module_level(node.body)


def _known(name: str) -> str | None:
    """`name`, or its nearest enclosing module of ours (None outside our packages)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports at module level (`from x import y` counts
    as importing x.y when y is a submodule)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        is_package = path.name == "__init__.py"
        edges = graph.setdefault(name, set())
        for node in _module_level(ast.parse(path.read_text(encoding="utf-8")).body):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = name if is_package else name.rpartition(".")[0]
                    for _ in range(node.level - 1):
                        anchor = anchor.rpartition(".")[0]
                    base = f"{anchor}.{base}" if base else anchor
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
            for target in targets:
                known = _known(target)
                if known is not None and known != name:
                    edges.add(known)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Groups of modules that import each other, directly or not (Tarjan), largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups, key=len, reverse=True)


def cycle_edges(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Every import that lies on a cycle (both ends in one strongly connected group)."""
    edges = set()
    for group in strongly_connected(graph):
        edges |= {(a, b) for a in group for b in graph[a] if b in group}
    return edges


KNOWN_CYCLE_EDGES: set[tuple[str, str]] = set()
"""Imports on a cycle that the lead is removing in files this branch leaves alone. Empty it
as they go; an import on any other cycle fails the test."""


def test_the_graph_sees_module_level_imports_only():
    graph = import_graph()
    assert "app.sms.table" in graph["app.sms.inbound"]
    assert "app.places.municipalities" in graph["app.places.importers"]  # from x import module
    assert "app" not in graph["app.core.db"]
    assert "app" in graph["app.cli"]  # `from app import create_app`
    # create_app imports the CLI inside the factory: not an import-time edge.
    assert "app.cli" not in graph["app"]


def test_strongly_connected_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [{"a", "b", "c"}]
    assert cycle_edges(graph) == {("a", "b"), ("b", "c"), ("c", "a")}


def test_no_import_cycles():
    graph = import_graph()
    unexpected = sorted(cycle_edges(graph) - KNOWN_CYCLE_EDGES)
    groups = [sorted(g) for g in strongly_connected(graph)]
    assert not unexpected, f"import cycles: {groups}; imports on them: {unexpected}"


def test_the_allow_list_holds_only_real_cycles():
    stale = sorted(KNOWN_CYCLE_EDGES - cycle_edges(import_graph()))
    assert not stale, f"these cycles are gone: remove them from KNOWN_CYCLE_EDGES: {stale}"


CLICK_ALLOWED = {"app.channels.africastalking.fake"}
"""The fake provider is its own small program with its own command."""


@pytest.mark.parametrize("name", sorted(MODULES))
def test_click_only_in_the_cli(name):
    if name == "app.cli" or name.startswith("app.cli.") or name in CLICK_ALLOWED:
        return
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and not node.level
    }
    assert "click" not in imported and "flask.cli" not in {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    }, f"{name} imports click: only app/cli/ may (a service raises a DomainError instead)"
