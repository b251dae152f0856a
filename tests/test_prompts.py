"""Prompt builder and answer formatting: the strings every other part writes and reads."""

from __future__ import annotations

import pytest

from red_aes.parsing import parse_answer
from red_aes.prompts import PROMPT_VERSION, build_messages, format_answer, format_delta, format_score
from red_aes.scoring.decoding import answer_grid


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.5, "+1.5"),
        (-0.3, "-0.3"),
        (0.0, "+0.0"),
        (-0.0, "+0.0"),
        (-0.04, "+0.0"),
        (-9.0, "-9.0"),
        (9.0, "+9.0"),
    ],
)
def test_format_delta_has_one_spelling_per_value(value: float, text: str) -> None:
    assert format_delta(value) == text


def test_every_grid_answer_round_trips_through_the_parser() -> None:
    for kind in ("delta", "score"):
        grid = answer_grid(kind)
        assert len(grid) == (181 if kind == "delta" else 91)
        for text, value in grid.items():
            assert parse_answer(format_answer(text, "why"), kind, strict=True).value == pytest.approx(value)
    assert format_score(6.04) in answer_grid("score")
    assert format_delta(-0.01) in answer_grid("delta")


def test_pair_prompt_carries_the_instruction_and_two_images() -> None:
    messages = build_messages("pair", "make it warmer", PROMPT_VERSION)
    user = messages[-1]["content"]
    assert [part["type"] for part in user] == ["image", "image", "text"]
    assert '"make it warmer"' in user[-1]["text"]
    assert "edited minus original" in user[-1]["text"].replace("\n", " ")
    single = build_messages("single")[-1]["content"]
    assert [part["type"] for part in single] == ["image", "text"]
    with pytest.raises(ValueError, match="no edit instruction"):
        build_messages("single", "warmer")
    with pytest.raises(KeyError, match="unknown prompt version"):
        build_messages("pair", version="v0")
