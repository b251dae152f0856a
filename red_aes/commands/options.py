"""Options shared by several ``red-aes`` sub-commands: the model flags (declared once, with the demo app's,
in :mod:`red_aes.scoring.options`), the scorer flags of ``compare`` and ``score`` (and how they print a
result), the working resolution of ``edit`` and ``measure`` and the Hub push flags."""

from __future__ import annotations

import argparse
from typing import Any

from red_aes.prompts import format_delta, format_score
from red_aes.scoring import DECODINGS
from red_aes.scoring.options import Option, model_options
from red_aes.types import DELTA_MAX, DELTA_MIN, SCORE_MAX, SCORE_MIN

#: The model flags of ``compare`` and ``score``.
SCORER_OPTIONS: tuple[Option, ...] = model_options(
    "model",
    "adapter",
    "quantization",
    "device",
    "max_reasoning_tokens",
    "max_image_pixels",
    "endpoint_url",
    "endpoint_model",
)

SCALE_NOTE = (
    f"delta = score(edited) - score(original), in [{DELTA_MIN:+.0f}, {DELTA_MAX:+.0f}]; scores on a "
    f"{SCORE_MIN:.0f}-{SCORE_MAX:.0f} scale; positive means the edit improved the photo"
)

FULL_RESOLUTION_HELP = (
    "work on every pixel of the input instead of its working copy (at most 2048 px on the long side); "
    "edit: also lifts the bound on the work one prompt may ask for"
)


def add_push_options(parser: argparse.ArgumentParser) -> None:
    """``--private``, ``--endpoint`` and ``--token-env`` of every Hub push."""
    parser.add_argument("--private", action="store_true", help="create the repo as private")
    parser.add_argument("--endpoint", help="Hub URL (default: HF_ENDPOINT or https://huggingface.co)")
    parser.add_argument(
        "--token-env", help="environment variable holding the Hub token (default: your login)"
    )


def push_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ``private``, ``token`` and ``endpoint`` of a push, from :func:`add_push_options`' flags."""
    from red_aes.hub import token_from_env

    return {"private": args.private, "token": token_from_env(args.token_env), "endpoint": args.endpoint}


def add_model_options(parser: argparse.ArgumentParser, options: tuple[Option, ...]) -> None:
    """Add the model flags ``options`` (from :mod:`red_aes.scoring.options`) to ``parser``. Choices are
    shown, and checked when the model loads (:func:`model_kwargs`), so a wrong one is a one-line error."""
    for option in options:
        default = "" if option.default is None else f" (default {option.default})"
        parser.add_argument(
            option.flag,
            type=option.type,
            default=option.default,
            metavar="{" + ",".join(option.choices) + "}" if option.choices else None,
            help=option.help + default,
        )


def model_kwargs(args: argparse.Namespace, options: tuple[Option, ...]) -> dict[str, Any]:
    """The load keywords of the model flags ``options`` that were given (``--quantization auto`` resolved
    by :func:`~red_aes.types.resolve_quantization` to what this machine loads with on ``--device``)."""
    from red_aes.registry import given
    from red_aes.types import resolve_quantization

    values = {option.key: getattr(args, option.dest) for option in options}
    if "quantization" in values:
        device = values.get("device")
        on_cuda = None if device is None else device == "auto" or device.startswith("cuda")
        values["quantization"] = resolve_quantization(values["quantization"], on_cuda)
    return given(values)


def long_side(args: argparse.Namespace) -> int | None:
    """The working resolution ``edit``/``measure`` run at: None for ``--full-resolution``."""
    from red_aes.images import WORKING_LONG_SIDE

    return None if args.full_resolution else WORKING_LONG_SIDE


def add_scorer_options(parser: argparse.ArgumentParser) -> None:
    """The scorer flags of ``compare`` and ``score`` (read by :func:`load_scorer_from`)."""
    add_model_options(parser, SCORER_OPTIONS)
    parser.add_argument(
        "--decoding", choices=DECODINGS, default="reasoning", help="reasoning (default) or fast"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")


def load_scorer_from(args: argparse.Namespace) -> Any:
    """The scorer :func:`add_scorer_options`' flags name (unset flags are left to the backend)."""
    from red_aes.scoring import load_scorer

    options = model_kwargs(args, SCORER_OPTIONS)
    return load_scorer(options.pop("model"), **options)


def value_text(value: float, decoding: str, kind: str) -> str:
    """As the model writes it in reasoning decoding; two decimals for fast decoding's expected values."""
    if decoding == "reasoning":
        return format_delta(value) if kind == "delta" else format_score(value)
    return f"{value:+.2f}" if kind == "delta" else f"{value:.2f}"


def validity_note(result: Any) -> str:
    """How far to trust a valid number: flagged by its backend, forced by the budget, or fast mode's
    answer mass."""
    if result.warning:
        return f"  [{result.warning}]"
    if result.forced:
        return "  [forced: the reasoning budget ran out before the model answered]"
    if result.answer_mass is not None:
        return f"  [answer mass {result.answer_mass:.3f}]"
    return ""


def scorer_settings(scorer: Any) -> dict[str, Any]:
    """Scorer settings recorded with every JSON result (the VLM's pixel budget)."""
    budget = getattr(scorer, "max_image_pixels", None)
    return {} if budget is None else {"max_image_pixels": budget}
