"""Fixtures of the scoring tests: the tiny VLM scorer shared by ``test_vlm.py`` and ``test_decoding.py``
(loaded once for the folder), photos and noise images."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from red_aes.images import load_image
from red_aes.scoring.vlm import RedAesScorer

#: The reasoning budget of the shared tiny VLM scorer.
BUDGET = 8


@pytest.fixture(scope="package")
def scorer(tiny_model_dir: Path) -> RedAesScorer:
    return RedAesScorer.from_pretrained(tiny_model_dir, max_reasoning_tokens=BUDGET, device="cpu")


@pytest.fixture(scope="package")
def images(photo_paths: list[Path]) -> list:
    return [load_image(p) for p in photo_paths[:5]]


def _noise(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


@pytest.fixture(scope="package")
def noise_image() -> Callable[[int, int, int], Image.Image]:
    """``noise_image(width, height, seed)``: an RGB image of uniform noise (seeded)."""
    return _noise
