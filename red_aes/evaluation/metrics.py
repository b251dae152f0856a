"""Evaluation metrics for absolute scores, pairwise preferences, RED deltas and edit ladders.

Correlations follow the IQA/IAA conventions: SRCC (Spearman), KRCC (Kendall tau-b), PLCC (Pearson) on
the raw predictions and PLCC after the VQEG 4-parameter logistic mapping
``f(x) = (b1 - b2) / (1 + exp(-(x - b3) / |b4|)) + b2`` fitted from predictions to labels with
``scipy.optimize.curve_fit``. When that fit does not converge (tiny or degenerate samples) the mapping
falls back to the identity, ``plcc_logistic`` then equals the raw PLCC and the report says so in
``notes["logistic_fit"]``; nothing is hidden.

Confidence intervals are seeded percentile bootstraps (95 % by default), resampling items, or whole
groups for the edit ladder. For ``plcc_logistic`` the mapping is fitted once on the full sample and
the bootstrap resamples the mapped predictions (refitting per resample would cost one optimisation per
resample for a negligible change).

A metric that is undefined on a sample (constant predictions, fewer than two items) is ``None``, never a
made-up number. Predictions that the model failed to give (``valid=False``) are removed by the caller
and reported as ``n_invalid``; the functions here only see valid numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from red_aes.errors import InputError
from red_aes.types import NO_CHANGE_BAND

#: Threshold of the binary "high aesthetic" task on the RED-Aes/AVA score scale [1, 10] (AVA convention).
BINARY_THRESHOLD: float = 5.0

ArrayLike = Sequence[float] | np.ndarray


#: How reports and model cards title each metric.
METRIC_TITLES: dict[str, str] = {
    "srcc": "SRCC",
    "krcc": "KRCC",
    "plcc": "PLCC",
    "plcc_logistic": "PLCC (logistic)",
    "accuracy": "Acc.",
    "pairwise_accuracy": "Pairwise acc.",
    "direction_accuracy": "Direction acc.",
    "delta_srcc": "Δ SRCC",
    "delta_plcc": "Δ PLCC",
    "delta_mae": "Δ MAE",
}


def _pair(labels: ArrayLike, preds: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.asarray(labels, dtype=float), np.asarray(preds, dtype=float)
    if y.shape != x.shape or y.ndim != 1:
        raise InputError(
            f"labels and predictions must be 1-D and of equal length, got {y.shape} and {x.shape}"
        )
    if not (np.isfinite(y).all() and np.isfinite(x).all()):
        raise InputError("labels and predictions must be finite numbers (drop invalid predictions first)")
    return y, x


def _defined(y: np.ndarray, x: np.ndarray) -> bool:
    """A correlation is defined when there are two items and neither side is constant."""
    return len(y) >= 2 and np.ptp(y) > 0 and np.ptp(x) > 0


def _pearson(y: np.ndarray, x: np.ndarray) -> float:
    # np.corrcoef is ~100x faster than scipy.stats.pearsonr per call, which matters inside the bootstrap
    return float(np.clip(np.corrcoef(y, x)[0, 1], -1.0, 1.0))


def srcc(labels: ArrayLike, preds: ArrayLike) -> float | None:
    """Spearman rank correlation (Pearson of average ranks, as scipy.stats.spearmanr); None when undefined."""
    from scipy.stats import rankdata  # half a second to import: so `red-aes --help` never imports it

    y, x = _pair(labels, preds)
    return _pearson(rankdata(y), rankdata(x)) if _defined(y, x) else None


def krcc(labels: ArrayLike, preds: ArrayLike) -> float | None:
    """Kendall rank correlation (tau-b, which handles ties); None when undefined."""
    from scipy.stats import kendalltau

    y, x = _pair(labels, preds)
    return float(kendalltau(y, x).statistic) if _defined(y, x) else None


def plcc(labels: ArrayLike, preds: ArrayLike) -> float | None:
    """Pearson linear correlation of the raw predictions; None when undefined."""
    y, x = _pair(labels, preds)
    return _pearson(y, x) if _defined(y, x) else None


def logistic4(x: np.ndarray, b1: float, b2: float, b3: float, b4: float) -> np.ndarray:
    """The VQEG 4-parameter logistic: ``(b1 - b2) / (1 + exp(-(x - b3) / |b4|)) + b2``."""
    z = np.clip(-(x - b3) / abs(b4), -500.0, 500.0)
    return (b1 - b2) / (1.0 + np.exp(z)) + b2


@dataclass(frozen=True)
class LogisticFit:
    """The fitted mapping from predictions to labels; ``params`` is None when it fell back to identity."""

    params: tuple[float, float, float, float] | None
    message: str

    @property
    def converged(self) -> bool:
        return self.params is not None

    def __call__(self, preds: ArrayLike) -> np.ndarray:
        x = np.asarray(preds, dtype=float)
        return x if self.params is None else logistic4(x, *self.params)


def fit_logistic(labels: ArrayLike, preds: ArrayLike) -> LogisticFit:
    """Fit :func:`logistic4` from predictions to labels.

    Init: ``b1 = max(labels)``, ``b2 = min(labels)``, ``b3 = mean(preds)``, ``b4 = std(preds)``; the
    slope sign comes from the raw correlation so that negatively correlated predictors still fit.
    Falls back to the identity (``params=None``) with a message when there are fewer than 5 items, a
    constant side, or no convergence.
    """
    from scipy import optimize

    y, x = _pair(labels, preds)
    if len(y) < 5 or not _defined(y, x):
        return LogisticFit(
            None, f"identity: logistic fit needs >= 5 items and non-constant values (n={len(y)})"
        )
    rising = np.corrcoef(x, y)[0, 1] >= 0
    b1, b2 = (y.max(), y.min()) if rising else (y.min(), y.max())
    init = [b1, b2, float(x.mean()), float(x.std()) or 1.0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optimize.OptimizeWarning)
            params, _ = optimize.curve_fit(logistic4, x, y, p0=init, maxfev=20000)
    except (RuntimeError, ValueError) as err:
        return LogisticFit(None, f"identity: logistic fit did not converge ({err})")
    if not np.isfinite(params).all() or params[3] == 0:
        return LogisticFit(None, "identity: logistic fit gave non-finite parameters")
    return LogisticFit(tuple(float(p) for p in params), "converged")  # type: ignore[arg-type]


def plcc_logistic(labels: ArrayLike, preds: ArrayLike) -> tuple[float | None, LogisticFit]:
    """PLCC after the 4-parameter logistic mapping, with the fit that produced it."""
    fit = fit_logistic(labels, preds)
    return plcc(labels, fit(preds)), fit


def binary_accuracy(
    labels: ArrayLike, preds: ArrayLike, label_threshold: float, pred_threshold: float
) -> float:
    """Share of items on the same side of the thresholds (``>= threshold`` is "high aesthetic")."""
    y, x = _pair(labels, preds)
    if len(y) == 0:
        raise InputError("binary accuracy of an empty sample")
    return float(np.mean((y >= label_threshold) == (x >= pred_threshold)))


def majority_preference(votes_a: ArrayLike, votes_b: ArrayLike) -> np.ndarray:
    """Majority vote per pair: +1 when b got more votes, -1 when a did, 0 for a tie."""
    a, b = _pair(votes_a, votes_b)
    if (a < 0).any() or (b < 0).any():
        raise InputError("vote counts must be >= 0")
    return np.sign(b - a)


@dataclass(frozen=True)
class SignAgreement:
    """Direction agreement of predicted deltas with reference directions; reference ties excluded."""

    accuracy: float | None
    n_compared: int
    n_ties: int


def sign_agreement(reference: ArrayLike, preds: ArrayLike) -> SignAgreement:
    """Share of pairs whose predicted delta has the reference's sign.

    Pairs with a zero reference (a human tie or a zero judged delta) are excluded and counted in
    ``n_ties``; a zero prediction for a non-tied pair counts as wrong (it states no direction).
    """
    y, x = _pair(reference, preds)
    used = y != 0
    n = int(used.sum())
    accuracy = float(np.mean(np.sign(x[used]) == np.sign(y[used]))) if n else None
    return SignAgreement(accuracy, n, int(len(y) - n))


def directions(deltas: ArrayLike, band: float = NO_CHANGE_BAND) -> np.ndarray:
    """-1, 0 or +1 per delta: its sign, with ``|delta| < band`` counted as 0 ("no change").

    The dataset builder's rule (``red_aes.data.aggregate.direction_of``) with the same shared band.
    """
    values = np.asarray(deltas, dtype=float)
    return np.where(np.abs(values) < band, 0.0, np.sign(values))


def direction_accuracy(deltas: ArrayLike, preds: ArrayLike, band: float = NO_CHANGE_BAND) -> float | None:
    """Share of pairs whose predicted direction (-, no change, +) equals the judged one.

    Both sides use the dataset's no-change band, so a judged +0.04 and a predicted +0.0 (what SFT
    teaches for |delta| < band) agree; None for an empty sample.
    """
    y, x = _pair(deltas, preds)
    return float(np.mean(directions(y, band) == directions(x, band))) if len(y) else None


def pairwise_accuracy(preference: ArrayLike, preds: ArrayLike) -> SignAgreement:
    """Pairwise preference accuracy: ``preference`` in {-1, 0, +1} (see :func:`majority_preference`)."""
    if not np.isin(np.asarray(preference, dtype=float), (-1.0, 0.0, 1.0)).all():
        raise InputError("preferences must be -1 (a preferred), 0 (tie) or +1 (b preferred)")
    return sign_agreement(preference, preds)


def group_indices(groups: Sequence[str]) -> dict[str, np.ndarray]:
    """Positions of each group's members, groups in order of first appearance."""
    order: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        order.setdefault(g, []).append(i)
    return {g: np.asarray(idx) for g, idx in order.items()}


