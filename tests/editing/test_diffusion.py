"""Diffusion editor (red_aes.editing.diffusion) with the tiny offline InstructPix2Pix pipeline."""

from __future__ import annotations

import numpy as np
import pytest

from red_aes.editing import load_editor
from red_aes.editing.diffusion import DiffusionEditor, generation_size
from red_aes.images import load_image


@pytest.fixture(scope="module")
def editor(tiny_editor_dir) -> DiffusionEditor:
    loaded = load_editor(str(tiny_editor_dir), num_inference_steps=1, device="cpu")
    assert isinstance(loaded, DiffusionEditor)
    return loaded


@pytest.fixture(scope="module")
def photo(photos_dir):
    # An odd size, not a multiple of the pipeline's size step, to check the exact size round trip.
    return load_image(photos_dir / "chelsea.png").resize((45, 31))


def test_tiny_editor_keeps_the_size_and_is_reproducible(editor, photo) -> None:
    first = editor.edit(photo, "make it warmer", seed=7)
    again = editor.edit(photo, "make it warmer", seed=7)
    other = editor.edit(photo, "make it warmer", seed=8)
    assert first.image.size == photo.size and first.image.mode == "RGB"
    assert np.array_equal(np.asarray(first.image), np.asarray(again.image))
    assert not np.array_equal(np.asarray(first.image), np.asarray(other.image))
    assert first.backend == "diffusion" and first.instruction == "make it warmer"
    params = first.params
    assert params["pipeline"] == "StableDiffusionInstructPix2PixPipeline" and params["seed"] == 7
    assert params["num_inference_steps"] == 1 and params["image_guidance_scale"] == 1.5
    multiple = editor.pipeline.vae_scale_factor
    assert all(side % multiple == 0 for side in params["generated_size"])


def test_pipeline_is_loaded_once_per_process(editor, tiny_editor_dir) -> None:
    again = load_editor(str(tiny_editor_dir), num_inference_steps=1, device="cpu")
    assert again.pipeline is editor.pipeline
    # "auto" (the loaders' shared word) is full precision on the CPU: the same pipeline, not a new load
    for word in ("auto", "none"):
        assert load_editor(str(tiny_editor_dir), device="cpu", quantization=word).pipeline is editor.pipeline


def test_strength_scales_the_text_guidance(editor, photo) -> None:
    result = editor.edit(photo, "make it warmer", seed=7, strength=0.5)
    default = editor.call_kwargs["guidance_scale"]
    assert result.params["guidance_scale"] == pytest.approx(1.0 + (default - 1.0) * 0.5)
    with pytest.raises(ValueError, match="strength"):
        editor.edit(photo, "make it warmer", strength=0.0)


def test_bad_input_is_a_clear_error(editor, photo, tiny_editor_dir) -> None:
    with pytest.raises(ValueError, match="edit instruction is empty"):
        editor.edit(photo, "   ")
    with pytest.raises(ValueError, match="does not take true_cfg_scale"):
        load_editor(str(tiny_editor_dir), device="cpu", true_cfg_scale=4.0)
    with pytest.raises(ValueError, match="cannot load diffusion editor"):
        load_editor(str(tiny_editor_dir / "missing"), device="cpu")
    with pytest.raises(ValueError, match="4bit quantization of diffusion pipelines needs a CUDA device"):
        load_editor(str(tiny_editor_dir), device="cpu", quantization="4bit")
    with pytest.raises(ValueError, match="quantization must be one of"):
        load_editor(str(tiny_editor_dir), device="cpu", quantization="3bit")


def test_generation_size_rounds_to_the_multiple_and_caps_the_area() -> None:
    assert generation_size(45, 31, 8, 1024 * 1024) == (48, 32)
    assert generation_size(4000, 3000, 16, 1024 * 1024) == (1184, 880)
    assert generation_size(3, 3, 16, 1024 * 1024) == (16, 16)
