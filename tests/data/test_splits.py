"""Split assignment (red_aes.data.splits): deterministic, by photo, following the fractions."""

from __future__ import annotations

from red_aes.data.splits import assign_split


def test_split_assignment_is_deterministic_and_follows_fractions() -> None:
    fractions = {"train": 0.7, "validation": 0.1, "test": 0.2}
    ids = [f"{i:020x}" for i in range(4000)]
    splits = [assign_split(i, fractions) for i in ids]
    assert splits == [assign_split(i, dict(fractions)) for i in ids]
    for name, share in fractions.items():
        assert abs(splits.count(name) / len(ids) - share) < 0.03
    only_train = {"train": 1.0}
    assert {assign_split(i, only_train) for i in ids[:50]} == {"train"}
