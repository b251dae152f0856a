"""The package version (red_aes._version): the installed distribution's, read once."""

from __future__ import annotations

import importlib.metadata
import runpy

import pytest

import red_aes
from red_aes import _version


def test_the_version_is_the_installed_distributions() -> None:
    assert _version.__version__ == importlib.metadata.version("red-aes")
    assert red_aes.__version__ == _version.__version__


def test_a_source_tree_that_was_never_installed_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert runpy.run_path(_version.__file__)["__version__"] == "0+unknown"
