"""The named scorer backends (:data:`SCORERS`) and what each one is, read without importing it.

A :class:`ScorerEntry` holds a backend's facts once: whether it judges a pair as a pair (``relative``),
its score range and its direction. The backend classes read them from here
(:attr:`red_aes.scoring.base.BaseScorer.entry`), so the registry, the demo's descriptions and a scorer's
own ``relative``/``score_range``/``higher_is_better`` cannot disagree. Any model string that is not a
registered name is a VLM id or directory: the fallback entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from red_aes.registry import Entry, Registry
from red_aes.types import SCORE_MAX, SCORE_MIN


@dataclass(frozen=True, kw_only=True)
class ScorerEntry(Entry):
    """A scorer's entry. ``relative``: whether it judges a pair as a pair (a VLM) rather than as the
    difference of two absolute scores; ``score_range``: the scores it gives; ``higher_is_better``: the
    direction of its scores. Its deltas lie in ``±(high − low)`` (:meth:`delta_range`)."""

    relative: bool
    score_range: tuple[float, float] = (SCORE_MIN, SCORE_MAX)
    higher_is_better: bool = True

    @property
    def delta_range(self) -> tuple[float, float]:
        """The range of ``score(edited) − score(original)``: ``(low − high, high − low)``."""
        low, high = self.score_range
        return low - high, high - low


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


def scorer_entry(name: str) -> ScorerEntry:
    """The entry of the scorer named ``name``: its own, or the VLM fallback's for any other name."""
    entry = SCORERS.entry(name)
    if not isinstance(entry, ScorerEntry):
        raise TypeError(f"SCORERS[{name!r}] is a {type(entry).__name__}, not a ScorerEntry")
    return entry
