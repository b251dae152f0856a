"""How visible the difference between an image and its edit is: full-reference measures, in JND units.

A judge that sees both images can say *how much* an edit changed a photo, which no single image's
statistics can. Two classical full-reference measures, computed on the pair at the analysis resolution
(:data:`red_aes.measure.ANALYSIS_LONG_SIDE`, the photo as viewed on a screen), cover what an edit can
change:

* **structure** — the gradient magnitude similarity deviation, GMSD (Xue, Zhang, Mou & Bovik 2014,
  Gradient magnitude similarity deviation: a highly efficient perceptual image quality index, IEEE TIP
  23): blur, noise, compression, sharpening and geometry change the local gradients;
* **tone and colour** — the mean CIELAB colour difference ΔE*ab (CIE 1976) of co-located pixels:
  exposure, contrast, saturation and white balance change the colours, often leaving the gradients' shape
  alone.

Each is divided by its just-noticeable difference (:data:`GMSD_JND`, :data:`DELTA_E_JND`) and the two are
pooled as a Euclidean norm, so :func:`visible_difference` is in JND units: below about 1 people do not
see the change, and each further unit is one more step of visibly different. :func:`visible_delta` maps
that onto the Δ scale with a saturating curve, ``DELTA_MAX · (1 − exp(−(v − 1)⁺ / VISIBLE_SCALE))``: 0
for an invisible change, growing with visibility, never past the scale's end. The measure says how
much, not which way: the sign comes from what the edit was meant to do.

Both measures assume the two images are aligned: a rotation or a crop moves every pixel, so geometric
edits read as very visible structural changes, whatever their aesthetic weight.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from red_aes.measure import analysis_image, linear_to_lab, luma, srgb_to_linear, to_float
from red_aes.types import DELTA_MAX

#: GMSD of a just-noticeable structural change: grain of σ 5 levels, just visible on flat areas, measures
#: about 0.017 on the bundled photos, a quality-50 JPEG save 0.012, a quality-90 save 0.002 and a blur of
#: σ 4 reference pixels 0.16-0.24.
GMSD_JND = 0.02
#: Mean ΔE*ab of a just-noticeable tone or colour change (Sharma 2003, Digital Color Imaging Handbook:
#: ΔE*ab ≈ 2.3 is the classical JND of uniform patches; over a whole photo about twice that).
DELTA_E_JND = 4.0
#: JND units over the first one in which a visible change reaches 63% of :data:`DELTA_MAX`.
VISIBLE_SCALE = 6.0
#: GMSD's stability constant for 8-bit gradient magnitudes (Xue et al. 2014: c = 170 on 0-255 images).
GMSD_C = 170.0
_PREWITT = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=np.float64) / 3.0


def _common_size(original: Image.Image, edited: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """Both images as float sRGB at the analysis resolution, the edit resized to the original's size (a
    crop or rotation changes the frame; its difference is then measured as it looks)."""
    a = analysis_image(original.convert("RGB"))
    b = edited.convert("RGB")
    if b.size != a.size:
        b = b.resize(a.size, Image.Resampling.BOX if b.width > a.width else Image.Resampling.BICUBIC)
    return to_float(a), to_float(b)


def gmsd(original: np.ndarray, edited: np.ndarray) -> float:
    """GMSD of two float sRGB arrays of one size: the standard deviation of the gradient magnitude
    similarity map, on luma downsampled by 2 as in the paper (0 for identical images)."""
    maps = []
    for srgb in (original, edited):
        y = ndimage.uniform_filter(luma(srgb) * 255.0, size=2)[::2, ::2]
        maps.append(np.hypot(ndimage.convolve(y, _PREWITT), ndimage.convolve(y, _PREWITT.T)))
    similarity = (2 * maps[0] * maps[1] + GMSD_C) / (maps[0] ** 2 + maps[1] ** 2 + GMSD_C)
    return float(similarity.std())


def delta_e(original: np.ndarray, edited: np.ndarray) -> float:
    """Mean CIE 1976 ΔE*ab of co-located pixels of two float sRGB arrays of one size."""
    lab_a, lab_b = (linear_to_lab(srgb_to_linear(x)) for x in (original, edited))
    return float(np.sqrt(((lab_a - lab_b) ** 2).sum(axis=-1)).mean())


def visible_difference(original: Image.Image, edited: Image.Image) -> float:
    """How visible the change from ``original`` to ``edited`` is, in JND units (0 for identical images)."""
    a, b = _common_size(original, edited)
    return float(np.hypot(gmsd(a, b) / GMSD_JND, delta_e(a, b) / DELTA_E_JND))


def visible_delta(visibility: float) -> float:
    """The size of Δ a change of ``visibility`` JND units earns: 0 up to 1 JND, then rising and saturating
    towards :data:`DELTA_MAX`."""
    return float(DELTA_MAX * (1.0 - np.exp(-max(visibility - 1.0, 0.0) / VISIBLE_SCALE)))
