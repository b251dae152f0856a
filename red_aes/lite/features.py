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
* a few :mod:`red_aes.measure` statistics (exposure, clipping of light and of colour channels,
  vignetting, contrast, colour, cast, sharpness, noise on flat patches, visible JPEG blocking, tilt), so
  the head can use what is known to matter and the reasoning can name it.

Groups (:meth:`FeatureExtractor.groups`) are what a delta is attributed to, named in a person's words:
the overall look (the deep features), exposure, contrast, colour, white balance, detail, noise,
compression and framing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import torch
from PIL import Image

from red_aes.errors import InputError
from red_aes.lite.backbone import (
    block_input,
    feature_maps,
    load_backbone,
    run_blocks,
    stage_ends,
    stride16_blocks,
    to_input,
)
from red_aes.measure import ImageMeasurements, measure_image

#: Measured statistic -> (the explanation group it belongs to, in a person's words; transform applied
#: before the head). ``noise`` is the flat-patch estimate (:func:`red_aes.measure.estimate_flat_noise`),
#: which texture barely moves, so it can be named and constrained apart from detail.
MEASURED: dict[str, tuple[str, str]] = {
    "exposure_ev": ("exposure", "clip6"),
    "highlight_clip": ("exposure", "sqrt"),
    "shadow_clip": ("exposure", "sqrt"),
    "vignetting_ev": ("exposure", "clip6"),
    "rms_contrast": ("contrast", "identity"),
    "dynamic_range": ("contrast", "identity"),
    "colorfulness": ("colour", "log1p"),
    "saturation": ("colour", "identity"),
    "colour_clip": ("colour", "sqrt"),
    "cast": ("white balance", "log1p"),
    "sharpness": ("detail", "clip6"),
    "flat_noise": ("noise", "log1p"),
    "blockiness": ("compression", "visible_blocking"),
    "visible_tilt": ("framing", "log1p"),
}
#: Raise it whenever a statistic of :data:`MEASURED` is computed differently under the same name and
#: transform (a changed estimator): it is part of the feature cache's key, which names and transforms
#: alone would leave unchanged, so a cache of the old values would be silently reused.
MEASURED_REVISION = 0
#: Statistics that can only lower the score as they grow: the head adds them as a non-positive linear
#: term outside its MLP (:class:`red_aes.lite.model.LiteHead`), so more visible JPEG blocking or more
#: noise on flat areas never raises a score, and each one's share of a delta has the opposite sign of its
#: change. The tilt stays in the MLP: constrained, it cost clive-dev SRCC and the real-noise pairs
#: (docs/architecture.md, issue 23).
DECREASING: tuple[str, ...] = ("flat_noise", "blockiness")
#: Measured statistic -> the explanation group whose share a measured change of it explains: the
#: groups of :data:`MEASURED`, and the statistics the reasoning quotes that the head reads through others.
FACT_GROUPS: dict[str, str] = {
    **{name: group for name, (group, _) in MEASURED.items()},
    "cast_a": "white balance",
    "cast_b": "white balance",
    "tilt_degrees": "framing",
    "thirds_distance": "framing",
    "size": "framing",
}
#: Blockiness (:func:`red_aes.measure._blockiness`) below which JPEG blocking counts as invisible: a
#: typical photo saved at quality 80 measures about 0.2 (quality 90: 0.1, 95: 0.05, 50: 0.5, 10: 1.9),
#: and people do not tell quality 80-95 from the lossless file at viewing size. Only the excess counts.
BLOCKING_VISIBLE = 0.2
_TRANSFORMS = {
    "identity": lambda v: v,
    "sqrt": lambda v: math.sqrt(max(v, 0.0)),
    "log1p": lambda v: math.log1p(max(v, 0.0)),
    "clip6": lambda v: min(max(v, -6.0), 6.0),
    "visible_blocking": lambda v: max(v - BLOCKING_VISIBLE, 0.0),
}
#: The first three resolution stages (strides 2, 4 and 8) are the fine scales.
FINE_STAGES = 3
#: The explanation group of every backbone statistic: the deep features respond to content, texture,
#: detail, noise and colour at once, so their share is named for what they see as a whole.
BACKBONE_GROUP = "overall look"


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

    def cache_identity(self) -> dict[str, object]:
        """What decides a feature vector, for cache keys: this config and the measured statistics (their
        names, transforms and :data:`MEASURED_REVISION`), so a cache written before a statistic was added,
        or computed differently, is not reused."""
        identity = {**self.to_dict(), "measured": {name: t for name, (_, t) in MEASURED.items()}}
        if MEASURED_REVISION:  # left out at 0, so the caches written before it existed are still found
            identity["measured_revision"] = MEASURED_REVISION
        return identity


def tuned_blocks(
    backbone: torch.nn.Module, count: int, config: FeatureConfig, given: list[int] | None = None
) -> range:
    """The indices of the last ``count`` blocks of the stride-16 stage, the ones RED-Lite may fine-tune:
    its features are that stage's statistics alone, so nothing later would need its gradients. An
    :class:`InputError` for a count the stage does not have, for features that read other stages, and
    for ``given`` indices that are not those blocks."""
    stage = stride16_blocks(backbone)
    if not 1 <= count <= len(stage):
        raise InputError(f"tune_blocks must be 1-{len(stage)} (the stride-16 stage's blocks), got {count}")
    if config.fine_scales or config.global_features:
        raise InputError(
            "fine-tuned blocks need the stride-16 features alone (fine_scales and global_features off)"
        )
    tuned = stage[len(stage) - count :]
    if given is not None and list(given) != list(tuned):
        raise InputError(
            f"fine-tuned blocks {list(given)} are not the last blocks of the stride-16 stage ({list(stage)})"
        )
    return tuned


