"""Measure the shape of ``src/lifsim``: import circles, floors, and the longest functions.

Run ``python tools/import_graph.py`` from the repository root.  Every import of a lifsim module counts,
including imports inside functions; imports under ``if TYPE_CHECKING:`` do not (they never run).  A
module's *floor* is 1 for a module that imports no other lifsim module, and otherwise one more than the
highest floor it imports; the modules of an import circle share one floor.  ``tests/test_layout.py``
holds the limits that issue 16 set (no circle but one delegation pair, at most 12 floors, no function
over 100 lines outside the compiled kernels, ``simulate`` at most 60 lines).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "lifsim"
#: decorators that mark a compiled kernel (its length is the kernel's, not a Python function's)
KERNEL_DECORATORS = ("njit", "jit", "vectorize", "guvectorize", "cfunc", "stencil")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / PACKAGE).rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The lifsim modules that module ``name`` imports (anywhere in its body)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # ``from pkg import sub`` names the submodule; ``from pkg import name`` names pkg itself
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in known else stem for a in node.names]
        for target in targets:
            # the deepest known module that the target names
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != PACKAGE:
                found.add(target)
    # importing ``a.b.c`` runs ``a.b``'s __init__ too; that edge is the package's, not counted here
    return found


@dataclass
class Shape:
    graph: dict[str, set[str]]
    circles: list[list[str]]
    floors: dict[str, int]
    functions: list[tuple[int, str]]

    @property
    def height(self) -> int:
        return max(self.floors.values(), default=0)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def function_lengths(path: Path, name: str) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            decorators = [ast.unparse(d) for d in node.decorator_list]
            if any(k in d for d in decorators for k in KERNEL_DECORATORS):
                continue
            assert node.end_lineno is not None
            yield node.end_lineno - node.lineno + 1, f"{name}.{node.name} ({path.name}:{node.lineno})"


def measure() -> Shape:
    mods = modules()
    known = set(mods)
    graph = {name: imports_of(name, path, known) for name, path in mods.items()}
    components = strongly_connected(graph)
    component_of = {m: i for i, comp in enumerate(components) for m in comp}
    floor_of_component: dict[int, int] = {}
    # Tarjan emits components in reverse topological order: dependencies first
    for i, comp in enumerate(components):
        below = [floor_of_component[component_of[w]] for m in comp for w in graph[m] if component_of[w] != i]
        floor_of_component[i] = 1 + max(below, default=0)
    floors = {m: floor_of_component[component_of[m]] for m in mods}
    functions = sorted((f for name, path in mods.items() for f in function_lengths(path, name)), reverse=True)
    return Shape(graph, [c for c in components if len(c) > 1], floors, functions)


def main() -> int:
    shape = measure()
    print(f"modules: {len(shape.graph)}, import edges: {sum(len(v) for v in shape.graph.values())}")
    print(f"floors: {shape.height}")
    print(f"import circles: {len(shape.circles)}")
    for circle in shape.circles:
        print(f"  {len(circle)} modules: {', '.join(circle)}")
    print("longest functions:")
    for length, where in shape.functions[:10]:
        print(f"  {length:4d}  {where}")
    print(f"functions over 100 lines: {sum(1 for length, _ in shape.functions if length > 100)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
