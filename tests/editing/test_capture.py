"""Realistic capture degradations (red_aes.editing.capture): chains of steps, reproducible from a seed."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from red_aes.editing.capture import (
    SCENARIOS,
    STEPS,
    Chain,
    make_step,
    sample_chain,
)
from red_aes.errors import InputError


def _photo(size: int = 160) -> Image.Image:
    """A deterministic textured test image (gradients, edges and fine texture)."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size, 0:size] / size
    base = np.stack([0.2 + 0.6 * x, 0.3 + 0.4 * y, 0.5 + 0.3 * np.sin(8 * x * y)], -1)
    base[size // 4 : size // 2, size // 4 : 3 * size // 4] = [0.9, 0.2, 0.1]
    texture = ((np.indices((size, size)).sum(0) // 3) % 2)[..., None] * 0.1
    return Image.fromarray(np.uint8(np.clip(base + texture + 0.01 * rng.random(base.shape), 0, 1) * 255))


def _laplacian_energy(image: Image.Image) -> float:
    y = np.asarray(image.convert("L"), dtype=np.float64)
    lap = y[1:-1, 2:] + y[1:-1, :-2] + y[2:, 1:-1] + y[:-2, 1:-1] - 4 * y[1:-1, 1:-1]
    return float(np.mean(lap**2))


def test_a_chain_is_reproducible_from_its_seed() -> None:
    photo = _photo()
    for scenario in SCENARIOS:
        first, again = sample_chain(scenario, 0.8, seed=11), sample_chain(scenario, 0.8, seed=11)
        assert first == again and first.to_json() == again.to_json()
        assert np.array_equal(np.asarray(first.apply(photo)), np.asarray(again.apply(photo)))
        other = sample_chain(scenario, 0.8, seed=12)  # another seed: other pixels
        assert not np.array_equal(np.asarray(first.apply(photo)), np.asarray(other.apply(photo))), scenario
    a, b = sample_chain("random", 0.8, seed=1), sample_chain("random", 0.8, seed=2)
    assert a.to_json() != b.to_json()


def test_every_step_changes_the_image_and_blurs_lose_detail() -> None:
    photo = _photo()
    rng = np.random.default_rng(0)
    for kind, spec in STEPS.items():
        out = Chain("one", (make_step(kind, 1.0, rng),), seed=0).apply(photo)
        assert out.size == photo.size
        change = np.abs(np.asarray(out, np.float64) - np.asarray(photo, np.float64)).mean()
        assert change > 1.0, kind
        if kind in ("gaussian_blur", "defocus", "motion_blur", "low_resolution"):
            assert _laplacian_energy(out) < 0.5 * _laplacian_energy(photo), kind
        assert spec.model


def test_the_loss_follows_from_the_parts_and_a_ladder_keeps_its_shape() -> None:
    chain = sample_chain("low_light", 1.0, seed=5)
    half = chain.scaled(0.5)
    assert [s.kind for s in half.steps] == [s.kind for s in chain.steps]
    assert [s.shape for s in half.steps] == [s.shape for s in chain.steps]
    assert [s.strength for s in half.steps] == pytest.approx([s.strength * 0.5 for s in chain.steps])
    assert 0 < half.loss() < chain.loss() < 1 and chain.delta() == pytest.approx(-4.0 * chain.loss())
    stacked = sample_chain("missed_focus", 0.3, seed=1).then(chain)
    assert stacked.loss() > chain.loss() and stacked.scenario == "missed_focus+low_light"


def test_unknown_scenarios_steps_and_strengths_are_refused() -> None:
    with pytest.raises(InputError, match="unknown degradation scenario 'fog'"):
        sample_chain("fog", 0.5, seed=0)
    with pytest.raises(InputError, match=r"strength must be in \(0, 1\]"):
        sample_chain("random", 1.5, seed=0)
    with pytest.raises(InputError, match="unknown degradation step"):
        make_step("sepia", 0.5, np.random.default_rng(0))
    # a chain step is a row of the degradation table that has a capture step, under its canonical name
    for kind in ("tilt", "blur"):
        with pytest.raises(InputError, match=f"unknown degradation step '{kind}'; known: gaussian_blur"):
            make_step(kind, 0.5, np.random.default_rng(0))
