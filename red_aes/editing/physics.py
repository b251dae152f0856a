"""The physics of each defect, written once: what the classical editor's operations and the capture
chains both call.

Each function is the capture chains' model of a defect (:mod:`red_aes.editing.degradations`, the chains
RED-Lite is trained on, whose images must not change), taking the physical quantities as arguments; the
editor's operations (:mod:`red_aes.editing.operations`) and the capture steps differ only in how they map
an amount or a strength onto them. Arrays are float32 sRGB ``HxWx3`` in [0, 1]; sizes are in pixels (the
callers scale reference pixels to the image).

* optics: PSF kernels (:func:`gaussian_kernel`, :func:`disk_kernel`, :func:`line_kernel`,
  :func:`trajectory` and :func:`motion_kernel`) and :func:`convolve_linear`, convolution in linear light;
* :func:`camera_noise`: a sensor under-exposed by some stops, shot and read noise per Bayer site under
  white-balance gains, demosaicked, brightness restored by gain (:func:`noise_stops` gives the stops that
  put a given noise level at middle grey);
* :func:`grain`: additive Gaussian grain, monochrome or per channel;
* :func:`oversharpen`: an unsharp mask of luma added to all channels, halos clipped;
* :func:`haze`: a veil towards the airlight over a little lens glare (:func:`glare`);
* :func:`jpeg`: one baseline JPEG round trip (4:2:0).
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image
from scipy import ndimage

from red_aes.measure import MIDDLE_GREY, linear_to_srgb, luma, srgb_to_linear, to_float, to_image

#: Sensor noise at middle grey at base exposure, in 8-bit levels (a clean phone photo in daylight).
BASE_NOISE_LEVELS = 2.5
#: Share of the noise variance at middle grey that is signal-dependent shot noise (the rest: read noise).
SENSOR_SHOT_SHARE = 0.8
#: Share of a site's noise variance that bilinear demosaicking leaves in the green channel, averaged over
#: the sites: a green site keeps its own (weight 1), the other half of the sites average four green
#: neighbours (4 x (1/4)² = 1/4), so (1 + 1/4) / 2.
GREEN_DEMOSAIC_VARIANCE = 0.625
#: Sigma of the lens glare under a haze veil, in reference pixels.
GLARE_SIGMA = 8.0
#: Widest glare, in pixels, blurred exactly (:func:`glare`): images up to 1024 px on the long side at
#: :data:`GLARE_SIGMA`, so every capture chain of RED-Lite's training crops (at most 768 px).
EXACT_GLARE_SIGMA = 16.0
#: Sigma, in reduced pixels, at which a wider glare is blurred on an area-reduced copy.
REDUCED_GLARE_SIGMA = 8.0


def srgb_slope(linear: float) -> float:
    """d sRGB / d linear at a linear level above the sRGB toe."""
    return 1.055 / 2.4 * linear ** (1 / 2.4 - 1)


# -- optics -----------------------------------------------------------------------------------------


def convolve_linear(srgb: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """An sRGB array convolved with a normalised 2-D ``kernel`` in linear light (where optical blur
    happens), with reflected borders so the size is kept; returns linear RGB. FFT-based, so wide kernels
    are cheap."""
    from scipy.signal import fftconvolve  # scipy.signal costs half a second to import: only when blurring

    kh, kw = kernel.shape
    linear = srgb_to_linear(srgb)
    padded = np.pad(
        linear, ((kh // 2, kh - 1 - kh // 2), (kw // 2, kw - 1 - kw // 2), (0, 0)), mode="reflect"
    )
    return fftconvolve(padded, kernel[..., None], mode="valid", axes=(0, 1))


def gaussian_kernel(sigma_x: float, sigma_y: float, degrees: float) -> np.ndarray:
    """An anisotropic Gaussian PSF (σ along the rotated axes, in pixels), normalised to sum 1."""
    half = max(1, int(np.ceil(3 * max(sigma_x, sigma_y))))
    y, x = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    t = np.radians(degrees)
    u, v = x * np.cos(t) + y * np.sin(t), -x * np.sin(t) + y * np.cos(t)
    kernel = np.exp(-0.5 * ((u / max(sigma_x, 1e-3)) ** 2 + (v / max(sigma_y, 1e-3)) ** 2))
    return (kernel / kernel.sum()).astype(np.float32)


def disk_kernel(radius: float) -> np.ndarray:
    """A pillbox PSF of ``radius`` pixels: each cell weighted by the fraction of it inside the disk
    (4x4 supersampled, so the kernel grows smoothly with the radius), normalised to sum 1."""
    half = int(np.ceil(radius))
    offsets = (np.arange(4) + 0.5) / 4 - 0.5
    grid = np.arange(-half, half + 1, dtype=np.float32)
    ys = (grid[:, None] + offsets[None, :]).reshape(-1)
    inside = (ys[:, None] ** 2 + ys[None, :] ** 2 <= radius**2).astype(np.float32)
    kernel = inside.reshape(2 * half + 1, 4, 2 * half + 1, 4).mean(axis=(1, 3))
    if kernel.sum() == 0:  # a disk smaller than the centre samples covers only the centre pixel
        kernel[half, half] = 1.0
    return kernel / kernel.sum()


def splat(kernel: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """Add unit weight at each sample point (``x``, ``y``, in pixels of ``kernel``) to ``kernel`` in place,
    shared bilinearly among the four pixels around it: how a path is drawn into a PSF."""
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    for dy, dx, weight in (
        (0, 0, (1 - fx) * (1 - fy)),
        (0, 1, fx * (1 - fy)),
        (1, 0, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        np.add.at(kernel, (y0 + dy, x0 + dx), weight)


def line_kernel(length: float, degrees: float) -> np.ndarray:
    """A linear-motion PSF: a centred segment of ``length`` pixels at ``degrees`` counter-clockwise from
    horizontal, drawn by bilinear splatting of 4 samples per pixel of length, normalised to sum 1."""
    half = int(np.ceil(length / 2)) + 1
    kernel = np.zeros((2 * half + 1, 2 * half + 1), dtype=np.float32)
    t = np.linspace(-length / 2, length / 2, max(2, int(np.ceil(4 * length)) + 1))
    x = half + t * np.cos(np.radians(degrees))
    y = half - t * np.sin(np.radians(degrees))
    splat(kernel, x, y)
    return kernel / kernel.sum()


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
    splat(kernel, x, y)
    return (kernel / kernel.sum()).astype(np.float32)


# -- the sensor -------------------------------------------------------------------------------------

#: Bilinear demosaicking kernels: green sits on half the sites of a Bayer RGGB mosaic, red and blue on
#: a quarter each (Malvar, He & Cutler 2004 call this the baseline interpolation).
_DEMOSAIC_GREEN = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]], dtype=np.float32) / 4.0
_DEMOSAIC_RED_BLUE = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float32) / 4.0


def bayer_sites(height: int, width: int) -> np.ndarray:
    """A (height, width, 3) mask of the RGGB Bayer pattern: which colour each sensor site records."""
    sites = np.zeros((height, width, 3), dtype=np.float32)
    sites[0::2, 0::2, 0] = 1.0
    sites[0::2, 1::2, 1] = 1.0
    sites[1::2, 0::2, 1] = 1.0
    sites[1::2, 1::2, 2] = 1.0
    return sites


def demosaic(mosaic: np.ndarray) -> np.ndarray:
    """Bilinear demosaicking of a (h, w, 3) array holding each site's value in its own channel (zeros
    elsewhere): every channel is interpolated from its own sites."""
    kernels = (_DEMOSAIC_RED_BLUE, _DEMOSAIC_GREEN, _DEMOSAIC_RED_BLUE)
    return np.stack([ndimage.convolve(mosaic[..., c], kernels[c], mode="mirror") for c in range(3)], axis=-1)


def camera_noise(
    srgb: np.ndarray,
    stops_under: float,
    rng: np.random.Generator,
    *,
    restore: float = 1.0,
    gains: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> np.ndarray:
    """A capture ``stops_under`` stops under-exposed, then brightened by ``restore`` × those stops.

    The noise is made as a sensor makes it. In linear light the captured signal is ``x · 2^-stops``;
    each site of an RGGB Bayer mosaic records one channel, whose raw signal is the captured value over
    that channel's white-balance gain (``gains``: red and blue usually need 1.5–2.5×, so their noise is
    amplified more); shot noise (variance ∝ signal) and read noise (constant) are added per site, sized
    so a correctly exposed capture has :data:`BASE_NOISE_LEVELS` 8-bit levels at middle grey on green;
    the white-balance gains multiply it back, the mosaic of noise is demosaicked (so the noise is
    spatially correlated, coloured and differs by channel), and the gain ``2^(restore · stops)`` then
    multiplies signal and noise alike, highlights clipping at white. The noise relative to the restored
    signal therefore grows as the exposure falls. A camera's denoising and JPEG are separate steps."""
    sigma0 = BASE_NOISE_LEVELS / 255.0 / srgb_slope(MIDDLE_GREY)
    a, b = SENSOR_SHOT_SHARE * sigma0**2 / MIDDLE_GREY, (1.0 - SENSOR_SHOT_SHARE) * sigma0**2
    captured = srgb_to_linear(srgb) * 2.0**-stops_under
    gain = np.asarray(gains, dtype=np.float32)
    raw = np.clip(captured, 0.0, None) / gain
    sites = bayer_sites(*srgb.shape[:2])
    site_noise = rng.standard_normal(srgb.shape[:2]).astype(np.float32)[..., None] * sites
    noise = demosaic(site_noise * np.sqrt(a * raw + b) * gain)
    return linear_to_srgb((captured + noise) * 2.0 ** (restore * stops_under))


