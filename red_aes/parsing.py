"""Strict parsing of model answers.

Accepted: ``[<think>…</think>]<answer>NUMBER</answer>`` with any surrounding whitespace, where NUMBER
is a plain decimal (optional sign) inside the range of its kind. Everything else is rejected with a
reason: a missing or repeated answer tag, an unclosed think block, words or units inside the answer,
trailing text, a number out of range. The parser never guesses a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from red_aes.errors import InputError
from red_aes.prompts import ANSWER_CLOSE, ANSWER_OPEN, THINK_CLOSE, THINK_OPEN
from red_aes.types import DELTA_MAX, DELTA_MIN, SCORE_MAX, SCORE_MIN

Kind = Literal["delta", "score"]

NUMBER_PATTERN = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_NUMBER = re.compile(rf"^{NUMBER_PATTERN}$")
RANGES: dict[str, tuple[float, float]] = {"delta": (DELTA_MIN, DELTA_MAX), "score": (SCORE_MIN, SCORE_MAX)}


class ParseError(InputError):
    """The model output does not follow the answer format; the message says how."""


@dataclass(frozen=True)
class ParsedAnswer:
    """The outcome of parsing one answer: a value and reasoning, or an error."""

    value: float | None
    reasoning: str | None
    error: str | None

    @property
    def valid(self) -> bool:
        return self.error is None


def _split(text: str) -> tuple[str | None, str]:
    """Return (reasoning, answer body) or raise ParseError."""
    rest = text.strip()
    reasoning = None
    if rest.startswith(THINK_OPEN):
        end = rest.find(THINK_CLOSE)
        if end < 0:
            raise ParseError(f"unclosed {THINK_OPEN} block")
        reasoning = rest[len(THINK_OPEN) : end].strip()
        rest = rest[end + len(THINK_CLOSE) :].strip()
    elif THINK_CLOSE in rest or THINK_OPEN in rest:
        raise ParseError(f"text before {THINK_OPEN} or a stray think tag")
    if rest.count(ANSWER_OPEN) != 1 or rest.count(ANSWER_CLOSE) != 1:
        found = rest.count(ANSWER_OPEN)
        raise ParseError(f"expected exactly one {ANSWER_OPEN}…{ANSWER_CLOSE} block, found {found}")
    if not rest.startswith(ANSWER_OPEN):
        raise ParseError(f"unexpected text before {ANSWER_OPEN}")
    if not rest.endswith(ANSWER_CLOSE):
        raise ParseError(f"unexpected text after {ANSWER_CLOSE}")
    return reasoning, rest[len(ANSWER_OPEN) : -len(ANSWER_CLOSE)].strip()


def parse_answer(text: str, kind: Kind = "delta", *, strict: bool = False) -> ParsedAnswer:
    """Parse a ``delta`` (pair) or ``score`` (single image) answer.

    With ``strict=True`` a malformed answer raises :class:`ParseError`; otherwise it is returned with
    ``value=None`` and the reason in ``error``.
    """
    if kind not in RANGES:
        raise InputError(f"kind must be one of {sorted(RANGES)}, got {kind!r}")
    try:
        reasoning, body = _split(text)
        if not _NUMBER.match(body):
            raise ParseError(f"answer {body!r} is not a plain number")
        value = float(body)
        low, high = RANGES[kind]
        if not low <= value <= high:
            raise ParseError(f"{kind} {value:g} is outside [{low:g}, {high:g}]")
    except ParseError as err:
        if strict:
            raise
        return ParsedAnswer(value=None, reasoning=None, error=str(err))
    return ParsedAnswer(value=value, reasoning=reasoning or None, error=None)
