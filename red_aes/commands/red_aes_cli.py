"""The ``red-aes`` command line (``python -m red_aes`` runs it too).

Each command or command group is one module of :mod:`red_aes.commands`, named after it, exposing
``register(subparsers)``: ``compare``, ``score``, ``cull``, ``edit``, ``enhance``, ``measure``, ``eval``,
``data`` (``build``/``card``/``push``), ``train`` (``run``/``push``), ``lite``
(``fetch-photos``/``train``/``push``), ``demo`` (the Gradio app), ``make_tiny`` (``make-tiny-model``,
``make-tiny-editor``) and ``env`` (versions for a bug report). Every Hub push is the ``push`` of the group
that made what it pushes. Heavy libraries are imported inside the command functions so that
``red-aes --help`` stays fast.

Bad input (a missing or corrupt image, an unknown option value, an unusable model: every
:class:`~red_aes.errors.RedAesError`, and a missing file) exits with code 2 and a one-line message naming
the input and the reason. Any other exception is a bug and shows its traceback. Flags are taken only as
spelled: argparse's abbreviations are off, so an unknown flag such as ``--mode`` is refused rather than
read as a prefix of ``--model``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from red_aes.commands import (
    compare,
    cull,
    data,
    demo,
    edit,
    enhance,
    env,
    lite,
    make_tiny,
    measure,
    score,
    train,
)
from red_aes.commands import eval as eval_
from red_aes.errors import RedAesError
from red_aes.processes import leaving_process_group

#: The command modules, in the order ``red-aes --help`` lists them.
COMMANDS = (compare, score, cull, edit, enhance, measure, eval_, data, train, lite, demo, make_tiny, env)

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
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with leaving_process_group():  # under accelerate launch: leave it before the interpreter exits
            return int(args.func(args) or 0)
    except USER_ERRORS as err:
        print(f"red-aes {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"red-aes {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
