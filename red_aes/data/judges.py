"""Judges: each votes a delta (with a rationale) on every accepted edit pair. Chosen by name.

=============  =====================================================================================
``ladder``     the offline judge by construction: a curated original beats its degradations, and a
               stronger degradation beats a weaker one; Δ = −scale · strength (no image is looked at)
``perceptual`` the offline judge that sees both images: Δ's size is how visible the change is
               (:mod:`red_aes.perceptual`, full-reference GMSD and ΔE*ab in JND units: an invisible
               change gets Δ 0), its sign what the edit was planned to do
``red-lite``   the offline learned scorer RED-Lite (``load_scorer("red-lite", adapter)``; shipped
               weights by default): the offline judge for VLM datasets, not for RED-Lite's own data
``measured``   the offline measured scorer (``red_aes.scoring.load_scorer("measured")``)
``vlm``        a RED-Aes / chat VLM through ``load_scorer(model, adapter=..., quantization=...)``
``endpoint``   an OpenAI-compatible chat endpoint (vLLM server or hosted API): the ``endpoint`` scorer
               (:mod:`red_aes.scoring.endpoint`), asked with the project's pair prompt
=============  =====================================================================================

A vote is a :class:`red_aes.types.Verdict`, or an :class:`InvalidVote` when the judge's answer could
not be parsed: an invalid vote is recorded, never replaced by a guessed number. Adding a judge is one
class (or factory) plus one line in :data:`JUDGES`; a judge that is a scorer is a :class:`ScorerJudge`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from PIL import Image

from red_aes.errors import InputError
from red_aes.perceptual import visible_delta, visible_difference
from red_aes.prompts import PROMPT_VERSION
from red_aes.registry import Registry
from red_aes.scoring import load_scorer
from red_aes.types import DELTA_MAX, Decoding, Verdict


@dataclass(frozen=True)
class InvalidVote:
    """A judge answered but no delta could be read; ``error`` says why, ``raw_text`` is the answer."""

    judge: str
    error: str
    raw_text: str = ""


Vote = Verdict | InvalidVote


@dataclass(frozen=True)
class PairToJudge:
    """One edit pair as judges see it; the plan fields are what the ``ladder`` judge votes from."""

    original: Image.Image
    edited: Image.Image
    instruction: str
    attribute: str | None = None
    direction: str | None = None
    strength: float | None = None
    cross_photo: bool = False


class Judge(ABC):
    """Votes on a batch of pairs; ``label`` names the judge in the dataset's ``judges`` column."""

    label: str

    @abstractmethod
    def judge(self, pairs: list[PairToJudge]) -> list[Vote]:
        """One vote per pair, in order."""


class ScorerJudge(Judge):
    """A judge backed by a RED-Aes scorer (``measured`` or a VLM): its ``compare`` delta and reasoning."""

    def __init__(
        self, model: str, *, label: str, decoding: Decoding = "reasoning", **scorer_kwargs: Any
    ) -> None:
        self.label = label
        self.decoding = decoding
        self.scorer = load_scorer(model, **scorer_kwargs)

    def judge(self, pairs: list[PairToJudge]) -> list[Vote]:
        if not pairs:
            return []
        deltas = self.scorer.compare(
            [p.original for p in pairs],
            [p.edited for p in pairs],
            [p.instruction for p in pairs],
            decoding=self.decoding,
        )
        votes: list[Vote] = []
        for result in deltas:
            if result.valid and result.delta is not None:
                votes.append(
                    Verdict(self.label, float(result.delta), result.reasoning or "", dict(result.attributes))
                )
            else:
                votes.append(InvalidVote(self.label, result.error or "invalid answer", result.raw_text))
        return votes


class LadderJudge(Judge):
    """Votes by construction, not by looking: the assumption "curated original ≻ weak ≻ medium ≻ strong
    degradation". A degradation at strength ``s`` gets Δ = −``scale`` · ``s`` (strength 1 → −4 by default;
    0.25 → −1), the same for every attribute; a cross-photo pair (a curated original vs a degradation of
    another photo) gets the vote of its degradation, and training uses only its sign. Improvements get an
    invalid vote: there is no order by construction for them."""

    label = "ladder"

    def __init__(self, scale: float = 4.0) -> None:
        if not 0 < scale <= DELTA_MAX:
            raise InputError(f"ladder scale must be in (0, {DELTA_MAX:g}], got {scale}")
        self.scale = scale

    def _one(self, pair: PairToJudge) -> Vote:
        if pair.direction != "degrade" or pair.strength is None:
            return InvalidVote(
                self.label, f"no order by construction for a {pair.direction or 'unplanned'} edit"
            )
        delta = -self.scale * float(pair.strength)
        what = (
            f"{(pair.attribute or 'an attribute').replace('_', ' ')} degraded at strength {pair.strength:g}"
        )
        if pair.cross_photo:
            rationale = (
                f"A curated photo against another photo with {what}; the curated photo is assumed better."
            )
        else:
            rationale = (
                f"The edit {what}; by construction the curated original is better "
                f"(Δ = −{self.scale:g} × strength)."
            )
        return Verdict(self.label, delta, rationale)

    def judge(self, pairs: list[PairToJudge]) -> list[Vote]:
        return [self._one(pair) for pair in pairs]