@dataclass(frozen=True)
class GroupStats:
    """Per-group order statistics: SRCC (NaN where undefined), correctly ordered and comparable pairs."""

    srcc: np.ndarray
    correct: np.ndarray
    total: np.ndarray

    def mean_srcc(self, picked: np.ndarray) -> float | None:
        """Mean over groups; a group with an undefined SRCC (all members scored alike) counts as 0: a
        scorer that cannot tell the members apart has shown no ordering ability, and skipping such groups
        would report a perfect mean for a scorer that orders one group out of seven."""
        values = np.nan_to_num(self.srcc[picked], nan=0.0)
        return float(values.mean()) if len(values) else None

    def pairwise_accuracy(self, picked: np.ndarray) -> float | None:
        total = int(self.total[picked].sum())
        return float(self.correct[picked].sum() / total) if total else None


def group_stats(labels: ArrayLike, preds: ArrayLike, groups: Sequence[str]) -> GroupStats:
    """Order statistics of each group.

    Pairs with equal labels are not comparable; tied predictions of comparable pairs count as wrong.
    """
    y, x = _pair(labels, preds)
    if len(groups) != len(y):
        raise InputError(f"got {len(groups)} group ids for {len(y)} items")
    rho, correct, total = [], [], []
    for idx in group_indices(groups).values():
        value = srcc(y[idx], x[idx])
        rho.append(np.nan if value is None else value)
        dy = np.sign(y[idx][:, None] - y[idx][None, :])
        dx = np.sign(x[idx][:, None] - x[idx][None, :])
        upper = np.triu(dy != 0, k=1)
        total.append(int(upper.sum()))
        correct.append(int((dy == dx)[upper].sum()))
    return GroupStats(np.asarray(rho, dtype=float), np.asarray(correct), np.asarray(total))


