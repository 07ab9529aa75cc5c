"""The package's modules import in one direction: no cycles, not even through a function's import.

Every module of src/cityops and dev/cityops_dev is parsed, and every
import statement counts, wherever it stands: at module level, inside a function, under
`if TYPE_CHECKING`. A local import hides a cycle from Python, not from a reader.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.fixtures.commands import ROOT

PACKAGES = {"cityops": ROOT / "src" / "cityops", "cityops_dev": ROOT / "dev" / "cityops_dev"}
# The vocabulary every layer shares: it depends on no layer (rank 0).
SHARED = {
    "contracts",
    "errors",
    "forking",
    "locks",
    "messages",
    "outcomes",
    "periods",
    "problems",
    "reference",
    "settings",
    "textnorm",
}
# The flow, as a rank: a module imports only modules of its own rank or below.
RANKS = {
    "extract": 1,
    "load": 2,
    "validate": 2,  # the gate runs on the staged batch, in the warehouse load/ manages
    "transform": 3,
    "report": 4,
    "ingest": 5,
    "orchestrate": 6,
    "bi": 6,  # serve: what people and BI tools use, beside the orchestration
    "portal": 6,  # serve: the departments' portal
    "cli": 7,
}
TOP = max(RANKS.values())  # a new package (the portal, say) may use everything below it


def _modules() -> dict[str, Path]:
    found = {}
    for package, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """(module imported, line) for every import in the file, at any depth."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package this module is in
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield (submodule if submodule in MODULES else base), node.lineno


def _graph() -> dict[str, dict[str, int]]:
    graph: dict[str, dict[str, int]] = {name: {} for name in MODULES}
    for name, path in MODULES.items():
        for target, line in _imports(name, path):
            while target and target not in MODULES:  # `import cityops.x.y` names a module, or its package
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].setdefault(target, line)
    return graph


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle through each strongly connected group of modules (Tarjan), as a path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(graph, set(group)) for group in groups]


def _path_through(graph: dict[str, dict[str, int]], group: set[str]) -> list[str]:
    """A shortest way round, from the group's first module back to itself."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for other in sorted(graph[node]):
            if other == start:
                return paths[node] + [start]
            if other in group and other not in paths:
                paths[other] = paths[node] + [other]
                queue.append(other)
    raise AssertionError(f"no way round {group}")


def _describe(graph: dict[str, dict[str, int]], cycle: list[str]) -> str:
    steps = [f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:], strict=False)]
    return " → ".join([*steps, cycle[-1]])


def test_no_module_imports_another_that_imports_it_back():
    graph = _graph()
    cycles = [_describe(graph, cycle) for cycle in _cycles(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def _rank(module: str) -> int:
    parts = module.split(".")
    if parts[0] != "cityops":
        return TOP + 1  # the development tools sit above the product
    if len(parts) == 1 or parts[1] in SHARED:
        return 0
    return RANKS.get(parts[1], TOP)


def test_imports_follow_the_flow_and_shared_modules_depend_on_no_layer():
    graph = _graph()
    upward = [
        f"{module} (rank {_rank(module)}) imports {target} (rank {_rank(target)}) at line {line}"
        for module, targets in graph.items()
        for target, line in targets.items()
        if _rank(target) > _rank(module)
    ]
    assert not upward, "imports against the flow:\n" + "\n".join(upward)


def test_the_checker_finds_a_cycle_hidden_in_a_function():
    graph = {
        "cityops.a": {"cityops.b": 3},
        "cityops.b": {"cityops.c": 5},
        "cityops.c": {"cityops.a": 40},  # say, `from cityops.a import x` inside a function
        "cityops.d": {"cityops.a": 1},
    }
    assert [_describe(graph, c) for c in _cycles(graph)] == [
        "cityops.a (line 3) → cityops.b (line 5) → cityops.c (line 40) → cityops.a"
    ]


def test_every_module_is_seen_with_its_function_level_imports():
    ingest = _graph()["cityops.ingest"]
    assert "cityops.validate.gate" in ingest, "imported inside a function (GX is slow to import)"
    assert len(MODULES) > 60


def test_no_test_file_imports_another():
    """Shared builders live in tests/fixtures/; a test module is never a library."""
    folder = ROOT / "tests"
    found = []
    for path in sorted(folder.rglob("test_*.py")):
        name = ".".join(("tests", *path.relative_to(folder).with_suffix("").parts))
        for target, line in _imports(name, path):
            if target.rpartition(".")[2].startswith("test_"):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not found, found