class PerceptualJudge(Judge):
    """Votes how visible an edit is, in the direction it was planned: Δ = ±``visible_delta`` of the
    pair's full-reference visibility (:func:`red_aes.perceptual.visible_difference`), so a change people
    cannot see gets Δ 0 and a stronger version of a visible defect a larger |Δ|. A pair with no planned
    direction, or of two different photos (cross-photo), gets an invalid vote: the measure compares
    aligned images and says how much, not which way."""

    label = "perceptual"

    def _one(self, pair: PairToJudge) -> Vote:
        if pair.cross_photo or pair.direction not in ("degrade", "improve"):
            what = "two different photos" if pair.cross_photo else f"a {pair.direction or 'unplanned'} edit"
            return InvalidVote(self.label, f"no full-reference comparison for {what}")
        visibility = visible_difference(pair.original, pair.edited)
        size = visible_delta(visibility)
        delta = -size if pair.direction == "degrade" else size
        seen = "not visible" if size == 0 else f"visible ({visibility:.1f} just-noticeable differences)"
        target = (pair.attribute or "the photo").replace("_", " ")
        rationale = f"The edit meant to {pair.direction} {target}; the change is {seen}, so Δ = {delta:+.2f}."
        return Verdict(self.label, round(delta, 3), rationale)

    def judge(self, pairs: list[PairToJudge]) -> list[Vote]:
        return [self._one(pair) for pair in pairs]


def lite_judge(adapter: str | None = None, label: str = "red-lite") -> Judge:
    """The offline learned judge: RED-Lite, with the shipped weights or ``adapter`` (folder or Hub repo)."""
    return ScorerJudge("red-lite", label=label, adapter=adapter)


def measured_judge() -> Judge:
    """The offline judge: measured attribute changes, no model."""
    return ScorerJudge("measured", label="measured")


def vlm_judge(
    model: str,
    *,
    adapter: str | None = None,
    quantization: str | None = None,
    decoding: Decoding = "reasoning",
    label: str | None = None,
    **scorer_kwargs: Any,
) -> Judge:
    """A VLM judge through ``RedAesScorer`` (local directory or Hub id, optional LoRA adapter)."""
    name = label or f"vlm:{model}" + (f"+{adapter}" if adapter else "")
    return ScorerJudge(
        model, label=name, decoding=decoding, adapter=adapter, quantization=quantization, **scorer_kwargs
    )


class EndpointJudge(ScorerJudge):
    """A judge behind an OpenAI-compatible chat endpoint: the ``endpoint`` scorer, asked with the
    versioned pair prompt."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = None,
        label: str | None = None,
        prompt_version: str = PROMPT_VERSION,
        max_tokens: int = 512,
        timeout: float = 120.0,
        concurrency: int = 4,
    ) -> None:
        super().__init__(
            "endpoint",
            label=label or f"endpoint:{model}",
            base_url=base_url,
            endpoint_model=model,
            api_key_env=api_key_env,
            prompt_version=prompt_version,
            max_tokens=max_tokens,
            timeout=timeout,
            concurrency=concurrency,
        )


#: Judge name -> factory taking the options of its config entry.
JUDGES = Registry(
    "judge",
    {
        "ladder": "red_aes.data.judges:LadderJudge",
        "perceptual": "red_aes.data.judges:PerceptualJudge",
        "red-lite": "red_aes.data.judges:lite_judge",
        "measured": "red_aes.data.judges:measured_judge",
        "vlm": "red_aes.data.judges:vlm_judge",
        "endpoint": "red_aes.data.judges:EndpointJudge",
    },
)


def load_judge(spec: dict[str, Any]) -> Judge:
    """Build a judge from its config entry ``{"name": ..., **options}``; unknown names/options are errors."""
    options = dict(spec)
    return JUDGES.build(options.pop("name"), **options)
