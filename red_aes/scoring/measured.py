"""The ``"measured"`` scorer: a transparent, model-free aesthetic score from measured attributes.

It is an offline baseline and a sanity check for the learned scorer, not a model of taste. The score is

    raw = BASE + Σ_attribute term_attribute(measurements)
    score = squash(raw) = 5.5 + 4.5 · tanh((raw - 5.5) / WIDTH)        (:func:`red_aes.scale.squash_score`)

with each term a penalty (or a small bonus) on statistics of :mod:`red_aes.measure`; every constant is
a field of :class:`MeasuredConfig` (defaults shown):

* exposure:      - 1.2 · max(0, -1.5 - key EV) - 1.5 · max(0, key EV - 0)
                 - 15 · max(0, highlight clip - 0.01) - 2 · max(0, shadow clip - 0.10)
* contrast:      - 8 · max(0, 0.20 - RMS contrast) - 10 · max(0, RMS contrast - 0.34)
* color:         + 0.8 · min(mean saturation, 0.5) / 0.5 - 3 · max(0, mean saturation - 0.85)
* white_balance: - 0.03 · max(0, cast - 20)          (cast: |median a*, b*| of the mid-tones, ΔE)
* sharpness:     - 1.6 · max(0, -1 - sharpness) + 0.5 · min(max(0, sharpness + 1), 1)
* noise:         - 0.12 · max(0, noise σ - 6) - 2.5 · max(0, blockiness - 0.1)    (JPEG blocking counts
                 as noise: the taxonomy has no compression attribute)
* composition:   + clip(0.24 - thirds distance, ±0.24) - 0.2 · min(max(0, |tilt| - 1°), 6°), the tilt
                 term only when straight lines are detected with confidence >= 0.1

and BASE = 5.7, WIDTH = 4.5. The constants were calibrated by hand on the bundled real photos
(examples/photos): the seven originals score 5.2-6.4, and each clear degradation (Gaussian blur of 4
reference px, grain σ = 30, ±3 EV, JPEG quality 10) scores at least one point lower than its original
(checked on the photos by tests/scoring/test_measured.py).

The squash replaces a clip to [1, 10]: clipping gave every poor image exactly 1.0, so a strong
degradation of an already poor photo got Δ = 0. The squash is strictly increasing, with slope 1 in
the middle of the scale (WIDTH = 4.5, the half-range), so the hand calibration holds there, and it
approaches the bounds without reaching them. Scores and deltas keep :data:`DECIMALS` = 4 decimals: at
2 decimals, raw scores below about -8 would all round to 1.00 again; at 4, order is visible down to a
raw score of about -23, beyond any degradation of the bundled photos.

A pair's delta is score(edited) - score(original), from the rounded scores. ``AestheticDelta.attributes``
holds each attribute's term difference times the squash's secant slope (Δscore / Δraw), so they sum to
the delta (up to rounding) and keep the sign of the raw change; the reasoning quotes the measured
changes (:func:`red_aes.measure.describe_changes`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from PIL import Image

from red_aes.errors import InputError
from red_aes.images import DEFAULT_MAX_INPUT_PIXELS
from red_aes.measure import (
    TILT_MIN_CONFIDENCE,
    ImageMeasurements,
    describe_changes,
    describe_image,
    measure_image,
    pair_measurements,
)
from red_aes.prompts import format_score
from red_aes.scale import secant_slope, squash_score
from red_aes.scoring.base import BaseScorer
from red_aes.types import AestheticDelta, AestheticScore, Decoding


@dataclass(frozen=True)
class MeasuredConfig:
    """Every constant of the measured scoring function (see the module docstring for the formula)."""

    base: float = 5.7
    under_ev: float = -1.5
    under_weight: float = 1.2
    over_ev: float = 0.0
    over_weight: float = 1.5
    highlight_tolerance: float = 0.01
    highlight_weight: float = 15.0
    shadow_tolerance: float = 0.1
    shadow_weight: float = 2.0
    contrast_low: float = 0.2
    contrast_low_weight: float = 8.0
    contrast_high: float = 0.34
    contrast_high_weight: float = 10.0
    saturation_cap: float = 0.5
    saturation_bonus: float = 0.8
    saturation_high: float = 0.85
    saturation_weight: float = 3.0
    cast_tolerance: float = 20.0
    cast_weight: float = 0.03
    sharpness_floor: float = -1.0
    blur_weight: float = 1.6
    detail_bonus: float = 0.5
    noise_tolerance: float = 6.0
    noise_weight: float = 0.12
    blockiness_tolerance: float = 0.1
    blockiness_weight: float = 2.5
    tilt_tolerance: float = 1.0
    tilt_weight: float = 0.2
    tilt_cap: float = 6.0
    thirds_reference: float = 0.24
    thirds_weight: float = 1.0
    squash_width: float = 4.5

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def attribute_terms(m: ImageMeasurements, config: MeasuredConfig) -> dict[str, float]:
    """Each taxonomy attribute's contribution to the score of an image with measurements ``m``."""
    c = config
    exposure = (
        -c.under_weight * max(0.0, c.under_ev - m.exposure_ev)
        - c.over_weight * max(0.0, m.exposure_ev - c.over_ev)
        - c.highlight_weight * max(0.0, m.highlight_clip - c.highlight_tolerance)
        - c.shadow_weight * max(0.0, m.shadow_clip - c.shadow_tolerance)
    )
    contrast = -c.contrast_low_weight * max(0.0, c.contrast_low - m.rms_contrast)
    contrast -= c.contrast_high_weight * max(0.0, m.rms_contrast - c.contrast_high)
    color = c.saturation_bonus * min(m.saturation, c.saturation_cap) / c.saturation_cap
    color -= c.saturation_weight * max(0.0, m.saturation - c.saturation_high)
    detail = m.sharpness - c.sharpness_floor
    sharpness = -c.blur_weight * max(0.0, -detail) + c.detail_bonus * min(max(0.0, detail), 1.0)
    noise = -c.noise_weight * max(0.0, m.noise_sigma - c.noise_tolerance)
    noise -= c.blockiness_weight * max(0.0, m.blockiness - c.blockiness_tolerance)
    thirds = c.thirds_reference - m.thirds_distance
    composition = c.thirds_weight * min(max(thirds, -c.thirds_reference), c.thirds_reference)
    if m.tilt_confidence >= TILT_MIN_CONFIDENCE:
        composition -= c.tilt_weight * min(max(0.0, abs(m.tilt_degrees) - c.tilt_tolerance), c.tilt_cap)
    return {
        "exposure": exposure,
        "contrast": contrast,
        "color": color,
        "white_balance": -c.cast_weight * max(0.0, m.cast - c.cast_tolerance),
        "sharpness": sharpness,
        "noise": noise,
        "composition": composition,
    }


