"""The evaluation package (red_aes/evaluation/__init__.py): each public name is the object of the module
its type-checking import names, imported on first use."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import red_aes.evaluation


def _type_checking_imports(path: Path) -> dict[str, str]:
    """Name -> module of the ``if TYPE_CHECKING:`` imports of a package ``__init__``."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            return {a.name: n.module for n in node.body if isinstance(n, ast.ImportFrom) for a in n.names}
    return {}


def test_every_public_name_is_the_object_of_its_module() -> None:
    declared = _type_checking_imports(Path(red_aes.evaluation.__file__))
    assert sorted(declared) == sorted(red_aes.evaluation.__all__)
    for name, module in declared.items():
        assert getattr(red_aes.evaluation, name) is getattr(importlib.import_module(module), name), name
    with pytest.raises(AttributeError, match=r"module 'red_aes\.evaluation' has no attribute 'run'"):
        red_aes.evaluation.run  # noqa: B018
