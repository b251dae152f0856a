"""``red-aes measure``: the measured aesthetic attributes of images (model-free, offline).

Examples::

    red-aes measure a.jpg b.jpg
    red-aes measure a.jpg b.jpg --json

``--json`` prints exactly one JSON list with each file's measured attributes (see
``red_aes.measure.METRICS`` for units).
"""

from __future__ import annotations

import argparse
import json

from red_aes.commands.options import FULL_RESOLUTION_HELP, long_side


def register(subparsers: argparse._SubParsersAction) -> None:
    measure = subparsers.add_parser(
        "measure",
        help="measure exposure, contrast, colour, white balance, sharpness, noise and composition",
        description="Print the measured aesthetic attributes of each image (model-free, offline).",
    )
    measure.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    measure.add_argument("--full-resolution", action="store_true", help=FULL_RESOLUTION_HELP)
    measure.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    measure.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from red_aes.images import declared_size
    from red_aes.measure import METRICS, measure_image

    for path in args.images:  # every file's header is checked before any is decoded
        declared_size(path)
    measured = [
        measure_image(path, long_side=long_side(args))
        for path in tqdm(args.images, desc="measure", disable=args.json or len(args.images) < 2)
    ]
    if args.json:
        print(
            json.dumps([{"file": path, **m.to_dict()} for path, m in zip(args.images, measured, strict=True)])
        )
        return 0
    for path, m in zip(args.images, measured, strict=True):
        print(f"{path} ({m.width}x{m.height})")
        for attribute, stats in m.by_attribute().items():
            values = ", ".join(f"{name} {value:.3g} {METRICS[name].unit}" for name, value in stats.items())
            print(f"  {attribute}: {values}")
    return 0
