"""The consistency filter on real photos and real classical edits (crops and rotations included)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from red_aes.data.filters import check_edit, structure_similarity
from red_aes.editing.classical import ClassicalEditor
from red_aes.editing.operations import Operation
from red_aes.images import load_image

THRESHOLDS = {"min_change": 0.004, "min_ssim": 0.72}


@pytest.fixture(scope="module")
def photos(photo_paths: list[Path]) -> dict[str, Image.Image]:
    images = {}
    for path in photo_paths:
        image = load_image(path)
        image.thumbnail((320, 320))
        images[path.name] = image
    return images


@pytest.mark.parametrize(
    "operation",
    [
        Operation("exposure", -2.0),
        Operation("contrast", -0.6),
        Operation("saturation", -0.8),
        Operation("temperature", -3.0),
        Operation("blur", 3.0),
        Operation("grain", 25.0),
        Operation("rotate", 8.0),
        Operation("rotate", -3.0),
        Operation("crop", 0.3),
        Operation("crop_thirds", 0.25),
    ],
    ids=lambda op: f"{op.op}{op.amount:+g}",
)
def test_appearance_and_geometry_edits_pass(photos: dict[str, Image.Image], operation: Operation) -> None:
    editor = ClassicalEditor()
    for name, image in photos.items():
        edited = editor.apply(image, [operation]).image
        result = check_edit(image, edited, **THRESHOLDS)
        if operation.op == "saturation" and name == "camera.png":  # a greyscale photo has no colour to drain
            assert result.reason == "no_change", result
            continue
        assert result.ok, (name, result)
        if operation.op in ("rotate", "crop", "crop_thirds"):
            assert result.registered, (name, result)  # found by registration, not by the identity comparison


def test_content_changes_are_rejected(photos: dict[str, Image.Image]) -> None:
    names = sorted(photos)
    for name, other in zip(names, names[1:] + names[:1], strict=True):
        image = photos[name]
        stranger = photos[other].resize(image.size)
        swapped = check_edit(image, stranger, **THRESHOLDS)
        assert not swapped.ok and swapped.reason == "content_changed", (name, swapped)
        half = image.copy()
        half.paste(stranger.crop((0, 0, image.width // 2, image.height)), (0, 0))
        patched = check_edit(image, half, **THRESHOLDS)
        assert not patched.ok and patched.reason == "content_changed", (name, patched)
        mirrored = check_edit(image, image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), **THRESHOLDS)
        assert not mirrored.ok and mirrored.reason == "content_changed", (name, mirrored)


def test_no_op_and_broken_images_are_rejected_with_their_reason(photos: dict[str, Image.Image]) -> None:
    image = photos["chelsea.png"]
    array = np.asarray(image).astype(np.int16)
    nudged = Image.fromarray(
        np.clip(array + (np.arange(array.size).reshape(array.shape) % 2), 0, 255).astype(np.uint8)
    )
    assert check_edit(image, image.copy(), **THRESHOLDS).reason == "no_change"
    assert check_edit(image, nudged, **THRESHOLDS).reason == "no_change"  # +1 level on half the values
    assert (
        check_edit(image, Image.new("RGB", image.size, (0, 0, 0)), **THRESHOLDS).reason == "broken_constant"
    )
    assert check_edit(image, Image.new("RGB", (8, 8), (10, 20, 30)), **THRESHOLDS).reason == "wrong_size"
    nan = np.full((image.height, image.width), np.nan, dtype=np.float32)
    assert check_edit(image, Image.fromarray(nan, mode="F"), **THRESHOLDS).reason == "broken_nonfinite"


def test_structure_similarity_ignores_brightness_but_not_structure(photos: dict[str, Image.Image]) -> None:
    gray = np.asarray(photos["camera.png"].convert("L"), dtype=np.float64) / 255.0
    assert structure_similarity(gray, gray) == pytest.approx(1.0)
    assert structure_similarity(gray, 0.5 * gray + 0.2) > 0.99
    shuffled = np.random.default_rng(0).permutation(gray.ravel()).reshape(gray.shape)
    assert structure_similarity(gray, shuffled) < 0.2
    with pytest.raises(ValueError, match="equal shapes"):
        structure_similarity(gray, gray[1:])
