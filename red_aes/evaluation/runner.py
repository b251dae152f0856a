"""Score a benchmark with a scorer and measure the result.

Scoring modes:

- ``direct``: the scorer's own answer for the benchmark's kind: ``score(image)`` for absolute-score
  benchmarks and the edit ladder, ``compare(first, second)`` for pairwise and RED benchmarks.
- ``anchored`` (absolute-score benchmarks and the edit ladder): each image is compared with K anchors
  of known score and its score solved by least squares (see :mod:`red_aes.evaluation.anchored`).
  ``anchor_order="both"`` (the default) asks every (anchor, image) pair in both orders and uses
  ``(d(anchor→image) − d(image→anchor)) / 2``, which cancels a judge's position bias (a constant
  preference for the first or the second image); a pair counts only when both orders gave a number.
  ``"one"`` asks ``anchor→image`` only: half the questions, position bias included.

``decoding`` (``reasoning`` or ``fast``) is passed through to the scorer. Items are processed in chunks
of ``batch_size`` (so only one chunk of images is in memory) under a tqdm progress bar; answers go
through :class:`~red_aes.evaluation.cache.CachedScorer`, so a repeated run asks the model nothing new.
Invalid answers stay invalid: they are counted, listed and left out of the metrics, never replaced.

:func:`evaluate_across_processes` splits the scoring over the processes of an ``accelerate launch``:
each scores its shard into the shared cache, and the main process measures the whole benchmark from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from tqdm.auto import tqdm

from red_aes.evaluation.anchored import Anchors, Comparison, solve_scores
from red_aes.evaluation.benchmarks import Benchmark, ImageItem, PairItem, open_image
from red_aes.evaluation.cache import Answer, CachedScorer, LoadedImage, PredictionCache
from red_aes.evaluation.metrics import (
    BootstrapConfig,
    MetricReport,
    delta_metrics,
    ladder_metrics,
    pairwise_metrics,
    score_metrics,
)
from red_aes.scorers import MODES, BaseScorer
from red_aes.types import Mode

if TYPE_CHECKING:
    from accelerate import PartialState

ScoringMode = Literal["direct", "anchored"]
SCORING_MODES: tuple[str, ...] = ("direct", "anchored")
AnchorOrder = Literal["one", "both"]
ANCHOR_ORDERS: tuple[str, ...] = ("one", "both")
_INVALID_EXAMPLES = 5


@dataclass(frozen=True)
class Prediction:
    """One benchmark item with its label and the model's number (None when invalid)."""

    id: str
    label: float
    value: float | None
    valid: bool
    error: str | None = None
    subset: str | None = None
    group: str | None = None


@dataclass
class EvalResult:
    """Predictions and metrics of one model on one benchmark."""

    model: str
    adapter: str | None
    benchmark: Benchmark
    mode: ScoringMode
    decoding: Mode
    predictions: list[Prediction]
    report: MetricReport
    computed: int = 0
    cached: int = 0
    anchors: list[str] = field(default_factory=list)
    anchor_order: AnchorOrder | None = None

    @property
    def scoring(self) -> str:
        """The scoring mode as reports name it: ``direct``, ``anchored-both`` or ``anchored-one``."""
        return self.mode if self.anchor_order is None else f"{self.mode}-{self.anchor_order}"

    @property
    def label(self) -> str:
        """How the model is named in tables: ``model`` or ``model + adapter``."""
        return self.model if self.adapter is None else f"{self.model} + {self.adapter}"

    @property
    def n_invalid(self) -> int:
        return sum(not p.valid for p in self.predictions)

    def to_dict(self) -> dict[str, Any]:
        invalid = [{"file": p.id, "error": p.error} for p in self.predictions if not p.valid]
        return {
            "model": self.model,
            "adapter": self.adapter,
            "benchmark": self.benchmark.name,
            "benchmark_name": self.benchmark.display_name,
            "split": self.benchmark.split,
            "source": self.benchmark.source,
            "mode": self.mode,
            "decoding": self.decoding,
            "anchors": self.anchors,
            "anchor_order": self.anchor_order,
            "n_items": len(self.predictions),
            "n_valid": len(self.predictions) - len(invalid),
            "n_invalid": len(invalid),
            "invalid_examples": invalid[:_INVALID_EXAMPLES],
            "answers_computed": self.computed,
            "answers_from_cache": self.cached,
            **self.report.to_dict(),
        }


