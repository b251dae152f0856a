"""Measured attributes: formulas on images with known answers, behaviour on the real photos."""

from __future__ import annotations

import io
import warnings
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from red_aes.editing import ClassicalEditor, Operation
from red_aes.images import ImageLoadError, load_image
from red_aes.measure import (
    METRICS,
    TILT_MIN_CONFIDENCE,
    ImageMeasurements,
    cast_shift,
    change_facts,
    describe_changes,
    estimate_flat_noise,
    estimate_noise_sigma,
    linear_to_srgb,
    measure_image,
    measure_pair,
    pair_measurements,
)
from red_aes.types import ATTRIBUTES


def _grey(linear_value: float, size: int = 96) -> np.ndarray:
    level = float(linear_to_srgb(np.array([linear_value], dtype=np.float32))[0])
    return np.full((size, size, 3), round(level * 255), dtype=np.uint8)


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def test_metrics_table_matches_the_dataclass() -> None:
    names = {f.name for f in fields(ImageMeasurements)} - {"width", "height"}
    assert names == set(METRICS)
    assert {info.attribute.value for info in METRICS.values()} <= set(ATTRIBUTES)


def test_middle_grey_is_zero_ev_and_flat() -> None:
    m = measure_image(_grey(0.18))
    assert m.exposure_ev == pytest.approx(0.0, abs=0.05)
    assert m.rms_contrast == pytest.approx(0.0, abs=1e-6)
    assert m.colorfulness == pytest.approx(0.0, abs=1e-6)
    assert m.cast == pytest.approx(0.0, abs=0.05)
    # One stop less light reads as -1 EV.
    assert measure_image(_grey(0.09)).exposure_ev == pytest.approx(-1.0, abs=0.05)


def test_colorfulness_follows_hasler_susstrunk() -> None:
    # Half pure red, half pure blue: rg = (255, 0), yb = (127.5, -255).
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    image[:, :32, 0] = 255
    image[:, 32:, 2] = 255
    rg, yb = np.array([255.0, 0.0]), np.array([127.5, -255.0])
    expected = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    assert measure_image(image).colorfulness == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("sigma", [3.0, 10.0])
def test_noise_estimate_recovers_added_gaussian_noise(sigma: float) -> None:
    rng = np.random.default_rng(0)
    noisy = np.clip(128 + rng.normal(0, sigma, (300, 300, 1)), 0, 255).repeat(3, axis=2).astype(np.uint8)
    assert measure_image(noisy).noise_sigma == pytest.approx(sigma, rel=0.1)


@pytest.mark.parametrize("sigma", [2.0, 8.0])
def test_flat_noise_recovers_white_noise_on_a_flat_frame(sigma: float) -> None:
    rng = np.random.default_rng(1)
    y = 128.0 + rng.normal(0, sigma, (256, 256))
    # Blocks with fewer residual degrees of freedom read slightly low; the 10th percentile lower still.
    assert estimate_flat_noise(y) == pytest.approx(sigma, rel=0.25)


def test_flat_noise_reads_sensor_noise_not_texture(photo_paths: list[Path]) -> None:
    """On the bundled photos, fine texture moves the flat-area estimate far less than the filter
    estimate, while the camera-model noise of the capture chains (demosaicked, so spatially correlated)
    raises it on every photo."""
    from red_aes.editing.capture import Chain, make_step

    photos = [load_image(p) for p in photo_paths]
    rng = np.random.default_rng(0)
    for index, photo in enumerate(photos):
        clean = measure_image(photo)
        noisy = Chain("noise", (make_step("sensor_noise", 0.8, rng),), index).apply(photo)
        assert measure_image(noisy).flat_noise > clean.flat_noise + 1.0, index
    textures = [measure_image(p) for p in photos]
    assert np.median([m.flat_noise for m in textures]) < 0.5 * np.median([m.noise_sigma for m in textures])


