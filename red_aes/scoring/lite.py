"""The ``red-lite`` scorer backend: RED-Lite behind the common scorer interface.

Scores are the model's squashed outputs in (1, 10); a delta is ``score(edited) − score(original)``. The
reasoning of a delta is the exact split of that delta over the model's feature groups
(:mod:`red_aes.lite.explain`) plus the measured changes of the pair
(:func:`red_aes.measure.describe_changes`): it names only what was computed. Deterministic and
batch-invariant on CPU: every image is processed alone and the head runs in float64 row by row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from red_aes.errors import InputError
from red_aes.images import DEFAULT_MAX_PIXELS
from red_aes.lite.explain import shapley_groups
from red_aes.lite.model import RedLiteModel
from red_aes.measure import describe_changes, describe_image, pair_measurements
from red_aes.prompts import format_score
from red_aes.scoring.base import BaseScorer
from red_aes.types import AestheticDelta, AestheticScore, Decoding

#: Shares of a delta smaller than this are left out of the reasoning (score points).
MENTION_THRESHOLD = 0.05


class RedLiteScorer(BaseScorer):
    """RED-Lite: a small CNN head trained on synthetic edit pairs only (not the paper's VLM)."""

    name = "red-lite"
    relative = False

    def __init__(
        self, model: RedLiteModel, batch_size: int = 8, max_pixels: int | None = DEFAULT_MAX_PIXELS
    ) -> None:
        super().__init__(batch_size=batch_size, max_pixels=max_pixels)
        self.model = model

    @classmethod
    def from_pretrained(
        cls,
        model: str = "red-lite",
        adapter: str | None = None,
        *,
        revision: str | None = None,
        token: str | None = None,
        batch_size: int = 8,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
    ) -> RedLiteScorer:
        """Registry constructor. ``adapter`` is a RED-Lite folder or Hub model repo (the trained head on
        the frozen backbone); None loads the weights shipped in the package."""
        if model != cls.name:
            raise InputError(f"RedLiteScorer serves model 'red-lite', not {model!r}")
        weights = RedLiteModel.from_pretrained(adapter, revision=revision, token=token)
        return cls(weights, batch_size=batch_size, max_pixels=max_pixels)

    def _features(self, image: Image.Image) -> tuple[np.ndarray, Any]:
        return self.model.extractor.extract(image)

    def _score_one(self, image: Image.Image, decoding: Decoding) -> AestheticScore:
        vector, measured = self._features(image)
        score = round(float(self.model.score_features(vector)[0]), 2)
        reasoning = None
        if decoding == "reasoning":
            facts = "; ".join(describe_image(measured))
            reasoning = f"RED-Lite score {format_score(score)}. Measured: {facts}."
        return self.computed_score(score, reasoning, decoding)

    def _compare_one(
        self, original: Image.Image, edited: Image.Image, instruction: str | None, decoding: Decoding
    ) -> AestheticDelta:
        v_before, m_before = self._features(original)
        v_after, m_after = self._features(edited)
        s_before, s_after = (float(s) for s in self.model.score_features(np.stack([v_before, v_after])))
        delta = round(s_after - s_before, 2)
        shares = shapley_groups(self.model.score_features, v_before, v_after, self.model.extractor.groups())
        attributes = {k: round(v, 3) for k, v in shares.items()}
        reasoning = None
        if decoding == "reasoning":
            moved = sorted((k for k, v in shares.items() if abs(v) >= MENTION_THRESHOLD), key=shares.get)
            split = ", ".join(f"{k} {shares[k]:+.2f}" for k in moved)
            facts = describe_changes(pair_measurements(m_before, m_after))
            reasoning = (
                f"RED-Lite score {format_score(s_before)} -> {format_score(s_after)}."
                + (f" What moved the model's score: {split}." if split else "")
                + (
                    f" Measured changes: {'; '.join(facts)}."
                    if facts
                    else " No measured statistic moved visibly."
                )
            )
        return self.computed_delta(delta, reasoning, decoding, attributes=attributes)
