"""The one table of photo defects: what each hurts, and how the editor and the capture chains make it.

Every way the project spoils a photo on purpose is a row of :data:`DEGRADATIONS`, under one canonical
name (``gaussian_blur``, ``motion_blur``, ``underexposure``, ...). A row holds

* the taxonomy **attribute** it hurts (:class:`red_aes.types.Attribute`) and a **description** in a
  person's words;
* the exact classical **operation** at strength 1, where one exists: strength ``s`` applies ``s`` times
  its amount (:meth:`Degradation.at`). The classical editor's attribute edits
  (:data:`red_aes.editing.classical.ATTRIBUTE_EDITS`) and the ladder build mode
  (:data:`red_aes.data.ladder.LADDER_KINDS`) read these;
* the randomised capture **step**, where one exists: a function of the strength and of a *shape* drawn
  once (blur anisotropy and angle, a shake trajectory, the noise colour, resampling filters), from which
  the chains of :mod:`red_aes.editing.capture` are built.

So a defect is named, described and tuned in one place, and the editor, the dataset ladders and RED-Lite's
training chains cannot drift apart. The physics of a defect (PSF kernels, the camera noise model, grain,
oversharpening, haze, the JPEG round trip) is written once, in :mod:`red_aes.editing.physics`: a capture
step and the editor's operation call the same function, and differ only in how a strength or an amount
maps onto its physical quantities. Step sizes are in reference pixels (a 512-pixel long side, as in
:mod:`red_aes.editing.operations`), so a step looks the same at any working resolution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from red_aes.editing.operations import Operation
from red_aes.editing.physics import (
    GLARE_SIGMA,
    camera_noise,
    convolve_linear,
    disk_kernel,
    gaussian_kernel,
    grain,
    haze,
    jpeg,
    motion_kernel,
    oversharpen,
    trajectory,
)
from red_aes.measure import linear_to_srgb, srgb_to_linear
from red_aes.types import Attribute

#: A step's strength-independent draws (e.g. ``{"anisotropy": 2.1, "angle": 35.0}``).
Shape = dict[str, Any]


def _convolve(srgb: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve in linear light (where optical blur happens), reflected borders, size kept; sRGB out."""
    return linear_to_srgb(convolve_linear(srgb, kernel))


#: The resampling filters a ``low_resolution`` step draws from, by name.
RESAMPLING = {
    "box": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
}


def _resample(srgb: np.ndarray, size: tuple[int, int], method: str) -> np.ndarray:
    planes = (Image.fromarray(srgb[..., c].astype(np.float32), mode="F") for c in range(3))
    channels = [np.asarray(plane.resize(size, RESAMPLING[method])) for plane in planes]
    return np.clip(np.stack(channels, -1), 0.0, 1.0)


# -- capture steps: (srgb float32 HxWx3 in [0, 1], strength, shape, pixels per reference pixel, rng) -> srgb
StepFunction = Callable[[np.ndarray, float, Shape, float, np.random.Generator], np.ndarray]


def _gaussian_blur(
    x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator
) -> np.ndarray:
    sigma = (0.3 + 2.7 * s) * scale
    return _convolve(x, gaussian_kernel(sigma, sigma / shape["anisotropy"], shape["angle"]))


