"""How the judges' votes on one pair become the dataset's ``delta`` and ``agreement``.

Rule (documented on the dataset card):

1. Invalid votes (unparseable answers) are set aside and counted; they never become numbers.
2. A pair needs at least ``min_valid_votes`` valid votes, otherwise it is dropped (``too_few_valid_votes``).
3. ``delta`` is the **median** of the valid votes (robust to one outlying judge), as the float32 value
   the dataset column stores, so the rationale written from it answers exactly what the column holds.
4. Each vote's direction is its sign with a dead zone: -1, 0 ("no change", ``|v| < neutral_band``) or +1.
   ``agreement`` is the share of valid votes whose direction equals the median's direction.
5. A pair whose agreement is below ``min_agreement`` is dropped (``judges_disagree``): the judges do not
   agree on whether the edit helped, hurt or did nothing.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import numpy as np

from red_aes.data.judges import InvalidVote, Vote
from red_aes.types import Verdict


def direction_of(delta: float, neutral_band: float) -> int:
    """-1, 0 or +1: the sign of ``delta``, with ``|delta| < neutral_band`` counted as 0."""
    if abs(delta) < neutral_band:
        return 0
    return 1 if delta > 0 else -1


@dataclass(frozen=True)
class Aggregate:
    """The outcome for one pair: kept (``reason`` is None) with delta and agreement, or dropped."""

    delta: float | None
    agreement: float | None
    verdicts: list[Verdict] = field(default_factory=list)
    invalid: list[InvalidVote] = field(default_factory=list)
    reason: str | None = None


def aggregate_votes(
    votes: list[Vote], *, min_valid_votes: int, min_agreement: float, neutral_band: float
) -> Aggregate:
    """Apply the rule of this module to one pair's votes."""
    verdicts = [v for v in votes if isinstance(v, Verdict)]
    invalid = [v for v in votes if isinstance(v, InvalidVote)]
    if len(verdicts) < min_valid_votes:
        return Aggregate(None, None, verdicts, invalid, "too_few_valid_votes")
    delta = float(np.float32(statistics.median(v.delta for v in verdicts)))
    target = direction_of(delta, neutral_band)
    agreement = sum(direction_of(v.delta, neutral_band) == target for v in verdicts) / len(verdicts)
    if agreement < min_agreement:
        return Aggregate(delta, agreement, verdicts, invalid, "judges_disagree")
    return Aggregate(delta, agreement, verdicts, invalid)
