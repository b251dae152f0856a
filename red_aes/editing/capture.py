"""Realistic capture degradations: randomised chains and camera scenarios, reproducible from a seed.

Real photographs rarely show one synthetic defect on a clean image: low light brings underexposure, gain
noise, shake and the camera's denoising and JPEG together. This module draws such compound defects:

* **steps** (:data:`STEPS`) — one degradation at a ``strength`` in (0, 1] with a *shape* drawn once
  (blur anisotropy and angle, a shake trajectory, the noise colour, resampling filters). Spatial sizes are
  in reference pixels (a 512-pixel long side, as in :mod:`red_aes.editing.operations`), so a step looks
  the same at any working resolution;
* **scenarios** (:data:`SCENARIOS`) — low light, hand shake, missed focus, over-processing, a hazy lens,
  and ``random``: the higher-order chain of BSRGAN (Zhang et al. 2021) / Real-ESRGAN (Wang et al. 2021)
  — blur, resize, noise and JPEG in random order, applied twice;
* a :class:`Chain` is the sampled steps; :meth:`Chain.scaled` keeps every shape and multiplies every
  strength, so the ladder of a chain is the same defect growing, and :meth:`Chain.apply` is exact for a
  given seed.

Noise follows a camera model (:func:`camera_noise`): shot and read noise are added in linear light to
the under-exposed signal, then the gain that restores brightness amplifies both, so noise grows as
exposure falls; the camera's denoising and JPEG follow in the scenarios that have them.

Labels are relative and by construction: a step of strength ``s`` spoils a share ``SPOIL · s`` of what
is left, so a chain's loss is ``1 − Π(1 − SPOIL · sᵢ)`` (:meth:`Chain.loss`) and its Δ is
``−LADDER_SCALE`` times it: the loss grows with every part and stays below 1.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage, signal

from red_aes.editing.operations import REFERENCE_LONG_SIDE, disk_kernel
from red_aes.errors import InputError
from red_aes.measure import linear_to_srgb, luma, srgb_to_linear

#: Δ of a chain whose loss is 1 (the ``ladder`` judge's scale): Δ = −LADDER_SCALE · loss.
LADDER_SCALE = 4.0
#: Share of what is left that a step of strength 1 spoils (a step of strength s spoils SPOIL · s).
SPOIL = 0.6
#: Sensor noise at middle grey at base exposure, in 8-bit levels (a clean phone photo in daylight).
BASE_NOISE_LEVELS = 2.5
#: Share of the base noise variance at middle grey that is shot noise (the rest: read noise).
SHOT_SHARE = 0.8
MIDDLE_GREY = 0.18

Shape = dict[str, Any]


def gaussian_kernel(sigma_x: float, sigma_y: float, degrees: float) -> np.ndarray:
    """An anisotropic Gaussian PSF (σ along the rotated axes, in pixels), normalised to sum 1."""
    half = max(1, int(np.ceil(3 * max(sigma_x, sigma_y))))
    y, x = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    t = np.radians(degrees)
    u, v = x * np.cos(t) + y * np.sin(t), -x * np.sin(t) + y * np.cos(t)
    kernel = np.exp(-0.5 * ((u / max(sigma_x, 1e-3)) ** 2 + (v / max(sigma_y, 1e-3)) ** 2))
    return (kernel / kernel.sum()).astype(np.float32)


def trajectory(rng: np.random.Generator, points: int = 64) -> np.ndarray:
    """A random camera-shake path: a walk with inertia and random jerks (in the spirit of Boracchi & Foi
    2012), centred, with unit path length; (points, 2) array of x, y."""
    velocity = rng.standard_normal(2)
    velocity /= np.linalg.norm(velocity) + 1e-12
    path = [np.zeros(2)]
    for _ in range(points - 1):
        velocity = 0.8 * velocity + 0.5 * rng.standard_normal(2)
        if rng.random() < 0.05:  # an abrupt jerk
            velocity = -velocity + rng.standard_normal(2)
        velocity /= np.linalg.norm(velocity) + 1e-12
        path.append(path[-1] + velocity)
    xy = np.array(path)
    length = np.sum(np.linalg.norm(np.diff(xy, axis=0), axis=1))
    return (xy - xy.mean(0)) / max(length, 1e-12)


def motion_kernel(path: np.ndarray, length: float) -> np.ndarray:
    """The PSF of ``path`` (unit length) scaled to ``length`` pixels: bilinear splats of densely resampled
    points, normalised to sum 1 (every position of the path gets the same exposure time)."""
    xy = path * length
    steps = max(2, int(np.ceil(4 * max(length, 1.0))))
    t = np.linspace(0, len(xy) - 1, steps * 4)
    x = np.interp(t, np.arange(len(xy)), xy[:, 0])
    y = np.interp(t, np.arange(len(xy)), xy[:, 1])
    half = int(np.ceil(max(np.abs(x).max(), np.abs(y).max()))) + 1
    kernel = np.zeros((2 * half + 1, 2 * half + 1), dtype=np.float64)
    x, y = x + half, y + half
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    for dy, dx, weight in (
        (0, 0, (1 - fx) * (1 - fy)),
        (0, 1, fx * (1 - fy)),
        (1, 0, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        np.add.at(kernel, (y0 + dy, x0 + dx), weight)
    return (kernel / kernel.sum()).astype(np.float32)


def _convolve(srgb: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve in linear light (where optical blur happens), reflected borders, size kept."""
    kh, kw = kernel.shape
    linear = srgb_to_linear(srgb)
    pad = ((kh // 2, kh - 1 - kh // 2), (kw // 2, kw - 1 - kw // 2), (0, 0))
    out = signal.fftconvolve(
        np.pad(linear, pad, mode="reflect"), kernel[..., None], mode="valid", axes=(0, 1)
    )
    return linear_to_srgb(np.clip(out, 0.0, None))


def camera_noise(
    srgb: np.ndarray,
    stops_under: float,
    rng: np.random.Generator,
    *,
    restore: float = 1.0,
    mono: bool = False,
) -> np.ndarray:
    """A capture ``stops_under`` stops under-exposed, then brightened by ``restore`` × those stops.

    In linear light the captured signal is ``x · 2^-stops``; shot noise (variance ∝ signal) and read noise
    (constant) are added at the sensor, sized so a correctly exposed capture has
    :data:`BASE_NOISE_LEVELS` 8-bit levels at middle grey; the gain ``2^(restore · stops)`` then multiplies
    signal and noise alike, and highlights clip at white. The noise relative to the restored signal
    therefore grows as the exposure falls."""
    sigma0 = BASE_NOISE_LEVELS / 255.0 / (1.055 / 2.4 * MIDDLE_GREY ** (1 / 2.4 - 1))
    a, b = SHOT_SHARE * sigma0**2 / MIDDLE_GREY, (1.0 - SHOT_SHARE) * sigma0**2
    captured = srgb_to_linear(srgb) * 2.0**-stops_under
    shape = (*srgb.shape[:2], 1) if mono else srgb.shape
    common = rng.standard_normal((*srgb.shape[:2], 1)).astype(np.float32) * np.sqrt(0.7)
    noise = common + rng.standard_normal(shape).astype(np.float32) * np.sqrt(0.3)
    noisy = captured + np.sqrt(a * np.clip(captured, 0.0, None) + b) * noise
    return linear_to_srgb(np.clip(noisy * 2.0 ** (restore * stops_under), 0.0, 1.0))


def _resample(srgb: np.ndarray, size: tuple[int, int], method: str) -> np.ndarray:
    filters = {"box": Image.Resampling.BOX, "bilinear": Image.Resampling.BILINEAR}
    filters["bicubic"] = Image.Resampling.BICUBIC
    channels = [
        np.asarray(Image.fromarray(srgb[..., c].astype(np.float32), mode="F").resize(size, filters[method]))
        for c in range(3)
    ]
    return np.clip(np.stack(channels, -1), 0.0, 1.0)


def jpeg(srgb: np.ndarray, quality: int) -> np.ndarray:
    """One baseline JPEG encode/decode (4:2:0) at ``quality``."""
    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(srgb, 0, 1) * 255).astype(np.uint8)).save(
        buffer, format="JPEG", quality=int(quality), subsampling=2
    )
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"), dtype=np.float32) / 255.0


