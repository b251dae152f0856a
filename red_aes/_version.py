"""The package version, read once from the installed distribution's metadata (``pyproject.toml``)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("red-aes")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
