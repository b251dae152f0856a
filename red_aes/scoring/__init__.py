"""Scoring: one interface, chosen by name (mirrors :mod:`red_aes.editing`).

=====================  ============================================================================
``base``               :class:`BaseScorer` (inputs, batching, decodings) every backend implements
``vlm``                :class:`RedAesScorer`: a chat VLM, optionally with a LoRA adapter
``decoding``           the VLM's reasoning constraint and fast-decoding expectation
``endpoint``           a model served behind an OpenAI-compatible chat endpoint (e.g. vLLM)
``measured``           the transparent, model-free measured scorer
``lite``               RED-Lite (model code in :mod:`red_aes.lite`)
``statistics``         single-statistic baselines
=====================  ============================================================================

``load_scorer("red-lite")`` builds a registered backend; any other model string is a VLM id or
directory. Adding a backend is one class plus one line in :data:`SCORERS`.
"""

from __future__ import annotations

from typing import Any

from red_aes.registry import Registry
from red_aes.scoring.base import DECODINGS, BaseScorer

#: Named scorer backends; any other model string is a VLM id or directory (the fallback).
SCORERS = Registry(
    "scorer",
    {
        "endpoint": "red_aes.scoring.endpoint:EndpointScorer.from_pretrained",
        "measured": "red_aes.scoring.measured:MeasuredScorer.from_pretrained",
        "red-lite": "red_aes.scoring.lite:RedLiteScorer.from_pretrained",
        "stat-colorfulness": "red_aes.scoring.statistics:StatisticScorer.from_pretrained",
        "stat-sharpness": "red_aes.scoring.statistics:StatisticScorer.from_pretrained",
    },
    fallback="red_aes.scoring.vlm:RedAesScorer.from_pretrained",
)


def available_scorers() -> list[str]:
    """The registered scorer names (VLMs are addressed by their Hub id or directory)."""
    return SCORERS.names()


def load_scorer(model: str, adapter: str | None = None, **kwargs: Any) -> BaseScorer:
    """Build a scorer from a base model and an optional adapter (EditScore's pattern).

    ``model`` is a registered backend (``"red-lite"``, ``"measured"``, ``"endpoint"``, ...) or a VLM
    id/directory; ``adapter`` is a PEFT adapter of the VLM, or a RED-Lite head (folder or Hub repo) for
    ``"red-lite"``. Other keyword arguments go to the backend's ``from_pretrained`` (``quantization``,
    ``device``, ``dtype``, ...); options a backend does not take are refused, naming those it takes.
    """
    if adapter is not None:
        kwargs["adapter"] = adapter
    return SCORERS.build(model, **kwargs)


__all__ = ["DECODINGS", "SCORERS", "BaseScorer", "available_scorers", "load_scorer"]