def _defocus(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    return _convolve(x, disk_kernel((0.5 + 4.5 * s) * scale))


def _motion_blur(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    path = trajectory(np.random.default_rng(shape["path_seed"]))
    return _convolve(x, motion_kernel(path, (1.0 + 17.0 * s) * scale))


def _low_resolution(
    x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator
) -> np.ndarray:
    h, w = x.shape[:2]
    factor = 1.0 + 3.0 * s
    small = _resample(x, (max(8, round(w / factor)), max(8, round(h / factor))), shape["down"])
    return _resample(small, (w, h), shape["up"])


def _grain(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    return grain(x, 1.0 + 29.0 * s, rng, mono=shape["mono"])


def _sensor_noise(
    x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator
) -> np.ndarray:
    gains = (shape["red_gain"], 1.0, shape["blue_gain"])
    return camera_noise(x, 0.5 + 4.0 * s, rng, restore=shape["restore"], gains=gains)


def _jpeg(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    return jpeg(x, round(92 - 88 * s))


def _underexposure(
    x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator
) -> np.ndarray:
    return linear_to_srgb(srgb_to_linear(x) * 2.0 ** -(0.4 + 2.6 * s))


def _overexposure(
    x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator
) -> np.ndarray:
    return linear_to_srgb(np.clip(srgb_to_linear(x) * 2.0 ** (0.4 + 2.1 * s), 0.0, 1.0))


def _smear(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    """Heavy denoising: a median then a Gaussian, blended in by strength: fine texture turns to plastic."""
    size = max(3, round((2 + 5 * s) * scale) | 1)
    smoothed = ndimage.gaussian_filter(
        ndimage.median_filter(x, size=(size, size, 1)), (0.6 * size, 0.6 * size, 0)
    )
    return x + min(1.0, 0.4 + 0.6 * s) * (smoothed - x)


def _oversharpen(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    return oversharpen(x, 0.5 + 4.0 * s, shape["radius"] * scale)


def _haze(x: np.ndarray, s: float, shape: Shape, scale: float, rng: np.random.Generator) -> np.ndarray:
    return haze(x, 0.15 + 0.6 * s, shape["airlight"], GLARE_SIGMA * scale)


def _no_shape(rng: np.random.Generator) -> Shape:
    """The shape of a step with nothing to draw (it uses no random numbers)."""
    return {}


@dataclass(frozen=True)
class CaptureStep:
    """A defect as a randomised capture step: its function, its shape sampler (drawn once, independent of
    the strength, so a chain's ladder is the same defect growing) and what it models technically."""

    function: StepFunction
    model: str
    shape: Callable[[np.random.Generator], Shape] = _no_shape


@dataclass(frozen=True)
class Degradation:
    """One defect: its canonical name, the attribute it hurts, what a person sees, and how it is made:
    the exact classical operation at strength 1 and/or the randomised capture step."""

    name: str
    attribute: Attribute
    description: str
    operation: Operation | None = None
    step: CaptureStep | None = None

    def at(self, strength: float) -> Operation:
        """The exact operation at ``strength``: ``strength`` times the amount at strength 1."""
        if self.operation is None:
            raise ValueError(f"degradation {self.name!r} has no exact classical operation")
        return self.operation.scaled(strength)


_ROWS = (
    Degradation(
        "gaussian_blur",
        Attribute.SHARPNESS,
        "soft all over, no crisp edge anywhere",
        Operation("blur", 4.0),
        CaptureStep(
            _gaussian_blur,
            "Gaussian PSF, isotropic or anisotropic (σ 0.3–3 reference px)",
            lambda rng: {
                "anisotropy": 1.0 if rng.random() < 0.5 else float(rng.uniform(1.0, 4.0)),
                "angle": float(rng.uniform(0, 180)),
            },
        ),
    ),
    Degradation(
        "defocus",
        Attribute.SHARPNESS,
        "out of focus: the subject is soft and bright points swell into discs",
        Operation("defocus", 5.0),
        CaptureStep(_defocus, "missed focus: a disk PSF (radius 0.5–5 reference px)"),
    ),
    Degradation(
        "motion_blur",
        Attribute.SHARPNESS,
        "camera shake: edges smeared along the way the camera moved",
        Operation("motion_blur", 14.0),
        CaptureStep(
            _motion_blur,
            "hand shake: a random motion trajectory PSF (1–18 reference px long)",
            lambda rng: {"path_seed": int(rng.integers(2**31))},
        ),
    ),
    Degradation(
        "low_resolution",
        Attribute.SHARPNESS,
        "too few pixels: fine detail gone, edges soft or jagged",
        Operation("downscale", 6.0),
        CaptureStep(
            _low_resolution,
            "lost resolution: down by 1–4× and back up, random filters",
            lambda rng: {
                "down": str(rng.choice(["box", "bilinear", "bicubic"])),
                "up": str(rng.choice(["bilinear", "bicubic"])),
            },
        ),
    ),
    Degradation(
        "oversharpen",
        Attribute.SHARPNESS,
        "over-sharpened: bright and dark halos around every edge",
        Operation("oversharpen", 6.0),
        CaptureStep(
            _oversharpen,
            "over-processing: strong unsharp mask with halos",
            lambda rng: {"radius": float(rng.uniform(1.0, 3.0))},
        ),
    ),
    Degradation(
        "grain",
        Attribute.NOISE,
        "grainy: speckles over everything, smooth areas look sandy",
        Operation("grain", 30.0),
        CaptureStep(
            _grain,
            "additive Gaussian noise, colour or grey (σ 1–30 levels)",
            lambda rng: {"mono": bool(rng.random() < 0.4)},
        ),
    ),
    Degradation(
        "sensor_noise",
        Attribute.NOISE,
        "high-ISO noise: coloured speckles, worst in the shadows",
        Operation("sensor_noise", 30.0),
        CaptureStep(
            _sensor_noise,
            "camera model: 0.5–4.5 stops under, shot + read noise per Bayer site under white-balance "
            "gains, demosaicked; gain restores brightness",
            lambda rng: {
                "restore": float(rng.uniform(0.6, 1.0)),
                "red_gain": float(rng.uniform(1.5, 2.5)),
                "blue_gain": float(rng.uniform(1.2, 2.0)),
            },
        ),
    ),
    Degradation(
        "jpeg",
        Attribute.NOISE,
        "over-compressed: blocks, ringing around edges and smudged colour",
        Operation("jpeg", 0.95),
        CaptureStep(_jpeg, "JPEG at quality 92 → 4"),
    ),
    Degradation(
        "jpeg_repeat",
        Attribute.NOISE,
        "saved as JPEG again and again: the blocks and smudges pile up",
        Operation("jpeg_repeat", 0.9),
    ),
    Degradation(
        "underexposure",
        Attribute.EXPOSURE,
        "too dark: the shadows swallow the detail",
        Operation("exposure", -2.5),
        CaptureStep(_underexposure, "0.4–3 stops too dark"),
    ),
    Degradation(
        "overexposure",
        Attribute.EXPOSURE,
        "too bright: washed out, the highlights burnt to white",
        Operation("exposure", 2.0),
        CaptureStep(_overexposure, "0.4–2.5 stops too bright, highlights clipped"),
    ),
    Degradation(
        "low_contrast",
        Attribute.CONTRAST,
        "flat and dull: no deep blacks, no bright whites",
        Operation("contrast", -0.7),
    ),
    Degradation(
        "haze",
        Attribute.CONTRAST,
        "hazy: a milky veil over the whole picture",
        Operation("haze", 0.7),
        CaptureStep(
            _haze,
            "hazy lens: a veil towards the airlight plus glare (15–75%)",
            lambda rng: {"airlight": float(rng.uniform(0.6, 0.9))},
        ),
    ),
    Degradation(
        "desaturation",
        Attribute.COLOR,
        "faded, washed-out colours",
        Operation("saturation", -0.8),
    ),
    Degradation(
        "chromatic_aberration",
        Attribute.COLOR,
        "colour fringes along edges, growing towards the corners",
        Operation("chromatic_aberration", 4.0),
    ),
    Degradation(
        "cool_cast",
        Attribute.WHITE_BALANCE,
        "a cold blue cast over everything",
        Operation("temperature", -3.0),
    ),
    Degradation(
        "green_tint",
        Attribute.WHITE_BALANCE,
        "a sickly green tint",
        Operation("tint", -3.0),
    ),
    Degradation(
        "tilt",
        Attribute.COMPOSITION,
        "crooked: the horizon and verticals lean",
        Operation("rotate", 8.0),
    ),
    Degradation(
        "smear",
        Attribute.NOISE,
        "over-processed: heavy noise reduction turns fine texture to plastic",
        step=CaptureStep(_smear, "over-processing: heavy denoising that smears texture"),
    ),
)

#: Every defect the project makes on purpose, by canonical name.
DEGRADATIONS: dict[str, Degradation] = {row.name: row for row in _ROWS}