def pooled(maps: torch.Tensor) -> torch.Tensor:
    """The spatial mean and standard deviation of every channel of a ``(n, C, h, w)`` batch of feature
    maps, ``(n, 2C)`` in float64: standard deviations carry texture, noise and blur."""
    flat = maps.flatten(2).double()
    return torch.cat([flat.mean(2), flat.std(2, correction=0)], 1)


def measured_vector(m: ImageMeasurements) -> np.ndarray:
    """The measured statistics of :data:`MEASURED`, transformed, as float32."""
    return np.array([_TRANSFORMS[t](float(getattr(m, k))) for k, (_, t) in MEASURED.items()], np.float32)


@dataclass(frozen=True, eq=False)
class PreparedImage:
    """An image made ready for the backbone (:func:`prepare_image`): the model-free part of its feature
    vector, which a pipeline computes in ``preprocess``."""

    #: The backbone's normalised input at the working size, ``(1, 3, H, W)``.
    pixels: torch.Tensor
    #: The measured statistics of the full image (part of the vector, and what the reasoning quotes).
    measured: ImageMeasurements


def prepare_image(image: Image.Image, config: FeatureConfig) -> PreparedImage:
    """The backbone's input at ``config.long_side`` and the measured statistics of ``image``: no model
    is loaded or run, so a pipeline's ``preprocess`` (and its DataLoader workers) can call it."""
    return PreparedImage(to_input(image, config.long_side), measure_image(image, max_input_pixels=None))


class FeatureExtractor:
    """Turns an RGB image into the RED-Lite feature vector (deterministic; one image at a time, so a
    batch gives exactly the vectors of its images alone): :meth:`prepare` (resize, normalise, measure),
    then :meth:`embed` (the backbone and the vector)."""

    def __init__(
        self, config: FeatureConfig | None = None, blocks: Mapping[int, torch.nn.Module] | None = None
    ) -> None:
        self.config = config or FeatureConfig()
        self.backbone = load_backbone(self.config.backbone)
        #: Fine-tuned copies of the last blocks of the stride-16 stage (a model's own; the shared
        #: backbone is never changed), by block index.
        self.blocks = dict(blocks or {})
        if self.blocks:
            tuned_blocks(self.backbone, len(self.blocks), self.config, given=sorted(self.blocks))
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
        prepared = self.prepare(image)
        return self.embed(prepared), prepared.measured

    def prepare(self, image: Image.Image) -> PreparedImage:
        """:func:`prepare_image` with this extractor's config."""
        return prepare_image(image, self.config)

    def embed(self, prepared: PreparedImage) -> np.ndarray:
        """The feature vector of a prepared image: the backbone's statistics, then the measured ones."""
        maps = feature_maps(self.backbone, prepared.pixels, stages=self.stages, blocks=self.blocks)
        stage_maps = maps[:-1] if self.head_channels else maps
        parts = [pooled(stage_maps[index])[0] for index in self.used]
        if self.head_channels:
            parts.append(maps[-1][0].flatten(1).double().mean(1))
        deep = torch.cat(parts).numpy().astype(np.float32)
        return np.concatenate([deep, measured_vector(prepared.measured)])

    @torch.inference_mode()
    def embed_with_input(self, prepared: PreparedImage, start: int) -> tuple[np.ndarray, torch.Tensor]:
        """The feature vector (equal to :meth:`embed`'s) and the input of block ``start`` of the
        stride-16 stage, ``(1, C, h, w)``: what fine-tuning the blocks from ``start`` on starts from."""
        tuned_blocks(self.backbone, stride16_blocks(self.backbone)[-1] - start + 1, self.config)
        h = block_input(self.backbone, prepared.pixels, start)
        deep = self.deep_features(h, start)[0].numpy().astype(np.float32)
        return np.concatenate([deep, measured_vector(prepared.measured)]), h

    def deep_features(self, inputs: torch.Tensor, start: int) -> torch.Tensor:
        """The backbone statistics (float64, ``(n, 2C)``) of a batch of same-sized inputs of block
        ``start``, through this extractor's blocks from ``start`` to the end of the stride-16 stage;
        differentiable, so fine-tuning trains those blocks on it."""
        stage = stride16_blocks(self.backbone)
        return pooled(run_blocks(self.backbone, inputs, range(start, stage[-1] + 1), self.blocks))

    def decreasing(self) -> list[int]:
        """Indices of the :data:`DECREASING` statistics in the feature vector."""
        start = self.dim - len(MEASURED)
        return [start + i for i, name in enumerate(MEASURED) if name in DECREASING]

    def groups(self) -> dict[str, np.ndarray]:
        """Group name -> indices into the feature vector (every index in exactly one group), in a person's
        words: **overall look** (every backbone statistic), then one group per measured attribute of
        :data:`MEASURED`: exposure, contrast, colour, white balance, detail, noise, compression and
        framing."""
        deep = 2 * sum(self.stage_channels) + self.head_channels
        groups: dict[str, list[int]] = {BACKBONE_GROUP: list(range(deep))}
        for offset, (group, _) in enumerate(MEASURED.values()):
            groups.setdefault(group, []).append(deep + offset)
        return {name: np.array(indices, dtype=np.int64) for name, indices in groups.items()}
