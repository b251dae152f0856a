"""The one registry helper (red_aes.registry): entries with metadata, fallbacks, import paths, and every
name -> code lookup of the package going through it."""

from __future__ import annotations

import ast
import json

import pytest

from red_aes.registry import Entry, Registry, RegistryError, given, resolve
from red_aes.scoring.measured import MeasuredScorer
from tests.conftest import REPO

PACKAGE = REPO / "red_aes"


def test_entries_are_entries_whether_given_as_strings_or_with_metadata() -> None:
    table = Registry(
        "judge",
        {
            "ladder": "red_aes.data.judges:LadderJudge",
            "measured": Entry("red_aes.data.judges:measured_judge", "measured attribute changes"),
        },
    )
    assert table["ladder"] == Entry("red_aes.data.judges:LadderJudge", "")
    assert table.entry("measured").description == "measured attribute changes"
    assert table.build("ladder", scale=2.0).scale == 2.0
    with pytest.raises(RegistryError, match="unknown judge 'ladderr'; known: ladder, measured; did you mean"):
        table.entry("ladderr")
    with pytest.raises(ValueError, match="either a fallback or import paths"):
        Registry("x", {}, fallback="json:dumps", import_paths=True)


def test_given_keeps_the_options_that_were_set() -> None:
    assert given({"a": None, "b": 0, "c": False}) == {"b": 0, "c": False}


def test_import_paths_resolve_a_users_callable_with_clear_errors() -> None:
    table = Registry("reward function", {"dumps": "json:dumps"}, import_paths=True)
    assert table.target("dumps") is json.dumps and table.target("json.loads") is json.loads
    assert table.entry("json.loads") == Entry("json:loads")
    with pytest.raises(RegistryError, match=r"not registered \(dumps\) and not a dotted import path"):
        table.target("loads")
    with pytest.raises(RegistryError, match="did you mean `dumps`"):
        table.target("dump")
    with pytest.raises(RegistryError, match=r"cannot import module 'no_such_package\.module'"):
        table.target("no_such_package.module.reward")
    with pytest.raises(RegistryError, match="json has no callable 'nope'"):
        table.target("json.nope")
    with pytest.raises(RegistryError, match="json has no callable '__doc__'"):  # there, but not callable
        table.target("json.__doc__")


def test_resolve_reads_dotted_attributes() -> None:
    assert (
        resolve("red_aes.scoring.measured:MeasuredScorer.from_pretrained") == MeasuredScorer.from_pretrained
    )


def test_no_module_imports_code_from_a_string_outside_the_registry() -> None:
    """Every name -> code lookup goes through ``red_aes.registry``; the only other ``import_module`` calls
    are the packages' lazy public names (``_lazy``) and RED-Lite's weight package, imported by name."""
    calls = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in {"import_module", "__import__"}:
                    calls.add(path.relative_to(PACKAGE).as_posix())
    assert calls == {"registry.py", "_lazy.py", "lite/backbone.py"}