def test_a_saturation_change_is_colour_not_white_balance(photo_paths: list[Path]) -> None:
    """Scaling every pixel's chroma moves a one-hue scene's median a*, b*; that is not a cast."""
    editor = ClassicalEditor()
    for photo in (load_image(p) for p in photo_paths):
        m = measure_image(photo)
        if m.colorfulness < 10:  # camera.png is grey: saturation changes nothing
            continue
        for amount in (0.6, -1.0):  # (a boost that clips many pixels leaves a residual of a few b*)
            edited = measure_image(editor.apply(photo, [Operation("saturation", amount)]).image)
            facts = dict(change_facts(pair_measurements(m, edited)))
            assert "colorfulness" in facts and "cast_b" not in facts
        warm = measure_image(editor.apply(photo, [Operation("temperature", 3.0)]).image)
        assert cast_shift(m, warm)[1] > 3.0  # a real warm shift still reads as one


def test_clipping_fractions_count_black_and_white_pixels() -> None:
    image = np.full((100, 100, 3), 128, dtype=np.uint8)
    image[:10] = 255  # 10% blown
    image[10:15] = 0  # 5% crushed
    m = measure_image(image)
    assert m.highlight_clip == pytest.approx(0.10, abs=0.005)
    assert m.shadow_clip == pytest.approx(0.05, abs=0.005)


def test_colour_clipping_counts_pixels_with_some_channels_clipped() -> None:
    """One or two clipped channels count (colour pushed out of gamut); white and black pixels, which the
    luma clipping fractions count, and unclipped colours do not."""
    image = np.full((100, 100, 3), 128, dtype=np.uint8)
    image[:10] = (255, 40, 40)  # 10%: a red clipped in its red channel
    image[10:14] = (0, 0, 200)  # 4%: a blue with two channels crushed
    image[14:20] = 255  # 6% white
    image[20:25] = 0  # 5% black
    image[25:30] = (250, 30, 30)  # a strong red that does not clip
    assert measure_image(image).colour_clip == pytest.approx(0.14, abs=0.005)


def test_garish_edits_clip_colours_and_the_facts_say_so(photo_paths: list[Path]) -> None:
    """Strong saturation and contrast push channels out of gamut on every colour photo; the pair's facts
    name it, and muting the colours clips nothing more."""
    editor = ClassicalEditor()
    for photo in (load_image(p) for p in photo_paths):
        m = measure_image(photo)
        if m.colorfulness < 10:  # camera.png is grey
            continue
        for op in (Operation("saturation", 1.0), Operation("contrast", 1.0)):
            edited = measure_image(editor.apply(photo, [op]).image)
            assert edited.colour_clip > m.colour_clip + 0.01, (op, m.colour_clip, edited.colour_clip)
            assert "colours now clip" in dict(change_facts(pair_measurements(m, edited)))["colour_clip"]
        muted = measure_image(editor.apply(photo, [Operation("saturation", -0.6)]).image)
        assert muted.colour_clip <= m.colour_clip + 0.002


def test_real_photos_give_values_in_their_ranges(photo_paths) -> None:
    for path in photo_paths:
        m = measure_image(path)
        assert 0.0 <= m.shadow_clip <= 1.0 and 0.0 <= m.highlight_clip <= 1.0, path
        assert 0.05 < m.rms_contrast < 0.5, path
        assert -1.5 < m.sharpness < 0.5, path  # all bundled photos are in focus
        assert m.blockiness < 0.15, path  # none is heavily compressed
        assert 0.0 <= m.tilt_confidence <= 1.0, path


def test_statistics_do_not_depend_on_image_size(photos_dir) -> None:
    photo = load_image(photos_dir / "china.jpg")
    big = photo.resize((photo.width * 3, photo.height * 3), Image.Resampling.BICUBIC)
    small, large = measure_image(photo), measure_image(big)
    assert large.exposure_ev == pytest.approx(small.exposure_ev, abs=0.05)
    assert large.rms_contrast == pytest.approx(small.rms_contrast, abs=0.01)
    assert large.colorfulness == pytest.approx(small.colorfulness, rel=0.05)
    assert large.cast_b == pytest.approx(small.cast_b, abs=0.5)
    assert large.sharpness == pytest.approx(small.sharpness, abs=0.35)


def test_heavy_jpeg_shows_blocking(photos_dir) -> None:
    photo = load_image(photos_dir / "coffee.png")
    assert measure_image(photo).blockiness < 0.05
    assert measure_image(_jpeg(photo, 10)).blockiness > 0.5


