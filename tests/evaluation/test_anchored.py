"""Anchored scoring: anchor choice across the score range, the least-squares solver on synthetic data,
and symmetric (both-order) comparisons against a position-biased judge."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import stats

from red_aes.evaluation.anchored import Anchors, Comparison, choose_anchors, solve_scores
from red_aes.evaluation.benchmarks import Benchmark, ImageItem
from red_aes.evaluation.cache import PredictionCache
from red_aes.evaluation.metrics import BootstrapConfig
from red_aes.evaluation.runner import evaluate
from red_aes.scoring import BaseScorer
from red_aes.types import AestheticDelta, Decoding


def test_choose_anchors_spans_the_range() -> None:
    scores = [5.0, 1.0, 9.0, 3.0, 7.0, 6.0]
    # quantiles 0, 0.5, 1 of the scores: 1, 5.5, 9 -> items 1 (1.0), 0 (5.0; 6.0 ties, lower index first), 2
    assert choose_anchors(scores, 3) == [1, 0, 2]
    picked = choose_anchors(scores, 6)
    assert sorted(picked) == list(range(6))
    assert [scores[i] for i in picked] == sorted(scores)
    with pytest.raises(ValueError, match="only 6"):
        choose_anchors(scores, 7)
    with pytest.raises(ValueError, match=">= 1"):
        choose_anchors(scores, 0)


def _true_scores(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(1.0, 10.0, size=n)


def test_exact_differences_are_recovered_exactly() -> None:
    true = _true_scores(12, 0)
    anchors = [0, 1, 2]
    comparisons = [Comparison(a, t, true[t] - true[a]) for t in range(3, 12) for a in anchors]
    solved = solve_scores(12, comparisons, {a: true[a] for a in anchors})
    np.testing.assert_allclose(solved, true, atol=1e-9)


def test_noisy_anchor_deltas_recover_the_ordering() -> None:
    rng = np.random.default_rng(1)
    train, test = _true_scores(15, 1), _true_scores(30, 11)
    anchor_scores = train[choose_anchors(train, 5)]  # anchors come from a "training" set of known scores
    true = np.concatenate([anchor_scores, test])  # items 0-4: anchors, 5-34: images to score
    comparisons = [
        Comparison(a, t, true[t] - true[a] + rng.normal(0, 0.3)) for t in range(5, 35) for a in range(5)
    ]
    solved = solve_scores(35, comparisons, {a: true[a] for a in range(5)})
    assert stats.spearmanr(solved[5:], test).statistic > 0.97
    assert np.abs(solved[5:] - test).max() < 0.6  # noise 0.3 averaged over 5 anchors


def test_binary_preferences_recover_the_ordering() -> None:
    """Only win/loss outcomes (+1/-1, 10 % flipped), among targets and against anchors."""
    rng = np.random.default_rng(2)
    n, anchors = 30, [0, 1, 2, 3]
    true = _true_scores(n, 2)
    comparisons = []
    for _ in range(600):
        i, j = rng.choice(n, size=2, replace=False)
        outcome = np.sign(true[j] - true[i]) * (-1 if rng.random() < 0.1 else 1)
        comparisons.append(Comparison(int(i), int(j), float(outcome)))
    solved = solve_scores(n, comparisons, {a: true[a] for a in anchors})
    free = [i for i in range(n) if i not in anchors]
    assert stats.spearmanr(solved[free], true[free]).statistic > 0.9


def test_image_image_comparisons_link_items_to_anchors() -> None:
    # item 2 is only compared with item 1, which is compared with anchor 0
    solved = solve_scores(3, [Comparison(0, 1, 1.0), Comparison(1, 2, 2.0)], {0: 4.0})
    np.testing.assert_allclose(solved, [4.0, 5.0, 7.0])


def test_unlinked_items_are_an_error() -> None:
    with pytest.raises(ValueError, match=r"\[2, 3\] are not linked"):
        solve_scores(4, [Comparison(0, 1, 1.0), Comparison(2, 3, 1.0)], {0: 5.0})
    with pytest.raises(ValueError, match="at least one"):
        solve_scores(2, [Comparison(0, 1, 1.0)], {})
    with pytest.raises(ValueError, match="invalid item pair"):
        solve_scores(2, [Comparison(0, 5, 1.0)], {0: 1.0})


def test_anchors_from_benchmark_use_the_model_scale(photo_paths: list) -> None:
    labels = [0.1, 0.9, 0.5, 0.3]
    items = [ImageItem(p.name, p, y) for p, y in zip(photo_paths, labels, strict=False)]
    bench = Benchmark("aadb", "AADB", "score", items, "here", scale=(0.0, 1.0))
    anchors = Anchors.from_benchmark(bench, 2)
    assert anchors.ids == (photo_paths[0].name, photo_paths[1].name)
    assert anchors.scores == pytest.approx((1.9, 9.1))
    with pytest.raises(ValueError, match="absolute-score"):
        Anchors.from_benchmark(Benchmark("red", "RED", "delta", [], "here"), 2)


class SecondFavouringJudge(BaseScorer):
    """A pairwise judge whose true score of an image is its red level mapped onto [1, 10], and who adds
    a constant ``bias`` to whichever image it sees second (position bias)."""

    name = "second-favouring"

    def __init__(self, bias: float) -> None:
        super().__init__(batch_size=4)
        self.bias = bias
        self.compared = 0

    @staticmethod
    def true_score(image: Image.Image) -> float:
        return 1.0 + 9.0 * image.getpixel((0, 0))[0] / 255.0

    def _compare_one(
        self, original: Image.Image, edited: Image.Image, instruction: str | None, decoding: Decoding
    ) -> AestheticDelta:
        self.compared += 1
        return AestheticDelta(self.true_score(edited) - self.true_score(original) + self.bias, True)


def _red(level: int) -> Image.Image:
    return Image.new("RGB", (8, 8), (level, 40, 90))


def test_both_orders_cancel_position_bias(tmp_path: Path) -> None:
    bias, levels = 0.75, [30, 200, 90, 150, 10]
    true = [SecondFavouringJudge.true_score(_red(v)) for v in levels]
    items = [ImageItem(f"img{i}.png", _red(v), t) for i, (v, t) in enumerate(zip(levels, true, strict=True))]
    bench = Benchmark("ava", "AVA", "score", items, "here")
    anchor_levels = (0, 128, 255)
    anchors = Anchors(
        ("a0", "a1", "a2"),
        tuple(_red(v) for v in anchor_levels),
        tuple(SecondFavouringJudge.true_score(_red(v)) for v in anchor_levels),
    )
    boot = BootstrapConfig(n_resamples=0)
    k, n = len(anchors), len(items)

    def run(order: str, judge: SecondFavouringJudge, cache: PredictionCache):
        return evaluate(
            judge,
            bench,
            model_id="biased",
            scoring="anchored",
            anchors=anchors,
            anchor_order=order,  # type: ignore[arg-type]
            cache=cache,
            batch_size=2,
            boot=boot,
            progress=False,
        )

    with PredictionCache(tmp_path / "cache.sqlite") as cache:
        judge = SecondFavouringJudge(bias)
        both = run("both", judge, cache)
        assert judge.compared == both.computed == len(cache) == 2 * k * n  # each direction asked and cached
        np.testing.assert_allclose([p.value for p in both.predictions], true, atol=1e-9)
        assert both.anchor_order == "both" and both.to_dict()["anchor_order"] == "both"
        assert both.scoring == "anchored-both"
        # one order: the anchor->image half is already in the cache, and the bias is left in
        again = SecondFavouringJudge(bias)
        one = run("one", again, cache)
        assert again.compared == 0 and one.cached == k * n
        np.testing.assert_allclose([p.value for p in one.predictions], np.add(true, bias), atol=1e-9)
        with pytest.raises(ValueError, match="anchor_order must be one of"):
            run("reversed", again, cache)