def noise_stops(levels: float) -> float:
    """The under-exposure, in stops, after which :func:`camera_noise` with full restore
    (``restore=1``) leaves ``levels`` 8-bit levels of noise (standard deviation) at middle grey in the
    green channel. Restored by ``2^k``, a site's noise there is ``BASE_NOISE_LEVELS · sqrt(S·2^k +
    (1 − S)·4^k)`` (S: :data:`SENSOR_SHOT_SHARE`) and demosaicking keeps
    :data:`GREEN_DEMOSAIC_VARIANCE` of its variance; solved for ``2^k`` (negative below the base level:
    an over-exposed capture brought down)."""
    if levels <= 0:
        raise ValueError(f"a noise level must be positive, got {levels}")
    ratio = (levels / BASE_NOISE_LEVELS) ** 2 / GREEN_DEMOSAIC_VARIANCE
    shot, read = SENSOR_SHOT_SHARE, 1.0 - SENSOR_SHOT_SHARE
    gain = (-shot + math.sqrt(shot**2 + 4.0 * read * ratio)) / (2.0 * read)
    return math.log2(gain)


def grain(srgb: np.ndarray, levels: float, rng: np.random.Generator, *, mono: bool) -> np.ndarray:
    """Additive Gaussian grain of standard deviation ``levels`` 8-bit levels, the same in the three
    channels (``mono``: a grey speckle) or drawn per channel (coloured speckle), clipped to [0, 1]."""
    sigma = levels / 255.0
    noise_shape = (*srgb.shape[:2], 1) if mono else srgb.shape
    return np.clip(srgb + rng.standard_normal(noise_shape).astype(np.float32) * sigma, 0.0, 1.0)


