"""Single-statistic baseline scorers: what a learned model must beat, run through the same harness.

=====================  ==========================================================================
``stat-sharpness``     log10 of the variance of the Laplacian of 8-bit luma (Pech-Pacheco et al.
                       2000), at the 512-px analysis resolution: more fine detail scores higher
``stat-colorfulness``  colourfulness M of Hasler & Süsstrunk (2003): more colourful scores higher
=====================  ==========================================================================

The score is ``squash_score(5.5 + (statistic − centre) / spread)`` (:func:`red_aes.scale.squash_score`),
strictly increasing in the statistic, so rank metrics (SRCC, pairwise accuracy) are exactly those of the
statistic itself; the centre and spread only place typical photos mid-scale. No reasoning beyond the
statistic is given: these are baselines, not explanations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from red_aes.errors import InputError
from red_aes.images import DEFAULT_MAX_INPUT_PIXELS
from red_aes.measure import analysis_image, luma, to_float
from red_aes.scale import squash_score
from red_aes.scoring.base import BaseScorer
from red_aes.types import AestheticDelta, AestheticScore, Decoding


def log_laplacian_variance(image: Image.Image) -> float:
    """log10 var(∇²Y) of 8-bit luma at the analysis resolution (+1 so a flat image gives 0)."""
    y = luma(to_float(analysis_image(image))) * 255.0
    return float(np.log10(1.0 + ndimage.laplace(y.astype(np.float64)).var()))


def colorfulness(image: Image.Image) -> float:
    """Hasler & Süsstrunk's colourfulness M on 8-bit sRGB at the analysis resolution."""
    rgb = to_float(analysis_image(image)).astype(np.float64) * 255.0
    rg = rgb[..., 0] - rgb[..., 1]
    yb = (rgb[..., 0] + rgb[..., 1]) / 2 - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


@dataclass(frozen=True)
class Statistic:
    """A baseline statistic with the centre and spread that place it on the score scale."""

    function: Any
    centre: float
    spread: float
    description: str


STATISTICS: dict[str, Statistic] = {
    "stat-sharpness": Statistic(log_laplacian_variance, 3.0, 0.6, "log10 Laplacian variance"),
    "stat-colorfulness": Statistic(colorfulness, 40.0, 20.0, "colourfulness M"),
}


class StatisticScorer(BaseScorer):
    """Scores one image statistic (see :data:`STATISTICS`); deterministic and batch-invariant."""

    def __init__(
        self, name: str, batch_size: int = 8, max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS
    ) -> None:
        if name not in STATISTICS:
            raise InputError(f"unknown statistic scorer {name!r}; known: {', '.join(STATISTICS)}")
        super().__init__(batch_size=batch_size, max_input_pixels=max_input_pixels)
        self.name = name
        self.statistic = STATISTICS[name]

    @classmethod
    def from_pretrained(
        cls, model: str, *, batch_size: int = 8, max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS
    ) -> StatisticScorer:
        """Registry constructor: ``model`` is the statistic's name."""
        return cls(model, batch_size=batch_size, max_input_pixels=max_input_pixels)

    def _value(self, image: Image.Image) -> tuple[float, float]:
        value = self.statistic.function(image)
        return value, squash_score(5.5 + (value - self.statistic.centre) / self.statistic.spread)

    def _score_one(self, image: Image.Image, decoding: Decoding) -> AestheticScore:
        value, score = self._value(image)
        reasoning = f"{self.statistic.description} {value:.3f}." if decoding == "reasoning" else None
        return self.computed_score(round(score, 4), reasoning, decoding)

    def _compare_one(
        self, original: Image.Image, edited: Image.Image, instruction: str | None, decoding: Decoding
    ) -> AestheticDelta:
        (v0, s0), (v1, s1) = self._value(original), self._value(edited)
        delta = round(s1 - s0, 4)
        reasoning = None
        if decoding == "reasoning":
            reasoning = f"{self.statistic.description} {v0:.3f} -> {v1:.3f}."
        return self.computed_delta(delta, reasoning, decoding)
