"""Layers, not a web: the imports of the domain packages point one way.

Every import is read from the source (module level and inside functions alike; only
``if TYPE_CHECKING:`` blocks are skipped, as they never run). The domain layer of a package
is every module but its views (``views.py``, ``*_views.py``); on top sit the views, the API
and the application's wiring (``docs/architecture.md`` draws the picture).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "telemed"
# Modules of the top layer: the web (pages, API, errors, template helpers), the command line,
# the application factory and the generators that drive the whole application.
TOP_MODULES = {
    "telemed", "telemed.web", "telemed.cli", "telemed.errors", "telemed.templating",
    "telemed.home", "telemed.i18n", "telemed.models", "telemed.demo", "telemed.reactions",
    "telemed.schedule",
}  # fmt: skip
TOP_PACKAGES = {"api", "synthetic", "simulation"}
INFRASTRUCTURE = {"telemed.extensions"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    """``telemed.sessions.agenda`` -> ``sessions``; ``telemed.web`` -> ``web``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "telemed"


def is_view(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "views" or last.endswith("_views")


def is_top(module: str) -> bool:
    return module in TOP_MODULES or package_of(module) in TOP_PACKAGES or is_view(module)


def is_domain(module: str) -> bool:
    return module.startswith("telemed.") and not is_top(module) and module not in INFRASTRUCTURE


def runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node that can run: ``if TYPE_CHECKING:`` bodies are left out."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *runtime_nodes(child)])
            continue
        yield node
        yield from runtime_nodes(node)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports (``from pkg import module`` counts as the module)."""
    found: set[str] = set()
    for node in runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("telemed"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("telemed"):
                continue
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in known else node.module)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in ROOT.rglob("*.py")}
    known = set(paths)
    return {name: imported_modules(path, known) - {name} for name, path in paths.items()}


GRAPH = import_graph()


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``edges`` as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_graph_sees_the_packages() -> None:
    """Guard for the guards below: the walk finds the domains and their imports."""
    assert "telemed.sessions.assignment" in GRAPH
    assert "telemed.cases.models" in GRAPH["telemed.sessions.assignment"]
    assert is_domain("telemed.room.service") and not is_domain("telemed.room.views")
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_domain_layers_never_import_views_the_api_or_the_wiring() -> None:
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if is_domain(module)
        for target in targets
        if is_top(target)
    )
    assert upward == []


def test_the_core_depends_on_no_domain() -> None:
    core = {m: t for m, t in GRAPH.items() if package_of(m) == "core"}
    assert sorted(f"{m} -> {t}" for m, ts in core.items() for t in ts if is_domain(t)
                  and package_of(t) != "core") == []  # fmt: skip


def test_no_import_cycle_between_the_packages_domain_layers() -> None:
    packages: dict[str, set[str]] = defaultdict(set)
    for module, targets in GRAPH.items():
        if not is_domain(module):
            continue
        for target in targets:
            if is_domain(target) and package_of(target) != package_of(module):
                packages[package_of(module)].add(package_of(target))
    cycle = find_cycle(packages)
    if cycle:
        evidence = [
            f"{m} -> {t}"
            for a, b in pairwise(cycle)
            for m, ts in GRAPH.items()
            if is_domain(m) and package_of(m) == a
            for t in ts
            if is_domain(t) and package_of(t) == b
        ]
        pytest.fail(f"packages import each other: {' -> '.join(cycle)}\n" + "\n".join(evidence))


def test_no_import_cycle_between_modules() -> None:
    assert find_cycle(GRAPH) is None
