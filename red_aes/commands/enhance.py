"""``red-aes enhance``: the critic suggests the edit (:mod:`red_aes.enhance`).

Examples::

    red-aes enhance photo.jpg
    red-aes enhance photo.jpg --out better.jpg --json
    red-aes enhance photo.jpg --model measured --budget 30

Searches the classical editor's global edits (exposure, contrast, saturation and vibrance, white balance
and tint, sharpening, denoising, straightening) with the scorer's predicted Δ, within a work budget, and
prints the best edit as a prompt ``red-aes edit`` accepts, its Δ, the reasoning and the next best
alternatives. When no edit beats the original by ``--margin``, it says so and writes nothing. ``--json``
prints one JSON object: ``prompt`` (null when no edit helps), ``delta``, ``reasoning``,
``alternatives``, ``evaluations``, ``seconds``, ``stopped``.
"""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    from red_aes.enhance import DEFAULT_MARGIN

    enhance = subparsers.add_parser(
        "enhance",
        help="let the critic suggest the global edit that helps a photo most",
        description="Search the classical editor's global edits with a scorer's predicted delta.",
    )
    enhance.add_argument("image", metavar="PHOTO", help="the photo to improve")
    enhance.add_argument(
        "--out", help="write the enhanced photo here (nothing is written when no edit helps)"
    )
    enhance.add_argument("--model", default="red-lite", help="scorer (default: red-lite, offline on CPU)")
    enhance.add_argument("--adapter", default=None, help="the scorer's adapter or RED-Lite folder")
    enhance.add_argument(
        "--margin",
        type=float,
        default=DEFAULT_MARGIN,
        help=f"score points an edit must gain to be suggested (default {DEFAULT_MARGIN})",
    )
    enhance.add_argument("--budget", type=int, default=60, help="most candidate images scored (default 60)")
    enhance.add_argument("--json", action="store_true", help="print one JSON object")
    enhance.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from red_aes.enhance import Enhancer
    from red_aes.errors import InputError
    from red_aes.scoring import load_scorer

    if args.budget < 1 or args.margin < 0:
        raise InputError("--budget must be at least 1 and --margin at least 0")
    scorer = load_scorer(args.model, args.adapter)
    result = Enhancer(scorer, margin=args.margin, max_evaluations=args.budget).enhance(args.image)
    if args.out and result.image is not None:
        result.image.save(args.out)
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    if result.prompt is None:
        print(result.reasoning)
    else:
        print(f"suggested edit: {result.prompt}  (Δ {result.delta:+.2f})")
        print(result.reasoning)
        if args.out:
            print(f"wrote {args.out}")
    for alternative in result.alternatives:
        print(f"  alternative: {alternative.prompt}  (Δ {alternative.delta:+.2f})")
    return 0
