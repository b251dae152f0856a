"""RED-Lite's losses (red_aes.train.lite.losses) against values computed by hand."""

from __future__ import annotations

import math

import pytest
import torch

from red_aes.train.lite.losses import fidelity_loss, location_loss, magnitude_loss, tie_loss


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


def test_tie_loss_is_the_mean_squared_gap_and_acts_near_a_tie() -> None:
    assert tie_loss(torch.tensor([6.0, 5.0]), torch.tensor([5.5, 5.0])).item() == pytest.approx(0.125)
    # a 0.24 gap costs 0.0576 squared, where the fidelity loss with a tie target barely moves
    gap = tie_loss(torch.tensor([6.24]), torch.tensor([6.0])).item()
    flat = fidelity_loss(torch.tensor([6.24]), torch.tensor([6.0]), target=0.5).item()
    assert gap == pytest.approx(0.0576, abs=1e-6) and gap > 5 * flat
