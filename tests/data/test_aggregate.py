"""Vote aggregation (red_aes.data.aggregate): median, agreement, drops and the no-change band."""

from __future__ import annotations

import pytest

from red_aes.data.aggregate import aggregate_votes, direction_of
from red_aes.data.judges import InvalidVote
from red_aes.types import Verdict


def _v(delta: float, judge: str = "j") -> Verdict:
    return Verdict(judge, delta, "")


def test_aggregate_median_agreement_and_drops() -> None:
    agg = aggregate_votes(
        [_v(1.0), _v(2.0), _v(-0.5)], min_valid_votes=1, min_agreement=0.6, neutral_band=0.25
    )
    assert agg.delta == 1.0 and agg.reason is None
    assert agg.agreement == pytest.approx(2 / 3)
    split = aggregate_votes([_v(1.0), _v(-1.0)], min_valid_votes=1, min_agreement=0.5, neutral_band=0.25)
    assert split.delta == 0.0 and split.agreement == 0.0 and split.reason == "judges_disagree"
    bad = InvalidVote("j2", "no answer tag", "blah")
    few = aggregate_votes([_v(1.0), bad], min_valid_votes=2, min_agreement=0.5, neutral_band=0.25)
    assert few.reason == "too_few_valid_votes" and few.invalid == [bad] and few.delta is None
    kept = aggregate_votes([_v(0.8), bad], min_valid_votes=1, min_agreement=1.0, neutral_band=0.25)
    assert kept.delta == pytest.approx(0.8) and kept.agreement == 1.0 and kept.invalid == [bad]
    assert direction_of(0.2, 0.25) == 0 and direction_of(-0.3, 0.25) == -1 and direction_of(0.25, 0.25) == 1
