"""``red-aes score``: absolute aesthetic scores of single images.

Examples::

    red-aes score a.jpg b.jpg --model measured --json
    red-aes score photo.jpg --model Qwen/Qwen2.5-VL-7B-Instruct --adapter ./adapter --decoding fast

Every image is loaded (and rejected with a reason) before the model is loaded. ``--json`` prints exactly
one JSON list with one object per image (its ``file`` and the result's fields, as for ``compare``). The
exit code is 1 when the model gave no valid answer for some image, 2 for bad input.
"""

from __future__ import annotations

import argparse
import json

from red_aes.commands.options import (
    add_scorer_options,
    load_scorer_from,
    scorer_settings,
    validity_note,
    value_text,
)
from red_aes.types import SCORE_MAX, SCORE_MIN


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "score",
        help="score single images",
        description=f"Absolute aesthetic scores in [{SCORE_MIN:.0f}, {SCORE_MAX:.0f}], higher is better.",
    )
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    add_scorer_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from red_aes.images import load_image

    images = [load_image(path) for path in args.images]
    decoding = args.decoding
    scorer = load_scorer_from(args)
    scores = scorer.score(images, decoding=decoding, progress=not args.json and len(images) > 1)
    if args.json:
        settings = scorer_settings(scorer)
        records = [
            {"file": path, **s.to_dict(), **settings} for path, s in zip(args.images, scores, strict=True)
        ]
        print(json.dumps(records))
    else:
        print(f"scores in [{SCORE_MIN:.0f}, {SCORE_MAX:.0f}], higher is better")
        for path, s in zip(args.images, scores, strict=True):
            valid = f"{path}: {value_text(s.score, decoding, 'score')}{validity_note(s)}" if s.valid else ""
            print(valid or f"{path}: no valid answer ({s.error})")
            if s.reasoning:
                print(f"  reasoning: {s.reasoning}")
    return 0 if all(s.valid for s in scores) else 1
