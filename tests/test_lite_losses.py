"""RED-Lite's losses and pair construction against values computed by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from red_aes.lite.explain import shapley_groups
from red_aes.train.lite.losses import fidelity_loss, location_loss, magnitude_loss
from red_aes.train.lite.pairs import build_pairs
from red_aes.train.lite.trainer import order_accuracy


def test_fidelity_loss_matches_hand_values() -> None:
    # winner 1.0, loser 0.5, T = 0.5: p̂ = σ(1) = 0.7310586; strict order p = 1 -> 1 − √p̂
    p_hat = 1 / (1 + math.exp(-1.0))
    got = fidelity_loss(torch.tensor([1.0]), torch.tensor([0.5]), temperature=0.5)
    assert got.item() == pytest.approx(1 - math.sqrt(p_hat), abs=1e-6)
    # a tie target p = 0.5 at equal scores is the loss's minimum, 0
    tie = fidelity_loss(torch.tensor([2.0]), torch.tensor([2.0]), target=0.5)
    assert tie.item() == pytest.approx(0.0, abs=1e-5)
    # the mean over pairs, and a wrong order costs more than a right one
    both = fidelity_loss(torch.tensor([1.0, 0.5]), torch.tensor([0.5, 1.0]), temperature=0.5)
    wrong = 1 - math.sqrt(1 - p_hat)
    assert both.item() == pytest.approx(((1 - math.sqrt(p_hat)) + wrong) / 2, abs=1e-6)
    assert wrong > 1 - math.sqrt(p_hat)


def test_magnitude_and_location_losses_match_hand_values() -> None:
    # predicted deltas −0.5 and −3.0 against −1.0 and −1.0: Huber(0.5) = 0.125, Huber(2.0) = 1.5
    got = magnitude_loss(torch.tensor([6.0, 6.0]), torch.tensor([5.5, 3.0]), torch.tensor([-1.0, -1.0]))
    assert got.item() == pytest.approx((0.125 + 1.5) / 2)
    assert location_loss(torch.tensor([6.0, 7.0, 8.0]), 6.5).item() == pytest.approx(0.25)


def _row(pair_id: str, source: str, attribute: str, delta: float, cross: bool = False) -> dict:
    params = {"cross_photo": {"edited_pair_id": "x"}} if cross else {}
    return {
        "pair_id": pair_id,
        "source_id": source,
        "attribute": attribute,
        "delta": delta,
        "editor_params": json.dumps(params),
    }


def test_pairs_order_ladders_cross_photo_and_no_change() -> None:
    rows = [
        _row("a-0", "a", "sharpness", -1.0),
        _row("a-1", "a", "sharpness", -4.0),
        _row("a-2", "a", "noise", -0.1),  # inside the no-change band: no order
        _row("a-x", "a", "noise", -4.0, cross=True),
    ]
    node_of = {"orig:a": 0, "edit:a-0": 1, "edit:a-1": 2, "edit:a-2": 3, "edit:a-x": 4}
    pairs = build_pairs(rows, node_of)
    assert set(pairs.order) == {(0, 1), (0, 2), (0, 4), (1, 2)}  # original ≻ edits; weak ≻ strong
    assert [(o, e) for o, e, _ in pairs.judged] == [(0, 1), (0, 2), (0, 3)]  # cross pairs: order only
    assert pairs.counts["ladder"] == 1 and pairs.counts["cross_photo"] == 1 and pairs.counts["no_change"] == 1


def test_order_accuracy_counts_ties_half() -> None:
    scores = np.array([3.0, 2.0, 2.0])
    assert order_accuracy(scores, np.array([[0, 1], [1, 2], [2, 0]])) == pytest.approx((1 + 0.5 + 0) / 3)
    assert order_accuracy(scores, np.zeros((0, 2), dtype=int)) is None


def test_shapley_split_is_exact_and_symmetric() -> None:
    def score(x: np.ndarray) -> np.ndarray:  # an interaction between features 0 and 1, linear in 2
        return x[:, 0] * x[:, 1] + 2 * x[:, 2]

    groups = {"a": np.array([0]), "b": np.array([1]), "c": np.array([2])}
    shares = shapley_groups(score, np.zeros(3), np.array([1.0, 1.0, 1.0]), groups)
    assert shares == pytest.approx({"a": 0.5, "b": 0.5, "c": 2.0})  # the interaction is shared equally
    assert sum(shares.values()) == pytest.approx(3.0)
