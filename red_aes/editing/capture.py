"""Realistic capture degradations: randomised chains and camera scenarios, reproducible from a seed.

Real photographs rarely show one synthetic defect on a clean image: low light brings underexposure, gain
noise, shake and the camera's denoising and JPEG together. This module draws such compound defects:

* **steps** (:data:`STEPS`) — one defect of the degradation table
  (:data:`red_aes.editing.degradations.DEGRADATIONS`, by its canonical name) at a ``strength`` in (0, 1]
  with a *shape* drawn once (blur anisotropy and angle, a shake trajectory, the noise colour, resampling
  filters);
* **scenarios** (:data:`SCENARIOS`) — low light, hand shake, missed focus, over-processing, a hazy lens,
  and ``random``: the higher-order chain of BSRGAN (Zhang et al. 2021) / Real-ESRGAN (Wang et al. 2021)
  — blur, resize, noise and JPEG in random order, applied twice;
* a :class:`Chain` is the sampled steps; :meth:`Chain.scaled` keeps every shape and multiplies every
  strength, so the ladder of a chain is the same defect growing, and :meth:`Chain.apply` is exact for a
  given seed.

Noise follows a camera model (:func:`red_aes.editing.degradations.camera_noise`): shot and read noise
are added in linear light to the under-exposed signal, then the gain that restores brightness amplifies
both, so noise grows as exposure falls; the camera's denoising and JPEG follow in the scenarios that have
them. The PSF kernels, the noise model and the JPEG round trip live with the table in
:mod:`red_aes.editing.degradations`.

Labels are relative and by construction: a step of strength ``s`` spoils a share ``SPOIL · s`` of what
is left, so a chain's loss is ``1 − Π(1 − SPOIL · sᵢ)`` (:meth:`Chain.loss`) and its Δ is
``−LADDER_SCALE`` times it: the loss grows with every part and stays below 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from red_aes.editing.degradations import DEGRADATIONS, CaptureStep
from red_aes.editing.operations import REFERENCE_LONG_SIDE
from red_aes.errors import InputError

#: Δ of a chain whose loss is 1 (the ``ladder`` judge's scale): Δ = −LADDER_SCALE · loss.
LADDER_SCALE = 4.0
#: Share of what is left that a step of strength 1 spoils (a step of strength s spoils SPOIL · s).
SPOIL = 0.6
#: Every capture step a chain can hold: the table's rows that have one, by canonical name.
STEPS: dict[str, CaptureStep] = {name: row.step for name, row in DEGRADATIONS.items() if row.step is not None}


@dataclass(frozen=True)
class Step:
    """One sampled step: a :data:`STEPS` name, its strength in (0, 1] and its shape."""

    kind: str
    strength: float
    shape: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "strength": round(self.strength, 4), **dict(self.shape)}


@dataclass(frozen=True)
class Chain:
    """A degradation chain: its scenario name, its steps in order, and the seed of its random draws."""

    scenario: str
    steps: tuple[Step, ...]
    seed: int

    def loss(self) -> float:
        """``1 − Π(1 − SPOIL · sᵢ)``: each step spoils a share of what the previous steps left."""
        return float(1.0 - np.prod([1.0 - SPOIL * min(max(s.strength, 0.0), 1.0) for s in self.steps]))

    def delta(self) -> float:
        """The Δ this chain implies by construction: ``−LADDER_SCALE · loss``."""
        return -LADDER_SCALE * self.loss()

    def scaled(self, factor: float) -> Chain:
        """The same defects (shapes, order, seed) with every strength multiplied by ``factor`` (≤ 1)."""
        steps = tuple(Step(s.kind, s.strength * factor, s.shape) for s in self.steps)
        return Chain(self.scenario, steps, self.seed)

    def then(self, other: Chain) -> Chain:
        """This chain followed by ``other`` (a defect on an already degraded photo)."""
        return Chain(f"{self.scenario}+{other.scenario}", self.steps + other.steps, self.seed)

    def apply(self, image: Image.Image) -> Image.Image:
        """The degraded image: exact for a given chain (each step's noise comes from the chain's seed)."""
        x = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
        scale = max(image.size) / REFERENCE_LONG_SIDE
        for index, step in enumerate(self.steps):
            if step.strength <= 0:
                continue
            rng = np.random.default_rng([self.seed, index])
            x = STEPS[step.kind].function(x, step.strength, dict(step.shape), scale, rng).astype(np.float32)
        return Image.fromarray(np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8))

    def to_json(self) -> str:
        return json.dumps(
            {"scenario": self.scenario, "seed": self.seed, "steps": [s.to_dict() for s in self.steps]}
        )


def make_step(kind: str, strength: float, rng: np.random.Generator) -> Step:
    """A step of ``kind`` at ``strength`` with its shape drawn from ``rng``."""
    if kind not in STEPS:
        raise InputError(f"unknown degradation step {kind!r}; known: {', '.join(STEPS)}")
    return Step(kind, float(strength), tuple(sorted(STEPS[kind].shape(rng).items())))


def _jitter(rng: np.random.Generator, s: float, low: float = 0.5) -> float:
    return float(s * rng.uniform(low, 1.0))


def _low_light(rng: np.random.Generator, s: float) -> list[Step]:
    """Underexposure with gain noise, a little shake, the camera's denoising, then JPEG."""
    steps = [make_step("sensor_noise", s, rng), make_step("motion_blur", _jitter(rng, 0.4 * s, 0.0), rng)]
    if rng.random() < 0.6:
        steps.append(make_step("smear", _jitter(rng, 0.6 * s), rng))
    return [*steps, make_step("jpeg", _jitter(rng, 0.6 * s), rng)]


