"""The RED-Lite feature vector of one image, and its named groups.

``[backbone stage statistics | (backbone head mean) | measured statistics]``:

* for the output of the backbone's resolution stages, the spatial mean and standard deviation of each
  channel; standard deviations carry texture, noise and blur, which plain average pooling loses;
* with ``global_features``, also the last stage (stride 32) and the spatial mean of the 1×1 head
  convolution (the ImageNet global descriptor). Off by default: trained on a few dozen photos, these
  content-heavy features let the head memorise photos (held-out validation order accuracy 0.82 with
  them, 0.89 without; see docs/architecture.md), and skipping them saves the last blocks' compute;
* a few :mod:`red_aes.measure` statistics (exposure, clipping, contrast, colour, cast, sharpness, noise,
  JPEG blocking), so the head can use what is known to matter and the reasoning can name it.

Groups (:meth:`FeatureExtractor.groups`) are what a delta is attributed to, named in a person's words:
fine detail and noise, shapes and edges, exposure, contrast, colour, white balance.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from PIL import Image

from red_aes.lite.backbone import feature_maps, load_backbone, stage_ends, to_input
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
#: Backbone groups, named for what they see: strides 2–8, stride 16, stride 32 and the ImageNet head.
BACKBONE_GROUPS: tuple[str, ...] = ("fine detail and noise", "shapes and edges", "overall look")
#: Measured attribute -> the explanation group it joins (sharpness and noise join the fine backbone scales).
GROUP_OF_ATTRIBUTE: dict[str, str] = {
    "exposure": "exposure",
    "contrast": "contrast",
    "color": "colour",
    "white_balance": "white balance",
    "sharpness": BACKBONE_GROUPS[0],
    "noise": BACKBONE_GROUPS[0],
}


@dataclass(frozen=True)
class FeatureConfig:
    """What the feature vector is made of (stored in the model's ``config.json``)."""

    backbone: str = "efficientnet-lite0"
    long_side: int = 512
    global_features: bool = False

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
        self.stages = None if self.config.global_features else len(stage_ends(self.backbone)) - 1
        probe = feature_maps(self.backbone, torch.zeros(1, 3, 64, 64), stages=self.stages)
        if self.config.global_features:
            self.stage_channels = [int(t.shape[1]) for t in probe[:-1]]
            self.head_channels = int(probe[-1].shape[1])
        else:
            self.stage_channels, self.head_channels = [int(t.shape[1]) for t in probe], 0
        self.dim = 2 * sum(self.stage_channels) + self.head_channels + len(MEASURED)

    def __call__(self, image: Image.Image) -> np.ndarray:
        return self.extract(image)[0]

    def extract(self, image: Image.Image) -> tuple[np.ndarray, ImageMeasurements]:
        """The feature vector of ``image`` and the measurements it includes."""
        maps = feature_maps(self.backbone, to_input(image, self.config.long_side), stages=self.stages)
        stage_maps = maps[:-1] if self.head_channels else maps
        parts = []
        for t in stage_maps:
            flat = t[0].flatten(1).double()
            parts += [flat.mean(1), flat.std(1, correction=0)]
        if self.head_channels:
            parts.append(maps[-1][0].flatten(1).double().mean(1))
        measured = measure_image(image, max_pixels=None)
        deep = torch.cat(parts).numpy().astype(np.float32)
        return np.concatenate([deep, measured_vector(measured)]), measured

    def groups(self) -> dict[str, np.ndarray]:
        """Group name -> indices into the feature vector (every index in exactly one group), in a person's
        words: **fine detail and noise** (backbone strides 2–8 with the measured sharpness, noise and JPEG
        blocking: at these scales the features cannot tell texture from noise, so crediting one and
        blaming the other would be a story, not a measurement), **shapes and edges** (stride 16),
        **overall look** (stride 32 and the head, only with ``global_features``), then exposure,
        contrast, colour and white balance from the measured statistics."""
        n_fine = 3
        names = [BACKBONE_GROUPS[0]] * n_fine + [BACKBONE_GROUPS[1]] * (len(self.stage_channels) - n_fine)
        if self.head_channels:
            names[-1] = BACKBONE_GROUPS[2]
        groups: dict[str, list[int]] = {}
        start = 0
        for name, channels in zip(names, self.stage_channels, strict=True):
            groups.setdefault(name, []).extend(range(start, start + 2 * channels))
            start += 2 * channels
        if self.head_channels:
            groups[BACKBONE_GROUPS[2]].extend(range(start, start + self.head_channels))
            start += self.head_channels
        for offset, (attribute, _) in enumerate(MEASURED.values()):
            groups.setdefault(GROUP_OF_ATTRIBUTE[attribute], []).append(start + offset)
        return {name: np.array(indices, dtype=np.int64) for name, indices in groups.items()}
