"""The physics of each defect, written once (red_aes.editing.physics): the kernels, the camera noise model,
grain, oversharpening, haze with its glare and the JPEG round trip; and that the classical editor's
operations and the capture chains call the same functions, so at matching parameters they make the same
image."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from red_aes.editing import degradations, operations, physics
from red_aes.editing.capture import STEPS
from red_aes.editing.operations import Operation, apply_operation, jpeg_amount
from red_aes.editing.physics import (
    BASE_NOISE_LEVELS,
    EXACT_GLARE_SIGMA,
    GLARE_SIGMA,
    GREEN_DEMOSAIC_VARIANCE,
    SENSOR_SHOT_SHARE,
    camera_noise,
    gaussian_kernel,
    glare,
    motion_kernel,
    noise_stops,
    trajectory,
)
from red_aes.images import load_image
from red_aes.measure import to_float, to_image

#: The five defects the editor and the capture chains both make, and the physics function of each.
SHARED = {
    "haze": "haze",
    "grain": "grain",
    "sensor_noise": "camera_noise",
    "oversharpen": "oversharpen",
    "jpeg": "jpeg",
}


@pytest.fixture(scope="module")
def photo(photos_dir: Path) -> Image.Image:
    """A real street scene at the editor's reference size (512 px long side, one pixel per reference px)."""
    image = load_image(photos_dir / "china.jpg")
    return image.resize((512, round(512 * image.height / image.width)))


# -- one function per defect, the editor and the chains alike ---------------------------------------


@pytest.mark.parametrize("defect", sorted(SHARED))
def test_the_editor_and_the_capture_chains_call_the_one_function(defect: str) -> None:
    function = getattr(physics, SHARED[defect])
    assert getattr(operations, SHARED[defect]) is function is getattr(degradations, SHARED[defect])


def _step(name: str, photo: Image.Image, strength: float, shape: dict, seed: int = 7) -> np.ndarray:
    """A capture step at ``strength`` on ``photo`` (at the reference size: scale 1), as a uint8 array."""
    step = STEPS[name].function(to_float(photo), strength, shape, 1.0, np.random.default_rng(seed))
    return np.asarray(to_image(step))


def _edit(photo: Image.Image, op: str, amount: float, seed: int = 7) -> np.ndarray:
    return np.asarray(apply_operation(photo, Operation(op, amount), seed=seed)[0])


def test_the_editor_and_a_capture_step_make_the_same_haze(photo: Image.Image) -> None:
    """Haze amount 0.25 is a veil of 0.9 x sqrt(0.25) = 0.45 towards sRGB 0.9: the capture step at the
    strength whose veil is 0.45 (0.15 + 0.6 x 0.5) with that airlight."""
    edited = _edit(photo, "haze", 0.25)
    step = _step("haze", photo, 0.5, {"airlight": operations.HAZE_AIRLIGHT})
    assert np.abs(edited.astype(int) - step).max() <= 1  # the veils differ in the last bit of a float


def test_the_editor_and_a_capture_step_make_the_same_grain(photo: Image.Image) -> None:
    """Grain amount 1 + 29 s is the capture step's monochrome grain at strength s, draw for draw."""
    assert np.array_equal(_edit(photo, "grain", 1.0 + 29.0 * 0.4), _step("grain", photo, 0.4, {"mono": True}))


def test_the_editor_and_a_capture_step_make_the_same_sensor_noise(photo: Image.Image) -> None:
    """The editor's noise level at middle grey picks the under-exposure (noise_stops); the capture step at
    the strength of that many stops, with the editor's white balance and full restore, is the same image."""
    strength = 0.5
    stops = 0.5 + 4.0 * strength
    gain = 2.0**stops
    levels = BASE_NOISE_LEVELS * math.sqrt(
        GREEN_DEMOSAIC_VARIANCE * (SENSOR_SHOT_SHARE * gain + (1.0 - SENSOR_SHOT_SHARE) * gain**2)
    )
    assert noise_stops(levels) == pytest.approx(stops, abs=1e-9)
    red, _, blue = operations.SENSOR_GAINS
    step = _step("sensor_noise", photo, strength, {"restore": 1.0, "red_gain": red, "blue_gain": blue})
    assert np.abs(_edit(photo, "sensor_noise", levels).astype(int) - step).max() <= 1


def test_the_editor_and_a_capture_step_make_the_same_oversharpening(photo: Image.Image) -> None:
    edited = _edit(photo, "oversharpen", 0.5 + 4.0 * 0.6)
    step = _step("oversharpen", photo, 0.6, {"radius": operations.OVERSHARPEN_SIGMA})
    assert np.array_equal(edited, step)


def test_the_editor_and_a_capture_step_make_the_same_jpeg(photo: Image.Image) -> None:
    quality = round(92 - 88 * 0.5)  # the capture step's quality at strength 0.5
    assert np.array_equal(_edit(photo, "jpeg", jpeg_amount(quality)), _step("jpeg", photo, 0.5, {}))


# -- the sensor -------------------------------------------------------------------------------------


