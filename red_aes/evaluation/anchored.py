"""Anchored absolute scores: compare an image with anchor images of known score, then solve for its score.

A relative model is best at what it was trained on: differences. To place an image on the absolute
scale we compare it with K *anchors* whose scores are known (``scorer.compare(anchor, image)`` gives
``delta = s(image) - s(anchor)``) and solve the least-squares system ``s_image - s_anchor ~= delta``
with the anchor scores held fixed, in the spirit of Compare2Score. With Gaussian errors on the deltas
this is the maximum-likelihood (Thurstone case V) solution; a Bradley-Terry fit would be the choice for
binary win/loss outcomes, which our scorers do not produce (they give graded deltas). When only
anchor-image comparisons exist, the solution is the mean of ``s_anchor + delta`` over valid anchors;
the solver also accepts image-image comparisons, which couple the unknowns. Pairwise judges have
position bias; the runner's default asks each pair in both orders and passes
``delta = (d(anchor→image) − d(image→anchor)) / 2``, in which a constant bias cancels.

Anchors are chosen from the *training* split of the benchmark (never the test split) across its score
range: sorted by label, the items nearest to the K evenly spaced quantiles 0, 1/(K-1), ..., 1, so that
the lowest and the highest score are anchors and the rest spread between them. Their native labels are
mapped linearly onto the RED-Aes scale [1, 10]. Anchored scores are not clipped to that range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from red_aes.errors import InputError
from red_aes.evaluation.benchmarks import Benchmark, ImageItem, ImageSource


@dataclass(frozen=True)
class Comparison:
    """One measured difference: ``score[second] - score[first] ~= delta``."""

    first: int
    second: int
    delta: float


def choose_anchors(scores: Sequence[float], k: int) -> list[int]:
    """Indices of ``k`` distinct items spread over the score range (nearest to evenly spaced quantiles).

    Returned in increasing score order; the minimum and maximum scores are always included (k >= 2).
    """
    values = np.asarray(scores, dtype=float)
    if k < 1:
        raise InputError(f"number of anchors must be >= 1, got {k}")
    if k > len(values):
        raise InputError(f"asked for {k} anchors from only {len(values)} labelled images")
    if not np.isfinite(values).all():
        raise InputError("anchor scores must be finite numbers")
    order = np.argsort(values, kind="stable")
    targets = np.quantile(values, np.linspace(0.0, 1.0, k)) if k > 1 else np.array([np.median(values)])
    chosen: list[int] = []
    for target in targets:
        free = [i for i in order if i not in chosen]
        chosen.append(int(min(free, key=lambda i: abs(values[i] - target))))
    return sorted(chosen, key=lambda i: (values[i], i))


def solve_scores(n_items: int, comparisons: Sequence[Comparison], known: dict[int, float]) -> np.ndarray:
    """Least-squares scores of ``n_items`` items from pairwise differences, ``known`` scores held fixed.

    Every item without a known score must be linked to a known one through the comparisons; otherwise
    its score is not determined and a ValueError names it.
    """
    if not known:
        raise InputError("anchored scoring needs at least one item with a known score")
    for c in comparisons:
        if not (0 <= c.first < n_items and 0 <= c.second < n_items) or c.first == c.second:
            raise InputError(f"comparison {c} refers to an invalid item pair for {n_items} items")
        if not np.isfinite(c.delta):
            raise InputError(f"comparison {c} has a non-finite delta")
    _check_linked(n_items, comparisons, set(known))
    unknown = [i for i in range(n_items) if i not in known]
    scores = np.zeros(n_items)
    for i, value in known.items():
        scores[i] = value
    if not unknown:
        return scores
    column = {item: j for j, item in enumerate(unknown)}
    matrix = np.zeros((len(comparisons), len(unknown)))
    target = np.zeros(len(comparisons))
    for row, c in enumerate(comparisons):
        target[row] = c.delta
        for item, sign in ((c.second, 1.0), (c.first, -1.0)):
            if item in column:
                matrix[row, column[item]] += sign
            else:
                target[row] -= sign * known[item]
    solution, *_ = np.linalg.lstsq(matrix, target, rcond=None)
    scores[unknown] = solution
    return scores


def _check_linked(n_items: int, comparisons: Sequence[Comparison], known: set[int]) -> None:
    parent = list(range(n_items))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for c in comparisons:
        parent[root(c.first)] = root(c.second)
    anchored_roots = {root(i) for i in known}
    loose = [i for i in range(n_items) if root(i) not in anchored_roots]
    if loose:
        raise InputError(
            f"items {loose} are not linked to any anchor by a comparison; their scores are undetermined"
        )


@dataclass(frozen=True)
class Anchors:
    """Anchor images with their known scores on the RED-Aes scale [1, 10]."""

    ids: tuple[str, ...]
    images: tuple[ImageSource, ...]
    scores: tuple[float, ...]

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_benchmark(cls, benchmark: Benchmark, k: int) -> Anchors:
        """Pick ``k`` anchors across the label range of a labelled (training-split) score benchmark."""
        if benchmark.kind != "score":
            raise InputError(f"anchors come from an absolute-score benchmark, not a {benchmark.kind!r} one")
        items: list[ImageItem] = list(benchmark.items)  # type: ignore[arg-type]
        picked = [items[i] for i in choose_anchors([it.label for it in items], k)]
        return cls(
            tuple(it.id for it in picked),
            tuple(it.image for it in picked),
            tuple(benchmark.native_to_model(it.label) for it in picked),
        )
