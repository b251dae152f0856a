"""Lazy package attributes (red_aes._lazy): a public name is imported from its module on first access,
any other name is an AttributeError naming the package, and a light submodule stays light."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
from launch import run_python

from red_aes._lazy import lazy_getattr


def test_a_name_is_imported_from_its_module_only_when_first_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"lazy_target_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text("VALUE = object()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    package = types.ModuleType("fake_package")
    package.__getattr__ = lazy_getattr("fake_package", {"VALUE": name, "dumps": "json"})
    assert name not in sys.modules  # listing a public name imports nothing
    value = package.VALUE
    assert name in sys.modules and value is sys.modules[name].VALUE
    assert package.dumps is json.dumps
    monkeypatch.delitem(sys.modules, name)


def test_an_unknown_name_is_an_attribute_error_naming_the_package() -> None:
    package = types.ModuleType("fake_package")
    package.__getattr__ = lazy_getattr("fake_package", {"dumps": "json"})
    with pytest.raises(AttributeError, match="module 'fake_package' has no attribute 'loads'"):
        package.loads  # noqa: B018
    assert not hasattr(package, "loads") and getattr(package, "loads", None) is None


def test_the_packages_public_names_wait_for_their_first_use() -> None:
    """``import red_aes.data.ladder`` (a fresh interpreter) loads neither ``datasets`` nor the builder; the
    package's public names still resolve, importing their modules then."""
    code = (
        "import json, sys\n"
        "import red_aes.data.ladder\n"
        "before = ['datasets' in sys.modules, 'red_aes.data.builder' in sys.modules]\n"
        "import red_aes.data\n"
        "from red_aes.data.config import BuildConfig\n"
        "found = red_aes.data.BuildConfig is BuildConfig\n"
        "print(json.dumps([before, 'red_aes.data.builder' in sys.modules, found]))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [[False, False], False, True]
