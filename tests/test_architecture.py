"""The layering of `vertex_ar` (ARCHITECTURE.md), read from the source with `ast`.

An import counts wherever it is written (module level or inside a function: a lazy import still
couples the two modules and only hides a cycle), except under `if TYPE_CHECKING:` (annotations
only, never executed). A package is `vertex_ar.<name>`; the top-level modules (`app`, `api`,
`worker`, `cli`, `models`) count as packages of their own.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = "vertex_ar"

ENTRY_POINTS = frozenset({"app", "api", "worker", "cli", "models", "migrations"})
BOTTOM = frozenset({"core", "markers"})
BACKENDS = frozenset({"storage"})
# Layer of a package: higher numbers may import lower ones. Domains are everything else.
LAYER_NAMES = {0: "core/markers", 1: "storage backends", 2: "domains", 3: "entry points"}
MAX_UPWARD_IMPORTS = 10


def layer(package: str) -> int:
    if package in BOTTOM:
        return 0
    if package in BACKENDS:
        return 1
    if package in ENTRY_POINTS:
        return 3
    return 2


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted((SRC / ROOT).rglob("*.py"))}


def package_of(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST, module: str) -> Iterator[str]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            for other in child.orelse:
                yield from _imports(other, module)
            continue
        if isinstance(child, ast.Import):
            yield from (alias.name for alias in child.names)
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:  # relative: resolve against this module's package
                is_package = MODULES[module].name == "__init__.py"
                anchor = module.split(".")[: len(module.split(".")) - child.level + is_package]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in child.names:
                # `from vertex_ar.x import y` imports the module vertex_ar.x.y when there is one.
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in MODULES else base
        yield from _imports(child, module)


def product_imports() -> dict[str, set[str]]:
    """Each product module -> the product modules it imports."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = set(_imports(ast.parse(path.read_text(), str(path)), module))
        graph[module] = {t for t in targets if t in MODULES and t != module}
    return graph


GRAPH = product_imports()


def package_imports() -> set[tuple[str, str]]:
    """Distinct (importing package, imported package) pairs, package != package."""
    return {
        (package_of(source), package_of(target))
        for source, targets in GRAPH.items()
        for target in targets
        if package_of(source) != package_of(target) and package_of(source)
    }


def test_core_imports_no_other_package() -> None:
    offending = sorted(
        f"{source} -> {target}"
        for source, targets in GRAPH.items()
        if package_of(source) == "core"
        for target in targets
        if package_of(target) != "core"
    )
    assert offending == []


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, or None (iterative depth-first search)."""
    state: dict[str, int] = defaultdict(int)  # 0 new, 1 on the current path, 2 done
    for start in sorted(graph):
        if state[start]:
            continue
        path: list[str] = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state[nxt] == 1:
                return [*path[path.index(nxt) :], nxt]
            elif state[nxt] == 0:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_no_import_cycle_among_modules() -> None:
    assert _cycle(GRAPH) is None, " -> ".join(_cycle(GRAPH) or [])


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize(
    ("package", "expected"),
    [("core", 0), ("markers", 0), ("storage", 1), ("content", 2), ("app", 3), ("cli", 3)],
)
def test_layers(package: str, expected: int) -> None:
    assert layer(package) == expected


def test_few_imports_run_up_the_layers() -> None:
    pairs = package_imports()
    upward = sorted((a, b) for a, b in pairs if layer(a) < layer(b))
    print(f"\n{len(pairs)} package-level imports, {len(upward)} from a lower layer to a higher:")
    for a, b in upward:
        print(f"  {a} ({LAYER_NAMES[layer(a)]}) -> {b} ({LAYER_NAMES[layer(b)]})")
    assert len(upward) <= MAX_UPWARD_IMPORTS, upward
