"""``red-aes demo``: serve the Gradio demo (the ``app`` extra) from an install.

Examples::

    red-aes demo
    red-aes demo --model measured --server-port 7861
    RED_AES_MODEL=measured red-aes demo --share

The same app as the Space's ``app.py`` (which runs this command), with the same flags: each defaults to
its ``RED_AES_*`` environment variable (:data:`red_aes.demo.config.OPTIONS`), and ``red-aes demo
--help`` lists them. The offline default is the classical editor and RED-Lite; the example photos ship
with the package.
"""

from __future__ import annotations

import argparse

from red_aes.errors import require

#: Never a prefix of any argument: the ``demo`` parser sees no flag of its own (see :func:`register`).
_NO_FLAGS = "\0"


def _run(args: argparse.Namespace) -> int:
    from red_aes.demo.config import build_arg_parser, config_from_args

    # the demo's own parser reads the command line (``--help`` prints its flags and exits here)
    config = config_from_args(build_arg_parser(prog="red-aes demo").parse_args(args.demo_argv))
    require("gradio", "app", "red-aes demo")
    require("spaces", "app", "red-aes demo")
    from red_aes.demo.ui import serve

    serve(config)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    # The demo's flags are declared once, with the demo (red_aes.demo.config.OPTIONS), whose import
    # (editors, scorers) would cost every red-aes command about a second. So this parser declares no
    # flag, not even --help (no prefix character it knows ever starts an argument): it keeps the rest of
    # the command line as written, and the demo's parser reads it when the command runs.
    parser = subparsers.add_parser(
        "demo",
        help="serve the Gradio demo: edit, compare and score photos in the browser (the 'app' extra); "
        "red-aes demo --help lists its flags",
        add_help=False,
        prefix_chars=_NO_FLAGS,
    )
    parser.add_argument("demo_argv", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(func=_run)
