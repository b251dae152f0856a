"""The scoring package (red_aes/scoring/__init__.py): building scorers by name, what importing and listing
scorers loads, and Qwen's ``max_pixels`` refused with its meaning by backends that resize nothing."""

from __future__ import annotations

import json

import pytest
from launch import run_python

from red_aes.registry import RegistryError
from red_aes.scoring import SCORERS, available_scorers, load_scorer


def test_registry_names_what_exists_and_checks_options_before_building() -> None:
    assert available_scorers() == ["endpoint", "measured", "red-lite", "stat-colorfulness", "stat-sharpness"]
    with pytest.raises(RegistryError, match="unknown options for the stat-sharpness scorer: adapter"):
        load_scorer("stat-sharpness", adapter="x")
    with pytest.raises(ValueError, match="batch_size, max_input_pixels"):  # what it takes, listed
        load_scorer("stat-sharpness", device="cpu")
    assert SCORERS.accepts("red-lite", "adapter") and not SCORERS.accepts("measured", "device")
    assert SCORERS.accepts("some/vlm-id", "quantization")  # any other name is the VLM


def test_scoring_imports_no_data_training_or_ui_library() -> None:
    """``import red_aes.scoring`` (a fresh interpreter) loads none of datasets, trl, gradio, diffusers."""
    heavy = ("datasets", "trl", "gradio", "diffusers")
    result = run_python(f"import sys, red_aes.scoring; print([m for m in {heavy!r} if m in sys.modules])")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_listing_scorers_and_reading_their_metadata_import_no_backend() -> None:
    code = (
        "import json, sys\n"
        "from red_aes.scoring import SCORERS, available_scorers\n"
        "available_scorers()\n"
        "kinds = {n: SCORERS.entry(n).description for n in [*SCORERS, 'owner/any-vlm']}\n"
        "print(json.dumps([kinds, sorted(m for m in sys.modules if m.startswith('red_aes.scoring.'))]))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    kinds, modules = json.loads(result.stdout)
    assert modules == ["red_aes.scoring.backends", "red_aes.scoring.base"]
    assert "vision-language model" in kinds["owner/any-vlm"] and "RED-Lite" in kinds["red-lite"]


def test_the_input_limit_refuses_larger_photos_and_qwens_max_pixels_is_refused_with_its_meaning(
    photo_paths: list,
) -> None:
    """``max_input_pixels`` is every backend's input limit; ``max_pixels`` (Qwen's resize budget) given
    to a backend that resizes nothing is refused before anything loads, saying what it means and what to
    pass instead, never taken as an input limit."""
    from red_aes.images import ImageLoadError

    photo = photo_paths[0]
    small = load_scorer("measured", max_input_pixels=10_000)
    with pytest.raises(ImageLoadError, match=r"exceeds the budget of 10,000 pixels \(raise max_input_pixels"):
        small.score(photo)
    assert load_scorer("measured").score(photo).valid  # the default limit (64 MP) takes the photo
    for name in ("measured", "red-lite", "stat-sharpness"):
        with pytest.raises(
            ValueError, match=r"takes no max_pixels: that is Qwen's name .* pass max_input_pixels"
        ):
            load_scorer(name, max_pixels=401_408)