#: Decimals kept in scores and deltas (see the module docstring for why 4).
DECIMALS = 4


def raw_score(terms: dict[str, float], config: MeasuredConfig) -> float:
    """The unbounded score: BASE plus the attribute terms."""
    return config.base + sum(terms.values())


def measured_score(m: ImageMeasurements, config: MeasuredConfig) -> tuple[float, dict[str, float]]:
    """The score in (1, 10), :func:`red_aes.scale.squash_score` of the raw score, and the per-attribute
    terms the raw score sums."""
    terms = attribute_terms(m, config)
    return squash_score(raw_score(terms, config), config.squash_width), terms


def _sentence(facts: list[str]) -> str:
    return (
        "; ".join(facts) + "."
        if facts
        else "no visible change (every statistic moved less than its visibility threshold)."
    )


class MeasuredScorer(BaseScorer):
    """Scores and deltas from measured attributes (no model). ``higher_is_better``; deterministic.

    Values keep :data:`DECIMALS` decimals (finer than a model's answer, which helps ranking and keeps
    poor images apart near the floor); ``raw_text`` and the reasoning show them in the answer format's
    one decimal.
    """

    name = "measured"

    def __init__(
        self,
        config: MeasuredConfig | None = None,
        batch_size: int = 8,
        max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS,
    ) -> None:
        super().__init__(batch_size=batch_size, max_input_pixels=max_input_pixels)
        self.config = config or MeasuredConfig()

    @classmethod
    def from_pretrained(cls, model: str = "measured", **kwargs: Any) -> MeasuredScorer:
        """Registry constructor. ``model`` must be "measured"; keyword arguments go to ``__init__``, and
        any :class:`MeasuredConfig` field (e.g. ``base=5.0``) overrides that constant."""
        if model != cls.name:
            raise InputError(f"MeasuredScorer serves model 'measured', not {model!r}")
        fields = MeasuredConfig.__dataclass_fields__
        overrides = {k: float(kwargs.pop(k)) for k in list(kwargs) if k in fields}
        unknown = set(kwargs) - {"config", "batch_size", "max_input_pixels"}
        if unknown:
            raise InputError(f"unknown options for the measured scorer: {', '.join(sorted(unknown))}")
        config = kwargs.pop("config", None) or MeasuredConfig()
        return cls(config=MeasuredConfig(**{**config.to_dict(), **overrides}), **kwargs)

    def _score_one(self, image: Image.Image, decoding: Decoding) -> AestheticScore:
        m = measure_image(image, max_input_pixels=self.max_input_pixels)
        score, terms = measured_score(m, self.config)
        score = round(score, DECIMALS)
        reasoning = None
        if decoding == "reasoning":
            worst = min(terms, key=terms.__getitem__)
            reasoning = (
                _sentence(describe_image(m))
                + f" Largest penalty: {worst.replace('_', ' ')} ({terms[worst]:+.1f}); "
                + f"score {format_score(score)}."
            )
        return self.computed_score(
            score, reasoning, decoding, attributes={k: round(v, 3) for k, v in terms.items()}
        )

    def _compare_one(
        self, original: Image.Image, edited: Image.Image, instruction: str | None, decoding: Decoding
    ) -> AestheticDelta:
        before = measure_image(original, max_input_pixels=self.max_input_pixels)
        after = measure_image(edited, max_input_pixels=self.max_input_pixels)
        s_before, t_before = measured_score(before, self.config)
        s_after, t_after = measured_score(after, self.config)
        s_before, s_after = round(s_before, DECIMALS), round(s_after, DECIMALS)
        delta = round(s_after - s_before, DECIMALS)
        slope = secant_slope(
            raw_score(t_before, self.config), raw_score(t_after, self.config), self.config.squash_width
        )
        contributions = {k: round((t_after[k] - t_before[k]) * slope, DECIMALS) for k in t_before}
        reasoning = None
        if decoding == "reasoning":
            pair = pair_measurements(before, after)
            moved = sorted(
                (k for k, v in contributions.items() if abs(v) >= 0.05), key=lambda k: contributions[k]
            )
            effect = ", ".join(f"{k.replace('_', ' ')} {contributions[k]:+.1f}" for k in moved)
            reasoning = (
                "Measured changes: "
                + _sentence(describe_changes(pair))
                + (f" Score effect by attribute: {effect}." if effect else "")
                + f" Score {format_score(s_before)} -> {format_score(s_after)}."
            )
        return self.computed_delta(delta, reasoning, decoding, attributes=contributions)
