"""Metrics: checked against scipy.stats on the same arrays and against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from red_aes.data.aggregate import direction_of
from red_aes.data.config import BuildConfig
from red_aes.evaluation.benchmarks import Benchmark
from red_aes.evaluation.metrics import (
    BootstrapConfig,
    binary_accuracy,
    bootstrap_ci,
    delta_metrics,
    direction_accuracy,
    directions,
    fit_logistic,
    krcc,
    ladder_metrics,
    logistic4,
    majority_preference,
    pairwise_accuracy,
    pairwise_metrics,
    plcc,
    plcc_logistic,
    score_metrics,
    sign_agreement,
    srcc,
    within_group_pairwise_accuracy,
    within_group_srcc,
)
from red_aes.prompts import format_delta
from red_aes.types import NO_CHANGE_BAND


@pytest.fixture(scope="module")
def noisy() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    labels = rng.uniform(1, 10, size=200)
    preds = labels + rng.normal(0, 2.0, size=200)
    return labels, preds


def test_correlations_match_scipy(noisy: tuple[np.ndarray, np.ndarray]) -> None:
    labels, preds = noisy
    assert srcc(labels, preds) == pytest.approx(stats.spearmanr(labels, preds).statistic, abs=1e-12)
    assert krcc(labels, preds) == pytest.approx(stats.kendalltau(labels, preds).statistic, abs=1e-12)
    assert plcc(labels, preds) == pytest.approx(stats.pearsonr(labels, preds).statistic, abs=1e-12)


def test_correlations_hand_computed() -> None:
    labels, preds = [1, 2, 3, 4], [1, 3, 2, 4]
    # one swapped neighbour: sum d^2 = 2 -> 1 - 6*2/(4*15); 5 concordant, 1 discordant of 6 pairs
    assert srcc(labels, preds) == pytest.approx(0.8)
    assert krcc(labels, preds) == pytest.approx(4 / 6)
    # centred: x = (-1.5, .5, -.5, 1.5), y = (-1.5, -.5, .5, 1.5): cov 4, variances 5 and 5
    assert plcc(labels, preds) == pytest.approx(0.8)


def test_undefined_correlations_are_none_not_numbers() -> None:
    assert srcc([1, 2, 3], [5, 5, 5]) is None
    assert plcc([1], [2]) is None
    assert krcc([2, 2], [1, 3]) is None


def test_rejects_mismatched_or_non_finite_input() -> None:
    with pytest.raises(ValueError, match="equal length"):
        srcc([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="finite"):
        plcc([1, 2, 3], [1, float("nan"), 2])


def test_logistic_fit_recovers_a_logistic_relation() -> None:
    rng = np.random.default_rng(0)
    preds = rng.uniform(0, 10, size=300)
    true = (4.5, 1.5, 5.0, 1.2)
    labels = logistic4(preds, *true) + rng.normal(0, 0.02, size=300)
    fit = fit_logistic(labels, preds)
    assert fit.converged
    assert fit.params is not None
    b1, b2, b3, b4 = fit.params
    assert (b1, b2, b3, abs(b4)) == pytest.approx(true, abs=0.1)
    value, _ = plcc_logistic(labels, preds)
    assert value is not None and value > 0.99
    assert value > plcc(labels, preds)  # type: ignore[operator]


def test_logistic_fit_handles_negative_relation() -> None:
    preds = np.linspace(0, 10, 50)
    labels = logistic4(preds, 1.0, 5.0, 5.0, 1.0)  # decreasing
    value, fit = plcc_logistic(labels, preds)
    assert fit.converged
    assert value == pytest.approx(1.0, abs=1e-4)


def test_logistic_fit_falls_back_to_identity_and_says_so() -> None:
    labels, preds = [1.0, 3.0, 2.0], [0.5, 2.0, 1.0]
    value, fit = plcc_logistic(labels, preds)
    assert not fit.converged
    assert fit.message.startswith("identity")
    assert value == pytest.approx(plcc(labels, preds))


def test_binary_accuracy_hand_computed() -> None:
    # labels high: F T T F; predictions high: T T F F -> agree on items 2 and 4
    assert binary_accuracy([4, 6, 5, 2], [6, 7, 4, 1], 5.0, 5.0) == 0.5


@pytest.mark.parametrize(
    ("scale", "threshold"),
    [((1.0, 10.0), 5.0), ((0.0, 1.0), 4 / 9), ((1.0, 5.0), 1 + 16 / 9), ((0.0, 100.0), 400 / 9)],
)
def test_binary_threshold_maps_ava_5_to_native_scale(scale: tuple[float, float], threshold: float) -> None:
    bench = Benchmark("x", "X", "score", [], "here", scale=scale)
    assert bench.label_threshold == pytest.approx(threshold)
    assert bench.native_to_model(threshold) == pytest.approx(5.0)


def test_majority_vote_and_pairwise_accuracy_with_ties() -> None:
    pref = majority_preference([3, 1, 2, 0], [1, 4, 2, 5])
    assert pref.tolist() == [-1, 1, 0, 1]
    result = pairwise_accuracy(pref, [-0.5, 0.2, 1.0, -1.0])
    assert result.n_ties == 1
    assert result.n_compared == 3
    assert result.accuracy == pytest.approx(2 / 3)
    # a zero prediction states no direction: wrong
    assert pairwise_accuracy([1, -1], [0.0, -2.0]).accuracy == 0.5
    with pytest.raises(ValueError, match="preferences"):
        pairwise_accuracy([2], [1.0])


def test_sign_agreement_excludes_zero_deltas() -> None:
    result = sign_agreement([1.5, -2.0, 0.0, 0.5], [0.3, 1.0, 4.0, 0.1])
    assert (result.accuracy, result.n_compared, result.n_ties) == (pytest.approx(2 / 3), 3, 1)


def test_direction_accuracy_uses_the_datasets_no_change_band() -> None:
    """A model reproducing its SFT targets (+0.0 inside the band) is right on every pair."""
    labels = [0.04, -0.03, 0.9]
    targets = [float(format_delta(0.0 if abs(v) < NO_CHANGE_BAND else v)) for v in labels]
    assert targets == [0.0, 0.0, 0.9]
    assert direction_accuracy(labels, targets) == 1.0
    assert delta_metrics(labels, targets, boot=BootstrapConfig(0)).counts["no_change_labels"] == 2
    # claiming a change inside the band, or no change outside it, is wrong; the band edge is a change
    assert direction_accuracy(labels, [0.5, 0.0, 0.1]) == pytest.approx(1 / 3)
    edge = [0.25, -0.25, 0.2499, 0.0]
    assert directions(edge).tolist() == [direction_of(v, NO_CHANGE_BAND) for v in edge] == [1, -1, 0, 0]
    assert BuildConfig().neutral_band == NO_CHANGE_BAND  # the builder's default is the same constant


def test_within_group_metrics_hand_computed() -> None:
    labels = [0, -1, -2, 0, -1, -2]
    preds = [9, 8, 7, 5, 6, 4]  # group a perfect; group b swaps its first two
    groups = ["a", "a", "a", "b", "b", "b"]
    rho_b = stats.spearmanr(labels[3:], preds[3:]).statistic
    assert within_group_srcc(labels, preds, groups) == pytest.approx((1.0 + rho_b) / 2)
    assert within_group_pairwise_accuracy(labels, preds, groups) == pytest.approx(5 / 6)
    # pairs across groups are never compared: shifting one group changes nothing
    shifted = [p + (100 if g == "b" else 0) for p, g in zip(preds, groups, strict=True)]
    assert within_group_pairwise_accuracy(labels, shifted, groups) == pytest.approx(5 / 6)


def test_bootstrap_is_seeded_and_close_to_the_normal_interval() -> None:
    rng = np.random.default_rng(3)
    sample = rng.normal(10.0, 2.0, size=400)

    def mean(idx: np.ndarray) -> float:
        return float(sample[idx].mean())

    a = bootstrap_ci(mean, len(sample), n_resamples=2000, seed=1)
    b = bootstrap_ci(mean, len(sample), n_resamples=2000, seed=1)
    assert a == b
    assert a is not None
    half = 1.96 * sample.std(ddof=1) / np.sqrt(len(sample))
    assert a[0] == pytest.approx(sample.mean() - half, abs=0.15 * half)
    assert a[1] == pytest.approx(sample.mean() + half, abs=0.15 * half)
    assert bootstrap_ci(mean, len(sample), n_resamples=0) is None


def test_score_metrics_report(noisy: tuple[np.ndarray, np.ndarray]) -> None:
    labels, preds = noisy
    subsets = ["even" if i % 2 == 0 else "odd" for i in range(len(labels))]
    report = score_metrics(
        labels, preds, subsets=subsets, label_threshold=5.0, boot=BootstrapConfig(200, seed=0)
    )
    assert set(report.metrics) == {"srcc", "krcc", "plcc", "plcc_logistic", "accuracy"}
    srcc_metric = report.metrics["srcc"]
    assert srcc_metric.value == pytest.approx(stats.spearmanr(labels, preds).statistic)
    assert srcc_metric.ci95 is not None
    assert srcc_metric.ci95[0] < srcc_metric.value < srcc_metric.ci95[1]
    assert report.metrics["accuracy"].value == pytest.approx(np.mean((labels >= 5) == (preds >= 5)))
    odd = report.breakdown["odd"]
    assert odd.n == 100
    assert odd.metrics["plcc"].value == pytest.approx(stats.pearsonr(labels[1::2], preds[1::2]).statistic)
    no_threshold = score_metrics(labels, preds, boot=BootstrapConfig(0))
    assert "accuracy" not in no_threshold.metrics
    assert no_threshold.metrics["srcc"].ci95 is None
    assert no_threshold.breakdown == {}


def test_delta_and_pairwise_reports_count_exclusions() -> None:
    deltas = [1.0, -2.0, 0.0, 3.0, -1.0]
    preds = [0.5, -1.0, 0.2, -0.5, -2.0]
    report = delta_metrics(deltas, preds, subsets=["a", "a", "b", "b", "b"], boot=BootstrapConfig(50))
    assert report.counts["no_change_labels"] == 1
    # directions (band 0.25): labels + - 0 + -, predictions + - 0 - -: only the fourth disagrees
    assert report.metrics["direction_accuracy"].value == pytest.approx(4 / 5)
    assert report.metrics["delta_srcc"].value == pytest.approx(stats.spearmanr(deltas, preds).statistic)
    assert report.metrics["delta_mae"].value == pytest.approx(np.mean(np.abs(np.subtract(deltas, preds))))
    assert report.breakdown["b"].counts["no_change_labels"] == 1
    pairs = pairwise_metrics([1, -1, 0], [2.0, 1.0, 0.5], boot=BootstrapConfig(0))
    assert pairs.counts["ties_excluded"] == 1
    assert pairs.metrics["pairwise_accuracy"].value == 0.5


def test_ladder_report_per_attribute() -> None:
    labels = [0, -1, -2] * 4
    preds = [3, 2, 1, 3, 2, 1, 1, 2, 3, 3, 1, 2]
    groups = ["p1/blur"] * 3 + ["p2/blur"] * 3 + ["p1/noise"] * 3 + ["p2/noise"] * 3
    subsets = ["blur"] * 6 + ["noise"] * 6
    report = ladder_metrics(labels, preds, groups, subsets=subsets, boot=BootstrapConfig(100))
    assert report.counts["groups"] == 4
    assert report.breakdown["blur"].metrics["srcc"].value == pytest.approx(1.0)
    assert report.breakdown["blur"].metrics["pairwise_accuracy"].value == 1.0
    noise_rho = [stats.spearmanr([0, -1, -2], p).statistic for p in ([1, 2, 3], [3, 1, 2])]
    assert report.breakdown["noise"].metrics["srcc"].value == pytest.approx(np.mean(noise_rho))
    assert report.metrics["pairwise_accuracy"].value == pytest.approx((3 + 3 + 0 + 2) / 12)


def test_ladder_groups_with_tied_predictions_are_counted() -> None:
    flat = ladder_metrics([0, -1, 0, -1], [1, 1, 3, 2], ["a", "a", "b", "b"], boot=BootstrapConfig(0))
    assert flat.counts["groups_srcc_undefined"] == 1
    assert flat.metrics["srcc"].value == pytest.approx(0.5)  # group a's undefined SRCC counts as 0
    assert flat.metrics["pairwise_accuracy"].value == 0.5  # group a's tie counts as wrong
