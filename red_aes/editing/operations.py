"""The exact, deterministic image operations of the classical editor, and their one table.

An :class:`Operation` names an operation of :data:`OPERATIONS` and a signed ``amount`` in that
operation's unit (EV for exposure, degrees for rotate, ...). :func:`apply_operation` checks the amount
against the operation's range and returns the edited image with the exact parameters used. Pixel
arithmetic is done in float32 on sRGB values, or in linear light where physics asks for it (exposure,
white balance, vignetting). Spatial sizes (blur, sharpen radius) are given in *reference pixels*: pixels
of the image scaled to a 512-pixel long side, so "blur 2" looks the same on a 512 px and a 4000 px photo;
the real radius in pixels is reported in the parameters.

Besides the adjustments a photo editor offers, the table holds realistic *degradations* (defocus, motion
blur, sensor noise, JPEG generation loss, lost resolution, oversharpening halos, haze, chromatic
aberration), each modelled on the physical or digital process that causes it. Grain, sensor noise,
oversharpening, haze, JPEG and the blur kernels are the functions of :mod:`red_aes.editing.physics`, the
ones the capture chains use: an operation only maps its amount onto their physical quantities.

Adding an operation is one function plus one :data:`OPERATIONS` entry (and its words in the prompt
parser, :mod:`red_aes.editing.prompt_parser`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from red_aes.editing.base import UnsupportedEditError
from red_aes.editing.physics import (
    GLARE_SIGMA,
    camera_noise,
    convolve_linear,
    disk_kernel,
    grain,
    haze,
    jpeg,
    line_kernel,
    noise_stops,
    oversharpen,
)
from red_aes.errors import InputError
from red_aes.measure import (
    TILT_MIN_CONFIDENCE,
    analysis_image,
    estimate_noise_sigma,
    estimate_tilt,
    lab_to_linear,
    linear_to_srgb,
    luma,
    midtone_lab,
    salient_centre,
    srgb_to_linear,
    to_float,
    to_image,
)
from red_aes.types import Attribute

#: Long side, in pixels, that spatial amounts ("reference pixels") refer to.
REFERENCE_LONG_SIDE = 512
#: Colour-temperature gain per unit of amount: R and B change by 2^(±0.25 amount) in linear light.
TEMPERATURE_STOPS = 0.25
#: Tint gain per unit of amount: G changes by 2^(-0.25 amount) in linear light (+ = magenta).
TINT_STOPS = 0.25
#: JPEG quality for compression amount a: quality = 95 - 85 a (a = 1 gives quality 10; the range goes on
#: to quality 1, a = 94/85, so every quality a prompt can name has an amount).
JPEG_BEST, JPEG_SPAN = 95, 85
#: Highest compression amount: JPEG quality 1.
JPEG_MAX_AMOUNT = (JPEG_BEST - 1) / JPEG_SPAN


@dataclass(frozen=True)
class Operation:
    """One classical edit: an operation name from :data:`OPERATIONS` and its signed amount.

    ``box`` is only used by ``crop_box``: (left, top, right, bottom) in pixels of the input image.
    """

    op: str
    amount: float = 1.0
    box: tuple[int, int, int, int] | None = None

    def scaled(self, strength: float) -> Operation:
        """The same edit at ``strength`` times its amount (an amount given at strength 1)."""
        return replace(self, amount=self.amount * strength)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.box is None:
            del data["box"]
        else:
            data["box"] = list(self.box)
        return data


#: An edited image and the exact parameters used.
Edited = tuple[Image.Image, dict[str, Any]]
OpFunction = Callable[[Image.Image, Operation, int], Edited]


@dataclass(frozen=True)
class OpSpec:
    """An operation: its implementation, the attribute it changes, its unit, range and default amount.

    ``default`` is the amount of a plain instruction ("make it warmer") at strength 1.
    """

    function: OpFunction
    attribute: Attribute
    unit: str
    low: float
    high: float
    default: float
    description: str
    #: The amount that would leave the image unchanged (refused); None when every amount changes it.
    neutral: float | None = 0.0


def _scale(image: Image.Image) -> float:
    """Pixels per reference pixel for ``image``."""
    return max(image.size) / REFERENCE_LONG_SIDE


def _apply_gains(image: Image.Image, gains: np.ndarray) -> Edited:
    """Multiply the linear-light channels by ``gains`` normalised to keep luminance unchanged."""
    gains = (gains / float(luma(gains))).astype(np.float32)
    edited = to_image(linear_to_srgb(srgb_to_linear(to_float(image)) * gains))
    return edited, {"gains": [round(float(g), 4) for g in gains]}


#: Linear-light level above which brightening rolls highlights off instead of clipping them.
HIGHLIGHT_KNEE = 0.65


def _exposure(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Scale linear light by 2^EV, as a camera exposure change would.

    Brightening passes levels above :data:`HIGHLIGHT_KNEE` through a smooth shoulder
    ``k + (1 - k)(1 - exp(-(y - k)/(1 - k)))`` (slope 1 at the knee, approaching white), as raw
    converters' exposure controls do, so "make it brighter" does not flatten a bright sky to pure white.
    Darkening is an exact gain.
    """
    linear = srgb_to_linear(to_float(image)) * 2.0**op.amount
    if op.amount <= 0:
        return to_image(linear_to_srgb(linear)), {}
    knee = HIGHLIGHT_KNEE
    above = linear > knee
    linear[above] = knee + (1.0 - knee) * (1.0 - np.exp(-(linear[above] - knee) / (1.0 - knee)))
    return to_image(linear_to_srgb(linear)), {"highlight_knee": knee}


