"""``red-aes compare``, ``red-aes score`` and the tiny-checkpoint builders.

Examples::

    red-aes compare before.jpg after.jpg --instruction "brighten the shadows" --model red-aes/red-aes-7b
    red-aes compare a.jpg b.jpg --model Qwen/Qwen2.5-VL-7B-Instruct --adapter ./adapter --decoding fast
    red-aes score a.jpg b.jpg --model measured --json
    red-aes compare before.jpg after.jpg --model endpoint --endpoint-url http://localhost:8000/v1
    red-aes make-tiny-model ./tiny-vlm

Images are loaded (and rejected with a reason) before any model is loaded. ``--json`` prints exactly one
JSON document: an object for ``compare``, a list of objects (each with its ``file``) for ``score``; each
object holds the result's fields (``forced``: a reasoning answer written after the budget ran out;
``answer_mass``: fast decoding's probability of a well-formed answer) and, for VLM scorers, the
``max_image_pixels`` the images were resized within. The exit code is 1 when the model gave no valid
answer for some input (a fast-decoding answer mass below the threshold counts as none), 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from red_aes.commands.options import QUANTIZATION_HELP, quantization
from red_aes.prompts import format_delta, format_score
from red_aes.scoring import DECODINGS
from red_aes.types import DELTA_MAX, DELTA_MIN, SCORE_MAX, SCORE_MIN

SCALE_NOTE = (
    f"delta = score(edited) - score(original), in [{DELTA_MIN:+.0f}, {DELTA_MAX:+.0f}]; scores on a "
    f"{SCORE_MIN:.0f}-{SCORE_MAX:.0f} scale; positive means the edit improved the photo"
)


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default="red-lite",
        help="'red-lite' (default: offline learned CPU model), 'measured' (statistics, no model), "
        "'endpoint' (a served model, see --endpoint-url), a VLM checkpoint or adapter directory, or a Hub id",
    )
    parser.add_argument(
        "--adapter",
        help="PEFT LoRA adapter (directory or Hub id) of a VLM --model, or a RED-Lite head for red-lite",
    )
    parser.add_argument("--quantization", help=f"VLM only: {QUANTIZATION_HELP} (default none)")
    parser.add_argument(
        "--decoding", choices=DECODINGS, default="reasoning", help="reasoning (default) or fast"
    )
    parser.add_argument(
        "--max-reasoning-tokens",
        type=int,
        help="token budget of the <think> part (VLM reasoning mode; default 256)",
    )
    parser.add_argument(
        "--max-image-pixels",
        type=int,
        help="VLM only: resize budget per image in pixels (28x28 pixels per visual token; default: the "
        "adapter's red_aes.json, else 401408 = 512 tokens)",
    )
    parser.add_argument("--device", help="VLM device: cpu, cuda, cuda:1 or auto (default: cuda if available)")
    parser.add_argument(
        "--endpoint-url",
        help="--model endpoint: the OpenAI-compatible API root, e.g. http://localhost:8000/v1",
    )
    parser.add_argument(
        "--endpoint-model", help="--model endpoint: the served model's name (default: the first it lists)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")


def register(subparsers: argparse._SubParsersAction) -> None:
    compare = subparsers.add_parser(
        "compare",
        help="predict how much an edit changed a photo's aesthetics",
        description=f"Predict the aesthetic delta of an edited photo. {SCALE_NOTE}.",
    )
    compare.add_argument("original", help="original image file")
    compare.add_argument("edited", help="edited image file")
    compare.add_argument("--instruction", help="the edit instruction, if known")
    _add_model_options(compare)
    compare.set_defaults(func=_compare)

    score = subparsers.add_parser(
        "score",
        help="score single images",
        description=f"Absolute aesthetic scores in [{SCORE_MIN:.0f}, {SCORE_MAX:.0f}], higher is better.",
    )
    score.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    _add_model_options(score)
    score.set_defaults(func=_score)

    for name, builder, what in (
        ("make-tiny-model", "make_tiny_model", "a tiny, untrained Qwen2.5-VL checkpoint"),
        ("make-tiny-editor", "make_tiny_editor", "a tiny, untrained InstructPix2Pix pipeline"),
    ):
        tiny = subparsers.add_parser(
            name, help=f"write {what} (offline; for tests and demos)", description=f"Write {what} to DIR."
        )
        tiny.add_argument("directory", metavar="DIR")
        tiny.add_argument("--seed", type=int, default=0, help="random seed of the weights (default 0)")
        tiny.set_defaults(func=_make_tiny, builder=builder)


def _load_scorer(args: argparse.Namespace) -> Any:
    from red_aes.registry import given
    from red_aes.scoring import load_scorer

    options = {
        "adapter": args.adapter,
        "quantization": quantization(args.quantization),
        "max_reasoning_tokens": args.max_reasoning_tokens,
        "max_image_pixels": args.max_image_pixels,
        "device": args.device,
        "base_url": args.endpoint_url,
        "endpoint_model": args.endpoint_model,
    }
    return load_scorer(args.model, **given(options))


def _value_text(value: float, decoding: str, kind: str) -> str:
    """As the model writes it in reasoning decoding; two decimals for fast decoding's expected values."""
    if decoding == "reasoning":
        return format_delta(value) if kind == "delta" else format_score(value)
    return f"{value:+.2f}" if kind == "delta" else f"{value:.2f}"


