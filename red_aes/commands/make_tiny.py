"""``red-aes make-tiny-model`` and ``red-aes make-tiny-editor``: tiny, untrained checkpoints.

Examples::

    red-aes make-tiny-model ./tiny-vlm
    red-aes make-tiny-editor ./tiny-editor --seed 1

Both write offline (no download) and are for tests, demos and wiring only: the weights are random.
"""

from __future__ import annotations

import argparse

#: command -> (builder in :mod:`red_aes.testing`, what it writes)
TINY = {
    "make-tiny-model": ("make_tiny_model", "a tiny, untrained Qwen2.5-VL checkpoint"),
    "make-tiny-editor": ("make_tiny_editor", "a tiny, untrained InstructPix2Pix pipeline"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    for name, (builder, what) in TINY.items():
        p = subparsers.add_parser(
            name, help=f"write {what} (offline; for tests and demos)", description=f"Write {what} to DIR."
        )
        p.add_argument("directory", metavar="DIR")
        p.add_argument("--seed", type=int, default=0, help="random seed of the weights (default 0)")
        p.set_defaults(func=run, builder=builder)


def run(args: argparse.Namespace) -> int:
    from red_aes import testing

    path = getattr(testing, args.builder)(args.directory, seed=args.seed)
    print(f"wrote {path} (untrained: for tests and wiring only)")
    return 0