def _chunks(n: int, size: int) -> list[range]:
    return [range(start, min(start + size, n)) for start in range(0, n, size)]


def _load(sources: Sequence[Any], scorer: BaseScorer) -> list[LoadedImage]:
    return [LoadedImage.of(open_image(s, max_pixels=scorer.max_pixels)) for s in sources]


def _anchored_scores(
    answerer: CachedScorer,
    anchors: list[LoadedImage],
    anchor_scores: Sequence[float],
    targets: list[LoadedImage],
    order: AnchorOrder,
) -> list[Answer]:
    """Compare every target with every anchor (in one or both orders), then solve each target's score
    (anchors fixed)."""
    k, n = len(anchors), len(targets)
    firsts = [a for _ in targets for a in anchors]
    seconds = [t for t in targets for _ in anchors]
    if order == "both":  # the reversed questions follow the forward ones, in one batched call
        firsts, seconds = firsts + seconds, seconds + firsts
    answered = answerer.compare(firsts, seconds, [None] * len(firsts))
    values = [a.value if a.valid else None for a in answered]
    forward = values[: k * n]
    if order == "both":  # Δ = (d(anchor→target) − d(target→anchor)) / 2; needs both numbers
        forward = [
            None if f is None or b is None else (f - b) / 2
            for f, b in zip(forward, values[k * n :], strict=True)
        ]
    both = " in both orders" if order == "both" else ""
    failed = Answer(None, False, f"no valid comparison with any of the {k} anchors{both}")
    answers = [failed] * n
    comparisons: list[Comparison] = []
    solvable: list[int] = []  # targets with at least one valid delta; unknown item k + position
    for t in range(n):
        valid = [(j, d) for j, d in enumerate(forward[t * k : (t + 1) * k]) if d is not None]
        if valid:
            comparisons += [Comparison(j, k + len(solvable), float(value)) for j, value in valid]
            solvable.append(t)
    if solvable:
        scores = solve_scores(k + len(solvable), comparisons, dict(enumerate(anchor_scores)))
        for position, t in enumerate(solvable):
            answers[t] = Answer(float(scores[k + position]), True)
    return answers


def evaluate(
    scorer: BaseScorer,
    benchmark: Benchmark,
    *,
    model_id: str,
    adapter: str | None = None,
    mode: ScoringMode = "direct",
    decoding: Mode = "reasoning",
    anchors: Anchors | None = None,
    anchor_order: AnchorOrder = "both",
    cache: PredictionCache | None = None,
    batch_size: int | None = None,
    boot: BootstrapConfig | None = None,
    progress: bool = True,
) -> EvalResult:
    """Score ``benchmark`` with ``scorer`` (named ``model_id``/``adapter`` in the cache and reports)."""
    if mode not in SCORING_MODES:
        raise ValueError(f"mode must be one of {SCORING_MODES}, got {mode!r}")
    if anchor_order not in ANCHOR_ORDERS:
        raise ValueError(f"anchor_order must be one of {ANCHOR_ORDERS}, got {anchor_order!r}")
    if decoding not in MODES:
        raise ValueError(f"decoding must be one of {MODES}, got {decoding!r}")
    pairs = benchmark.kind in ("pairwise", "delta")
    if len(benchmark) == 0:
        raise ValueError(f"benchmark {benchmark.name!r} has no items")
    anchor_ids: list[str] = []
    anchor_images: list[LoadedImage] = []
    anchor_scores: tuple[float, ...] = ()
    if mode == "anchored":
        if pairs:
            raise ValueError(
                f"mode 'anchored' gives absolute scores; {benchmark.name!r} is a {benchmark.kind} benchmark "
                "scored by comparing its pairs directly (use mode 'direct')"
            )
        if anchors is None or len(anchors) == 0:
            raise ValueError(
                "mode 'anchored' needs anchor images with known scores (e.g. --anchors train.csv)"
            )
        anchor_ids, anchor_images, anchor_scores = (
            list(anchors.ids),
            _load(anchors.images, scorer),
            anchors.scores,
        )
    size = batch_size or scorer.batch_size
    answerer = CachedScorer(
        scorer, cache, model_id=model_id, adapter=adapter, decoding=decoding, batch_size=size
    )
    predictions: list[Prediction] = []
    bar = tqdm(
        total=len(benchmark),
        desc=f"{model_id} on {benchmark.name}",
        unit="pair" if pairs else "img",
        disable=not progress,
    )
    with bar:
        for chunk in _chunks(len(benchmark), size):
            items = [benchmark.items[i] for i in chunk]
            if pairs:
                pair_items: list[PairItem] = items  # type: ignore[assignment]
                answers = answerer.compare(
                    _load([it.first for it in pair_items], scorer),
                    _load([it.second for it in pair_items], scorer),
                    [it.instruction for it in pair_items],
                )
            else:
                image_items: list[ImageItem] = items  # type: ignore[assignment]
                loaded = _load([it.image for it in image_items], scorer)
                if mode == "anchored":
                    answers = _anchored_scores(answerer, anchor_images, anchor_scores, loaded, anchor_order)
                else:
                    answers = answerer.score(loaded)
            predictions += [
                Prediction(it.id, it.label, a.value, a.valid, a.error, it.subset, it.group)
                for it, a in zip(items, answers, strict=True)
            ]
            bar.update(len(chunk))
    return EvalResult(
        model=model_id,
        adapter=adapter,
        benchmark=benchmark,
        mode=mode,
        decoding=decoding,
        predictions=predictions,
        report=measure(benchmark, predictions, boot or BootstrapConfig()),
        computed=answerer.computed,
        cached=answerer.cached,
        anchors=anchor_ids,
        anchor_order=anchor_order if mode == "anchored" else None,
    )


