"""The RED-Lite feature vector of one image, and its named groups.

``[backbone stage statistics | backbone head mean | measured statistics]``:

* for the output of every backbone stage (strides 2–32), the spatial mean and standard deviation of each
  channel; standard deviations carry texture, noise and blur, which plain average pooling loses;
* the spatial mean of the 1×1 head convolution (the ImageNet global descriptor);
* a few :mod:`red_aes.measure` statistics (exposure, clipping, contrast, colour, cast, sharpness, noise,
  JPEG blocking), so the head can use what is known to matter and the reasoning can name it.

Groups (:meth:`FeatureExtractor.groups`) are what a delta is attributed to: three backbone groups by scale
and one group per measured attribute.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from PIL import Image

from red_aes.lite.backbone import feature_maps, load_backbone, to_input
from red_aes.measure import ImageMeasurements, measure_image

#: Measured statistic -> (taxonomy attribute it explains, transform applied before the head).
MEASURED: dict[str, tuple[str, str]] = {
    "exposure_ev": ("exposure", "clip6"),
    "highlight_clip": ("exposure", "sqrt"),
    "shadow_clip": ("exposure", "sqrt"),
    "rms_contrast": ("contrast", "identity"),
    "dynamic_range": ("contrast", "identity"),
    "colorfulness": ("color", "log1p"),
    "saturation": ("color", "identity"),
    "cast": ("white_balance", "log1p"),
    "sharpness": ("sharpness", "clip6"),
    "noise_sigma": ("noise", "log1p"),
    "blockiness": ("noise", "clip6"),
}
_TRANSFORMS = {
    "identity": lambda v: v,
    "sqrt": lambda v: math.sqrt(max(v, 0.0)),
    "log1p": lambda v: math.log1p(max(v, 0.0)),
    "clip6": lambda v: min(max(v, -6.0), 6.0),
}
#: Backbone groups: human names for the stage outputs by scale (fine: strides 2–8; mid: 16; global: 32).
BACKBONE_GROUPS: tuple[str, ...] = ("fine texture", "mid-level structure", "global look")


@dataclass(frozen=True)
class FeatureConfig:
    """What the feature vector is made of (stored in the model's ``config.json``)."""

    backbone: str = "efficientnet-lite0"
    long_side: int = 512

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def measured_vector(m: ImageMeasurements) -> np.ndarray:
    """The measured statistics of :data:`MEASURED`, transformed, as float32."""
    return np.array([_TRANSFORMS[t](float(getattr(m, k))) for k, (_, t) in MEASURED.items()], np.float32)


class FeatureExtractor:
    """Turns an RGB image into the RED-Lite feature vector (deterministic; one image at a time, so a
    batch gives exactly the vectors of its images alone)."""

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()
        self.backbone = load_backbone(self.config.backbone)
        probe = feature_maps(self.backbone, torch.zeros(1, 3, 64, 64))
        self.stage_channels = [int(t.shape[1]) for t in probe[:-1]]
        self.head_channels = int(probe[-1].shape[1])
        self.dim = 2 * sum(self.stage_channels) + self.head_channels + len(MEASURED)

    def __call__(self, image: Image.Image) -> np.ndarray:
        return self.extract(image)[0]

    def extract(self, image: Image.Image) -> tuple[np.ndarray, ImageMeasurements]:
        """The feature vector of ``image`` and the measurements it includes."""
        maps = feature_maps(self.backbone, to_input(image, self.config.long_side))
        parts = []
        for t in maps[:-1]:
            flat = t[0].flatten(1).double()
            parts += [flat.mean(1), flat.std(1, correction=0)]
        parts.append(maps[-1][0].flatten(1).double().mean(1))
        measured = measure_image(image, max_pixels=None)
        deep = torch.cat(parts).numpy().astype(np.float32)
        return np.concatenate([deep, measured_vector(measured)]), measured

    def groups(self) -> dict[str, np.ndarray]:
        """Group name -> indices into the feature vector (every index in exactly one group)."""
        n_stages = len(self.stage_channels)
        # stage k's (mean, std) block; the last stage (stride 32) and the head form the "global look"
        bounds, start = [], 0
        for channels in self.stage_channels:
            bounds.append((start, start + 2 * channels))
            start += 2 * channels
        by_stage = {
            BACKBONE_GROUPS[0]: range(0, n_stages - 2),
            BACKBONE_GROUPS[1]: range(n_stages - 2, n_stages - 1),
            BACKBONE_GROUPS[2]: range(n_stages - 1, n_stages),
        }
        groups = {
            name: np.concatenate([np.arange(*bounds[k]) for k in stages]) for name, stages in by_stage.items()
        }
        groups[BACKBONE_GROUPS[2]] = np.concatenate(
            [groups[BACKBONE_GROUPS[2]], np.arange(start, start + self.head_channels)]
        )
        start += self.head_channels
        for offset, (_, (attribute, _)) in enumerate(MEASURED.items()):
            groups.setdefault(attribute, np.array([], dtype=np.int64))
            groups[attribute] = np.append(groups[attribute], start + offset)
        return groups
