"""The ``red-aes`` command line. Each sub-command group lives in ``red_aes/commands/<group>.py`` and
exposes ``register(subparsers)``; heavy libraries are imported inside the command functions so that
``red-aes --help`` stays fast.

Bad input (a missing or corrupt image, an unknown option value, an unusable model: every
:class:`~red_aes.errors.RedAesError`, and a missing file) exits with code 2 and a one-line message naming
the input and the reason. Any other exception is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

from red_aes.errors import RedAesError

#: Sub-command modules, each with ``register(subparsers)``.
COMMAND_MODULES: tuple[str, ...] = (
    "red_aes.commands.core",
    "red_aes.commands.evaluate",
    "red_aes.commands.data",
    "red_aes.commands.editing",
    "red_aes.commands.train",
    "red_aes.commands.lite",
)

#: Errors that mean "the user's input is wrong", reported as one line with exit code 2.
USER_ERRORS: tuple[type[BaseException], ...] = (RedAesError, FileNotFoundError, NotADirectoryError)


class CommandParser(argparse.ArgumentParser):
    """A parser that takes flags only as spelled: a prefix such as ``--mode`` is refused, never read as
    ``--model`` (argparse's abbreviations). Sub-command parsers are of this class too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="red-aes",
        description="Relative image aesthetics: delta = score(edited) - score(original), scores in [1, 10].",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except USER_ERRORS as err:
        print(f"red-aes {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"red-aes {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
