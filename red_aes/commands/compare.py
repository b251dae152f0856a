"""``red-aes compare``: the aesthetic delta of an edited photo.

Examples::

    red-aes compare before.jpg after.jpg --instruction "brighten the shadows" --model red-aes/red-aes-7b
    red-aes compare a.jpg b.jpg --model Qwen/Qwen2.5-VL-7B-Instruct --adapter ./adapter --decoding fast
    red-aes compare before.jpg after.jpg --model endpoint --endpoint-url http://localhost:8000/v1

Images are loaded (and rejected with a reason) before any model is loaded. ``--json`` prints exactly one
JSON object holding the result's fields (``forced``: a reasoning answer written after the budget ran
out; ``answer_mass``: fast decoding's probability of a well-formed answer; ``decoding``) and, for VLM
scorers, the ``max_image_pixels`` the images were resized within. The exit code is 1 when the model gave
no valid answer (a fast-decoding answer mass below the threshold counts as none), 2 for bad input.
"""

from __future__ import annotations

import argparse
import json

from red_aes.commands.options import (
    SCALE_NOTE,
    add_scorer_options,
    load_scorer_from,
    scorer_settings,
    validity_note,
    value_text,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "compare",
        help="predict how much an edit changed a photo's aesthetics",
        description=f"Predict the aesthetic delta of an edited photo. {SCALE_NOTE}.",
    )
    p.add_argument("original", help="original image file")
    p.add_argument("edited", help="edited image file")
    p.add_argument("--instruction", help="the edit instruction, if known")
    add_scorer_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from red_aes.images import load_image

    original, edited = load_image(args.original), load_image(args.edited)
    scorer = load_scorer_from(args)
    delta = scorer.compare(original, edited, args.instruction, decoding=args.decoding)
    if args.json:
        record = {"original": args.original, "edited": args.edited, "instruction": args.instruction}
        print(json.dumps({**record, **delta.to_dict(), **scorer_settings(scorer)}))
    elif delta.valid:
        value = value_text(delta.delta, args.decoding, "delta")
        print(f"delta: {value}  ({SCALE_NOTE}){validity_note(delta)}")
        if delta.reasoning:
            print(f"reasoning: {delta.reasoning}")
    else:
        print(f"no valid answer from the model: {delta.error}")
        print(f"model output: {delta.raw_text}")
    return 0 if delta.valid else 1
