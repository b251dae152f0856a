"""The VLM judge and the VLM rationale teacher, wired to ``RedAesScorer`` on a tiny offline checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from red_aes.data.aggregate import direction_of
from red_aes.data.judges import InvalidVote, PairToJudge, load_judge
from red_aes.data.rationale import RationaleError, RationaleInput, load_rationale_writer
from red_aes.images import load_image
from red_aes.parsing import parse_answer
from red_aes.registry import RegistryError
from red_aes.scoring import load_scorer
from red_aes.types import Verdict


@pytest.fixture(scope="module")
def pair(photo_paths: list[Path]) -> PairToJudge:
    original = load_image(photo_paths[0])
    original.thumbnail((64, 64))
    return PairToJudge(
        original, original.rotate(4, resample=Image.Resampling.BICUBIC), "Tilt the frame a little."
    )


def test_vlm_judge_votes_what_the_scorer_answers(tiny_model_dir: Path, pair: PairToJudge) -> None:
    judge = load_judge(
        {"name": "vlm", "model": str(tiny_model_dir), "device": "cpu", "max_reasoning_tokens": 4}
    )
    expected = load_scorer(str(tiny_model_dir), device="cpu").compare(
        pair.original, pair.edited, pair.instruction, max_reasoning_tokens=4
    )
    assert expected.valid  # reasoning mode: the constraint always yields a number
    label = f"vlm:{tiny_model_dir}"
    assert judge.judge([pair]) == [
        Verdict(label, expected.delta, expected.reasoning or "", expected.attributes)
    ]


def test_vlm_judge_records_an_untrained_fast_answer_as_an_invalid_vote(
    tiny_model_dir: Path, pair: PairToJudge
) -> None:
    judge = load_judge({"name": "vlm", "model": str(tiny_model_dir), "decoding": "fast", "device": "cpu"})
    (vote,) = judge.judge([pair])
    assert isinstance(vote, InvalidVote) and "total probability" in vote.error  # the mass, not a guess


@pytest.mark.slow
def test_vlm_teacher_keeps_its_reasoning_only_when_its_direction_agrees(
    tiny_model_dir: Path, pair: PairToJudge
) -> None:
    teacher = load_rationale_writer(
        {"name": "vlm", "model": str(tiny_model_dir)}, neutral_band=0.25, device="cpu"
    )
    own = load_scorer(str(tiny_model_dir), device="cpu").compare(
        pair.original, pair.edited, pair.instruction, decoding="reasoning"
    )
    assert own.valid and own.reasoning
    own_direction = direction_of(own.delta, 0.25)
    agreeing = RationaleInput(
        pair.original, pair.edited, pair.instruction, "composition", 2.0 * own_direction
    )
    parsed = parse_answer(teacher.write(agreeing), strict=True)
    assert parsed.value == 2.0 * own_direction and parsed.reasoning == own.reasoning.strip()
    opposite = -2.0 if own_direction >= 0 else 2.0
    disagreeing = RationaleInput(pair.original, pair.edited, pair.instruction, "composition", opposite)
    with pytest.raises(RationaleError, match="against the aggregated"):
        teacher.write(disagreeing)


def test_vlm_judge_refuses_the_old_mode_key(tiny_model_dir: Path) -> None:
    """``decoding`` is the one key; ``mode`` is refused by name before any model loads."""
    with pytest.raises(RegistryError, match=r"unknown options for the .* scorer: mode \(it takes"):
        load_judge({"name": "vlm", "model": str(tiny_model_dir), "mode": "fast"})
