"""The one map from an unbounded raw score onto the [SCORE_MIN, SCORE_MAX] scale.

Scores are bounded everywhere, but clipping makes every poor image score exactly 1.0, so two different
poor images get a delta of 0. :func:`squash_score` is smooth and strictly increasing instead: close to
the identity around the middle of the scale and approaching (never reaching) the bounds, so order is
kept for any raw value.
"""

from __future__ import annotations

import math

from red_aes.errors import InputError
from red_aes.types import SCORE_MAX, SCORE_MIN

_MID = (SCORE_MIN + SCORE_MAX) / 2
_HALF = (SCORE_MAX - SCORE_MIN) / 2


def squash_score(raw: float, width: float = _HALF) -> float:
    """``MID + HALF · tanh((raw − MID) / width)``: slope 1 at the middle when ``width == HALF``."""
    if width <= 0:
        raise InputError(f"width must be positive, got {width}")
    return _MID + _HALF * math.tanh((raw - _MID) / width)


def squash_slope(raw: float, width: float = _HALF) -> float:
    """The derivative of :func:`squash_score` at ``raw`` (``HALF / width`` at the middle, > 0 everywhere)."""
    if width <= 0:
        raise InputError(f"width must be positive, got {width}")
    return _HALF / width / math.cosh((raw - _MID) / width) ** 2


def secant_slope(raw_a: float, raw_b: float, width: float = _HALF) -> float:
    """Score change per raw change of :func:`squash_score` between two raw values (> 0): the factor
    that turns raw contributions to a change into contributions to the score change. Where the two
    values coincide it is the derivative."""
    if abs(raw_b - raw_a) <= 1e-9 * max(1.0, abs(raw_a)):
        return squash_slope((raw_a + raw_b) / 2, width)
    return (squash_score(raw_b, width) - squash_score(raw_a, width)) / (raw_b - raw_a)