def within_group_srcc(labels: ArrayLike, preds: ArrayLike, groups: Sequence[str]) -> float | None:
    """Mean SRCC inside groups (a group where it is undefined counts as 0); None without groups."""
    stats_ = group_stats(labels, preds, groups)
    return stats_.mean_srcc(np.arange(len(stats_.srcc)))


def within_group_pairwise_accuracy(
    labels: ArrayLike, preds: ArrayLike, groups: Sequence[str]
) -> float | None:
    """Share of same-group pairs with different labels that the predictions order correctly."""
    stats_ = group_stats(labels, preds, groups)
    return stats_.pairwise_accuracy(np.arange(len(stats_.srcc)))


def bootstrap_ci(
    statistic: Callable[[np.ndarray], float | None],
    n: int,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of ``statistic(indices)`` over ``n`` resampled positions.

    Resamples where the statistic is undefined are dropped; None when fewer than half of them are
    defined, or when ``n_resamples`` or ``n`` is 0.
    """
    if n_resamples <= 0 or n == 0:
        return None
    from scipy import stats

    rng = np.random.default_rng(seed)
    values = []
    with warnings.catch_warnings():
        # resamples of small samples are often (nearly) constant; those are dropped or imprecise by nature
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        warnings.simplefilter("ignore", stats.NearConstantInputWarning)
        for _ in range(n_resamples):
            value = statistic(rng.integers(0, n, size=n))
            if value is not None and np.isfinite(value):
                values.append(value)
    if len(values) < n_resamples / 2:
        return None
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [alpha, 1.0 - alpha])
    return float(low), float(high)


@dataclass
class Metric:
    """A metric value with its bootstrap 95 % interval (either may be None when undefined)."""

    value: float | None
    ci95: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ci95": list(self.ci95) if self.ci95 else None}


@dataclass
class MetricReport:
    """Everything measured on one sample: metrics with CIs, counts, notes and per-subset breakdowns."""

    n: int
    metrics: dict[str, Metric]
    counts: dict[str, int] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    breakdown: dict[str, MetricReport] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": self.n,
            "metrics": {name: m.to_dict() for name, m in self.metrics.items()},
            "counts": dict(self.counts),
            "notes": dict(self.notes),
        }
        if self.breakdown:
            out["breakdown"] = {key: rep.to_dict() for key, rep in self.breakdown.items()}
        return out


@dataclass(frozen=True)
class BootstrapConfig:
    """How many resamples (0 disables CIs), at what confidence, from which seed."""

    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0


def _with_ci(statistic: Callable[[np.ndarray], float | None], n: int, boot: BootstrapConfig) -> Metric:
    value = statistic(np.arange(n)) if n else None
    if value is None:
        return Metric(None)
    ci = bootstrap_ci(statistic, n, n_resamples=boot.n_resamples, confidence=boot.confidence, seed=boot.seed)
    return Metric(value, ci)


def _report_with_breakdown(
    n: int,
    subsets: Sequence[str | None] | None,
    compute: Callable[[np.ndarray], MetricReport],
) -> MetricReport:
    """``compute`` on all items, plus one report per subset when subsets are given."""
    report = compute(np.arange(n))
    if subsets is not None and any(s is not None for s in subsets):
        if len(subsets) != n:
            raise InputError(f"got {len(subsets)} subset names for {n} items")
        keys = ["" if s is None else str(s) for s in subsets]
        report.breakdown = {key: compute(idx) for key, idx in sorted(group_indices(keys).items())}
    return report


def score_metrics(
    labels: ArrayLike,
    preds: ArrayLike,
    *,
    subsets: Sequence[str | None] | None = None,
    label_threshold: float | None = None,
    pred_threshold: float = BINARY_THRESHOLD,
    boot: BootstrapConfig | None = None,
) -> MetricReport:
    """Absolute-score benchmark: srcc, krcc, plcc, plcc_logistic and, given a label threshold, accuracy."""
    y, x = _pair(labels, preds)
    boot = boot or BootstrapConfig()

    def compute(idx: np.ndarray) -> MetricReport:
        ys, xs = y[idx], x[idx]
        fit = fit_logistic(ys, xs)
        mapped = fit(xs)
        metrics = {
            "srcc": _with_ci(lambda i: srcc(ys[i], xs[i]), len(ys), boot),
            "krcc": _with_ci(lambda i: krcc(ys[i], xs[i]), len(ys), boot),
            "plcc": _with_ci(lambda i: plcc(ys[i], xs[i]), len(ys), boot),
            "plcc_logistic": _with_ci(lambda i: plcc(ys[i], mapped[i]), len(ys), boot),
        }
        if label_threshold is not None:
            metrics["accuracy"] = _with_ci(
                lambda i: binary_accuracy(ys[i], xs[i], label_threshold, pred_threshold), len(ys), boot
            )
        return MetricReport(len(ys), metrics, notes={"logistic_fit": fit.message})

    return _report_with_breakdown(len(y), subsets, compute)


def delta_metrics(
    deltas: ArrayLike,
    preds: ArrayLike,
    *,
    subsets: Sequence[str | None] | None = None,
    boot: BootstrapConfig | None = None,
) -> MetricReport:
    """RED pairs: direction accuracy (-, no change, + with the dataset's band; judged no-change pairs
    counted), delta SRCC/PLCC, MAE."""
    y, x = _pair(deltas, preds)
    boot = boot or BootstrapConfig()

    def compute(idx: np.ndarray) -> MetricReport:
        ys, xs = y[idx], x[idx]
        metrics = {
            "direction_accuracy": _with_ci(lambda i: direction_accuracy(ys[i], xs[i]), len(ys), boot),
            "delta_srcc": _with_ci(lambda i: srcc(ys[i], xs[i]), len(ys), boot),
            "delta_plcc": _with_ci(lambda i: plcc(ys[i], xs[i]), len(ys), boot),
            "delta_mae": _with_ci(lambda i: float(np.mean(np.abs(ys[i] - xs[i]))), len(ys), boot),
        }
        return MetricReport(len(ys), metrics, counts={"no_change_labels": int((directions(ys) == 0).sum())})

    return _report_with_breakdown(len(y), subsets, compute)


def pairwise_metrics(
    preference: ArrayLike,
    preds: ArrayLike,
    *,
    subsets: Sequence[str | None] | None = None,
    boot: BootstrapConfig | None = None,
) -> MetricReport:
    """Human preference pairs: pairwise accuracy, ties excluded and counted."""
    y, x = _pair(preference, preds)
    boot = boot or BootstrapConfig()

    def compute(idx: np.ndarray) -> MetricReport:
        ys, xs = y[idx], x[idx]
        metrics = {
            "pairwise_accuracy": _with_ci(lambda i: pairwise_accuracy(ys[i], xs[i]).accuracy, len(ys), boot)
        }
        return MetricReport(len(ys), metrics, counts={"ties_excluded": pairwise_accuracy(ys, xs).n_ties})

    return _report_with_breakdown(len(y), subsets, compute)


def ladder_metrics(
    labels: ArrayLike,
    preds: ArrayLike,
    groups: Sequence[str],
    *,
    subsets: Sequence[str | None] | None = None,
    boot: BootstrapConfig | None = None,
) -> MetricReport:
    """Groups with a known internal order: mean within-group SRCC and within-group pairwise accuracy.

    The SRCC mean counts groups where it is undefined (e.g. the scorer gave every member the same score)
    as 0 and reports them in ``groups_srcc_undefined``; pairwise accuracy counts such ties as wrong. The
    bootstrap resamples whole groups (the unit whose order is known).
    """
    y, x = _pair(labels, preds)
    boot = boot or BootstrapConfig()

    def compute(idx: np.ndarray) -> MetricReport:
        stats_ = group_stats(y[idx], x[idx], [groups[i] for i in idx])
        n_groups = len(stats_.srcc)
        metrics = {
            "srcc": _with_ci(stats_.mean_srcc, n_groups, boot),
            "pairwise_accuracy": _with_ci(stats_.pairwise_accuracy, n_groups, boot),
        }
        counts = {
            "groups": n_groups,
            "groups_srcc_undefined": int(np.isnan(stats_.srcc).sum()),
            "ordered_pairs": int(stats_.total.sum()),
        }
        return MetricReport(len(idx), metrics, counts=counts)

    return _report_with_breakdown(len(y), subsets, compute)