def _brightness(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Lift (+) or lower (-) the mid-tones with a gamma curve x^(2^-amount); black and white stay put."""
    gamma = 2.0 ** (-op.amount)
    return to_image(to_float(image) ** gamma), {"gamma": gamma}


def _contrast(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Stretch (+) or flatten (-) tones around the mean luma by a factor 1 + amount."""
    srgb = to_float(image)
    pivot = float(luma(srgb).mean())
    return to_image(pivot + (srgb - pivot) * (1.0 + op.amount)), {"pivot": pivot}


def _saturation(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Scale every pixel's distance from its own luma by 1 + amount (-1 gives black and white)."""
    srgb = to_float(image)
    grey = luma(srgb)[..., None]
    return to_image(grey + (srgb - grey) * (1.0 + op.amount)), {}


def _vibrance(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Saturation change weighted towards muted pixels: factor 1 + amount * (1 - HSV saturation)."""
    srgb = to_float(image)
    grey = luma(srgb)[..., None]
    cmax, cmin = srgb.max(axis=2, keepdims=True), srgb.min(axis=2, keepdims=True)
    sat = (cmax - cmin) / np.maximum(cmax, 1e-6)
    return to_image(grey + (srgb - grey) * (1.0 + op.amount * (1.0 - sat))), {}


def _temperature(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Warm (+) or cool (-) white balance: red and blue gains 2^(±0.25 amount) in linear light."""
    stops = TEMPERATURE_STOPS * op.amount
    return _apply_gains(image, np.array([2.0**stops, 1.0, 2.0**-stops]))


def _tint(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Magenta (+) or green (-) tint: green gain 2^(-0.25 amount) in linear light."""
    return _apply_gains(image, np.array([1.0, 2.0 ** (-TINT_STOPS * op.amount), 1.0]))


def _auto_white_balance(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Grey-world correction of the cast :mod:`red_aes.measure` reports (median a*, b* of the mid-tones):
    linear-light gains that map the median colour to the grey of equal L*, raised to the power
    ``amount`` (1 = full correction). Like any grey-world method it also neutralises a scene that is
    dominated by one colour."""
    mid = midtone_lab(srgb_to_linear(to_float(analysis_image(image))))
    if len(mid) < 16:
        raise UnsupportedEditError("auto white balance needs mid-tone pixels; this image has almost none")
    median = np.median(mid, axis=0)
    colour = np.maximum(lab_to_linear(median), 1e-6)
    grey = lab_to_linear(np.array([median[0], 0.0, 0.0]))
    return _apply_gains(image, (grey / colour) ** op.amount)


def _gaussian(srgb: np.ndarray, sigma: float) -> np.ndarray:
    return ndimage.gaussian_filter(srgb, sigma=(sigma, sigma, 0.0), mode="reflect")


def _sharpen(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Unsharp mask: x + amount * (x - Gaussian(x, σ = 1 reference pixel))."""
    sigma = 1.0 * _scale(image)
    srgb = to_float(image)
    return to_image(srgb + op.amount * (srgb - _gaussian(srgb, sigma))), {"sigma_px": sigma}


def _blur(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Gaussian blur with σ = ``amount`` reference pixels (soften is a small blur)."""
    sigma = op.amount * _scale(image)
    return to_image(_gaussian(to_float(image), sigma)), {"sigma_px": sigma}


def _grain(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Add film grain: Gaussian, of standard deviation ``amount`` 8-bit levels, the same in the three
    channels (a grey speckle; :func:`red_aes.editing.physics.grain`). Seeded."""
    edited = grain(to_float(image), op.amount, np.random.default_rng(seed), mono=True)
    return to_image(edited), {"seed": seed, "mono": True}


def _denoise(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Lee's adaptive local-statistics filter (Lee 1980, Digital image enhancement and noise filtering
    by use of local statistics, IEEE TPAMI 2): in a 5x5 (reference-pixel-scaled) window each pixel moves
    towards the local mean by noise variance / local variance, so flat areas are smoothed and edges are
    kept. The noise level is estimated on the image itself (Immerkær); ``amount`` in (0, 1] blends."""
    srgb = to_float(image)
    sigma = estimate_noise_sigma(luma(srgb) * 255.0) / 255.0
    size = max(3, round(5 * _scale(image)) | 1)
    mean = ndimage.uniform_filter(srgb, size=(size, size, 1), mode="reflect")
    var = np.maximum(ndimage.uniform_filter(srgb * srgb, size=(size, size, 1), mode="reflect") - mean**2, 0.0)
    keep = np.maximum(var - sigma**2, 0.0) / np.maximum(var, 1e-12)
    filtered = mean + keep * (srgb - mean)
    return to_image(srgb + op.amount * (filtered - srgb)), {"noise_sigma": sigma * 255.0, "window_px": size}


def _vignette(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Darken (+) or lighten (-) towards the corners: linear light times 1 - amount * r², r = 1 at the
    corners (a natural cos⁴-like falloff)."""
    h, w = image.height, image.width
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = (((xx + 0.5) / w - 0.5) ** 2 + ((yy + 0.5) / h - 0.5) ** 2) / 0.5
    gain = np.clip(1.0 - op.amount * r2, 0.0, None)[..., None]
    return to_image(linear_to_srgb(srgb_to_linear(to_float(image)) * gain)), {}


def _inscribed_scale(w: int, h: int, degrees: float) -> float:
    """Scale of the largest centred w:h rectangle inside a w x h frame rotated by ``degrees``."""
    t = np.radians(abs(degrees))
    return float(min(w / (w * np.cos(t) + h * np.sin(t)), h / (w * np.sin(t) + h * np.cos(t))))


def _rotate_by(image: Image.Image, degrees: float) -> Image.Image:
    """Rotate counter-clockwise, crop the largest centred rectangle of the original aspect ratio
    (no empty corners) and resize it back to the original size."""
    w, h = image.size
    rotated = image.rotate(degrees, resample=Image.Resampling.BICUBIC)
    s = _inscribed_scale(w, h, degrees)
    box = ((w - s * w) / 2, (h - s * h) / 2, (w + s * w) / 2, (h + s * h) / 2)
    return rotated.resize((w, h), Image.Resampling.LANCZOS, box=box)


def _rotate(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Rotate by ``amount`` degrees counter-clockwise (negative: clockwise), keeping size, no borders."""
    return _rotate_by(image, op.amount), {"zoom": 1.0 / _inscribed_scale(*image.size, op.amount)}


#: Tilt, in degrees, under which a photo counts as level: straightening it would be an invisible no-op,
#: so it is refused instead. The tilt estimate moves in 0.25° steps: 0° and ±0.25° are level.
LEVEL_TOLERANCE = 0.5


def _straighten(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Level the dominant straight lines: rotate by -amount x the tilt measured by
    :func:`red_aes.measure.estimate_tilt`. Refuses, saying why and changing nothing, a photo without
    clear straight lines (the tilt then means nothing) and one already level (within
    :data:`LEVEL_TOLERANCE`)."""
    tilt, confidence = estimate_tilt(luma(to_float(analysis_image(image))) * 255.0)
    if confidence < TILT_MIN_CONFIDENCE:
        raise UnsupportedEditError(
            "cannot straighten: no dominant straight lines (a horizon, building edges) were found in this "
            f"photo (line confidence {confidence:.2f}, at least {TILT_MIN_CONFIDENCE:g} needed), so it was "
            "left as it is; to turn it anyway, say e.g. 'rotate 2 degrees clockwise'"
        )
    if abs(tilt) < LEVEL_TOLERANCE:
        raise UnsupportedEditError(
            f"nothing to straighten: the photo is already level (its straight lines are tilted by "
            f"{tilt:+.2f}°, under {LEVEL_TOLERANCE:g}°), so it was left as it is"
        )
    angle = -tilt * op.amount
    return _rotate_by(image, angle), {"detected_tilt": tilt, "confidence": confidence, "angle": angle}


def _crop_to(image: Image.Image, box: tuple[int, int, int, int]) -> Edited:
    return image.crop(box), {"crop_box": list(box)}


def _window(start: float, length: int, total: int) -> int:
    """``start`` rounded and clamped so that [start, start + length) lies inside [0, total)."""
    return int(min(max(round(start), 0), total - length))


def _salient_px(image: Image.Image) -> tuple[float, float]:
    cx, cy = salient_centre(luma(to_float(analysis_image(image))))
    return cx * image.width, cy * image.height


def _crop(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Centred tighter crop removing the fraction ``amount`` of each side length (aspect kept)."""
    w, h = image.size
    cw, ch = max(1, round(w * (1.0 - op.amount))), max(1, round(h * (1.0 - op.amount)))
    left, top = (w - cw) // 2, (h - ch) // 2
    return _crop_to(image, (left, top, left + cw, top + ch))


def _crop_square(image: Image.Image, op: Operation, seed: int) -> Edited:
    """The largest square, placed so the salient centre is as central as the frame allows."""
    w, h = image.size
    side = min(w, h)
    sx, sy = _salient_px(image)
    left, top = _window(sx - side / 2, side, w), _window(sy - side / 2, side, h)
    return _crop_to(image, (left, top, left + side, top + side))


def _crop_thirds(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Rule-of-thirds reframing: a crop removing the fraction ``amount`` of each side (aspect kept),
    placed so the salient centre lands as close as possible to one of its four thirds points."""
    w, h = image.size
    cw, ch = max(1, round(w * (1.0 - op.amount))), max(1, round(h * (1.0 - op.amount)))
    sx, sy = _salient_px(image)
    candidates = []
    for tx in (1 / 3, 2 / 3):
        for ty in (1 / 3, 2 / 3):
            left, top = _window(sx - tx * cw, cw, w), _window(sy - ty * ch, ch, h)
            candidates.append((float(np.hypot((sx - left) / cw - tx, (sy - top) / ch - ty)), left, top))
    _, left, top = min(candidates)
    return _crop_to(image, (left, top, left + cw, top + ch))


def _crop_box(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Crop to an explicit (left, top, right, bottom) pixel box inside the image."""
    if op.box is None:
        raise InputError("crop_box needs a box (left, top, right, bottom) in pixels")
    left, top, right, bottom = op.box
    w, h = image.size
    if not (0 <= left < right <= w and 0 <= top < bottom <= h):
        raise InputError(f"crop box {op.box} is not inside the {w}x{h} image (need 0 <= left < right <= {w})")
    return _crop_to(image, (left, top, right, bottom))


def jpeg_quality(amount: float) -> int:
    """JPEG quality for a compression amount in [0, :data:`JPEG_MAX_AMOUNT`] (0 -> 95, 1 -> 10)."""
    return round(JPEG_BEST - JPEG_SPAN * amount)


def jpeg_amount(quality: float) -> float:
    """Compression amount for a JPEG quality (inverse of :func:`jpeg_quality`)."""
    return (JPEG_BEST - quality) / JPEG_SPAN


def _jpeg(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Re-encode as baseline JPEG (4:2:0 chroma subsampling) at quality 95 - 85 * amount, and decode
    (:func:`red_aes.editing.physics.jpeg`)."""
    quality = jpeg_quality(op.amount)
    return to_image(jpeg(to_float(image), quality)), {"quality": quality}


# -- realistic degradations: what cameras, lenses, the atmosphere and the web do to photos --------------


def _defocus(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Out-of-focus blur: convolution in linear light with a pillbox (disk) PSF of radius ``amount``
    reference pixels, the geometric-optics blur circle of a defocused lens (bright points become discs)."""
    radius = op.amount * _scale(image)
    linear = convolve_linear(to_float(image), disk_kernel(radius))
    return to_image(linear_to_srgb(linear)), {"radius_px": radius}


def _motion_blur(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Camera shake: convolution in linear light with a straight-line PSF of ``amount`` reference pixels
    at an angle drawn uniformly in [0°, 180°) from ``seed`` (reported as ``angle_degrees``)."""
    length = op.amount * _scale(image)
    angle = float(np.random.default_rng(seed).uniform(0.0, 180.0))
    linear = convolve_linear(to_float(image), line_kernel(length, angle))
    return to_image(linear_to_srgb(linear)), {"length_px": length, "angle_degrees": angle, "seed": seed}


#: White-balance gains of red, green and blue the sensor noise is made under (daylight; the middle of
#: the capture chains' ranges): red and blue noise is amplified by them, so high-ISO noise is coloured.
SENSOR_GAINS = (2.0, 1.0, 1.6)


def _sensor_noise(image: Image.Image, op: Operation, seed: int) -> Edited:
    """High-ISO sensor noise, made as the capture chains make it
    (:func:`red_aes.editing.physics.camera_noise`): the photo as a capture under-exposed by the stops
    that leave ``amount`` 8-bit levels of noise at middle grey in green (:func:`noise_stops`), shot and
    read noise (Poisson-Gaussian, Foi et al. 2008) per Bayer site under the daylight white-balance gains
    :data:`SENSOR_GAINS`, demosaicked, and brought back to its brightness by gain. Red and blue get more
    noise than green (their gains), shadows more than highlights relative to the signal, and the noise is
    spatially correlated as a camera's is. Seeded."""
    stops = noise_stops(op.amount)
    edited = camera_noise(
        to_float(image), stops, np.random.default_rng(seed), restore=1.0, gains=SENSOR_GAINS
    )
    return to_image(edited), {"stops_under": stops, "gains": list(SENSOR_GAINS), "seed": seed}


#: Encode-decode cycles of ``jpeg_repeat`` (an image re-saved along a chain of apps and uploads).
JPEG_GENERATIONS = 3


def _jpeg_repeat(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Generation loss: :data:`JPEG_GENERATIONS` successive baseline-JPEG encode/decode cycles (4:2:0) at
    quality 95 - 85 * amount, each generation encoding the previous one's decoded pixels."""
    for _ in range(JPEG_GENERATIONS):
        image, params = _jpeg(image, op, seed)
    return image, {**params, "generations": JPEG_GENERATIONS}


def _downscale(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Lost resolution: area-average down-scaling by the factor ``amount`` (sensor binning; the side is
    at least 1 px) followed by bicubic up-scaling back to the original size."""
    w, h = image.size
    small = (max(1, round(w / op.amount)), max(1, round(h / op.amount)))
    reduced = image.resize(small, Image.Resampling.BOX)
    return reduced.resize((w, h), Image.Resampling.BICUBIC), {"reduced_size": list(small)}


#: Gaussian radius of ``oversharpen``, in reference pixels: wide enough to draw visible halos.
OVERSHARPEN_SIGMA = 3.0


def _oversharpen(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Heavy-handed sharpening (:func:`red_aes.editing.physics.oversharpen`): an unsharp mask of luma with
    a wide Gaussian (σ = 3 reference px), Y' = Y + amount * (Y - G(Y)), the luma change added to all three
    channels (so hues are kept). Edges get bright and dark halos several pixels wide, and highlights and
    shadows clip near them."""
    sigma = OVERSHARPEN_SIGMA * _scale(image)
    return to_image(oversharpen(to_float(image), op.amount, sigma)), {"sigma_px": sigma}


#: Airlight of ``haze``: a light neutral grey, sRGB 0.9 (230 levels), the top of the capture chains' range.
HAZE_AIRLIGHT = 0.9
#: Veil of ``haze`` at amount 1; amount a gives a veil of 0.9·√a.
HAZE_MAX_VEIL = 0.9


def _haze(image: Image.Image, op: Operation, seed: int) -> Edited:
    """A hazy lens, as the capture chains make it (:func:`red_aes.editing.physics.haze`): the photo over a
    little glare (σ = 8 reference px) veiled towards the light-grey airlight :data:`HAZE_AIRLIGHT` by the
    share 0.9·√amount. The square root keeps what an amount meant when the editor veiled in linear light
    (Koschmieder's I·t + A·(1 − t), t = 1 − 0.8·amount): about the same share of a photo's RMS contrast
    is lost at each amount."""
    veil = HAZE_MAX_VEIL * float(np.sqrt(op.amount))
    glare = GLARE_SIGMA * _scale(image)
    edited = haze(to_float(image), veil, HAZE_AIRLIGHT, glare)
    return to_image(edited), {"veil": veil, "airlight": HAZE_AIRLIGHT, "glare_sigma_px": glare}


def _chromatic_aberration(image: Image.Image, op: Operation, seed: int) -> Edited:
    """Lateral chromatic aberration: red magnified and blue shrunk radially about the centre by
    1 ± k, with k chosen so both shift by ``amount`` reference pixels at the corners (k = shift / half
    diagonal); green stays. Channels are resampled with cubic splines (edges replicated), which gives
    colour fringes growing towards the corners."""
    w, h = image.size
    shift = op.amount * _scale(image)
    k = shift / max(float(np.hypot(w - 1, h - 1) / 2), 0.5)  # a 1x1 image has no radius to shift along
    srgb = to_float(image)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = srgb.copy()
    for channel, magnification in ((0, 1.0 + k), (2, 1.0 - k)):
        coords = [cy + (yy - cy) / magnification, cx + (xx - cx) / magnification]
        out[..., channel] = ndimage.map_coordinates(srgb[..., channel], coords, order=3, mode="nearest")
    return to_image(out), {"corner_shift_px": shift, "radial_scale": k}


#: Every classical operation. Amount ranges are inclusive; see each function for the formula.
OPERATIONS: dict[str, OpSpec] = {
    "exposure": OpSpec(_exposure, Attribute.EXPOSURE, "EV", -5.0, 5.0, 0.7, "exposure change in stops"),
    "brightness": OpSpec(
        _brightness, Attribute.EXPOSURE, "gamma stops", -1.0, 1.0, 0.25, "mid-tone brightness"
    ),
    "contrast": OpSpec(_contrast, Attribute.CONTRAST, "fraction", -1.0, 2.0, 0.25, "tonal contrast"),
    "saturation": OpSpec(_saturation, Attribute.COLOR, "fraction", -1.0, 2.0, 0.3, "colour saturation"),
    "vibrance": OpSpec(_vibrance, Attribute.COLOR, "fraction", -1.0, 2.0, 0.3, "saturation of muted colours"),
    "temperature": OpSpec(
        _temperature, Attribute.WHITE_BALANCE, "1/4 stop R/B", -4.0, 4.0, 0.6, "warm (+) / cool (-)"
    ),
    "tint": OpSpec(_tint, Attribute.WHITE_BALANCE, "1/4 stop G", -4.0, 4.0, 0.6, "magenta (+) / green (-)"),
    "auto_white_balance": OpSpec(
        _auto_white_balance, Attribute.WHITE_BALANCE, "fraction", 0.0, 1.0, 1.0, "neutralise the colour cast"
    ),
    "sharpen": OpSpec(_sharpen, Attribute.SHARPNESS, "unsharp-mask amount", 0.0, 5.0, 0.6, "unsharp mask"),
    "blur": OpSpec(_blur, Attribute.SHARPNESS, "σ, reference px", 0.0, 50.0, 1.5, "Gaussian blur"),
    "grain": OpSpec(_grain, Attribute.NOISE, "σ, 8-bit levels", 0.0, 100.0, 8.0, "add film grain"),
    "denoise": OpSpec(
        _denoise, Attribute.NOISE, "fraction", 0.0, 1.0, 0.7, "edge-preserving noise reduction"
    ),
    "vignette": OpSpec(
        _vignette, Attribute.EXPOSURE, "corner darkening", -1.0, 1.0, 0.3, "darken the corners"
    ),
    "crop": OpSpec(_crop, Attribute.COMPOSITION, "fraction of side", 0.0, 0.9, 0.15, "tighter centred crop"),
    "crop_square": OpSpec(_crop_square, Attribute.COMPOSITION, "-", 1.0, 1.0, 1.0, "square crop"),
    "crop_thirds": OpSpec(
        _crop_thirds, Attribute.COMPOSITION, "fraction of side", 0.05, 0.6, 0.2, "rule-of-thirds reframing"
    ),
    "crop_box": OpSpec(_crop_box, Attribute.COMPOSITION, "-", 1.0, 1.0, 1.0, "crop to a pixel box"),
    "rotate": OpSpec(_rotate, Attribute.COMPOSITION, "degrees CCW", -45.0, 45.0, 2.0, "rotate"),
    "straighten": OpSpec(_straighten, Attribute.COMPOSITION, "fraction", 0.0, 1.0, 1.0, "level the horizon"),
    "jpeg": OpSpec(
        _jpeg,
        Attribute.NOISE,
        "compression (quality 95 - 85 x)",
        0.0,
        JPEG_MAX_AMOUNT,
        0.5,
        "JPEG re-compression",
        neutral=None,
    ),
    "defocus": OpSpec(
        _defocus, Attribute.SHARPNESS, "disk radius, reference px", 0.0, 30.0, 3.0, "out-of-focus lens blur"
    ),
    "motion_blur": OpSpec(
        _motion_blur, Attribute.SHARPNESS, "length, reference px", 0.0, 60.0, 10.0, "camera-shake blur"
    ),
    "sensor_noise": OpSpec(
        _sensor_noise, Attribute.NOISE, "σ at middle grey, 8-bit levels", 0.0, 60.0, 8.0, "high-ISO noise"
    ),
    "jpeg_repeat": OpSpec(
        _jpeg_repeat,
        Attribute.NOISE,
        "compression (quality 95 - 85 x)",
        0.0,
        JPEG_MAX_AMOUNT,
        0.5,
        "three generations of JPEG re-compression",
        neutral=None,
    ),
    "downscale": OpSpec(
        _downscale, Attribute.SHARPNESS, "factor", 1.0, 16.0, 4.0, "lower resolution", neutral=1.0
    ),
    "oversharpen": OpSpec(
        _oversharpen, Attribute.SHARPNESS, "unsharp-mask amount", 0.0, 10.0, 3.0, "sharpening halos"
    ),
    "haze": OpSpec(
        _haze, Attribute.CONTRAST, "haze 0-1 (veil 0.9·√amount)", 0.0, 1.0, 0.4, "atmospheric haze"
    ),
    "chromatic_aberration": OpSpec(
        _chromatic_aberration,
        Attribute.COLOR,
        "corner shift, reference px",
        0.0,
        10.0,
        2.0,
        "lateral colour fringing",
    ),
}


def check_operation(op: Operation) -> OpSpec:
    """The spec of ``op``, after checking the name and the amount's range (ValueError otherwise)."""
    spec = OPERATIONS.get(op.op)
    if spec is None:
        raise UnsupportedEditError(f"unknown operation {op.op!r}; known: {', '.join(OPERATIONS)}")
    if not np.isfinite(op.amount) or not spec.low <= op.amount <= spec.high:
        raise InputError(f"{op.op} amount {op.amount} is outside [{spec.low}, {spec.high}] ({spec.unit})")
    if spec.neutral is not None and op.amount == spec.neutral:
        raise InputError(f"{op.op} amount {spec.neutral:g} would leave the image unchanged")
    if op.box is not None and op.op != "crop_box":
        raise InputError(f"only crop_box takes a box, not {op.op}")
    return spec


def apply_operation(image: Image.Image, op: Operation, *, seed: int = 0) -> Edited:
    """Apply one checked operation to an RGB image; returns the image and ``op.to_dict()`` plus the
    exact derived parameters (real pixel radii, JPEG quality, detected tilt, ...)."""
    spec = check_operation(op)
    edited, extra = spec.function(image, op, seed)
    return edited, {**op.to_dict(), **extra}


# -- the work an edit asks for, bounded before any of it runs -------------------------------------------

#: Estimated work per megapixel of each operation, in seconds of one CPU core (measured at 2048 x 1366
#: on the development machine, rounded up). Estimates, not timings: they bound the work a prompt may ask
#: for before any of it runs (:func:`check_work`).
WORK_PER_MEGAPIXEL: dict[str, float] = {
    "exposure": 0.2,
    "brightness": 0.05,
    "contrast": 0.05,
    "saturation": 0.1,
    "vibrance": 0.25,
    "temperature": 0.15,
    "tint": 0.15,
    "auto_white_balance": 0.15,
    "sharpen": 0.25,
    "blur": 0.05,
    "grain": 0.15,
    "denoise": 0.5,
    "vignette": 0.2,
    "crop": 0.01,
    "crop_square": 0.01,
    "crop_thirds": 0.01,
    "crop_box": 0.01,
    "rotate": 0.15,
    "straighten": 0.3,
    "jpeg": 0.02,
    "defocus": 0.65,
    "motion_blur": 0.45,
    "sensor_noise": 0.4,
    "jpeg_repeat": 0.07,
    "downscale": 0.02,
    "oversharpen": 0.15,
    "haze": 0.2,
    "chromatic_aberration": 0.4,
}
#: A Gaussian blur's extra work per megapixel and per pixel of σ: scipy's separable filter spans 8σ.
BLUR_WORK_PER_SIGMA_PX = 0.031
#: Most estimated work (seconds of one core) one edit prompt may ask for; an edit past it is refused
#: before any pixel is touched. At the 2048 px working size this allows a dozen ordinary edits.
MAX_EDIT_WORK = 6.0


def operation_work(op: Operation, size: tuple[int, int]) -> float:
    """Estimated seconds of one CPU core that ``op`` takes on a ``size`` = (width, height) image."""
    megapixels = size[0] * size[1] / 1e6
    work = WORK_PER_MEGAPIXEL[op.op]
    if op.op == "blur":
        work += BLUR_WORK_PER_SIGMA_PX * abs(op.amount) * max(size) / REFERENCE_LONG_SIDE
    return work * megapixels


def _largest_blur(size: tuple[int, int], max_work: float) -> float:
    """The largest blur amount (reference px) whose estimated work on ``size`` stays within ``max_work``."""
    per_sigma = BLUR_WORK_PER_SIGMA_PX * max(size) / REFERENCE_LONG_SIDE
    return max(0.0, (max_work / (size[0] * size[1] / 1e6) - WORK_PER_MEGAPIXEL["blur"]) / per_sigma)


def check_work(operations: list[Operation], size: tuple[int, int], max_work: float | None) -> float:
    """The estimated work of ``operations`` on a ``size`` image; an InputError before any runs when it is
    over ``max_work`` (None: unbounded), naming the heaviest operation and, for a blur, the largest amount
    this image size allows."""
    works = [operation_work(op, size) for op in operations]
    total = sum(works)
    if max_work is None or total <= max_work:
        return total
    index = max(range(len(works)), key=works.__getitem__)
    heaviest, where = operations[index], f"a {size[0]}x{size[1]} image"
    if heaviest.op == "blur" and works[index] > max_work:
        limit = _largest_blur(size, max_work)
        raise InputError(
            f"blur {heaviest.amount:g} px is too much work for {where} (about {works[index]:.0f} s of "
            f"computing; at most {max_work:g} s per edit): at this size a blur goes up to {limit:.1f} px"
        )
    raise InputError(
        f"this edit asks for too much work: about {total:.0f} s of computing on {where} for "
        f"{len(operations)} operations (at most {max_work:g} s per edit; the heaviest is {heaviest.op}); "
        "use fewer or lighter edits"
    )
