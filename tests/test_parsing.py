"""The strict answer parser: what it accepts, what it rejects and why."""

from __future__ import annotations

import pytest

from red_aes.parsing import ParseError, parse_answer

GOOD = [
    # text, kind, value, reasoning
    ("<think>brighter sky</think><answer>+1.5</answer>", "delta", 1.5, "brighter sky"),
    ("  \n<think>  spaced out \n</think>\n  <answer> -0.3 </answer>\n", "delta", -0.3, "spaced out"),
    ("<answer>+1.5</answer>", "delta", 1.5, None),  # the think block is optional
    ("<think></think><answer>+0.0</answer>", "delta", 0.0, None),  # empty reasoning is no reasoning
    ("<answer>-9.0</answer>", "delta", -9.0, None),  # range ends are inside
    ("<answer>9</answer>", "delta", 9.0, None),
    ("<answer>.5</answer>", "delta", 0.5, None),
    ("<answer>6.4</answer>", "score", 6.4, None),
    ("<think>sharp, well lit</think><answer>10</answer>", "score", 10.0, "sharp, well lit"),
    ("<answer>1.0</answer>", "score", 1.0, None),
]

BAD = [
    # text, kind, expected words in the error
    ("", "delta", "found 0"),
    ("The edit made it better.", "delta", "found 0"),
    ("<think>never closed <answer>+1.0</answer>", "delta", "unclosed <think>"),
    ("reasoning</think><answer>+1.0</answer>", "delta", "stray think tag"),
    ("<answer>+1.0</answer><answer>+2.0</answer>", "delta", "found 2"),
    ("<answer>+1.0", "delta", "exactly one"),
    ("<answer>about +1.5</answer>", "delta", "not a plain number"),
    ("<answer>+1.5 points</answer>", "delta", "not a plain number"),
    ("<answer>1e1</answer>", "score", "not a plain number"),
    ("<answer>nan</answer>", "score", "not a plain number"),
    ("<answer>+-1</answer>", "delta", "not a plain number"),
    ("<answer></answer>", "delta", "not a plain number"),
    ("<answer>+9.5</answer>", "delta", "outside [-9, 9]"),
    ("<answer>0.5</answer>", "score", "outside [1, 10]"),
    ("<answer>10.1</answer>", "score", "outside [1, 10]"),
    ("<answer>+1.5</answer> Hope this helps!", "delta", "after </answer>"),
    ("Sure! <answer>+1.5</answer>", "delta", "before <answer>"),
]


@pytest.mark.parametrize(("text", "kind", "value", "reasoning"), GOOD)
def test_accepts_well_formed_answers(text: str, kind: str, value: float, reasoning: str | None) -> None:
    parsed = parse_answer(text, kind)
    assert parsed.valid and parsed.error is None
    assert parsed.value == pytest.approx(value)
    assert parsed.reasoning == reasoning


@pytest.mark.parametrize(("text", "kind", "reason"), BAD)
def test_rejects_malformed_answers_with_a_reason(text: str, kind: str, reason: str) -> None:
    parsed = parse_answer(text, kind)
    assert not parsed.valid
    assert parsed.value is None and parsed.reasoning is None
    assert reason in parsed.error


@pytest.mark.parametrize(("text", "kind", "reason"), BAD)
def test_strict_mode_raises_the_same_reason(text: str, kind: str, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_answer(text, kind, strict=True)
    assert reason in str(info.value)


def test_strict_mode_returns_valid_answers() -> None:
    assert parse_answer("<answer>+2.0</answer>", "delta", strict=True).value == 2.0


def test_unknown_kind_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        parse_answer("<answer>1</answer>", "rating")
