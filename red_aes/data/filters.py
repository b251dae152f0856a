"""The consistency filter: keep an edit only if it changed the photo's look but not its content.

Checks, in order, each with its own rejection reason (:data:`REJECTION_REASONS`):

``broken_nonfinite``  the edited image holds NaN or infinite values (float-mode images);
``broken_constant``   it is (nearly) one flat colour, which is what failed diffusion runs produce;
``wrong_size``        a side under :data:`MIN_SIDE` pixels, or an area beyond 16x larger or smaller;
``no_change``         same size and mean absolute pixel change below ``min_change`` (in [0, 1] units);
``content_changed``   the structure similarity of the overlapping region is below ``min_ssim``.

Structure similarity is the structure term of SSIM (Wang et al. 2004, Image quality assessment: from
error visibility to structural similarity, IEEE TIP 13(4)): the local correlation
``(σ_xy + C3) / (σ_x σ_y + C3)`` in Gaussian windows (σ = 1.5 px) of luma, averaged over the overlap.
It ignores local brightness and contrast, so exposure, colour and contrast edits keep a high value while
new or moved objects lower it. It is computed at an analysis resolution (long side
:data:`ANALYSIS_SIDE` of the original; both images are scaled by the same factor), where grain and mild
blur average out.

Crops and rotations: when the identity comparison fails or the sizes differ, the edit is registered to
the original by a similarity transform (rotation, scale, translation) estimated with Fourier-Mellin phase
correlation (Reddy & Chatterji 1996, An FFT-based technique for translation, rotation, and
scale-invariant image registration, IEEE TIP 5(8)), and similarity is measured on the region where the
warped edit overlaps the original. The higher of the two comparisons decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from red_aes.errors import InputError
from red_aes.measure import luma, to_float

REJECTION_REASONS: tuple[str, ...] = (
    "broken_nonfinite",
    "broken_constant",
    "wrong_size",
    "no_change",
    "content_changed",
)
#: Long side, in pixels, of the original at which similarity is measured.
ANALYSIS_SIDE = 128
#: Smallest accepted side of an edited image, in pixels.
MIN_SIDE = 16
#: Luma standard deviation (0-1) below which an image counts as one flat colour.
CONSTANT_STD = 1.0 / 255.0
#: Smallest share of the edited frame that must overlap the original after registration.
MIN_OVERLAP = 0.25
#: Rotation/scale hypotheses (peaks of the log-polar correlation) tried when registering an edit.
ROTATION_SCALE_CANDIDATES = 4
_C3 = (0.03**2) / 2.0
#: Floor of the structure weight, so a photo without any texture still gets a defined similarity.
_FLAT = 1e-3
_SIGMA = 1.5


@dataclass(frozen=True)
class FilterResult:
    """The verdict of the consistency filter on one edit, with the measured numbers."""

    ok: bool
    reason: str | None
    change: float | None = None
    ssim: float | None = None
    registered: bool = False


def structure_similarity(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """SSIM structure term of two equally shaped luma arrays in [0, 1], averaged inside ``mask`` (if given)
    with weights proportional to the larger local contrast of the two: structure lost and structure added
    both count, while areas flat in both images (where the term is 1 by construction) count little."""
    if a.shape != b.shape:
        raise InputError(f"structure_similarity needs equal shapes, got {a.shape} and {b.shape}")
    mu_a, mu_b = ndimage.gaussian_filter(a, _SIGMA), ndimage.gaussian_filter(b, _SIGMA)
    var_a = np.maximum(ndimage.gaussian_filter(a * a, _SIGMA) - mu_a**2, 0.0)
    var_b = np.maximum(ndimage.gaussian_filter(b * b, _SIGMA) - mu_b**2, 0.0)
    cov = ndimage.gaussian_filter(a * b, _SIGMA) - mu_a * mu_b
    s_map = (cov + _C3) / (np.sqrt(var_a * var_b) + _C3)
    weight = np.sqrt(np.maximum(var_a, var_b)) + _FLAT
    if mask is not None:
        weight = weight * ndimage.binary_erosion(mask, iterations=int(3 * _SIGMA) + 1)
    total = float(weight.sum())
    return float((s_map * weight).sum() / total) if total > 0 else float("-inf")


def _gray(image: Image.Image, scale: float) -> np.ndarray:
    """Luma in [0, 1] of ``image`` resized by ``scale`` (area averaging when shrinking)."""
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if size != image.size:
        image = image.resize(size, Image.Resampling.BOX if scale < 1 else Image.Resampling.BICUBIC)
    return luma(to_float(image)).astype(np.float64)


def _correlation_surface(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Phase-correlation surface of two equally shaped arrays; it peaks at d where ``b(x) ≈ a(x - d)``."""
    cross = np.fft.fft2(b) * np.conj(np.fft.fft2(a))
    return np.fft.ifft2(cross / (np.abs(cross) + 1e-12)).real


