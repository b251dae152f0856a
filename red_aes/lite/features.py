"""The RED-Lite feature vector of one image, and its named groups.

``[backbone stage statistics | (backbone head mean) | measured statistics]``:

* for the output of the backbone's stride-16 stage (and, with ``fine_scales``, of the stride-2 to -8
  stages), the spatial mean and standard deviation of each channel; standard deviations carry texture,
  noise and blur, which plain average pooling loses. The fine scales are off by default: their
  statistics measure how much texture the *content* has (foliage against sky) as much as its quality,
  and ladders of one photo cannot teach a head to tell the two apart; on human-rated real photos the
  head generalises better without them (docs/architecture.md, RED-Lite on real photos);
* with ``global_features``, also the last stage (stride 32) and the spatial mean of the 1×1 head
  convolution (the ImageNet global descriptor). Off by default: trained on a few dozen photos, these
  content-heavy features let the head memorise photos (held-out validation order accuracy 0.82 with
  them, 0.89 without; see docs/architecture.md), and skipping them saves the last blocks' compute;
* a few :mod:`red_aes.measure` statistics (exposure, clipping, contrast, colour, cast, sharpness, noise,
  JPEG blocking), so the head can use what is known to matter and the reasoning can name it.

Groups (:meth:`FeatureExtractor.groups`) are what a delta is attributed to, named in a person's words:
detail and noise, compression, exposure, contrast, colour, white balance (and the overall look).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from PIL import Image

from red_aes.lite.backbone import feature_maps, load_backbone, stage_ends, to_input
from red_aes.measure import ImageMeasurements, measure_image

#: Measured statistic -> (the explanation group it belongs to, in a person's words; transform applied
#: before the head).
MEASURED: dict[str, tuple[str, str]] = {
    "exposure_ev": ("exposure", "clip6"),
    "highlight_clip": ("exposure", "sqrt"),
    "shadow_clip": ("exposure", "sqrt"),
    "rms_contrast": ("contrast", "identity"),
    "dynamic_range": ("contrast", "identity"),
    "colorfulness": ("colour", "log1p"),
    "saturation": ("colour", "identity"),
    "cast": ("white balance", "log1p"),
    "sharpness": ("detail and noise", "clip6"),
    "noise_sigma": ("detail and noise", "log1p"),
    "blockiness": ("compression", "clip6"),
}
#: Statistics that can only lower the score as they grow: the head adds them as a non-positive linear
#: term outside its MLP (:class:`red_aes.lite.model.LiteHead`), so more JPEG blocking never raises a
#: score and the compression share of a delta has the opposite sign of the blocking's change. The noise
#: estimate is not constrained: on real photos it also responds to texture, and forcing it down cost
#: 0.08 SRCC on the development set; it is explained together with detail instead.
DECREASING: tuple[str, ...] = ("blockiness",)
_TRANSFORMS = {
    "identity": lambda v: v,
    "sqrt": lambda v: math.sqrt(max(v, 0.0)),
    "log1p": lambda v: math.log1p(max(v, 0.0)),
    "clip6": lambda v: min(max(v, -6.0), 6.0),
}
#: The first three resolution stages (strides 2, 4 and 8) are the fine scales.
FINE_STAGES = 3
#: Backbone groups, named for what they see: strides 2–16 (detail, edges and noise, which these features
#: cannot tell apart), stride 32 and the ImageNet head (the overall look).
BACKBONE_GROUPS: tuple[str, ...] = ("detail and noise", "overall look")


@dataclass(frozen=True)
class FeatureConfig:
    """What the feature vector is made of (stored in the model's ``config.json``)."""

    backbone: str = "efficientnet-lite0"
    long_side: int = 512
    #: The stride-2 to stride-8 stages' statistics (texture at fine scales; off: see the module docstring).
    fine_scales: bool = False
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
        stage_maps = probe[:-1] if self.config.global_features else probe
        self.head_channels = int(probe[-1].shape[1]) if self.config.global_features else 0
        #: Indices of the computed stages whose statistics are used (the fine ones only with fine_scales).
        self.used = [i for i in range(len(stage_maps)) if self.config.fine_scales or i >= FINE_STAGES]
        self.stage_channels = [int(stage_maps[i].shape[1]) for i in self.used]
        self.dim = 2 * sum(self.stage_channels) + self.head_channels + len(MEASURED)

    def __call__(self, image: Image.Image) -> np.ndarray:
        return self.extract(image)[0]

    def extract(self, image: Image.Image) -> tuple[np.ndarray, ImageMeasurements]:
        """The feature vector of ``image`` and the measurements it includes."""
        maps = feature_maps(self.backbone, to_input(image, self.config.long_side), stages=self.stages)
        stage_maps = maps[:-1] if self.head_channels else maps
        parts = []
        for index in self.used:
            flat = stage_maps[index][0].flatten(1).double()
            parts += [flat.mean(1), flat.std(1, correction=0)]
        if self.head_channels:
            parts.append(maps[-1][0].flatten(1).double().mean(1))
        measured = measure_image(image, max_pixels=None)
        deep = torch.cat(parts).numpy().astype(np.float32)
        return np.concatenate([deep, measured_vector(measured)]), measured

    def decreasing(self) -> list[int]:
        """Indices of the :data:`DECREASING` statistics in the feature vector."""
        start = self.dim - len(MEASURED)
        return [start + i for i, name in enumerate(MEASURED) if name in DECREASING]

    def groups(self) -> dict[str, np.ndarray]:
        """Group name -> indices into the feature vector (every index in exactly one group), in a person's
        words: **detail and noise** (the backbone's stride-2 to -16 stages with the measured sharpness and
        noise: neither the features nor the noise estimate can tell texture from noise, so crediting one
        and blaming the other would be a story, not a measurement), **overall look** (stride 32 and the
        head, only with ``global_features``), then compression, exposure, contrast, colour and white
        balance from the measured statistics."""
        names = [BACKBONE_GROUPS[0]] * len(self.used)
        if self.head_channels:
            names[-1] = BACKBONE_GROUPS[1]
        groups: dict[str, list[int]] = {}
        start = 0
        for name, channels in zip(names, self.stage_channels, strict=True):
            groups.setdefault(name, []).extend(range(start, start + 2 * channels))
            start += 2 * channels
        if self.head_channels:
            groups[BACKBONE_GROUPS[1]].extend(range(start, start + self.head_channels))
            start += self.head_channels
        for offset, (group, _) in enumerate(MEASURED.values()):
            groups.setdefault(group, []).append(start + offset)
        return {name: np.array(indices, dtype=np.int64) for name, indices in groups.items()}
