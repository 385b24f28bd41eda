"""The layers of docs/design.md hold in the code: every import of a synthset module (at
module level or inside a function) points down the table below, and no two modules import
each other, directly or round a circle."""

import ast
from pathlib import Path

import synthset

SRC = Path(synthset.__file__).parent
# What each part of the package may import (besides itself). docs/design.md draws the same.
ALLOWED = {
    "core": set(),
    "templates": set(),
    "engine": {"core"},
    "io": {"core"},
    "algebra": {"core"},
    "tasks": {"core"},
    "runs": {"core", "engine", "io", "tasks"},
    "driver": {"core", "engine", "io", "algebra", "tasks", "runs", "synthset"},
    "dataset": {"core", "engine", "io", "algebra", "tasks", "runs", "driver", "synthset"},
    "loaders": {"core", "io"},
    "quality": {"core", "engine", "io", "algebra", "tasks", "runs", "driver", "synthset"},
    "export": {"core", "engine", "io", "tasks", "runs"},
    "rewards": {"core", "engine", "tasks", "runs", "export"},
    "train": {"core", "engine", "io", "tasks", "runs", "loaders", "export"},
    "evaluation": {"core", "tasks", "runs", "train"},
    "cli": {"core", "engine", "io", "algebra", "tasks", "runs", "driver", "dataset", "loaders",
            "quality", "export", "rewards", "train", "evaluation", "synthset", "templates"},
    "synthset": {"core", "tasks"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = ("synthset", *path.relative_to(SRC).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _target(name: str) -> str:
    """The module an import names (``from synthset.x import y``: ``synthset.x.y`` when that
    is a module, else ``synthset.x``)."""
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                node.module.split(".")[0] == "synthset":
            for alias in node.names:
                found.add(_target(f"{node.module}.{alias.name}"))
        elif isinstance(node, ast.Import):
            found |= {_target(a.name) for a in node.names if a.name.split(".")[0] == "synthset"}
    return found


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _part(module: str) -> str:
    return module.split(".")[1] if "." in module else "synthset"


def test_every_part_is_in_the_table():
    assert {_part(m) for m in MODULES} == set(ALLOWED)


def test_imports_point_down_the_layers():
    upward = sorted(f"{a} -> {b}" for a, targets in GRAPH.items() for b in targets
                    if _part(a) != _part(b) and _part(b) not in ALLOWED[_part(a)])
    assert upward == []


def test_no_circle():
    """Tarjan's strongly connected components: each must be one module."""
    index, low, stack, on, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert circles == []
