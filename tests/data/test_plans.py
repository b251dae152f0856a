"""Edit plans (red_aes.data.plans): the grid by editor capability, seeded plans, the endpoint planner."""

from __future__ import annotations

from typing import Any

import pytest

from red_aes.data.judges import PairToJudge
from red_aes.data.plans import EndpointWriter, LibraryWriter, PlanError, plan_grid, plan_source, write_plans
from red_aes.types import ATTRIBUTES


def test_plan_grid_respects_editor_capabilities() -> None:
    classical = frozenset({("exposure", "degrade"), ("color", "improve"), ("color", "degrade")})
    grid = plan_grid({"classical": classical, "flux": None}, ["exposure", "color"], ["improve"], [0.5])
    assert ("classical", "exposure", "improve", 0.5) not in grid
    assert ("classical", "color", "improve", 0.5) in grid
    assert ("flux", "exposure", "improve", 0.5) in grid
    with pytest.raises(ValueError, match="no edit"):
        plan_grid({"classical": classical}, ["exposure"], ["improve"], [0.5])


def test_plans_are_seeded_per_source_and_reproducible() -> None:
    from PIL import Image

    grid = plan_grid({"a": None, "b": None}, list(ATTRIBUTES), ["improve", "degrade"], [0.3, 0.6, 0.9])
    writer = LibraryWriter("v1")
    image = Image.new("RGB", (8, 8))
    first = write_plans("src1", image, plan_source("src1", grid, pairs_per_source=5, seed=7), writer, 7)
    again = write_plans("src1", image, plan_source("src1", grid, pairs_per_source=5, seed=7), writer, 7)
    assert first == again
    cells = [(p.editor, p.plan.attribute, p.plan.direction, p.plan.strength) for p in first]
    assert len(set(cells)) == 5  # distinct grid cells
    other_seed = plan_source("src1", grid, pairs_per_source=5, seed=8)
    other_source = plan_source("src2", grid, pairs_per_source=5, seed=7)
    assert other_seed != plan_source("src1", grid, pairs_per_source=5, seed=7)
    assert other_source != plan_source("src1", grid, pairs_per_source=5, seed=7)
    assert len(plan_source("s", grid[:3], pairs_per_source=5, seed=0)) == 3  # never more than the grid


def test_endpoint_planner_writes_checked_instructions(stub_factory: Any, darkened_pair: PairToJudge) -> None:
    stub = stub_factory(['"Dim the lamp light a little."', "line one\nline two"])
    writer = EndpointWriter(stub.base_url, "planner")
    assert (
        writer.write("exposure", "degrade", 0.3, darkened_pair.original, seed=5)
        == "Dim the lamp light a little."
    )
    content = stub.requests[0]["messages"][0]["content"]
    assert "worsens the exposure" in content[1]["text"] and "slightly" in content[1]["text"]
    assert stub.requests[0]["seed"] == 5
    with pytest.raises(PlanError, match="one-line"):
        writer.write("exposure", "degrade", 0.3, darkened_pair.original, seed=6)
