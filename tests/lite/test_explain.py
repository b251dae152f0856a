"""Exact Shapley attribution of a delta over feature groups (red_aes.lite.explain)."""

from __future__ import annotations

import numpy as np
import pytest

from red_aes.lite.explain import shapley_groups


def test_shapley_split_is_exact_and_symmetric() -> None:
    def score(x: np.ndarray) -> np.ndarray:  # an interaction between features 0 and 1, linear in 2
        return x[:, 0] * x[:, 1] + 2 * x[:, 2]

    groups = {"a": np.array([0]), "b": np.array([1]), "c": np.array([2])}
    shares = shapley_groups(score, np.zeros(3), np.array([1.0, 1.0, 1.0]), groups)
    assert shares == pytest.approx({"a": 0.5, "b": 0.5, "c": 2.0})  # the interaction is shared equally
    assert sum(shares.values()) == pytest.approx(3.0)


def test_a_linear_score_gives_each_group_its_own_change_and_many_groups_are_refused() -> None:
    weights = np.array([1.0, -2.0, 0.5, 3.0])
    groups = {"first two": np.array([0, 1]), "third": np.array([2]), "last": np.array([3])}
    original, edited = np.array([1.0, 1.0, 1.0, 1.0]), np.array([2.0, 0.0, 5.0, 1.0])
    shares = shapley_groups(lambda x: x @ weights, original, edited, groups)
    assert shares == pytest.approx({"first two": 1.0 + 2.0, "third": 2.0, "last": 0.0})
    many = {f"g{i}": np.array([i]) for i in range(13)}
    with pytest.raises(ValueError, match="exact Shapley over 13 groups needs 2\\^13 evaluations"):
        shapley_groups(lambda x: x.sum(1), np.zeros(13), np.ones(13), many)
