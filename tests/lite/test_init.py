"""The RED-Lite package (red_aes/lite/__init__.py): the model and its shipped weights."""

from __future__ import annotations

import red_aes.lite
from red_aes.lite.model import DEFAULT_WEIGHTS, RedLiteModel


def test_the_package_exposes_the_model_and_the_shipped_weights_folder() -> None:
    assert red_aes.lite.__all__ == ["DEFAULT_WEIGHTS", "RedLiteModel"]
    assert red_aes.lite.RedLiteModel is RedLiteModel and red_aes.lite.DEFAULT_WEIGHTS == DEFAULT_WEIGHTS
    assert {"model.safetensors", "config.json"} <= {p.name for p in red_aes.lite.DEFAULT_WEIGHTS.iterdir()}
