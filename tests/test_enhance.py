"""The critic suggests the edit (red_aes.enhance): a bounded search whose answer is a prompt the editor
accepts, and that says so when no edit helps. (How often RED-Lite's suggestion undoes a known spoiling
edit is the issue's acceptance, measured by benchmarks/bench_enhance.py beside a random-edit baseline,
and is not met yet: see the decision log.)"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from red_aes import enhance
from red_aes.editing import ClassicalEditor, Operation
from red_aes.editing.base import EditResult, UnsupportedEditError
from red_aes.editing.prompt_parser import parse_prompt
from red_aes.enhance import CANDIDATES, SEARCH_LONG_SIDE, Enhancer, prompt_for
from red_aes.images import load_image
from red_aes.scoring import load_scorer


def test_every_candidate_prompt_parses_back_to_its_operations() -> None:
    for name, steps in CANDIDATES.items():
        for step in steps:
            ops = (
                [Operation(name, step), Operation("exposure", 0.3)]
                if name != "exposure"
                else [Operation(name, step)]
            )
            parsed = [p.operation for p in parse_prompt(prompt_for(ops))]
            assert [(o.op, o.amount) for o in parsed] == [(o.op, o.amount) for o in ops], prompt_for(ops)


def test_the_suggestion_is_an_editor_prompt_within_budget(photo_paths: list[Path]) -> None:
    scorer = load_scorer("measured")
    photo = load_image(photo_paths[0])
    result = Enhancer(scorer, max_evaluations=25).enhance(photo)
    assert result.evaluations <= 25 and result.stopped
    deltas = [s.delta for s in result.alternatives]
    assert deltas == sorted(deltas, reverse=True) and len({s.prompt for s in result.alternatives}) == len(
        deltas
    )
    if result.prompt is not None:
        again = ClassicalEditor().edit(photo, result.prompt, seed=0).image
        assert np.array_equal(np.asarray(again), np.asarray(result.image))
        assert all(result.delta >= 0 for _ in [0]) and result.to_dict()["prompt"] == result.prompt


def test_no_edit_helps_changes_nothing_and_says_why(photo_paths: list[Path]) -> None:
    result = Enhancer(load_scorer("measured"), margin=9.0, max_evaluations=10).enhance(photo_paths[1])
    assert result.prompt is None and result.image is None and result.delta == 0.0
    assert result.reasoning.startswith("No edit helps") and result.to_dict()["prompt"] is None
    with pytest.raises(ValueError, match="max_rounds"):
        Enhancer(load_scorer("measured"), max_rounds=0)


def test_a_gain_no_one_can_see_is_not_suggested(
    photo_paths: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A light denoise of a clean photo changes it by well under one just-noticeable difference: the
    critic's gain for it is neither suggested nor listed as an alternative."""
    monkeypatch.setattr(enhance, "CANDIDATES", {"denoise": (0.3,)})
    scorer = load_scorer("measured")
    monkeypatch.setattr(enhance, "VISIBLE_MIN", 0.0)
    seen = Enhancer(scorer, margin=0.0, max_evaluations=5).enhance(photo_paths[0])
    assert seen.prompt is not None and "denoise" in seen.prompt and seen.delta > 0, seen.reasoning
    listed = Enhancer(scorer, margin=9.0, max_evaluations=5).enhance(photo_paths[0])
    assert [s.prompt for s in listed.alternatives] == [seen.prompt]
    monkeypatch.setattr(enhance, "VISIBLE_MIN", 1.0)
    hidden = Enhancer(scorer, margin=0.0, max_evaluations=5).enhance(photo_paths[0])
    assert hidden.prompt is None and hidden.image is None, hidden.reasoning
    assert "less than 1 just-noticeable difference" in hidden.reasoning and seen.prompt in hidden.reasoning
    assert Enhancer(scorer, margin=9.0, max_evaluations=5).enhance(photo_paths[0]).alternatives == []


class _FullSizeRefuses(ClassicalEditor):
    """The classical editor, except that it refuses one operation on anything larger than the search
    copy, as straighten may find its lines on the 512-px copy and not on the photo."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    def apply(self, image: Image.Image, operations: Sequence[Operation], **kwargs: Any) -> EditResult:
        if max(image.size) > SEARCH_LONG_SIDE and any(op.op == self.refused for op in operations):
            raise UnsupportedEditError(f"{self.refused}: refused at full size")
        return super().apply(image, operations, **kwargs)


def test_a_suggestion_the_full_size_photo_refuses_gives_way_to_the_next(photo_paths: list[Path]) -> None:
    photo = load_image(photo_paths[0])
    dark = ClassicalEditor().apply(photo, [Operation("exposure", -1.0)]).image
    big = dark.resize((dark.width * 2, dark.height * 2))
    plain = Enhancer(load_scorer("measured"), max_evaluations=25).enhance(big)
    assert plain.prompt is not None
    refused = plain.details["operations"][0]["op"]
    result = Enhancer(load_scorer("measured"), _FullSizeRefuses(refused), max_evaluations=25).enhance(big)
    if result.prompt is None:
        assert "could not be applied at full size" in result.reasoning, result.reasoning
    else:
        assert refused not in [op["op"] for op in result.details["operations"]] and result.image is not None
