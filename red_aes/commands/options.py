"""Options shared by several ``red-aes`` sub-commands: deprecated spellings, quantization and the Hub
push flags."""

from __future__ import annotations

import argparse
import warnings
from typing import Any

from red_aes.errors import InputError


def add_renamed(
    parser: argparse.ArgumentParser, new: str, old: str, choices: Any = None, **kwargs: Any
) -> None:
    """Add ``new`` and its deprecated spelling ``old`` (read by :func:`renamed`); ``kwargs`` go to ``new``."""
    parser.add_argument(new, choices=choices, **kwargs)
    dest = new.removeprefix("--").replace("-", "_")
    parser.add_argument(old, dest=f"deprecated_{dest}", choices=choices, help=f"deprecated spelling of {new}")


def renamed(args: argparse.Namespace, new: str, old: str, default: Any) -> Any:
    """The value of ``new``, or of its deprecated spelling ``old`` with a warning; ``default`` if neither."""
    dest = new.removeprefix("--").replace("-", "_")
    value, legacy = getattr(args, dest), getattr(args, f"deprecated_{dest}")
    if legacy is not None:
        warnings.warn(f"red-aes {args.command} {old} is deprecated; use {new}", FutureWarning, stacklevel=2)
        if value is not None and value != legacy:
            raise InputError(f"{new} {value} and {old} {legacy} disagree; give {new}")
    return value if value is not None else legacy if legacy is not None else default


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
