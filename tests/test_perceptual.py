"""Full-reference visibility (red_aes.perceptual): zero for identical images, below one JND for a
high-quality JPEG save, growing with a defect's strength, saturating on the Δ scale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from red_aes.editing import ClassicalEditor, Operation
from red_aes.editing.degradations import jpeg
from red_aes.images import load_image
from red_aes.measure import to_float, to_image
from red_aes.perceptual import delta_e, gmsd, visible_delta, visible_difference
from red_aes.types import DELTA_MAX


def test_identical_images_differ_by_nothing_and_a_high_quality_save_is_invisible(
    photo_paths: list[Path],
) -> None:
    for path in photo_paths:
        photo = load_image(path)
        assert visible_difference(photo, photo.copy()) == 0.0
        assert visible_difference(photo, to_image(jpeg(to_float(photo), 90))) < 1.0, path.name


def test_visibility_grows_with_each_defects_strength(photo_paths: list[Path]) -> None:
    editor = ClassicalEditor()
    photo = load_image(photo_paths[0])
    for op, amounts in (
        ("blur", (0.5, 2.0, 6.0)),
        ("grain", (3.0, 10.0, 30.0)),
        ("exposure", (0.3, 1.0, 2.0)),
    ):
        seen = [visible_difference(photo, editor.apply(photo, [Operation(op, a)]).image) for a in amounts]
        assert seen == sorted(seen) and seen[-1] > 3.0, (op, seen)


def test_the_two_measures_see_structure_and_colour_apart() -> None:
    rng = np.random.default_rng(0)
    grey = np.full((64, 64, 3), 0.5, dtype=np.float32)
    noisy = np.clip(grey + rng.normal(0, 0.05, grey.shape).astype(np.float32), 0, 1)
    warm = grey * np.array([1.1, 1.0, 0.85], dtype=np.float32)
    assert gmsd(grey, warm) == pytest.approx(0.0, abs=1e-6) and delta_e(grey, warm) > 5.0
    assert gmsd(grey, noisy) > 0.05


def test_visible_delta_is_zero_up_to_one_jnd_then_rises_and_saturates() -> None:
    assert visible_delta(0.0) == visible_delta(1.0) == 0.0
    values = [visible_delta(v) for v in (1.5, 3.0, 10.0, 100.0)]
    assert values == sorted(values) and values[0] > 0 and values[-1] <= DELTA_MAX
