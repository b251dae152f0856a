"""The rationale teachers (red_aes.data.rationale): the endpoint teacher against a chat stub and the VLM
teacher on the tiny checkpoint keep a rationale only when its direction agrees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from red_aes.data.aggregate import direction_of
from red_aes.data.judges import PairToJudge
from red_aes.data.rationale import EndpointTeacher, RationaleError, RationaleInput, load_rationale_writer
from red_aes.parsing import parse_answer
from red_aes.scoring import load_scorer


@pytest.mark.slow
def test_vlm_teacher_keeps_its_reasoning_only_when_its_direction_agrees(
    tiny_model_dir: Path, tilted_pair: PairToJudge
) -> None:
    teacher = load_rationale_writer(
        {"name": "vlm", "model": str(tiny_model_dir)}, neutral_band=0.25, device="cpu"
    )
    own = load_scorer(str(tiny_model_dir), device="cpu").compare(
        tilted_pair.original, tilted_pair.edited, tilted_pair.instruction, decoding="reasoning"
    )
    assert own.valid and own.reasoning
    own_direction = direction_of(own.delta, 0.25)
    agreeing = RationaleInput(
        tilted_pair.original, tilted_pair.edited, tilted_pair.instruction, "composition", 2.0 * own_direction
    )
    parsed = parse_answer(teacher.write(agreeing), strict=True)
    assert parsed.value == 2.0 * own_direction and parsed.reasoning == own.reasoning.strip()
    opposite = -2.0 if own_direction >= 0 else 2.0
    disagreeing = RationaleInput(
        tilted_pair.original, tilted_pair.edited, tilted_pair.instruction, "composition", opposite
    )
    with pytest.raises(RationaleError, match="against the aggregated"):
        teacher.write(disagreeing)


def test_endpoint_teacher_regenerates_until_the_direction_agrees(
    stub_factory: Any, darkened_pair: PairToJudge
) -> None:
    stub = stub_factory(
        [
            "<think>Brighter and better.</think><answer>+1.0</answer>",  # wrong direction
            "no tags at all",  # unparseable
            "<think>The photo is much darker; shadows are crushed.</think><answer>-2.2</answer>",
        ]
    )
    teacher = EndpointTeacher(0.25, stub.base_url, "teacher", max_attempts=3)
    item = RationaleInput(
        darkened_pair.original, darkened_pair.edited, darkened_pair.instruction, "exposure", -1.5
    )
    target = teacher.write(item)
    parsed = parse_answer(target, strict=True)
    assert parsed.value == -1.5 and parsed.reasoning == "The photo is much darker; shadows are crushed."
    assert [r["temperature"] for r in stub.requests] == [0.0, 0.7, 0.7]
    grounding = stub.requests[0]["messages"][1]["content"][-1]["text"]
    assert "-1.5" in grounding and "exposure fell" in grounding  # measured facts and the judged delta
    stub.replies = ["<answer>+1.0</answer>"] * 2
    with pytest.raises(RationaleError, match="2 attempts"):
        EndpointTeacher(0.25, stub.base_url, "teacher", max_attempts=2).write(item)
