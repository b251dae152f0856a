"""Options shared by several ``red-aes`` sub-commands: the scorer flags of ``compare`` and ``score`` (and
how they print a result), the working resolution of ``edit`` and ``measure``, quantization and the Hub
push flags."""

from __future__ import annotations

import argparse
from typing import Any

from red_aes.prompts import format_delta, format_score
from red_aes.scoring import DECODINGS
from red_aes.types import DELTA_MAX, DELTA_MIN, SCORE_MAX, SCORE_MIN

#: ``--quantization`` of every command, in the app's vocabulary (:data:`red_aes.types.QUANTIZATION_CHOICES`).
QUANTIZATION_HELP = (
    "auto (4bit on CUDA, none on CPU), none (full precision), 4bit (nf4) or 8bit, with bitsandbytes"
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


def quantization(value: str | None) -> str | None:
    """The quantization a ``--quantization`` value loads with (None: not quantized); ``auto`` looks for
    CUDA. Unknown values are an InputError naming the choices."""
    from red_aes.types import resolve_quantization

    if value != "auto":
        return resolve_quantization(value, cuda_available=False)
    import torch

    return resolve_quantization(value, cuda_available=torch.cuda.is_available())


def long_side(args: argparse.Namespace) -> int | None:
    """The working resolution ``edit``/``measure`` run at: None for ``--full-resolution``."""
    from red_aes.images import WORKING_LONG_SIDE

    return None if args.full_resolution else WORKING_LONG_SIDE


def add_scorer_options(parser: argparse.ArgumentParser) -> None:
    """The scorer flags of ``compare`` and ``score`` (read by :func:`load_scorer_from`)."""
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


def load_scorer_from(args: argparse.Namespace) -> Any:
    """The scorer :func:`add_scorer_options`' flags name (unset flags are left to the backend)."""
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


def value_text(value: float, decoding: str, kind: str) -> str:
    """As the model writes it in reasoning decoding; two decimals for fast decoding's expected values."""
    if decoding == "reasoning":
        return format_delta(value) if kind == "delta" else format_score(value)
    return f"{value:+.2f}" if kind == "delta" else f"{value:.2f}"


def validity_note(result: Any) -> str:
    """How far to trust a valid number: forced by the budget, or fast mode's answer mass."""
    if result.forced:
        return "  [forced: the reasoning budget ran out before the model answered]"
    if result.answer_mass is not None:
        return f"  [answer mass {result.answer_mass:.3f}]"
    return ""


def scorer_settings(scorer: Any) -> dict[str, Any]:
    """Scorer settings recorded with every JSON result (the VLM's pixel budget)."""
    budget = getattr(scorer, "max_image_pixels", None)
    return {} if budget is None else {"max_image_pixels": budget}
