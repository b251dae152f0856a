"""Classical editor: every operation moves its own measured attribute the right way on real photos and
leaves unrelated ones nearly unchanged; geometry, determinism, attribute edits and bad input."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pytest
from PIL import Image

from red_aes.commands.red_aes_cli import main
from red_aes.editing import OPERATIONS, Operation, UnsupportedEditError, load_editor, parse_prompt
from red_aes.editing.classical import ATTRIBUTE_EDITS, EFFECT_STATISTICS, ClassicalEditor, unseen_change_notes
from red_aes.editing.operations import LEVEL_TOLERANCE, MAX_EDIT_WORK, check_work
from red_aes.errors import InputError, TimeLimitError
from red_aes.images import ImageLoadError, load_image
from red_aes.measure import (
    TILT_MIN_CONFIDENCE,
    ImageMeasurements,
    analysis_image,
    cast_shift,
    change_facts,
    estimate_tilt,
    luma,
    measure_image,
    measure_pair,
    salient_centre,
    srgb_to_linear,
    to_float,
)
from red_aes.types import Attribute

#: Real photos with colour, texture and straight lines (tilt is measurable on both): a portrait and a
#: street scene. Two keep the suite fast; the scorer tests use all bundled photos.
PHOTOS = ("astronaut.png", "china.jpg")
EDITOR = ClassicalEditor()


@dataclass(frozen=True)
class Case:
    """``op`` must move ``stat`` in ``sign`` direction by at least ``minimum`` and keep every ``keep``
    statistic within its tolerance; ``pre`` operations prepare the input (e.g. add grain to denoise)."""

    op: Operation
    stat: str
    sign: int
    minimum: float
    keep: dict[str, float] = field(default_factory=dict)
    pre: tuple[Operation, ...] = ()


CASES = [
    Case(Operation("exposure", 0.7), "exposure_ev", 1, 0.4, {"saturation": 0.06, "blockiness": 0.03}),
    Case(Operation("exposure", -0.7), "exposure_ev", -1, 0.4, {"saturation": 0.06, "blockiness": 0.03}),
    Case(
        Operation("brightness", 0.25),
        "mean_luminance",
        1,
        0.02,
        {"highlight_clip": 0.01, "rms_contrast": 0.02},
    ),
    Case(Operation("brightness", -0.25), "mean_luminance", -1, 0.02, {"highlight_clip": 0.01}),
    Case(Operation("contrast", 0.25), "rms_contrast", 1, 0.02, {"mean_luminance": 0.02, "blockiness": 0.03}),
    Case(Operation("contrast", -0.5), "rms_contrast", -1, 0.05, {"mean_luminance": 0.01, "blockiness": 0.03}),
    Case(
        Operation("saturation", 0.3),
        "saturation",
        1,
        0.03,
        {"mean_luminance": 0.01, "sharpness": 0.05},
    ),
    Case(
        Operation("saturation", -0.5),
        "saturation",
        -1,
        0.05,
        {"mean_luminance": 0.01, "sharpness": 0.05},
    ),
    Case(
        Operation("vibrance", 0.3),
        "saturation",
        1,
        0.01,
        {"mean_luminance": 0.01, "rms_contrast": 0.01},
    ),
    Case(
        Operation("temperature", 0.6),
        "cast_b",
        1,
        1.5,
        {"mean_luminance": 0.01, "rms_contrast": 0.01, "sharpness": 0.05},
    ),
    Case(Operation("temperature", -0.6), "cast_b", -1, 1.5, {"mean_luminance": 0.01, "rms_contrast": 0.01}),
    Case(Operation("tint", 0.6), "cast_a", 1, 1.5, {"mean_luminance": 0.01, "rms_contrast": 0.01}),
    Case(Operation("tint", -0.6), "cast_a", -1, 1.5, {"mean_luminance": 0.01, "rms_contrast": 0.01}),
    Case(
        Operation("sharpen", 0.6),
        "sharpness",
        1,
        0.2,
        {"mean_luminance": 0.01, "saturation": 0.03, "cast_b": 1.0},
    ),
    Case(Operation("blur", 1.5), "sharpness", -1, 1.0, {"mean_luminance": 0.01, "cast_b": 2.0}),
    Case(
        Operation("grain", 8.0),
        "noise_sigma",
        1,
        3.0,
        {"mean_luminance": 0.01, "sharpness": 0.25, "rms_contrast": 0.01},
    ),
    Case(
        Operation("denoise", 1.0),
        "noise_sigma",
        -1,
        5.0,
        {"mean_luminance": 0.01},
        pre=(Operation("grain", 20.0),),
    ),
    Case(
        Operation("vignette", 0.3),
        "vignetting_ev",
        -1,
        0.2,
        {"saturation": 0.01, "sharpness": 0.05, "cast_b": 3.0},
    ),
    Case(Operation("rotate", 4.0), "tilt_degrees", 1, 2.5, {"mean_luminance": 0.03, "saturation": 0.03}),
    Case(Operation("jpeg", 1.0), "blockiness", 1, 0.5, {"mean_luminance": 0.01, "rms_contrast": 0.01}),
    Case(
        Operation("auto_white_balance", 1.0),
        "cast",
        -1,
        3.0,
        {"mean_luminance": 0.03},
        pre=(Operation("temperature", 2.0),),
    ),
]


@pytest.fixture(scope="module")
def photos(photos_dir) -> dict[str, Image.Image]:
    return {name: load_image(photos_dir / name) for name in PHOTOS}


@pytest.fixture(scope="module")
def measured(photos) -> dict[str, ImageMeasurements]:
    return {name: measure_image(image) for name, image in photos.items()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.op.op}{c.op.amount:+g}")
def test_operation_moves_its_attribute_and_keeps_the_others(case: Case, photos, measured) -> None:
    for name, photo in photos.items():
        source = EDITOR.apply(photo, list(case.pre)).image if case.pre else photo
        before = measure_image(source) if case.pre else measured[name]
        after = measure_image(EDITOR.apply(source, [case.op]).image)
        change = getattr(after, case.stat) - getattr(before, case.stat)
        assert case.sign * change >= case.minimum, f"{name}: {case.stat} changed by {change:+.3f}"
        for stat, tolerance in case.keep.items():
            moved = getattr(after, stat) - getattr(before, stat)
            assert abs(moved) <= tolerance, f"{name}: {case.op.op} moved unrelated {stat} by {moved:+.3f}"


def test_every_operation_is_covered_or_tested_geometrically() -> None:
    geometric = {"crop", "crop_square", "crop_thirds", "crop_box", "straighten"}
    assert {c.op.op for c in CASES} | geometric | set(DEGRADATION_LADDERS) == set(OPERATIONS)


def _colour_fringe(image: Image.Image) -> float:
    """Mean gradient magnitude of the red-minus-blue image: colour fringes are edges there."""
    diff = to_float(image)[..., 0] - to_float(image)[..., 2]
    return float(np.hypot(*np.gradient(diff)).mean())


def _clipped(image: Image.Image) -> float:
    """Share of pixels clipped to black or white (sharpening halos overshoot into clipping)."""
    m = measure_image(image)
    return m.highlight_clip + m.shadow_clip


#: Realistic degradation -> (statistic of the result, bad direction, amounts in increasing strength).
DEGRADATION_LADDERS = {
    "defocus": (lambda im: measure_image(im).sharpness, -1, (1.0, 3.0, 8.0, 20.0)),
    "motion_blur": (lambda im: measure_image(im).sharpness, -1, (3.0, 10.0, 25.0, 60.0)),
    "sensor_noise": (lambda im: measure_image(im).noise_sigma, 1, (4.0, 8.0, 16.0, 40.0)),
    "jpeg_repeat": (lambda im: measure_image(im).blockiness, 1, (0.25, 0.5, 0.75, 1.0)),
    "downscale": (lambda im: measure_image(im).sharpness, -1, (1.5, 2.0, 4.0, 8.0)),
    "oversharpen": (_clipped, 1, (1.0, 3.0, 6.0, 10.0)),
    "haze": (lambda im: measure_image(im).rms_contrast, -1, (0.25, 0.5, 0.75, 1.0)),
    "chromatic_aberration": (_colour_fringe, 1, (1.0, 3.0, 6.0, 10.0)),
}


@pytest.mark.parametrize("op", sorted(DEGRADATION_LADDERS))
def test_realistic_degradations_are_monotonic_deterministic_and_keep_the_size(op: str, photos) -> None:
    statistic, sign, amounts = DEGRADATION_LADDERS[op]
    photo = photos["astronaut.png"]
    values = [statistic(photo)]
    for amount in amounts:
        result = EDITOR.apply(photo, [Operation(op, amount)], seed=5)
        assert result.image.size == photo.size and result.image.mode == "RGB"
        assert np.asarray(result.image).dtype == np.uint8
        values.append(statistic(result.image))
    again = EDITOR.apply(photo, [Operation(op, amounts[-1])], seed=5).image
    assert np.array_equal(np.asarray(again), np.asarray(result.image))
    steps = np.diff(values) * sign
    assert (steps > 0).all(), f"{op}: statistic along the ladder {np.round(values, 4).tolist()}"


def _point_image(size: int = 512) -> Image.Image:
    """A black square with one white pixel in the centre (to read off a blur's PSF)."""
    array = np.zeros((size, size, 3), dtype=np.uint8)
    array[size // 2, size // 2] = 255
    return Image.fromarray(array)


def test_defocus_spreads_a_point_into_a_disk_of_the_given_radius() -> None:
    spread = np.asarray(EDITOR.apply(_point_image(), [Operation("defocus", 6.0)]).image)[..., 1] > 0
    rows, cols = np.nonzero(spread)
    radius = np.hypot(rows - 256, cols - 256)
    assert radius.max() <= 7.0 and spread[256, 256 + 5] and spread[256 - 5, 256]
    assert abs(spread.sum() - np.pi * 6.0**2) < 0.25 * np.pi * 6.0**2


def test_motion_blur_spreads_a_point_into_a_line_at_the_seeded_angle() -> None:
    result = EDITOR.apply(_point_image(), [Operation("motion_blur", 20.0)], seed=11)
    angle = result.params["operations"][0]["angle_degrees"]
    other = EDITOR.apply(_point_image(), [Operation("motion_blur", 20.0)], seed=12)
    assert other.params["operations"][0]["angle_degrees"] != angle
    rows, cols = np.nonzero(np.asarray(result.image)[..., 1] > 0)
    length = np.hypot(rows - 256, cols - 256).max() * 2
    assert 18.0 <= length <= 23.0
    far = np.argmax(np.hypot(rows - 256, cols - 256))
    seen = np.degrees(np.arctan2(256 - rows[far], cols[far] - 256)) % 180.0
    assert min(abs(seen - angle), 180.0 - abs(seen - angle)) < 6.0


def test_sensor_noise_amount_is_the_standard_deviation_at_middle_grey_in_green() -> None:
    """The capture chains' camera model (tests/editing/test_physics.py): ``amount`` levels at middle grey
    on green; red and blue, amplified by the daylight white-balance gains, are noisier; the noise is
    demosaicked (neighbours correlate) and, in linear light, relatively stronger in the shadows."""
    grey = Image.new("RGB", (256, 256), (118, 118, 118))  # sRGB 118 is linear 0.18, middle grey
    result = EDITOR.apply(grey, [Operation("sensor_noise", 12.0)])
    noisy = np.asarray(result.image, dtype=np.float64)
    red, green, blue = noisy.std(axis=(0, 1))
    assert green == pytest.approx(12.0, rel=0.06) and red > 1.5 * green and blue > 1.2 * green
    assert np.corrcoef(noisy[:, :-1, 1].ravel(), noisy[:, 1:, 1].ravel())[0, 1] > 0.2
    assert result.params["operations"][0]["gains"] == [2.0, 1.0, 1.6]
    dark = np.asarray(
        EDITOR.apply(Image.new("RGB", (256, 256), (60, 60, 60)), [Operation("sensor_noise", 12.0)]).image
    )
    relative = [srgb_to_linear(to_float(im))[..., 1].std() / srgb_to_linear(to_float(im))[..., 1].mean()
                for im in (Image.fromarray(dark), result.image)]  # fmt: skip
    assert relative[0] > relative[1]


def test_haze_is_a_veil_towards_light_grey_airlight() -> None:
    black = Image.new("RGB", (64, 64), (0, 0, 0))
    veiled = EDITOR.apply(black, [Operation("haze", 0.25)])
    # a veil of 0.9 x sqrt(0.25) = 0.45 towards sRGB 0.9: 0.405, 103 levels
    assert np.asarray(veiled.image).mean() == pytest.approx(0.45 * 0.9 * 255, abs=1)
    assert veiled.params["operations"][0]["veil"] == pytest.approx(0.45)
    white = EDITOR.apply(Image.new("RGB", (64, 64), (255, 255, 255)), [Operation("haze", 0.25)])
    assert np.asarray(white.image).mean() == pytest.approx((0.55 + 0.45 * 0.9) * 255, abs=1)


def test_chromatic_aberration_shifts_red_and_blue_by_the_amount_at_the_corners() -> None:
    array = np.zeros((512, 512, 3), dtype=np.uint8)
    array[40:60, 40:60] = 255  # a white square near the top-left corner
    edited = np.asarray(EDITOR.apply(Image.fromarray(array), [Operation("chromatic_aberration", 8.0)]).image)
    centroid = [np.array(np.nonzero(edited[..., c] > 127)).mean(axis=1) for c in range(3)]
    assert np.allclose(centroid[1], 49.5, atol=0.5)  # green stays
    shift = np.hypot(*(centroid[0] - centroid[2])) / 2  # red out, blue in, each by the radial shift
    assert shift == pytest.approx(8.0 * (255.5 - 49.5) / 255.5, rel=0.1)  # 8 px at the corner, radial
    assert centroid[0][0] < centroid[1][0] < centroid[2][0]  # red moved outwards, blue inwards


def test_crops_have_the_promised_geometry(photos) -> None:
    photo = photos["china.jpg"]
    tighter = EDITOR.apply(photo, [Operation("crop", 0.2)]).image
    assert tighter.size == (round(photo.width * 0.8), round(photo.height * 0.8))
    square = EDITOR.apply(photo, [Operation("crop_square")]).image
    assert square.size == (photo.height, photo.height)
    box = EDITOR.apply(photo, [Operation("crop_box", box=(10, 20, 110, 70))]).image
    assert np.array_equal(np.asarray(box), np.asarray(photo.crop((10, 20, 110, 70))))


def test_rule_of_thirds_crop_puts_the_subject_near_a_thirds_point(photos) -> None:
    photo = photos["china.jpg"]
    result = EDITOR.apply(photo, [Operation("crop_thirds", 0.25)])
    left, top, right, bottom = result.params["operations"][0]["crop_box"]
    sx, sy = salient_centre(luma(to_float(analysis_image(photo))))
    x, y = (sx * photo.width - left) / (right - left), (sy * photo.height - top) / (bottom - top)
    nearest = min(np.hypot(x - px, y - py) for px in (1 / 3, 2 / 3) for py in (1 / 3, 2 / 3))
    before = min(np.hypot(sx - px, sy - py) for px in (1 / 3, 2 / 3) for py in (1 / 3, 2 / 3))
    assert nearest < before
    assert nearest < 0.05


def test_rotate_keeps_the_size_and_straighten_undoes_a_tilt(photos_dir) -> None:
    photo = load_image(photos_dir / "camera.png")
    tilted = EDITOR.apply(photo, [Operation("rotate", 5.0)]).image
    assert tilted.size == photo.size
    result = EDITOR.apply(tilted, [Operation("straighten")])
    params = result.params["operations"][0]
    assert params["angle"] == pytest.approx(-params["detected_tilt"])
    assert abs(measure_image(result.image).tilt_degrees) < abs(measure_image(tilted).tilt_degrees) - 2.0


def _tilt(image: Image.Image) -> tuple[float, float]:
    return estimate_tilt(luma(to_float(analysis_image(image))) * 255.0)


def test_straighten_refuses_a_photo_without_straight_lines(photos_dir) -> None:
    photo = load_image(photos_dir / "flower.jpg")
    assert _tilt(photo)[1] < TILT_MIN_CONFIDENCE
    with pytest.raises(UnsupportedEditError, match="cannot straighten: no dominant straight lines") as caught:
        EDITOR.edit(photo, "straighten the horizon")
    assert "left as it is" in str(caught.value) and "'rotate 2 degrees clockwise'" in str(caught.value)
    parse_prompt("rotate 2 degrees clockwise")  # the way out the message names is a prompt that works


@pytest.mark.parametrize("name", ["china.jpg", "camera.png"])
def test_straighten_says_a_level_photo_is_already_level(name: str, photos_dir) -> None:
    photo = load_image(photos_dir / name)
    tilt, confidence = _tilt(photo)
    assert confidence >= TILT_MIN_CONFIDENCE and abs(tilt) < LEVEL_TOLERANCE  # lines found, and level
    with pytest.raises(UnsupportedEditError, match=r"nothing to straighten: the photo is already level"):
        EDITOR.edit(photo, "straighten it")
    # a measurable tilt is still straightened
    tilted = EDITOR.apply(photo, [Operation("rotate", 3.0)]).image
    assert abs(EDITOR.edit(tilted, "straighten it").params["operations"][0]["angle"]) >= LEVEL_TOLERANCE


@pytest.mark.parametrize(
    ("name", "message"),
    [("flower.jpg", "cannot straighten: no dominant straight lines"), ("china.jpg", "already level")],
)
def test_the_cli_refuses_straightening_in_one_line_and_writes_nothing(
    name: str, message: str, photos_dir, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.png"
    argv = ["edit", str(photos_dir / name), "--prompt", "straighten the horizon", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("red-aes edit: error: ") and message in err and "\n" not in err
    assert not out.exists()


def test_edits_are_deterministic_and_grain_follows_the_seed(photos) -> None:
    photo = photos["astronaut.png"]
    first = EDITOR.edit(photo, "add grain and make it warmer", seed=3).image
    again = EDITOR.edit(photo, "add grain and make it warmer", seed=3).image
    other = EDITOR.edit(photo, "add grain and make it warmer", seed=4).image
    assert np.array_equal(np.asarray(first), np.asarray(again))
    assert not np.array_equal(np.asarray(first), np.asarray(other))


def test_edit_reports_operations_in_order(photos) -> None:
    result = EDITOR.edit(photos["china.jpg"], "make it brighter and warmer")
    ops = result.params["operations"]
    assert [op["op"] for op in ops] == ["exposure", "temperature"]
    assert ops[0]["amount"] == pytest.approx(OPERATIONS["exposure"].default)
    assert ops[1]["text"] == "warmer"
    assert result.backend == "classical" and result.instruction == "make it brighter and warmer"


def test_attribute_edits_cover_the_classical_attributes() -> None:
    required = {"exposure", "contrast", "color", "white_balance", "sharpness", "noise", "composition"}
    assert required <= set(ATTRIBUTE_EDITS)


#: The statistic each degradation makes worse, and the bad direction.
DEGRADED_STAT = {
    "exposure": ("exposure_ev", -1),
    "contrast": ("rms_contrast", -1),
    "color": ("saturation", -1),
    "white_balance": ("cast_b", -1),
    "sharpness": ("sharpness", -1),
    "noise": ("noise_sigma", 1),
    "composition": ("tilt_degrees", 1),
}


@pytest.mark.parametrize("attribute", sorted(DEGRADED_STAT))
def test_degradations_are_monotonic_in_strength(attribute: str, photos, measured) -> None:
    stat, sign = DEGRADED_STAT[attribute]
    values = [getattr(measured["astronaut.png"], stat)]
    for strength in (0.25, 0.5, 0.75, 1.0):
        result = EDITOR.edit_attribute(photos["astronaut.png"], attribute, "degrade", strength)
        values.append(getattr(measure_image(result.image), stat))
        parsed = parse_prompt(result.instruction)[0].operation
        applied = result.params["operations"][0]
        assert parsed.op == applied["op"] and np.sign(parsed.amount) == np.sign(applied["amount"])
    steps = np.diff(values) * sign
    assert (steps > 0).all(), f"{attribute}: {stat} along the ladder {np.round(values, 3).tolist()}"


def test_attribute_edit_instructions_are_natural_language(photos) -> None:
    result = EDITOR.edit_attribute(photos["china.jpg"], "exposure", "degrade", 1.0)
    assert result.instruction == "make it much darker"
    assert result.params["attribute"] == "exposure" and result.params["direction"] == "degrade"


def test_attribute_edit_errors(photos) -> None:
    photo = photos["china.jpg"]
    with pytest.raises(UnsupportedEditError, match="can edit"):
        EDITOR.edit_attribute(photo, "clutter", "degrade", 0.5)
    with pytest.raises(UnsupportedEditError, match="no generic improvement"):
        EDITOR.edit_attribute(photo, "exposure", "improve", 0.5)
    with pytest.raises(ValueError, match="direction"):
        EDITOR.edit_attribute(photo, "noise", "worse", 0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="strength"):
        EDITOR.edit_attribute(photo, "noise", "degrade", 0.0)


def test_bad_operations_are_rejected_before_any_work(photos) -> None:
    photo = photos["china.jpg"]
    with pytest.raises(ValueError, match=r"exposure amount 9.0 is outside \[-5.0, 5.0\]"):
        EDITOR.apply(photo, [Operation("brightness", 0.1), Operation("exposure", 9.0)])
    with pytest.raises(UnsupportedEditError, match="unknown operation 'posterize'"):
        EDITOR.apply(photo, [Operation("posterize", 1.0)])
    with pytest.raises(ValueError, match="not inside the 640x427 image"):
        EDITOR.apply(photo, [Operation("crop_box", box=(0, 0, 700, 100))])
    with pytest.raises(ValueError, match="blur amount 0 would leave the image unchanged"):
        EDITOR.apply(photo, [Operation("blur", 0.0)])
    with pytest.raises(ValueError, match="no operations"):
        EDITOR.apply(photo, [])


def test_huge_image_over_the_pixel_budget_is_refused(tmp_path) -> None:
    path = tmp_path / "huge.png"
    Image.new("1", (9000, 8000)).save(path)  # 72 megapixels, a few kilobytes on disk
    with pytest.raises(ImageLoadError, match="exceeds the budget"):
        EDITOR.edit(path, "make it brighter")


def test_edits_run_on_the_bounded_working_copy_unless_full_resolution_is_asked(photos) -> None:
    photo = photos["china.jpg"]
    big = photo.resize((photo.width * 5, photo.height * 5), Image.Resampling.LANCZOS)  # 3200x2135
    result = EDITOR.edit(big, "add grain")
    assert result.image.size == (2048, 1366) and result.params["working_long_side"] == 2048
    full = ClassicalEditor(long_side=None).edit(big, "add grain")
    assert full.image.size == big.size and full.params["working_long_side"] is None
    assert ClassicalEditor.from_pretrained("classical", long_side=None).long_side is None
    with pytest.raises(
        ValueError, match=r"the classical editor: side \(it takes max_input_pixels, long_side, max_work\)"
    ):
        load_editor("classical", side=3)


def test_the_work_a_prompt_asks_for_is_bounded_before_any_runs(photos) -> None:
    photo = photos["china.jpg"]
    big = photo.resize((2048, 1366), Image.Resampling.BILINEAR)
    heavy = ", ".join(["blur 50 px"] * 3)
    with pytest.raises(
        InputError, match=r"blur 50 px is too much work for a 2048x1366 image .* up to 16\.\d px"
    ):
        EDITOR.edit(big, heavy)
    with pytest.raises(
        InputError, match=r"too much work: about \d+ s of computing on a 2048x1366 image for 12"
    ):
        EDITOR.edit(big, ", ".join(["add sensor noise"] * 12))
    # the same prompt on a small image, or with the bound lifted, is carried out
    assert len(EDITOR.edit(photo.resize((256, 171)), heavy).params["operations"]) == 3
    assert ClassicalEditor(max_work=None).apply(big, [Operation("blur", 20.0)]).image.size == big.size
    assert check_work([Operation("exposure", 0.7)], (2048, 1366), MAX_EDIT_WORK) < 1.0


def test_a_deadline_stops_the_edit_before_its_next_operation(photos) -> None:
    with pytest.raises(TimeLimitError, match="stopped after 0 of 2 operations"):
        EDITOR.edit(photos["china.jpg"], "brighter and warmer", deadline=time.monotonic() - 1)
    done = EDITOR.edit(photos["china.jpg"], "brighter and warmer", deadline=time.monotonic() + 3600)
    assert len(done.params["operations"]) == 2


# -- issue 24: an edit too small to see says why -------------------------------------------------------


def test_a_slight_warming_says_b_star_moved_less_than_the_eye_sees(photos_dir) -> None:
    photo = load_image(photos_dir / "chelsea.png")
    result = EDITOR.edit(photo, "make it a bit warmer")
    pair = measure_pair(photo, result.image)
    assert "cast_b" not in dict(change_facts(pair))  # too small to count as visible...
    moved = cast_shift(pair.original, pair.edited)[1]
    assert moved > 0.5  # ...but b* did move, so "no change" would be false
    assert unseen_change_notes(pair, result.params["operations"]) == [
        "'make it a bit warmer': the change is below what the eye sees; median blue(-)/yellow(+) shift of "
        f"the mid-tones moved by {moved:+.2f} b*"
    ]


def test_denoising_a_clean_photo_says_it_had_little_noise(photos_dir) -> None:
    photo = load_image(photos_dir / "chelsea.png")
    result = EDITOR.edit(photo, "denoise")
    pair = measure_pair(photo, result.image)
    (note,) = unseen_change_notes(pair, result.params["operations"])
    assert note == (
        "'denoise': the change is below what the eye sees; the photo had little measurable noise to remove "
        f"({pair.original.flat_noise:.1f} grey levels in flat areas; {pair.edited.flat_noise:.1f} after)"
    )
    # a noisy photo's noise is removed visibly, and then nothing needs explaining
    noisy = EDITOR.edit(photo, "add a lot of grain", seed=1).image
    cleaned = EDITOR.edit(noisy, "denoise")
    assert unseen_change_notes(measure_pair(noisy, cleaned.image), cleaned.params["operations"]) == []


def test_only_the_operations_too_small_to_see_get_a_note(photos_dir) -> None:
    photo = load_image(photos_dir / "flower.jpg")
    result = EDITOR.edit(photo, "make it much brighter and a bit warmer, crop tighter")
    notes = unseen_change_notes(measure_pair(photo, result.image), result.params["operations"])
    assert len(notes) == 1 and notes[0].startswith("'a bit warmer': the change is below what the eye sees")
    # an edit no statistic follows is explained when nothing at all changed visibly
    rotated = EDITOR.edit(photo, "rotate 1 degree")
    assert unseen_change_notes(measure_pair(photo, rotated.image), rotated.params["operations"]) == [
        "'rotate 1 degree': no measured statistic changed visibly, and none of them follows this kind of "
        "edit (rotate) on every photo"
    ]


def test_every_non_geometric_operation_names_the_statistics_that_show_it() -> None:
    untracked = {op for op, spec in OPERATIONS.items() if spec.attribute is Attribute.COMPOSITION}
    assert set(EFFECT_STATISTICS) == set(OPERATIONS) - untracked - {"chromatic_aberration"}
    tracked = {statistic for statistics in EFFECT_STATISTICS.values() for statistic in statistics}
    assert tracked <= set(measure_image(Image.new("RGB", (64, 64), "grey")).to_dict())