# -- processing and the atmosphere ----------------------------------------------------------------


def oversharpen(srgb: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    """Heavy-handed sharpening: an unsharp mask of luma, ``Y + amount · (Y − G_σ(Y))``, the luma change
    added to all three channels (so hues are kept), clipped to [0, 1]: edges get bright and dark halos
    about ``sigma`` pixels wide, and highlights and shadows clip near them."""
    y = luma(srgb)
    detail = y - ndimage.gaussian_filter(y, sigma=sigma)
    return np.clip(srgb + (amount * detail)[..., None], 0.0, 1.0)


def glare(srgb: np.ndarray, sigma: float) -> np.ndarray:
    """The image blurred by a Gaussian of ``sigma`` pixels (reflected borders): exactly up to
    :data:`EXACT_GLARE_SIGMA`; a wider one on a copy area-reduced so that its sigma is
    :data:`REDUCED_GLARE_SIGMA` there, resized back bilinearly. So its cost stays bounded on a 2048 px
    working copy (σ 32 px) or a full-resolution photo; the blur is so smooth at that width that the
    reduced copy is within about 1.4 levels of the exact blur (0.2 levels of a hazed image)."""
    if sigma <= EXACT_GLARE_SIGMA:
        return ndimage.gaussian_filter(srgb, sigma=(sigma, sigma, 0))
    height, width = srgb.shape[:2]
    factor = math.ceil(sigma / REDUCED_GLARE_SIGMA)
    small = (max(1, round(width / factor)), max(1, round(height / factor)))
    planes = []
    for c in range(srgb.shape[2]):
        plane = Image.fromarray(np.ascontiguousarray(srgb[..., c], dtype=np.float32), mode="F")
        reduced = np.asarray(plane.resize(small, Image.Resampling.BOX))
        blurred = ndimage.gaussian_filter(
            reduced, sigma=(sigma * small[1] / height, sigma * small[0] / width)
        )
        planes.append(
            np.asarray(Image.fromarray(blurred, mode="F").resize((width, height), Image.Resampling.BILINEAR))
        )
    return np.stack(planes, axis=-1)


def haze(srgb: np.ndarray, veil: float, airlight: float, glare_sigma: float) -> np.ndarray:
    """A hazy lens: the image over a little glare (15% of it blurred with σ = ``glare_sigma`` pixels,
    :func:`glare`), mixed with a neutral ``airlight`` (an sRGB level) by the share ``veil`` in [0, 1]:
    ``(1 − veil) · (0.85 · x + 0.15 · G(x)) + veil · airlight``."""
    return (1 - veil) * (0.85 * srgb + 0.15 * glare(srgb, glare_sigma)) + veil * airlight


def jpeg(srgb: np.ndarray, quality: int) -> np.ndarray:
    """One baseline JPEG encode/decode (4:2:0) at ``quality``."""
    buffer = io.BytesIO()
    to_image(srgb).save(buffer, format="JPEG", quality=int(quality), subsampling=2)
    buffer.seek(0)
    return to_float(Image.open(buffer).convert("RGB"))
