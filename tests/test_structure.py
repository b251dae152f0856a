"""The package's structure, read from the code's imports: no import circles, scoring in one package, and
no compatibility layer (the modules of spellings before 0.1.0 do not exist)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "red_aes"
#: Modules of spellings before 0.1.0, removed for the first release (their homes are in ``scoring/``).
REMOVED = ("scorer", "scorers", "decoding", "measured_scorer", "statistic_scorer", "lite.scorer")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules ``path`` imports anywhere in its code (inside functions too)."""
    found = set()
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                ).strip(".")
            found |= {f"{base}.{alias.name}" for alias in node.names} | {base}
    return {name for name in found if name in modules}


def _graph() -> dict[str, set[str]]:
    paths = {_module(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(path, set(paths)) - {name} for name, path in paths.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_no_import_circles() -> None:
    graph = _graph()
    assert "red_aes.scoring.base" in graph and "red_aes.checkpoints" in graph
    assert _circles(graph) == []


def test_the_circle_check_finds_a_circle() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_scoring_lives_in_its_package_and_the_old_modules_are_gone() -> None:
    scoring = {p.name for p in (PACKAGE / "scoring").glob("*.py")}
    assert {"__init__.py", "base.py", "vlm.py", "decoding.py", "measured.py", "endpoint.py"} <= scoring
    assert [name for name in REMOVED if (PACKAGE / f"{name.replace('.', '/')}.py").exists()] == []


def test_no_compatibility_layer_is_left() -> None:
    """No module warns about an old spelling, and none of the old names is defined anywhere."""
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert "FutureWarning" not in names, f"{path.relative_to(PACKAGE)} warns about an old spelling"
        assigned = {
            t.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        assert not {"MODES", "Mode", "unsquash_score"} & (assigned | defined), path


def test_core_modules_never_import_data_training_or_the_ui() -> None:
    graph = _graph()
    core = [m for m in graph if m.startswith("red_aes.scoring") or m == "red_aes.checkpoints"]
    for module in core:
        outer = {m for m in graph[module] if m.startswith(("red_aes.data", "red_aes.train", "red_aes.demo"))}
        assert not outer, f"{module} imports {outer}"
