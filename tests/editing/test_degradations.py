"""The one degradation table (red_aes.editing.degradations): every row is a real defect of a taxonomy
attribute, the editor's attribute edits, the ladder kinds and the capture chains all read it, each way of
making a defect worsens the row's statistic as the strength grows (the physics the rows use is tested in
test_physics.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from red_aes.data.ladder import LADDER_KINDS
from red_aes.data.plans import ladder_plans
from red_aes.editing.capture import SCENARIOS, STEPS, Chain, make_step, sample_chain
from red_aes.editing.classical import ATTRIBUTE_EDITS, ClassicalEditor
from red_aes.editing.degradations import DEGRADATIONS
from red_aes.editing.operations import OPERATIONS, check_operation
from red_aes.images import load_image
from red_aes.measure import measure_image
from red_aes.types import Attribute

#: The measured statistic (red_aes.measure) each defect pushes the bad way, and that way's sign.
BAD_WAY: dict[str, tuple[str, int]] = {
    "gaussian_blur": ("sharpness", -1),
    "defocus": ("sharpness", -1),
    "motion_blur": ("sharpness", -1),
    "low_resolution": ("sharpness", -1),
    "oversharpen": ("highlight_clip", 1),  # halos push the bright side of edges to white
    "grain": ("noise_sigma", 1),
    "sensor_noise": ("noise_sigma", 1),
    "jpeg": ("blockiness", 1),
    "jpeg_repeat": ("blockiness", 1),
    "underexposure": ("exposure_ev", -1),
    "overexposure": ("exposure_ev", 1),
    "low_contrast": ("rms_contrast", -1),
    "haze": ("rms_contrast", -1),
    "desaturation": ("saturation", -1),
    "chromatic_aberration": ("sharpness", -1),  # fringes smear edges
    "cool_cast": ("cast_b", -1),
    "green_tint": ("cast_a", -1),
    "tilt": ("tilt_degrees", 1),
    "smear": ("sharpness", -1),  # heavy denoising wipes out fine texture
}
STRENGTHS = (1 / 3, 2 / 3, 1.0)


@pytest.fixture(scope="module")
def photo(photos_dir: Path) -> Image.Image:
    """A real street scene at the editor's reference size (512 px long side)."""
    image = load_image(photos_dir / "china.jpg")
    return image.resize((512, round(512 * image.height / image.width)))


def test_every_row_is_a_named_defect_of_a_taxonomy_attribute() -> None:
    assert set(BAD_WAY) == set(DEGRADATIONS), "give a new row its statistic in BAD_WAY"
    for name, row in DEGRADATIONS.items():
        assert row.name == name and isinstance(row.attribute, Attribute)
        assert row.description.strip() and (row.operation is not None or row.step is not None), name
        if row.operation is not None:
            check_operation(row.operation)  # a valid operation whose amount is in range at strength 1
            assert OPERATIONS[row.operation.op].attribute == row.attribute, name
        if row.step is not None:
            assert row.step.model.strip(), name


def test_an_operation_scales_with_strength_and_a_step_only_row_has_none() -> None:
    blur = DEGRADATIONS["gaussian_blur"]
    assert blur.operation is not None
    assert blur.at(0.5).op == blur.operation.op and blur.at(0.5).amount == pytest.approx(
        0.5 * blur.operation.amount
    )
    with pytest.raises(ValueError, match="'smear' has no exact classical operation"):
        DEGRADATIONS["smear"].at(0.5)


def test_the_editor_the_ladder_and_the_chains_all_read_the_one_table() -> None:
    for attribute, entry in ATTRIBUTE_EDITS.items():
        assert entry.degradation is DEGRADATIONS[entry.degradation.name]
        assert entry.degradation.attribute == attribute and entry.degradation.operation is not None
    assert set(LADDER_KINDS) == {n for n, row in DEGRADATIONS.items() if row.operation is not None}
    assert all(LADDER_KINDS[name] is DEGRADATIONS[name] for name in LADDER_KINDS)
    assert set(STEPS) == {n for n, row in DEGRADATIONS.items() if row.step is not None}
    assert all(STEPS[name] is DEGRADATIONS[name].step for name in STEPS)
    sampled = {
        step.kind
        for scenario in SCENARIOS
        for seed in range(20)
        for step in sample_chain(scenario, 1.0, seed).steps
    }
    assert sampled <= set(STEPS) and {"motion_blur", "sensor_noise", "underexposure"} <= sampled


def test_the_editor_and_the_ladder_build_apply_the_rows_operation(photo: Image.Image) -> None:
    result = ClassicalEditor().edit_attribute(photo, "sharpness", "degrade", 0.5)
    assert result.params["operations"][0]["amount"] == DEGRADATIONS["gaussian_blur"].at(0.5).amount
    (planned,) = ladder_plans("photo-1", ["haze"], [0.5], seed=0)
    assert planned.operation == DEGRADATIONS["haze"].at(0.5) and planned.plan.attribute == "contrast"


@pytest.mark.parametrize("name", sorted(n for n, row in DEGRADATIONS.items() if row.operation is not None))
def test_each_operation_degrades_monotonically_in_strength(name: str, photo: Image.Image) -> None:
    stat, sign = BAD_WAY[name]
    editor, row = ClassicalEditor(), DEGRADATIONS[name]
    values = [getattr(measure_image(photo), stat)]
    for strength in STRENGTHS:
        edited = editor.apply(photo, [row.at(strength)], seed=0).image
        values.append(getattr(measure_image(edited), stat))
    assert (np.diff(values) * sign > 0).all(), f"{name}: {stat} along the ladder {np.round(values, 4)}"


@pytest.mark.parametrize("name", sorted(STEPS))
def test_each_capture_step_degrades_monotonically_in_strength(name: str, photo: Image.Image) -> None:
    """The chain's ladder (one shape, growing strength) worsens the same statistic as the operation."""
    stat, sign = BAD_WAY[name]
    chain = Chain("one", (make_step(name, 1.0, np.random.default_rng(1)),), seed=0)
    values = [getattr(measure_image(photo), stat)]
    values += [getattr(measure_image(chain.scaled(s).apply(photo)), stat) for s in STRENGTHS]
    assert (np.diff(values) * sign > 0).all(), f"{name}: {stat} along the ladder {np.round(values, 4)}"
