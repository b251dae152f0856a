"""Fixtures of the command tests: the ``red-aes`` entry point with its output captured, and a parser
holding one command module alone (``register`` and the ``run`` it sets, without the rest of the CLI)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from types import ModuleType

import pytest

from red_aes.commands.red_aes_cli import main


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """``run_cli(*argv)``: ``red-aes ARGV`` through :func:`main`; returns (exit code, stdout, stderr)."""

    def run(*argv: object) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="session")
def parser_of() -> Callable[[ModuleType], argparse.ArgumentParser]:
    """``parser_of(module)``: a ``red-aes`` parser with only ``module.register``'s command(s)."""

    def build(module: ModuleType) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog="red-aes", allow_abbrev=False)
        module.register(parser.add_subparsers(dest="command", required=True))
        return parser

    return build