def _validity_note(result: Any) -> str:
    """How far to trust a valid number: forced by the budget, or fast mode's answer mass."""
    if result.forced:
        return "  [forced: the reasoning budget ran out before the model answered]"
    if result.answer_mass is not None:
        return f"  [answer mass {result.answer_mass:.3f}]"
    return ""


def _settings(scorer: Any) -> dict[str, Any]:
    """Scorer settings recorded with every JSON result (the VLM's pixel budget)."""
    budget = getattr(scorer, "max_image_pixels", None)
    return {} if budget is None else {"max_image_pixels": budget}


def _compare(args: argparse.Namespace) -> int:
    from red_aes.images import load_image

    original, edited = load_image(args.original), load_image(args.edited)
    decoding = args.decoding
    scorer = _load_scorer(args)
    delta = scorer.compare(original, edited, args.instruction, decoding=decoding)
    if args.json:
        record = {"original": args.original, "edited": args.edited, "instruction": args.instruction}
        print(json.dumps({**record, **delta.to_dict(), **_settings(scorer)}))
    elif delta.valid:
        value = _value_text(delta.delta, decoding, "delta")
        print(f"delta: {value}  ({SCALE_NOTE}){_validity_note(delta)}")
        if delta.reasoning:
            print(f"reasoning: {delta.reasoning}")
    else:
        print(f"no valid answer from the model: {delta.error}")
        print(f"model output: {delta.raw_text}")
    return 0 if delta.valid else 1


def _score(args: argparse.Namespace) -> int:
    from red_aes.images import load_image

    images = [load_image(path) for path in args.images]
    decoding = args.decoding
    scorer = _load_scorer(args)
    scores = scorer.score(images, decoding=decoding, progress=not args.json and len(images) > 1)
    if args.json:
        settings = _settings(scorer)
        records = [
            {"file": path, **s.to_dict(), **settings} for path, s in zip(args.images, scores, strict=True)
        ]
        print(json.dumps(records))
    else:
        print(f"scores in [{SCORE_MIN:.0f}, {SCORE_MAX:.0f}], higher is better")
        for path, s in zip(args.images, scores, strict=True):
            valid = f"{path}: {_value_text(s.score, decoding, 'score')}{_validity_note(s)}" if s.valid else ""
            print(valid or f"{path}: no valid answer ({s.error})")
            if s.reasoning:
                print(f"  reasoning: {s.reasoning}")
    return 0 if all(s.valid for s in scores) else 1


def _make_tiny(args: argparse.Namespace) -> int:
    from red_aes import testing

    path = getattr(testing, args.builder)(args.directory, seed=args.seed)
    print(f"wrote {path} (untrained: for tests and wiring only)")
    return 0
