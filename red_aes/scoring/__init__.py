"""Scoring: one interface, chosen by name (mirrors :mod:`red_aes.editing`).

=====================  ============================================================================
``base``               :class:`BaseScorer` (inputs, batching, decodings) every backend implements
``vlm``                :class:`RedAesScorer`: a chat VLM, optionally with a LoRA adapter
``decoding``           the VLM's reasoning constraint and fast-decoding expectation
``endpoint``           a model served behind an OpenAI-compatible chat endpoint (e.g. vLLM)
``measured``           the transparent, model-free measured scorer
``lite``               RED-Lite (model code in :mod:`red_aes.lite`)
``statistics``         single-statistic baselines
``options``            the scorer's load options as flags, shared by the CLI and the demo app
``backends``           :data:`SCORERS`: each backend's name, target and facts (:class:`ScorerEntry`)
=====================  ============================================================================

``load_scorer("red-lite")`` builds a registered backend; any other model string is a VLM id or
directory. Adding a backend is one class plus one :class:`ScorerEntry` in :data:`SCORERS`, which says
without importing the backend what it is: relative or absolute, its score range and direction. The
classes read those facts from their entry; they are declared nowhere else.
"""

from __future__ import annotations

from typing import Any

from red_aes.errors import InputError
from red_aes.scoring.backends import SCORERS, ScorerEntry
from red_aes.scoring.base import DECODINGS, SCORE_CSV_COLUMNS, BaseScorer, score_csv


def available_scorers() -> list[str]:
    """The registered scorer names (VLMs are addressed by their Hub id or directory)."""
    return SCORERS.names()


def load_scorer(model: str, adapter: str | None = None, **kwargs: Any) -> BaseScorer:
    """Build a scorer from a base model and an optional adapter (EditScore's pattern).

    ``model`` is a registered backend (``"red-lite"``, ``"measured"``, ``"endpoint"``, ...) or a VLM
    id/directory; ``adapter`` is a PEFT adapter of the VLM, or a RED-Lite head (folder or Hub repo) for
    ``"red-lite"``. Other keyword arguments go to the backend's ``from_pretrained`` (``quantization``,
    ``device``, ``dtype``, ...); options a backend does not take are refused, naming those it takes.
    ``max_input_pixels`` is every backend's input limit (larger images are refused); ``max_pixels`` is
    Qwen's name for the VLM's resize budget (``max_image_pixels``), refused with that explanation by a
    backend that resizes nothing.
    """
    if adapter is not None:
        kwargs["adapter"] = adapter
    if "max_pixels" in kwargs and not SCORERS.accepts(model, "max_pixels"):
        raise InputError(
            f"the {model} scorer takes no max_pixels: that is Qwen's name for a VLM's resize budget "
            "(max_image_pixels), and this scorer resizes nothing; to refuse images larger than "
            f"{kwargs['max_pixels']} pixels, pass max_input_pixels"
        )
    return SCORERS.build(model, **kwargs)


__all__ = [
    "DECODINGS",
    "SCORERS",
    "SCORE_CSV_COLUMNS",
    "BaseScorer",
    "ScorerEntry",
    "available_scorers",
    "load_scorer",
    "score_csv",
]