def test_tilt_follows_a_rotation(photos_dir) -> None:
    photo = load_image(photos_dir / "camera.png")
    before = measure_image(photo)
    rotated = measure_image(photo.rotate(4, resample=Image.Resampling.BICUBIC).crop((60, 60, 452, 452)))
    assert before.tilt_confidence >= TILT_MIN_CONFIDENCE
    assert rotated.tilt_confidence >= TILT_MIN_CONFIDENCE
    assert rotated.tilt_degrees - before.tilt_degrees == pytest.approx(4.0, abs=1.0)


def test_pair_changes_and_plain_language_facts(photos_dir) -> None:
    photo = load_image(photos_dir / "china.jpg")
    brighter = Image.fromarray(np.clip(np.asarray(photo, dtype=np.float32) * 1.6, 0, 255).astype(np.uint8))
    pair = measure_pair(photo, brighter)
    assert pair.changes["exposure_ev"] == pytest.approx(pair.edited.exposure_ev - pair.original.exposure_ev)
    assert pair.changes["exposure_ev"] > 0.3
    assert set(pair.by_attribute()) <= set(ATTRIBUTES)
    facts = " ".join(describe_changes(pair))
    assert "exposure rose by" in facts
    assert "highlights now clip" in facts
    assert describe_changes(measure_pair(photo, photo)) == []


def test_measure_rejects_images_over_the_pixel_budget(photos_dir) -> None:
    with pytest.raises(ImageLoadError, match="exceeds the budget"):
        measure_image(photos_dir / "china.jpg", max_input_pixels=10_000)


@pytest.mark.parametrize("size", [(1, 1), (1, 100), (100, 1), (2, 2)])
def test_tiny_images_are_measured_without_errors_or_warnings(size: tuple[int, int]) -> None:
    """A side under 3 px leaves no interior pixel for the noise mask and the Laplacian: those give
    the values of a featureless image instead of the percentile/mean of an empty array."""
    array = np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        measured = measure_image(array)
    values = measured.to_dict()
    assert all(np.isfinite(v) for v in values.values()), values
    assert measured.noise_sigma == 0.0 and measured.sharpness == pytest.approx(-4.0)
    assert estimate_noise_sigma(np.zeros((2, 50), np.float32)) == 0.0


def test_measuring_uses_the_bounded_working_copy_unless_asked_for_full_resolution(photos_dir) -> None:
    photo = load_image(photos_dir / "china.jpg")
    big = photo.resize((photo.width * 5, photo.height * 5), Image.Resampling.LANCZOS)  # 3200x2135
    working = measure_image(big)
    assert (working.width, working.height) == (2048, 1366)
    full = measure_image(big, long_side=None)
    assert (full.width, full.height) == big.size
    assert working.exposure_ev == pytest.approx(full.exposure_ev, abs=0.02)


def test_tilt_is_reported_only_when_comparable_in_both_images(photos_dir) -> None:
    """A blurred copy is not a rotation: the line detector settles on other angles once the edges are
    soft (astronaut.png blurred by 4 reference px reads +1.75° against +0.5°, both confidently)."""
    editor = ClassicalEditor()
    for name in ("astronaut.png", "china.jpg", "rocket.jpg"):
        photo = load_image(photos_dir / name)
        blurred = editor.apply(photo, [Operation("blur", 4.0)]).image
        facts = describe_changes(measure_pair(photo, blurred))
        assert not any("horizon" in fact or "straight lines" in fact for fact in facts), (name, facts)
        rotated = editor.apply(photo, [Operation("rotate", 3.0)]).image
        facts = describe_changes(measure_pair(photo, rotated))
        assert any("horizon" in fact or "straight lines" in fact for fact in facts), (name, facts)
    straight = measure_image(load_image(photos_dir / "camera.png"))
    unsure = replace(straight, tilt_degrees=straight.tilt_degrees + 4.8, tilt_confidence=0.05)
    assert not any("tilt" in fact for fact in describe_changes(pair_measurements(straight, unsure)))
    assert not any("tilt" in fact for fact in describe_changes(pair_measurements(unsure, straight)))