def evaluate_across_processes(
    scorer: BaseScorer,
    benchmark: Benchmark,
    state: PartialState,
    *,
    cache: PredictionCache,
    boot: BootstrapConfig | None = None,
    **options: Any,
) -> EvalResult | None:
    """:func:`evaluate` split over the processes of ``state`` (an ``accelerate launch``).

    Each process scores its shard (every N-th item) into the shared ``cache``; once all have finished,
    the main process measures the whole benchmark from the cache (asking the model nothing) and returns
    the result, with the answer counts summed over the processes; the others return None. ``options``
    are :func:`evaluate`'s other keyword arguments, the same in every process.
    """
    from accelerate.utils import gather_object

    part = benchmark.shard(state.process_index, state.num_processes)
    counts = (0, 0)
    if len(part):  # a benchmark smaller than the number of processes leaves some shards empty
        # only the whole benchmark's metrics are reported: no bootstrap is spent on a shard's
        shard = evaluate(scorer, part, cache=cache, boot=BootstrapConfig(n_resamples=0), **options)
        counts = (shard.computed, shard.cached)
    # gathering the counts is also the barrier: past it, every shard's answers are in the cache
    everyone: list[tuple[int, int]] = gather_object([counts])
    if not state.is_main_process:
        return None
    whole = evaluate(scorer, benchmark, cache=cache, boot=boot, **options)  # answers from the cache
    computed = whole.computed + sum(c for c, _ in everyone)  # the answers this run asked the model for
    return replace(whole, computed=computed, cached=sum(c for _, c in everyone))


def measure(benchmark: Benchmark, predictions: Sequence[Prediction], boot: BootstrapConfig) -> MetricReport:
    """The metrics of the benchmark's kind on the valid predictions; ``invalid`` counts the others."""
    valid = [p for p in predictions if p.valid]
    labels = [p.label for p in valid]
    values = [float(p.value) for p in valid]  # type: ignore[arg-type]
    subsets = [p.subset for p in valid]
    if benchmark.kind == "score":
        report = score_metrics(
            labels, values, subsets=subsets, label_threshold=benchmark.label_threshold, boot=boot
        )
    elif benchmark.kind == "delta":
        report = delta_metrics(labels, values, subsets=subsets, boot=boot)
    elif benchmark.kind == "pairwise":
        report = pairwise_metrics(labels, values, subsets=subsets, boot=boot)
    else:
        report = ladder_metrics(labels, values, [str(p.group) for p in valid], subsets=subsets, boot=boot)
    report.counts["invalid"] = len(predictions) - len(valid)
    return report
