"""Classical editor: every operation moves its own measured attribute the right way on real photos and
leaves unrelated ones nearly unchanged; geometry, determinism, attribute edits and bad input."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from PIL import Image

from red_aes.editing import (
    ATTRIBUTE_EDITS,
    OPERATIONS,
    ClassicalEditor,
    Operation,
    UnsupportedEditError,
    parse_prompt,
)
from red_aes.images import ImageLoadError, load_image
from red_aes.measure import ImageMeasurements, analysis_image, luma, measure_image, salient_centre, to_float

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
    assert {c.op.op for c in CASES} | geometric == set(OPERATIONS)


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


def test_straighten_refuses_a_photo_without_straight_lines(photos_dir) -> None:
    with pytest.raises(UnsupportedEditError, match="no dominant straight lines"):
        EDITOR.apply(load_image(photos_dir / "flower.jpg"), [Operation("straighten")])


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
