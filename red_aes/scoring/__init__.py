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
=====================  ============================================================================

``load_scorer("red-lite")`` builds a registered backend; any other model string is a VLM id or
directory. Adding a backend is one class plus one :class:`ScorerEntry` in :data:`SCORERS`, which says
without importing the backend what it is: relative or absolute, its score range and direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from red_aes.registry import Entry, Registry
from red_aes.scoring.base import DECODINGS, BaseScorer
from red_aes.types import SCORE_MAX, SCORE_MIN


@dataclass(frozen=True, kw_only=True)
class ScorerEntry(Entry):
    """A scorer's entry. ``relative``: whether it judges a pair as a pair (a VLM) rather than as the
    difference of two absolute scores; ``score_range`` and ``higher_is_better`` as on its class (the
    tests check that entry and class agree)."""

    relative: bool
    score_range: tuple[float, float] = (SCORE_MIN, SCORE_MAX)
    higher_is_better: bool = True


#: Named scorer backends; any other model string is a VLM id or directory (the fallback).
SCORERS = Registry(
    "scorer",
    {
        "endpoint": ScorerEntry(
            "red_aes.scoring.endpoint:EndpointScorer.from_pretrained",
            "a model served behind an OpenAI-compatible chat endpoint, e.g. vLLM",
            relative=True,
        ),
        "measured": ScorerEntry(
            "red_aes.scoring.measured:MeasuredScorer.from_pretrained",
            "measured image statistics under a hand-set formula, no model",
            relative=False,
        ),
        "red-lite": ScorerEntry(
            "red_aes.scoring.lite:RedLiteScorer.from_pretrained",
            "RED-Lite, a small CNN head trained on edit pairs only, offline on CPU",
            relative=False,
        ),
        "stat-colorfulness": ScorerEntry(
            "red_aes.scoring.statistics:StatisticScorer.from_pretrained",
            "a single colourfulness statistic (Hasler & Süsstrunk), no model",
            relative=False,
        ),
        "stat-sharpness": ScorerEntry(
            "red_aes.scoring.statistics:StatisticScorer.from_pretrained",
            "a single sharpness statistic (log Laplacian variance), no model",
            relative=False,
        ),
    },
    fallback=ScorerEntry(
        "red_aes.scoring.vlm:RedAesScorer.from_pretrained",
        "a vision-language model by Hub id or directory, with an optional LoRA adapter",
        relative=True,
    ),
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


__all__ = ["DECODINGS", "SCORERS", "BaseScorer", "ScorerEntry", "available_scorers", "load_scorer"]