def test_noise_stops_put_the_asked_noise_at_middle_grey_in_green() -> None:
    grey = np.full((256, 256, 3), 118 / 255, dtype=np.float32)  # sRGB 118 is linear 0.18, middle grey
    for levels in (2.0, 8.0, 12.0):
        noisy = np.asarray(to_image(camera_noise(grey, noise_stops(levels), np.random.default_rng(0))))
        assert noisy[..., 1].astype(float).std() == pytest.approx(levels, rel=0.06)
    assert noise_stops(BASE_NOISE_LEVELS * math.sqrt(GREEN_DEMOSAIC_VARIANCE)) == pytest.approx(0.0)
    assert noise_stops(1.0) < 0 < noise_stops(30.0)  # below the base level: an over-exposed capture
    with pytest.raises(ValueError, match="must be positive"):
        noise_stops(0.0)


def test_the_green_demosaic_variance_is_what_demosaicking_leaves() -> None:
    sites = physics.bayer_sites(256, 256)
    white = np.random.default_rng(0).standard_normal((256, 256)).astype(np.float32)[..., None] * sites
    assert physics.demosaic(white)[8:-8, 8:-8, 1].var() == pytest.approx(GREEN_DEMOSAIC_VARIANCE, rel=0.03)


# -- haze and its glare -----------------------------------------------------------------------------


def test_haze_veils_towards_the_airlight_over_a_little_glare() -> None:
    black = np.zeros((64, 64, 3), dtype=np.float32)
    assert physics.haze(black, 0.4, 0.9, 4.0) == pytest.approx(np.full_like(black, 0.36))
    point = black.copy()
    point[32, 32] = 1.0
    hazed = physics.haze(point, 0.0, 0.9, 4.0)
    assert hazed[32, 32, 0] == pytest.approx(
        0.85 + 0.15 * ndimage.gaussian_filter(point, (4, 4, 0))[32, 32, 0]
    )
    assert hazed[32, 36, 0] > 0  # the glare spreads the light


def test_glare_is_exact_up_to_its_limit_and_close_beyond(photo: Image.Image) -> None:
    x = to_float(photo)
    # every capture chain of RED-Lite's training crops (long side <= 768 px) takes the exact path
    assert GLARE_SIGMA * 768 / operations.REFERENCE_LONG_SIDE <= EXACT_GLARE_SIGMA
    exact = ndimage.gaussian_filter(x, sigma=(EXACT_GLARE_SIGMA, EXACT_GLARE_SIGMA, 0))
    assert np.array_equal(glare(x, EXACT_GLARE_SIGMA), exact)
    big = to_float(photo.resize((2048, 1366), Image.Resampling.BICUBIC))  # the editor's working size
    wide = 4 * GLARE_SIGMA
    difference = np.abs(glare(big, wide) - ndimage.gaussian_filter(big, sigma=(wide, wide, 0))) * 255
    assert difference.mean() < 0.2 and difference.max() < 2.0


# -- kernels ----------------------------------------------------------------------------------------


def test_a_shake_kernel_integrates_to_one_and_grows_with_its_length() -> None:
    path = trajectory(np.random.default_rng(3))
    assert np.sum(np.linalg.norm(np.diff(path, axis=0), axis=1)) == pytest.approx(1.0)
    short, long = motion_kernel(path, 3.0), motion_kernel(path, 15.0)
    for kernel in (short, long):
        assert kernel.min() >= 0 and kernel.sum() == pytest.approx(1.0, abs=1e-5)
    assert long.shape[0] > short.shape[0] and (long > 1e-4).sum() > (short > 1e-4).sum()
    other = motion_kernel(trajectory(np.random.default_rng(4)), 15.0)
    assert other.shape != long.shape or not np.allclose(other, long)


def test_an_anisotropic_gaussian_spreads_along_its_angle() -> None:
    kernel = gaussian_kernel(4.0, 1.0, 0.0)
    assert kernel.sum() == pytest.approx(1.0, abs=1e-5)
    rows, cols = np.indices(kernel.shape) - kernel.shape[0] // 2
    assert np.sum(kernel * cols**2) > 8 * np.sum(kernel * rows**2)  # wide along x at 0 degrees
    turned = gaussian_kernel(4.0, 1.0, 90.0)
    assert np.sum(turned * rows**2) > 8 * np.sum(turned * cols**2)


def test_camera_noise_grows_as_exposure_falls() -> None:
    grey = np.full((128, 128, 3), 0.45, dtype=np.float32)
    spread = [
        float(np.std(camera_noise(grey, stops, np.random.default_rng(0)))) for stops in (0.5, 1.5, 3.0, 4.5)
    ]
    assert spread == sorted(spread) and spread[-1] > 4 * spread[0]
    # restored brightness stays about the same: the gain brings the signal back, not just the noise
    assert abs(float(camera_noise(grey, 3.0, np.random.default_rng(0)).mean()) - 0.45) < 0.05


def test_camera_noise_is_demosaicked_and_stronger_in_the_gained_channels() -> None:
    """Noise made per Bayer site and interpolated is spatially correlated (white noise is not), and the
    red and blue channels, amplified by their white-balance gains, are noisier than green."""
    grey = np.full((256, 256, 3), 0.45, dtype=np.float32)
    noise = camera_noise(grey, 3.0, np.random.default_rng(0), gains=(2.0, 1.0, 2.0)) - camera_noise(
        grey, 3.0, np.random.default_rng(0), gains=(2.0, 1.0, 2.0)
    ).mean(axis=(0, 1))
    green = noise[..., 1]
    neighbours = np.corrcoef(green[:, :-1].ravel(), green[:, 1:].ravel())[0, 1]
    assert neighbours > 0.2
    assert noise[..., 0].std() > 1.2 * green.std() and noise[..., 2].std() > 1.2 * green.std()