def _hand_shake(rng: np.random.Generator, s: float) -> list[Step]:
    return [
        make_step("motion_blur", s, rng),
        make_step("sensor_noise", _jitter(rng, 0.3 * s, 0.0), rng),
        make_step("jpeg", _jitter(rng, 0.4 * s, 0.0), rng),
    ]


def _missed_focus(rng: np.random.Generator, s: float) -> list[Step]:
    return [make_step("defocus", s, rng), make_step("jpeg", _jitter(rng, 0.4 * s, 0.0), rng)]


def _over_processing(rng: np.random.Generator, s: float) -> list[Step]:
    return [
        make_step("smear", s, rng),
        make_step("oversharpen", _jitter(rng, s), rng),
        make_step("jpeg", _jitter(rng, 0.6 * s), rng),
    ]


def _hazy_lens(rng: np.random.Generator, s: float) -> list[Step]:
    return [make_step("haze", s, rng), make_step("gaussian_blur", _jitter(rng, 0.3 * s, 0.0), rng)]


def _exposure(rng: np.random.Generator, s: float) -> list[Step]:
    kind = "underexposure" if rng.random() < 0.5 else "overexposure"
    return [make_step(kind, s, rng), make_step("jpeg", _jitter(rng, 0.3 * s, 0.0), rng)]


def _random(rng: np.random.Generator, s: float) -> list[Step]:
    """Two passes of {blur, resize, noise, JPEG} in random order, each kept with probability 0.7."""
    steps: list[Step] = []
    for _ in range(2):
        stage = [
            str(rng.choice(["gaussian_blur", "gaussian_blur", "defocus", "motion_blur"])),
            "low_resolution",
            str(rng.choice(["grain", "sensor_noise"])),
            "jpeg",
        ]
        rng.shuffle(stage)
        steps += [make_step(k, _jitter(rng, s, 0.2), rng) for k in stage if rng.random() < 0.7]
    return steps or [make_step("gaussian_blur", s, rng)]


#: Scenario name -> sampler ``(rng, strength) -> steps``: compound defects of real capture.
SCENARIOS: dict[str, Callable[[np.random.Generator, float], list[Step]]] = {
    "low_light": _low_light,
    "hand_shake": _hand_shake,
    "missed_focus": _missed_focus,
    "over_processing": _over_processing,
    "hazy_lens": _hazy_lens,
    "exposure": _exposure,
    "random": _random,
}


def sample_chain(scenario: str, strength: float, seed: int) -> Chain:
    """A chain of ``scenario`` at ``strength`` in (0, 1], reproducible from ``seed``."""
    if scenario not in SCENARIOS:
        raise InputError(f"unknown degradation scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    if not 0 < strength <= 1:
        raise InputError(f"strength must be in (0, 1], got {strength}")
    rng = np.random.default_rng([seed, 7919])
    return Chain(scenario, tuple(SCENARIOS[scenario](rng, float(strength))), int(seed))
