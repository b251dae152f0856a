"""RED-Lite's training losses (relative supervision only), as named functions with hand-checked tests.

* :func:`fidelity_loss` — the order of a pair: ``p̂ = σ((s_winner − s_loser) / T)`` against the target
  ``p`` (1 for a strict order), with the fidelity loss ``1 − √(p·p̂) − √((1 − p)(1 − p̂))`` of
  Tsai et al. (2007), as used for IQA by UNIQUE (Zhang et al. 2021). Bounded, so a few badly judged pairs
  cannot dominate.
* :func:`magnitude_loss` — where a judge gave Δ: Huber(``s_edited − s_original − Δ``, δ = 1).
* :func:`tie_loss` — two images people cannot tell apart (a photo and its quality-90 JPEG re-save) must
  score the same: the mean squared score gap. The fidelity loss with a tie target is flat near a tie (a
  0.24 gap costs 0.007), so it barely acts; the squared gap does.
* :func:`location_loss` — the scale has no absolute anchor under relative supervision; this pins the mean
  score of the curated originals to ``target`` (documented in the model card), so deltas are measured in
  the middle of the squashed scale rather than against its bounds.
"""

from __future__ import annotations

import torch


def fidelity_loss(
    winner: torch.Tensor, loser: torch.Tensor, target: torch.Tensor | float = 1.0, temperature: float = 0.5
) -> torch.Tensor:
    """Mean fidelity loss of ``P(winner ≻ loser)`` against ``target`` (1 = strict order, 0.5 = tie)."""
    p_hat = torch.sigmoid((winner - loser) / temperature)
    p = torch.as_tensor(target, dtype=p_hat.dtype)
    eps = 1e-16  # keeps the gradient of √ finite at 0; biases the loss by at most 2e-8
    return (1 - torch.sqrt(p * p_hat + eps) - torch.sqrt((1 - p) * (1 - p_hat) + eps)).mean()


def magnitude_loss(original: torch.Tensor, edited: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """Mean Huber loss (δ = 1) of the predicted delta ``edited − original`` against the judged ``delta``."""
    return torch.nn.functional.huber_loss(edited - original, delta, delta=1.0)


def tie_loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean squared score gap of pairs that must score the same."""
    return ((a - b) ** 2).mean()


def location_loss(original_scores: torch.Tensor, target: float) -> torch.Tensor:
    """Squared distance of the originals' mean score from ``target``."""
    return (original_scores.mean() - target) ** 2
