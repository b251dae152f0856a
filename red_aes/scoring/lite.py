"""The ``red-lite`` scorer backend: RED-Lite behind the common scorer interface.

Scores are the model's squashed outputs in (1, 10); a delta is ``score(edited) − score(original)``. The
reasoning of a delta is the exact split of that delta over the model's feature groups
(:mod:`red_aes.lite.explain`) plus the measured changes of the pair
(:func:`red_aes.measure.describe_changes`): it names only what was computed. Deterministic and
batch-invariant on CPU: every image is processed alone and the head runs in float64 row by row.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from red_aes.errors import InputError
from red_aes.images import DEFAULT_MAX_INPUT_PIXELS
from red_aes.lite.explain import shapley_groups
from red_aes.lite.features import BACKBONE_GROUP, FACT_GROUPS, PreparedImage, prepare_image
from red_aes.lite.model import RedLiteModel
from red_aes.measure import (
    ImageMeasurements,
    PairMeasurements,
    change_facts,
    describe_image,
    pair_measurements,
)
from red_aes.prompts import format_score
from red_aes.scoring.base import BaseScorer
from red_aes.types import AestheticDelta, AestheticScore, Decoding

#: Shares of a delta smaller than this are left out of the reasoning (score points).
MENTION_THRESHOLD = 0.05
#: Luma RMS contrast (0-1) below which a frame is uniform: nothing in it to judge.
UNIFORM_CONTRAST = 0.01
NOT_A_PHOTO = "not a photo: the frame is uniform (no detail, contrast or colour to judge)"


def not_a_photo(measured: ImageMeasurements) -> bool:
    """Whether an image is a uniform frame (blank, solid colour) rather than a photo."""
    return measured.rms_contrast < UNIFORM_CONTRAST


def _flagged(warning: str, reasoning: str) -> str:
    """The reasoning led by its warning, as a sentence."""
    return f"{warning[0].upper()}{warning[1:]}. {reasoning}"


def explain_delta(shares: dict[str, float], pair: PairMeasurements) -> str:
    """The reasoning of a delta in a photographer's words: each group's share that matters, named with
    the measured changes it stands for, largest harm first; then changes no share explains. A share
    whose group changed nothing visibly says so, and so does a moved score with no visible change."""
    measured = change_facts(pair)
    facts: dict[str, list[str]] = {}
    for statistic, sentence in measured:
        facts.setdefault(FACT_GROUPS.get(statistic, "framing"), []).append(sentence)
    parts = []
    for group in sorted((g for g, v in shares.items() if abs(v) >= MENTION_THRESHOLD), key=shares.get):
        verdict = "helped" if shares[group] > 0 else "hurt"
        if group == BACKBONE_GROUP:
            why = "what the deep features see as a whole"
        else:
            why = "; ".join(facts.pop(group, [])) or "a change too small to see"
        parts.append(f"{group} {verdict} ({shares[group]:+.2f}): {why}")
    rest = [sentence for sentences in facts.values() for sentence in sentences]
    text = " ".join(f"{part[0].upper()}{part[1:]}." for part in parts)
    if rest:
        text += f" Also measured, with little weight: {'; '.join(rest)}."
    if not measured:
        text += " No measured statistic changed visibly."
    return text.strip()


class RedLiteScorer(BaseScorer):
    """RED-Lite: a small CNN head trained on synthetic edit pairs only (not the paper's VLM)."""

    name = "red-lite"

    def __init__(
        self,
        model: RedLiteModel,
        batch_size: int = 8,
        max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS,
    ) -> None:
        super().__init__(batch_size=batch_size, max_input_pixels=max_input_pixels)
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
        max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS,
    ) -> RedLiteScorer:
        """Registry constructor. ``adapter`` is a RED-Lite folder or Hub model repo (the trained head and
        any fine-tuned backbone blocks); None loads the weights shipped in the package."""
        if model != cls.name:
            raise InputError(f"RedLiteScorer serves model 'red-lite', not {model!r}")
        weights = RedLiteModel.from_pretrained(adapter, revision=revision, token=token)
        return cls(weights, batch_size=batch_size, max_input_pixels=max_input_pixels)

    def prepare(self, image: Image.Image) -> PreparedImage:
        """The backbone's input at the working size and the measured statistics: what
        ``pipeline("red-aes")`` computes in ``preprocess``, before the backbone and head run."""
        return prepare_image(image, self.model.feature_config)  # the backbone is loaded on first use

    def _features(self, image: Image.Image | PreparedImage) -> tuple[np.ndarray, ImageMeasurements]:
        prepared = image if isinstance(image, PreparedImage) else self.prepare(image)
        return self.model.extractor.embed(prepared), prepared.measured

    def _score_one(self, image: PreparedImage, decoding: Decoding) -> AestheticScore:
        return self.score_measured(image, decoding)[0]

    def score_measured(
        self, image: Image.Image | PreparedImage, decoding: Decoding = "fast"
    ) -> tuple[AestheticScore, ImageMeasurements]:
        """The score of an already loaded (or prepared) image and the measurements its feature vector
        includes, for a caller that needs both (``red-aes cull``): the image is measured once, not once per
        use."""
        vector, measured = self._features(image)
        score = round(float(self.model.score_features(vector)[0]), 2)
        warning = NOT_A_PHOTO if not_a_photo(measured) else None
        reasoning = None
        if decoding == "reasoning":
            facts = "; ".join(describe_image(measured))
            reasoning = f"RED-Lite score {format_score(score)}. Measured: {facts}."
            if warning:
                reasoning = _flagged(warning, reasoning)
        return self.computed_score(score, reasoning, decoding, warning=warning), measured

    def _compare_batch(
        self,
        originals: list[PreparedImage],
        edited: list[PreparedImage],
        instructions: list[str | None],
        decoding: Decoding,
    ) -> list[AestheticDelta]:
        """The deltas of a batch, embedding each prepared image once (one original against many edits,
        as ``enhance`` and two-sided checks ask, costs one pass for the original)."""
        features: dict[int, tuple[np.ndarray, ImageMeasurements]] = {}

        def embedded(image: PreparedImage) -> tuple[np.ndarray, ImageMeasurements]:
            if id(image) not in features:
                features[id(image)] = self._features(image)
            return features[id(image)]

        return [
            self._delta(embedded(o), embedded(e), decoding) for o, e in zip(originals, edited, strict=True)
        ]

    def _delta(
        self,
        before: tuple[np.ndarray, ImageMeasurements],
        after: tuple[np.ndarray, ImageMeasurements],
        decoding: Decoding,
    ) -> AestheticDelta:
        (v_before, m_before), (v_after, m_after) = before, after
        s_before, s_after = (float(s) for s in self.model.score_features(np.stack([v_before, v_after])))
        delta = round(s_after - s_before, 2)
        shares = shapley_groups(self.model.score_features, v_before, v_after, self.model.extractor.groups())
        attributes = {k: round(v, 3) for k, v in shares.items()}
        uniform = [name for name, m in (("original", m_before), ("edited", m_after)) if not_a_photo(m)]
        warning = (
            f"{' and '.join(uniform)} {'is' if len(uniform) == 1 else 'are'} {NOT_A_PHOTO}"
            if uniform
            else None
        )
        reasoning = None
        if decoding == "reasoning":
            reasoning = (
                f"RED-Lite score {format_score(s_before)} -> {format_score(s_after)}. "
                + explain_delta(shares, pair_measurements(m_before, m_after))
            )
            if warning:
                reasoning = _flagged(warning, reasoning)
        return self.computed_delta(delta, reasoning, decoding, attributes=attributes, warning=warning)
