"""The scorer table (red_aes.scoring.backends): each backend's relative/range/direction lives once, on its
entry, and the backend classes read it from there."""

from __future__ import annotations

import dataclasses

import pytest

from red_aes.registry import Entry
from red_aes.scoring.backends import SCORERS, ScorerEntry, scorer_entry
from red_aes.scoring.base import BaseScorer
from red_aes.scoring.measured import MeasuredScorer
from red_aes.scoring.statistics import StatisticScorer
from red_aes.types import DELTA_MAX, DELTA_MIN, SCORE_MAX, SCORE_MIN

FACTS = ("relative", "score_range", "delta_range", "higher_is_better")


def _classes() -> dict[str, type]:
    """Each registered name (and a VLM id, the fallback) -> the backend class its target builds."""
    names = [*SCORERS, "some/vlm"]
    return {name: SCORERS.target(name).__self__ for name in names}  # the targets are from_pretrained


def test_every_entry_is_a_scorer_entry_and_no_backend_class_declares_the_facts() -> None:
    from red_aes.scoring.vlm import RedAesScorer

    classes = _classes()
    assert classes["some/vlm"] is RedAesScorer
    for name, cls in classes.items():
        entry = scorer_entry(name)
        assert isinstance(entry, ScorerEntry) and entry.description, name
        assert issubclass(cls, BaseScorer)
        for klass in cls.__mro__[:-1]:
            if klass is not BaseScorer:  # BaseScorer reads them from the entry; nobody else has them
                assert not set(FACTS) & set(vars(klass)), (
                    f"{klass.__name__} declares {set(FACTS) & set(vars(klass))}"
                )
    assert [n for n in SCORERS if not SCORERS[n].relative] == [
        "measured",
        "red-lite",
        "stat-colorfulness",
        "stat-sharpness",
    ]


def test_a_scorer_reports_what_its_entry_says(monkeypatch: pytest.MonkeyPatch) -> None:
    measured = MeasuredScorer()
    assert (measured.relative, measured.score_range, measured.higher_is_better) == (
        False,
        (SCORE_MIN, SCORE_MAX),
        True,
    )
    assert measured.delta_range == (DELTA_MIN, DELTA_MAX) and measured.entry is SCORERS["measured"]
    assert not StatisticScorer("stat-colorfulness").relative  # a per-instance name reads its own entry
    # change the entry and the class follows: the entry is the one place these facts live
    changed = dataclasses.replace(SCORERS["measured"], relative=True, score_range=(0.0, 5.0))
    monkeypatch.setitem(SCORERS._entries, "measured", changed)
    assert measured.relative and measured.score_range == (0.0, 5.0) and measured.delta_range == (-5.0, 5.0)


def test_a_backend_without_a_registered_name_reads_the_vlm_fallback() -> None:
    class Unregistered(BaseScorer):
        name = "not-registered"

    scorer = Unregistered()
    assert (
        scorer.entry is SCORERS.fallback and scorer.relative and scorer.delta_range == (DELTA_MIN, DELTA_MAX)
    )


def test_an_entry_that_is_not_a_scorer_entry_is_a_type_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SCORERS._entries, "plain", Entry("red_aes.scoring.measured:MeasuredScorer"))
    with pytest.raises(TypeError, match="not a ScorerEntry"):
        scorer_entry("plain")