# -- steps: (srgb float32 HxWx3 in [0, 1], strength, shape, pixels per reference pixel, rng) -> srgb ------
StepFunction = Callable[[np.ndarray, float, Shape, float, np.random.Generator], np.ndarray]


def _blur(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    sigma = (0.3 + 2.7 * s) * scale
    return _convolve(x, gaussian_kernel(sigma, sigma / shape["anisotropy"], shape["angle"]))


def _defocus(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    return _convolve(x, disk_kernel((0.5 + 4.5 * s) * scale))


def _shake(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    path = trajectory(np.random.default_rng(shape["path_seed"]))
    return _convolve(x, motion_kernel(path, (1.0 + 17.0 * s) * scale))


def _resize(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    h, w = x.shape[:2]
    factor = 1.0 + 3.0 * s
    small = _resample(x, (max(8, round(w / factor)), max(8, round(h / factor))), shape["down"])
    return _resample(small, (w, h), shape["up"])


def _noise(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    sigma = (1.0 + 29.0 * s) / 255.0
    noise_shape = (*x.shape[:2], 1) if shape["mono"] else x.shape
    return np.clip(x + rng.standard_normal(noise_shape).astype(np.float32) * sigma, 0.0, 1.0)


def _camera(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    return camera_noise(x, 0.5 + 4.0 * s, rng, restore=shape["restore"])


def _jpeg(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    return jpeg(x, round(92 - 88 * s))


def _underexpose(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    return linear_to_srgb(srgb_to_linear(x) * 2.0 ** -(0.4 + 2.6 * s))


def _overexpose(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    return linear_to_srgb(np.clip(srgb_to_linear(x) * 2.0 ** (0.4 + 2.1 * s), 0.0, 1.0))


def _smear(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    """Heavy denoising: a median then a Gaussian, blended in by strength: fine texture turns to plastic."""
    size = max(3, round((2 + 5 * s) * scale) | 1)
    smoothed = ndimage.gaussian_filter(
        ndimage.median_filter(x, size=(size, size, 1)), (0.6 * size, 0.6 * size, 0)
    )
    return x + min(1.0, 0.4 + 0.6 * s) * (smoothed - x)


def _oversharpen(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    y = luma(x)
    detail = y - ndimage.gaussian_filter(y, sigma=shape["radius"] * scale)
    return np.clip(x + ((0.5 + 4.0 * s) * detail)[..., None], 0.0, 1.0)


def _haze(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    veil = 0.15 + 0.6 * s
    glare = ndimage.gaussian_filter(x, sigma=(8 * scale, 8 * scale, 0))
    return (1 - veil) * (0.85 * x + 0.15 * glare) + veil * shape["airlight"]


@dataclass(frozen=True)
class StepSpec:
    """One degradation step: its function, what it hurts, and its shape sampler (strength-independent)."""

    function: StepFunction
    attribute: str
    description: str
    shape: Callable[[np.random.Generator], Shape] = lambda rng: {}


#: Every degradation step a chain can hold, with what it hurts (taxonomy attribute) and what it models.
STEPS: dict[str, StepSpec] = {
    "blur": StepSpec(
        _blur,
        "sharpness",
        "Gaussian PSF, isotropic or anisotropic (σ 0.3–3 reference px)",
        lambda rng: {
            "anisotropy": 1.0 if rng.random() < 0.5 else float(rng.uniform(1.0, 4.0)),
            "angle": float(rng.uniform(0, 180)),
        },
    ),
    "defocus": StepSpec(_defocus, "sharpness", "missed focus: a disk PSF (radius 0.5–5 reference px)"),
    "shake": StepSpec(
        _shake,
        "sharpness",
        "hand shake: a random motion trajectory PSF (1–18 reference px long)",
        lambda rng: {"path_seed": int(rng.integers(2**31))},
    ),
    "resize": StepSpec(
        _resize,
        "sharpness",
        "lost resolution: down by 1–4× and back up, random filters",
        lambda rng: {
            "down": str(rng.choice(["box", "bilinear", "bicubic"])),
            "up": str(rng.choice(["bilinear", "bicubic"])),
        },
    ),
    "noise": StepSpec(
        _noise,
        "noise",
        "additive Gaussian noise, colour or grey (σ 1–30 levels)",
        lambda rng: {"mono": bool(rng.random() < 0.4)},
    ),
    "camera_noise": StepSpec(
        _camera,
        "noise",
        "camera model: 0.5–4.5 stops under, shot + read noise in linear light, gain restores brightness",
        lambda rng: {"restore": float(rng.uniform(0.6, 1.0))},
    ),
    "jpeg": StepSpec(_jpeg, "noise", "JPEG at quality 92 → 4"),
    "underexpose": StepSpec(_underexpose, "exposure", "0.4–3 stops too dark"),
    "overexpose": StepSpec(_overexpose, "exposure", "0.4–2.5 stops too bright, highlights clipped"),
    "smear": StepSpec(_smear, "noise", "over-processing: heavy denoising that smears texture"),
    "oversharpen": StepSpec(
        _oversharpen,
        "sharpness",
        "over-processing: strong unsharp mask with halos",
        lambda rng: {"radius": float(rng.uniform(1.0, 3.0))},
    ),
    "haze": StepSpec(
        _haze,
        "contrast",
        "hazy lens: a veil towards the airlight plus glare (15–75%)",
        lambda rng: {"airlight": float(rng.uniform(0.6, 0.9))},
    ),
}


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
    steps = [make_step("camera_noise", s, rng), make_step("shake", _jitter(rng, 0.4 * s, 0.0), rng)]
    if rng.random() < 0.6:
        steps.append(make_step("smear", _jitter(rng, 0.6 * s), rng))
    return [*steps, make_step("jpeg", _jitter(rng, 0.6 * s), rng)]


def _hand_shake(rng: np.random.Generator, s: float) -> list[Step]:
    return [
        make_step("shake", s, rng),
        make_step("camera_noise", _jitter(rng, 0.3 * s, 0.0), rng),
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
    return [make_step("haze", s, rng), make_step("blur", _jitter(rng, 0.3 * s, 0.0), rng)]


def _exposure(rng: np.random.Generator, s: float) -> list[Step]:
    kind = "underexpose" if rng.random() < 0.5 else "overexpose"
    return [make_step(kind, s, rng), make_step("jpeg", _jitter(rng, 0.3 * s, 0.0), rng)]


def _random(rng: np.random.Generator, s: float) -> list[Step]:
    """Two passes of {blur, resize, noise, JPEG} in random order, each kept with probability 0.7."""
    steps: list[Step] = []
    for _ in range(2):
        stage = [
            str(rng.choice(["blur", "blur", "defocus", "shake"])),
            "resize",
            str(rng.choice(["noise", "camera_noise"])),
            "jpeg",
        ]
        rng.shuffle(stage)
        steps += [make_step(k, _jitter(rng, s, 0.2), rng) for k in stage if rng.random() < 0.7]
    return steps or [make_step("blur", s, rng)]


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
