"""Fixtures of the data tests: photo pairs for the judges, planners and rationale teachers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from red_aes.data.judges import PairToJudge
from red_aes.images import load_image


@pytest.fixture(scope="module")
def darkened_pair(photo_paths: list[Path]) -> PairToJudge:
    """A 96-pixel photo and a copy darkened to 60 %, asked to be darkened a lot."""
    original = load_image(photo_paths[0])
    original.thumbnail((96, 96))
    edited = Image.fromarray((np.asarray(original) * 0.6).astype(np.uint8))
    return PairToJudge(original, edited, "Darken the whole photo a lot.")


@pytest.fixture(scope="module")
def tilted_pair(photo_paths: list[Path]) -> PairToJudge:
    """A 64-pixel photo and a copy rotated by 4 degrees, asked to be tilted a little."""
    original = load_image(photo_paths[0])
    original.thumbnail((64, 64))
    return PairToJudge(
        original, original.rotate(4, resample=Image.Resampling.BICUBIC), "Tilt the frame a little."
    )
