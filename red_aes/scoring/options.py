"""The options of loading a model, declared once for the ``red-aes`` commands and the demo app.

Each :class:`Option` is a flag (``--quantization``), the keyword it sets (``load_scorer(...,
quantization=)``; editors take ``device`` and ``quantization`` too), its type, help and choices, the
commands' default, and the ``RED_AES_*`` environment variable the demo app also reads it from (options
without one are not the app's). ``red_aes.commands.options`` and ``red_aes.demo.config`` build their
parsers from :data:`MODEL_OPTIONS` and add the default they use to the help; the app takes its defaults
from ``DemoConfig`` instead (``quantization`` is ``auto`` there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from red_aes.scoring import SCORERS
from red_aes.scoring.budget import DEFAULT_IMAGE_TOKENS, DEFAULT_MAX_IMAGE_PIXELS, PIXELS_PER_VISUAL_TOKEN
from red_aes.types import QUANTIZATION_CHOICES

#: The scorer of the commands and the app when none is named: offline, on CPU.
DEFAULT_MODEL = "red-lite"


@dataclass(frozen=True)
class Option:
    """One setting given as a flag. ``keyword``: what it sets (default: the flag's name); ``env``: the
    demo app's environment variable (None: not an app option). ``choices``: the app lets argparse check
    them; a command checks them when it loads the model, so a wrong value is a one-line error."""

    flag: str
    help: str
    type: Callable[[str], Any] = str
    env: str | None = None
    choices: tuple[str, ...] | None = None
    default: Any = None
    keyword: str | None = None

    @property
    def dest(self) -> str:
        """The flag's argparse destination: ``--max-image-pixels`` -> ``max_image_pixels``."""
        return self.flag.removeprefix("--").replace("-", "_")

    @property
    def key(self) -> str:
        """The keyword the option sets when the model loads."""
        return self.keyword or self.dest


#: Every model option of the commands and the app, in the order their help lists them.
MODEL_OPTIONS: tuple[Option, ...] = (
    Option(
        "--model",
        f"scorer: one of {', '.join(SCORERS.names())}, or a VLM checkpoint or adapter directory or Hub id",
        env="RED_AES_MODEL",
        default=DEFAULT_MODEL,
    ),
    Option(
        "--adapter",
        "PEFT LoRA adapter (directory or Hub id) of a VLM --model, or a RED-Lite head for red-lite",
        env="RED_AES_ADAPTER",
    ),
    Option(
        "--quantization",
        "quantization with bitsandbytes: auto (4bit on CUDA when bitsandbytes is installed, else none), "
        "none (full precision), 4bit (nf4) or 8bit",
        env="RED_AES_QUANTIZATION",
        choices=QUANTIZATION_CHOICES,
        default="none",
    ),
    Option(
        "--device",
        "device: cpu, cuda, cuda:1, or auto to spread a VLM over the GPUs (default: cuda if available)",
        env="RED_AES_DEVICE",
    ),
    Option("--dtype", "VLM dtype, e.g. bfloat16 or float32 (default: bfloat16 on GPU, float32 on CPU)"),
    Option(
        "--max-reasoning-tokens",
        "token budget of a VLM's <think> part in reasoning decoding (default 256)",
        type=int,
        env="RED_AES_MAX_REASONING_TOKENS",
    ),
    Option(
        "--max-image-pixels",
        f"VLM resize budget per image in pixels ({PIXELS_PER_VISUAL_TOKEN} per visual token; default: the "
        f"adapter's red_aes.json, else {DEFAULT_MAX_IMAGE_PIXELS} = {DEFAULT_IMAGE_TOKENS} tokens)",
        type=int,
    ),
    Option(
        "--endpoint-url",
        "--model endpoint: the OpenAI-compatible API root, e.g. http://localhost:8000/v1",
        env="RED_AES_ENDPOINT_URL",
        keyword="base_url",
    ),
    Option(
        "--endpoint-model",
        "--model endpoint: the served model's name (default: the first it lists)",
        env="RED_AES_ENDPOINT_MODEL",
    ),
)


def model_options(*dests: str) -> tuple[Option, ...]:
    """The options of :data:`MODEL_OPTIONS` named by their destinations, in the declared order; an
    unknown name is an error in the caller's code."""
    found = tuple(option for option in MODEL_OPTIONS if option.dest in dests)
    missing = set(dests) - {option.dest for option in found}
    if missing:
        raise ValueError(f"no model option {sorted(missing)}")
    return found
