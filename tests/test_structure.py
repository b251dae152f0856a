"""The package's structure, read from the code's imports: no import circles between modules or between
rooms, every import runs down the layers, scoring in one package, and tests that mirror the package
(every module has a test file that imports it, in the folder that mirrors its subpackage)."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path
from typing import Any

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "red_aes"
TESTS = Path(__file__).resolve().parent
#: Test folders that mirror no subpackage of ``red_aes``: the scripts of the repository's benchmarks/.
NOT_PACKAGES = ("benchmarks",)
#: The rooms of ``red_aes`` (a subpackage or a top-level module), bottom layer first. An import may only
#: run from a room to a room of a lower layer; docs/architecture.md says why each room is where it is.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "_version", "_lazy", "processes", "resources"),
    ("types", "registry", "images", "hub", "chat"),
    ("prompts", "scale", "measure"),
    ("perceptual",),
    ("parsing", "checkpoints", "testing"),
    ("editing",),
    ("lite",),
    ("scoring",),
    ("data", "pipeline", "enhance", "cull"),
    ("evaluation", "train", "demo"),
    ("red_aes",),
    ("commands",),
    ("__main__",),
)


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


def _room(module: str) -> str:
    """``red_aes.train.lite.trainer`` -> ``train``; the package itself is the room ``red_aes``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _rooms(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The import graph between rooms (imports inside one room left out)."""
    rooms: dict[str, set[str]] = {_room(m): set() for m in graph}
    for module, imported in graph.items():
        rooms[_room(module)] |= {_room(m) for m in imported} - {_room(module)}
    return rooms


def _upward(rooms: dict[str, set[str]], layers: tuple[tuple[str, ...], ...]) -> list[str]:
    """Imports from a room to a room of the same or a higher layer, as ``"a -> b"``."""
    layer = {room: level for level, members in enumerate(layers) for room in members}
    return sorted(f"{a} -> {b}" for a, imported in rooms.items() for b in imported if layer[b] >= layer[a])


def test_no_circle_between_rooms_and_every_import_runs_down_the_layers() -> None:
    rooms = _rooms(_graph())
    assert {"lite", "scoring", "data", "train"} <= set(rooms)
    assert sorted(rooms) == sorted(room for layer in LAYERS for room in layer), "place new rooms in LAYERS"
    assert _circles(rooms) == []
    assert _upward(rooms, LAYERS) == []


def test_the_layer_check_finds_an_upward_import() -> None:
    rooms = {"scoring": {"lite"}, "lite": {"data"}, "data": {"scoring"}}
    assert _circles(rooms) == [["data", "lite", "scoring"]]
    assert _upward(rooms, (("lite",), ("scoring",), ("data",))) == ["lite -> data"]


def test_red_lite_model_and_training_live_apart() -> None:
    """The model (below scoring) holds no training code; training and pair making sit above data."""
    graph = _graph()
    model = {m.rpartition(".")[2] for m in graph if m.startswith("red_aes.lite.")}
    assert model == {"backbone", "features", "model", "explain"}
    training = {m.rpartition(".")[2] for m in graph if m.startswith("red_aes.train.lite.")}
    assert {"pairs", "synthetic", "trainer", "losses", "card"} <= training


def test_the_circle_check_finds_a_circle() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _test_imports() -> dict[str, set[str]]:
    """The ``red_aes`` modules each test file imports directly, by the file's path under tests/."""
    modules = set(_graph())
    return {p.relative_to(TESTS).as_posix(): _imports(p, modules) for p in sorted(TESTS.rglob("test_*.py"))}


def _untested(modules: set[str], imports: dict[str, set[str]]) -> list[str]:
    """Modules that no test file imports directly (importing a parent package does not count)."""
    return sorted(modules - set().union(*imports.values()))


def _misplaced(modules: set[str], imports: dict[str, set[str]]) -> list[str]:
    """Test files that break the mirror: ``tests/<sub>/...`` must import a ``red_aes.<sub>`` module, and
    ``test_<name>.py`` must import the module ``<name>`` of the package its folder mirrors when there is one
    (``test_init.py``: the package itself; leading underscores dropped: ``test_lazy.py`` for ``_lazy``)."""
    found = []
    for path, imported in imports.items():
        folder, _, file = path.rpartition("/")
        if folder.split("/")[0] in NOT_PACKAGES:
            continue
        package = ".".join(["red_aes", *folder.split("/")]) if folder else "red_aes"
        if package not in modules:
            found.append(f"{path}: tests/{folder}/ mirrors no red_aes package")
            continue
        if folder and not any(m == package or m.startswith(f"{package}.") for m in imported):
            found.append(f"{path} imports no {package} module")
        name = file.removeprefix("test_").removesuffix(".py")
        mirrored = [
            m
            for m in modules
            if (m == package and name == "init")
            or (m.rpartition(".")[0] == package and m.rpartition(".")[2].strip("_") == name)
        ]
        found += [f"{path} does not import {m}" for m in mirrored if m not in imported]
    return found


def test_every_module_has_a_test_file_that_imports_it_in_the_mirror_folder() -> None:
    """``red_aes/<sub>/<module>.py`` is imported by a test file, the mirror ``tests/<sub>/test_<module>.py``
    imports it, and every test file of ``tests/<sub>/`` tests a module of ``red_aes.<sub>``."""
    modules, imports = set(_graph()), _test_imports()
    assert "scoring/test_vlm.py" in imports and "red_aes.scoring.vlm" in imports["scoring/test_vlm.py"]
    assert _untested(modules, imports) == []
    assert _misplaced(modules, imports) == []


def test_the_mirror_check_finds_an_untested_module_and_a_misplaced_test() -> None:
    modules = {"red_aes", "red_aes._lazy", "red_aes.images", "red_aes.scoring", "red_aes.scoring.vlm"}
    imports = {
        "test_lazy.py": {"red_aes._lazy"},
        "test_images.py": set(),
        "scoring/test_vlm.py": {"red_aes.images"},
        "lite/test_model.py": {"red_aes.images"},
    }
    assert _untested(modules, imports) == ["red_aes", "red_aes.scoring", "red_aes.scoring.vlm"]
    assert _misplaced(modules, imports) == [
        "test_images.py does not import red_aes.images",
        "scoring/test_vlm.py imports no red_aes.scoring module",
        "scoring/test_vlm.py does not import red_aes.scoring.vlm",
        "lite/test_model.py: tests/lite/ mirrors no red_aes package",
    ]


def test_scoring_lives_in_its_package() -> None:
    scoring = {p.name for p in (PACKAGE / "scoring").glob("*.py")}
    assert {"__init__.py", "base.py", "backends.py", "vlm.py", "decoding.py", "measured.py"} <= scoring


def test_core_modules_never_import_data_training_or_the_ui() -> None:
    graph = _graph()
    core = [m for m in graph if m.startswith("red_aes.scoring") or m == "red_aes.checkpoints"]
    for module in core:
        outer = {m for m in graph[module] if m.startswith(("red_aes.data", "red_aes.train", "red_aes.demo"))}
        assert not outer, f"{module} imports {outer}"


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every command of ``parser`` by its words (``("data", "push")``), groups and leaves alike."""
    found: dict[tuple[str, ...], Any] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[(*path, name)] = sub
                found |= _commands(sub, (*path, name))
    return found


def test_cli_modules_are_named_after_their_commands_and_imported_by_name() -> None:
    from red_aes.commands.red_aes_cli import build_parser

    entry = (PACKAGE / "commands" / "red_aes_cli.py").read_text(encoding="utf-8")
    assert "importlib" not in entry and "import_module" not in entry  # no modules loaded from strings
    commands = _commands(build_parser())
    leaves = {words: p for words, p in commands.items() if p.get_default("func") is not None}
    assert ("compare",) in leaves and ("train", "run") in leaves and ("lite", "train") in leaves
    for words, parser in leaves.items():
        top = words[0].replace("-", "_")
        expected = "make_tiny" if top.startswith("make_tiny_") else top
        module = parser.get_default("func").__module__
        assert module == f"red_aes.commands.{expected}", f"red-aes {' '.join(words)} lives in {module}"
    assert not (PACKAGE / "cli.py").exists()  # the entry point lives in commands/


def test_every_push_is_the_push_of_its_group() -> None:
    from red_aes.commands.red_aes_cli import build_parser

    commands = _commands(build_parser())
    pushes = sorted(words for words in commands if any("push" in word for word in words))
    assert pushes == [("data", "push"), ("lite", "push"), ("train", "push")]


def test_no_command_takes_an_abbreviated_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """No parser reads a prefix as a flag: ``--mode`` is not taken for ``--model``."""
    from red_aes.commands.red_aes_cli import build_parser

    parser = build_parser()
    for words, sub in {(): parser, **_commands(parser)}.items():
        assert sub.allow_abbrev is False, f"red-aes {' '.join(words)} accepts abbreviated flags"
    for argv in (
        ["compare", "a.png", "b.png"],
        ["score", "a.png"],
        ["eval", "--model", "measured", "--benchmark", "ava", "--out", "o"],
        ["edit", "a.png", "--prompt", "brighter", "--out", "b.png"],
        ["data", "build"],
    ):
        with pytest.raises(SystemExit) as refused:
            parser.parse_args([*argv, "--mode", "fast"])
        assert refused.value.code == 2 and "unrecognized arguments: --mode fast" in capsys.readouterr().err
