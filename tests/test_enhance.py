"""The critic suggests the edit (red_aes.enhance): a bounded search whose answer is a prompt the editor
accepts, that says so when no edit helps, and that undoes a known spoiling edit with RED-Lite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from red_aes.editing import ClassicalEditor, Operation
from red_aes.editing.prompt_parser import parse_prompt
from red_aes.enhance import CANDIDATES, Enhancer, prompt_for
from red_aes.images import load_image
from red_aes.measure import linear_to_lab, srgb_to_linear, to_float
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


def _colour_distance(a, b) -> float:
    lab = [linear_to_lab(srgb_to_linear(to_float(x.resize((128, 128))))) for x in (a, b)]
    return float(np.sqrt(((lab[0] - lab[1]) ** 2).sum(-1)).mean())


#: Known spoiling edits and what the test expects the critic to undo.
SPOILED = {
    "darker": [Operation("exposure", -0.6)],
    "brighter": [Operation("exposure", 0.6)],
    "flatter": [Operation("contrast", -0.3)],
    "garish": [Operation("saturation", 0.6)],
    "muted": [Operation("saturation", -0.4)],
    "warm cast": [Operation("temperature", 2.0)],
    "cool cast": [Operation("temperature", -2.0)],
}


@pytest.mark.slow
def test_red_lite_moves_a_spoiled_photo_back_towards_its_original(photo_paths: list[Path]) -> None:
    """The acceptance check on the bundled photos (in no training list): after enhance, the colour
    distance to the original falls in at least 80% of the spoiled cases."""
    enhancer = Enhancer(load_scorer("red-lite"), max_evaluations=40)
    editor = ClassicalEditor(long_side=512)
    closer = []
    for path in photo_paths[:4]:
        photo = load_image(path, long_side=512)
        for ops in SPOILED.values():
            spoiled = editor.apply(photo, ops).image
            result = enhancer.enhance(spoiled)
            fixed = result.image if result.image is not None else spoiled
            closer.append(_colour_distance(fixed, photo) < _colour_distance(spoiled, photo))
    assert np.mean(closer) >= 0.8, closer
