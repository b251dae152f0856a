"""Lazy package attributes (PEP 562): a package's public names, imported on first access.

A package ``__init__`` that imports every submodule makes ``import red_aes.data.ladder`` pay for
``datasets`` and the whole builder. Packages list their public names here instead, and keep the same
imports under ``typing.TYPE_CHECKING`` for type checkers and readers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``exports[name]`` (a module) on first use."""

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
