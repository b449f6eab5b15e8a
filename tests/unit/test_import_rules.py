"""The one-way dependencies of shared/nija (DESIGN.md): the core (domain, logic, ports) imports no
adapter, API, local stack or the wiring; adapters never import the wiring, the API or the local stack;
and no two modules import each other, however far round."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "shared" / "nija"
CORE = ("nija.domain", "nija.logic", "nija.ports")
FORBIDDEN = {
    "nija.domain": ("nija.logic", "nija.ports", "nija.adapters", "nija.api", "nija.local", "nija.wiring"),
    "nija.logic": ("nija.adapters", "nija.api", "nija.local", "nija.wiring", "nija.observability"),
    "nija.ports": ("nija.logic", "nija.adapters", "nija.api", "nija.local", "nija.wiring"),
    "nija.adapters": ("nija.api", "nija.local", "nija.wiring"),
}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every nija module the file imports, at the top or inside a function (TYPE_CHECKING included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("nija"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nija"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {name for name in found if _exists(name)}


def _exists(name: str) -> bool:
    relative = Path(*name.split(".")[1:]) if "." in name else Path()
    base = PACKAGE / relative
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


GRAPH = {_module(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_each_layer_imports_only_what_it_may(layer: str) -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if _within(module, layer)
        for target in targets
        if any(_within(target, banned) for banned in FORBIDDEN[layer])
    )
    assert wrong == []


def test_no_import_cycle_at_module_level() -> None:
    """Module-level imports only (a function-level import is how a module defers a heavy one)."""
    top: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        names: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nija"):
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names if a.name.startswith("nija"))
        here = _module(path)
        # Importing a.b.c imports its package a.b first anyway: an edge to an ancestor is no cycle.
        top[here] = {n for n in names if _exists(n) and n != here and not _within(here, n)}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(top.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(top):
        if module not in state:
            visit(module, [module])
    assert cycles == []
