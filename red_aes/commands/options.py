"""Options shared by several ``red-aes`` sub-commands: quantization and the Hub push flags."""

from __future__ import annotations

import argparse
from typing import Any


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


#: ``--quantization`` of every command, in the app's vocabulary (:data:`red_aes.types.QUANTIZATION_CHOICES`).
QUANTIZATION_HELP = (
    "auto (4bit on CUDA, none on CPU), none (full precision), 4bit (nf4) or 8bit, with bitsandbytes"
)


def quantization(value: str | None) -> str | None:
    """The quantization a ``--quantization`` value loads with (None: not quantized); ``auto`` looks for
    CUDA. Unknown values are an InputError naming the choices."""
    from red_aes.types import resolve_quantization

    if value != "auto":
        return resolve_quantization(value, cuda_available=False)
    import torch

    return resolve_quantization(value, cuda_available=torch.cuda.is_available())