def _peak_shift(surface: np.ndarray, peak: tuple[int, ...]) -> tuple[float, float]:
    """The signed shift of a peak of ``surface``, refined to sub-pixel by a parabola through its neighbours
    (wrapped to the range a shift can have)."""
    shift = []
    for axis, (index, size) in enumerate(zip(peak, surface.shape, strict=True)):
        before, after = list(peak), list(peak)
        before[axis], after[axis] = (index - 1) % size, (index + 1) % size
        lo, mid, hi = surface[tuple(before)], surface[peak], surface[tuple(after)]
        denom = lo - 2 * mid + hi
        value = index + (0.5 * (lo - hi) / denom if abs(denom) > 1e-12 else 0.0)
        shift.append(value - size if value > size / 2 else value)
    return shift[0], shift[1]


def _top_peaks(surface: np.ndarray, count: int) -> list[tuple[int, ...]]:
    """The ``count`` highest local maxima of a (wrapping) surface."""
    local_max = surface == ndimage.maximum_filter(surface, size=5, mode="wrap")
    indices = np.flatnonzero(local_max)
    best = indices[np.argsort(surface.ravel()[indices])[::-1][:count]]
    return [tuple(int(i) for i in np.unravel_index(index, surface.shape)) for index in best]


def _phase_correlation(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Shift (dy, dx) such that ``b(x) ≈ a(x - d)``."""
    surface = _correlation_surface(a, b)
    return _peak_shift(surface, np.unravel_index(int(np.argmax(surface)), surface.shape))


def _canvas(gray: np.ndarray, size: int) -> np.ndarray:
    """``gray`` minus its mean, Hann-windowed, centred on a zero ``size`` x ``size`` canvas."""
    h, w = gray.shape
    windowed = (gray - gray.mean()) * np.outer(np.hanning(h), np.hanning(w))
    canvas = np.zeros((size, size))
    top, left = (size - h) // 2, (size - w) // 2
    canvas[top : top + h, left : left + w] = windowed
    return canvas


def _log_polar_spectrum(canvas: np.ndarray, n_angles: int, n_radii: int) -> tuple[np.ndarray, float]:
    """High-passed magnitude spectrum of ``canvas`` in log-polar coordinates over angles [0, π)."""
    size = canvas.shape[0]
    spectrum = np.abs(np.fft.fftshift(np.fft.fft2(canvas)))
    fy = np.fft.fftshift(np.fft.fftfreq(size))
    cos = np.cos(np.pi * fy)[:, None] * np.cos(np.pi * fy)[None, :]
    spectrum *= (1.0 - cos) * (2.0 - cos)  # Reddy & Chatterji's high-pass emphasis
    centre, max_radius = size / 2.0, size / 2.0
    log_base = np.log(max_radius) / n_radii
    radii = np.exp(np.arange(n_radii) * log_base)
    angles = np.arange(n_angles) * np.pi / n_angles
    rows = centre + radii[None, :] * np.sin(angles)[:, None]
    cols = centre + radii[None, :] * np.cos(angles)[:, None]
    return ndimage.map_coordinates(spectrum, [rows, cols], order=1, mode="constant"), log_base


def _warp(edited: np.ndarray, shape: tuple[int, int], angle: float, scale: float, shift: tuple[float, float]):
    """Resample ``edited`` into the original's frame: original point q comes from edited point
    ``R(angle) (q - c_o - shift) / scale + c_e`` (``scale`` < 1 when the edit magnifies the content);
    returns the warped image and its validity mask."""
    c_o = (np.array(shape) - 1) / 2.0
    c_e = (np.array(edited.shape) - 1) / 2.0
    t = np.radians(angle)
    # Rotation in (row, col) coordinates for a counter-clockwise angle in image (y-down) space.
    rotation = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]]) / scale
    offset = c_e - rotation @ (c_o + np.asarray(shift))
    warped = ndimage.affine_transform(
        edited, rotation, offset=offset, output_shape=shape, order=1, cval=np.nan
    )
    mask = np.isfinite(warped)
    return np.where(mask, warped, 0.0), mask


def _registrations(original: np.ndarray, edited: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Warps of ``edited`` onto ``original``, one per rotation/scale hypothesis of Fourier-Mellin.

    The strongest :data:`ROTATION_SCALE_CANDIDATES` peaks of the log-polar correlation are tried,
    because flat skies or a strong magnification can let a spurious peak win; each gets its translation
    by phase correlation. The caller keeps the warp with the best similarity.
    """
    size = int(2 ** np.ceil(np.log2(max(*original.shape, *edited.shape))))
    n_angles, n_radii = 360, size
    lp_o, log_base = _log_polar_spectrum(_canvas(original, size), n_angles, n_radii)
    lp_e, _ = _log_polar_spectrum(_canvas(edited, size), n_angles, n_radii)
    surface = _correlation_surface(lp_o, lp_e)
    warps = []
    for peak in _top_peaks(surface, ROTATION_SCALE_CANDIDATES):
        d_angle, d_radius = _peak_shift(surface, peak)
        angle = (d_angle * 180.0 / n_angles + 90.0) % 180.0 - 90.0
        # Content magnified z times in the edit shrinks its spectrum by z: the radius ratio is 1/z.
        scale = float(np.exp(d_radius * log_base))
        rotated, mask = _warp(edited, original.shape, angle, scale, (0.0, 0.0))
        if not mask.any():
            continue
        fill = np.where(mask, rotated, rotated[mask].mean())
        dy, dx = _phase_correlation(original, fill)  # fill(x) ~ original(x - d): shift back by -d
        warps.append(_warp(edited, original.shape, angle, scale, (-dy, -dx)))
    return warps


def check_edit(
    original: Image.Image, edited: Image.Image, *, min_change: float, min_ssim: float
) -> FilterResult:
    """Run the consistency checks of this module on an RGB ``original`` and its ``edited`` version."""
    if edited.mode in ("F", "I") and not np.isfinite(np.asarray(edited, dtype=np.float64)).all():
        return FilterResult(False, "broken_nonfinite")
    edited = edited.convert("RGB")
    (w, h), (ew, eh) = original.size, edited.size
    area_ratio = (ew * eh) / float(w * h)
    if min(ew, eh) < MIN_SIDE or not 1 / 16 <= area_ratio <= 16:
        return FilterResult(False, "wrong_size")
    scale = ANALYSIS_SIDE / max(w, h)
    gray_o, gray_e = _gray(original, scale), _gray(edited, scale)
    if gray_e.std() < CONSTANT_STD:
        return FilterResult(False, "broken_constant")
    change = None
    best = float("-inf")
    if (ew, eh) == (w, h):
        change = float(np.abs(to_float(original) - to_float(edited)).mean())
        if change < min_change:
            return FilterResult(False, "no_change", change=change)
        best = structure_similarity(gray_o, gray_e)
    registered = False
    if best < min_ssim:
        for warped, mask in _registrations(gray_o, gray_e):
            if mask.sum() < MIN_OVERLAP * min(gray_e.size, gray_o.size):
                continue
            candidate = structure_similarity(gray_o, warped, mask)
            if candidate > best:
                best, registered = candidate, True
    if best < min_ssim:
        return FilterResult(False, "content_changed", change=change, ssim=best, registered=registered)
    return FilterResult(True, None, change=change, ssim=best, registered=registered)
