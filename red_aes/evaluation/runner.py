"""Score a benchmark with a scorer and measure the result.

Scoring modes:

- ``direct``: the scorer's own answer for the benchmark's kind: ``score(image)`` for absolute-score
  benchmarks and the edit ladder, ``compare(first, second)`` for pairwise and RED benchmarks. A scorer
  whose registry entry says ``relative=False`` (an absolute scorer such as ``measured``, whose delta is by
  definition ``score(second) − score(first)``) answers pair benchmarks by scoring each distinct image
  once and subtracting; ``answers_computed``/``answers_from_cache`` then count images, not pairs.
- ``anchored`` (absolute-score benchmarks and the edit ladder): each image is compared with K anchors
  of known score and its score solved by least squares (see :mod:`red_aes.evaluation.anchored`).
  ``anchor_order="both"`` (the default) asks every (anchor, image) pair in both orders and uses
  ``(d(anchor→image) − d(image→anchor)) / 2``, which cancels a judge's position bias (a constant
  preference for the first or the second image); a pair counts only when both orders gave a number.
  ``"one"`` asks ``anchor→image`` only: half the questions, position bias included. An anchor that is
  also a benchmark item (same file bytes or same pixels) is refused: its known score would leak into
  the result.

``decoding`` (``reasoning`` or ``fast``) is passed through to the scorer. Items are processed in chunks
of ``batch_size`` (so only one chunk of images is in memory) under a tqdm progress bar; answers go
through :class:`~red_aes.evaluation.cache.CachedScorer`, so a repeated run asks the model nothing new.
Invalid answers stay invalid: they are counted, listed and left out of the metrics, never replaced.
Forced answers (the reasoning budget ran out) and invalid answers with an ``answer_mass`` (fast mode
found too little probability on well-formed answers) are counted; ``exclude_forced`` also leaves the
forced ones out of the metrics, counted as ``excluded_forced``.

:func:`evaluate_across_processes` splits the scoring over the processes of an ``accelerate launch``:
each scores its shard into the shared cache, and the main process measures the whole benchmark from it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tqdm.auto import tqdm

from red_aes.errors import InputError
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
from red_aes.scoring import DECODINGS, BaseScorer
from red_aes.types import Decoding

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
    forced: bool = False
    answer_mass: float | None = None


@dataclass
class EvalResult:
    """Predictions and metrics of one model on one benchmark."""

    model: str
    adapter: str | None
    benchmark: Benchmark
    scoring_mode: ScoringMode
    decoding: Decoding
    predictions: list[Prediction]
    report: MetricReport
    computed: int = 0
    cached: int = 0
    anchors: list[str] = field(default_factory=list)
    anchor_order: AnchorOrder | None = None
    exclude_forced: bool = False

    @property
    def scoring(self) -> str:
        """The scoring mode as reports name it: ``direct``, ``anchored-both`` or ``anchored-one``."""
        mode = self.scoring_mode
        return mode if self.anchor_order is None else f"{mode}-{self.anchor_order}"

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
            "scoring": self.scoring_mode,
            "decoding": self.decoding,
            "anchors": self.anchors,
            "anchor_order": self.anchor_order,
            "n_items": len(self.predictions),
            "n_valid": len(self.predictions) - len(invalid),
            "n_invalid": len(invalid),
            "exclude_forced": self.exclude_forced,
            "invalid_examples": invalid[:_INVALID_EXAMPLES],
            "answers_computed": self.computed,
            "answers_from_cache": self.cached,
            **self.report.to_dict(),
        }


def _chunks(n: int, size: int) -> list[range]:
    return [range(start, min(start + size, n)) for start in range(0, n, size)]


def _load(sources: Sequence[Any], scorer: BaseScorer) -> list[LoadedImage]:
    return [LoadedImage.of(open_image(s, max_input_pixels=scorer.max_input_pixels)) for s in sources]


def is_relative(scorer: BaseScorer) -> bool:
    """Whether the scorer judges pairs as pairs; ``relative=False`` on its registry entry
    (:class:`~red_aes.scoring.backends.ScorerEntry`) marks an absolute scorer whose delta is the
    difference of its scores (default True: ask the pair)."""
    return bool(getattr(scorer, "relative", True))


def _flags(answers: Sequence[Answer]) -> tuple[bool, float | None]:
    """``forced`` and ``answer_mass`` of a number built from ``answers``: forced if any of them was,
    the smallest mass among those that have one."""
    masses = [a.answer_mass for a in answers if a.answer_mass is not None]
    return any(a.forced for a in answers), (min(masses) if masses else None)


def _difference(first: Answer, second: Answer) -> Answer:
    """The delta ``second − first`` of two absolute scores; invalid (naming the side) if either is."""
    forced, mass = _flags([first, second])
    if first.valid and second.valid:
        return Answer(float(second.value) - float(first.value), True, None, forced, mass)  # type: ignore[arg-type]
    errors = [f"{side} image: {a.error}" for side, a in (("first", first), ("second", second)) if not a.valid]
    return Answer(None, False, "; ".join(errors), forced, mass)


def _file_path(source: Any) -> str | None:
    """The path of an image source that is a file on disk (None for images, bytes and callables)."""
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) and Path(source).is_file() else None


def _scored_pairs(
    answerer: CachedScorer,
    items: Sequence[PairItem],
    scorer: BaseScorer,
    scores: dict[str, Answer],
    digests: dict[str, str],
) -> list[Answer]:
    """Pairs answered by an absolute scorer: each distinct image is loaded and scored once per run
    (``scores``: pixel digest -> score and ``digests``: file path -> pixel digest carry over between
    chunks), and a pair's delta is ``score(second) − score(first)``."""
    keys: list[str] = []
    fresh: dict[str, LoadedImage] = {}
    for source in [it.first for it in items] + [it.second for it in items]:
        path = _file_path(source)
        if path is not None and path in digests:
            keys.append(digests[path])
            continue
        loaded = LoadedImage.of(open_image(source, max_input_pixels=scorer.max_input_pixels))
        if path is not None:
            digests[path] = loaded.digest
        keys.append(loaded.digest)
        if loaded.digest not in scores:
            fresh[loaded.digest] = loaded
    if fresh:
        scores.update(zip(fresh, answerer.score(list(fresh.values())), strict=True))
    n = len(items)
    return [_difference(scores[a], scores[b]) for a, b in zip(keys[:n], keys[n:], strict=True)]


def _file_digest(source: Any) -> str | None:
    """SHA-256 of the bytes of an image source that is a file (None for other sources)."""
    path = _file_path(source)
    return None if path is None else hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _refuse_overlap(anchor_by_hash: dict[str, str], item_id: str, digest: str | None, same: str) -> None:
    """Raise when an item's hash (of its file bytes or pixels, named by ``same``) is an anchor's: the
    anchor's known score would leak into the result."""
    if digest is not None and digest in anchor_by_hash:
        raise InputError(
            f"anchored mode: benchmark item {item_id!r} has the same {same} as the anchor "
            f"{anchor_by_hash[digest]!r}; anchors must not overlap the benchmark (take them from the "
            "training split)"
        )


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
    answers: list[Answer] = []
    comparisons: list[Comparison] = []
    solvable: list[int] = []  # targets with at least one valid delta; unknown item k + position
    for t in range(n):
        valid = [(j, d) for j, d in enumerate(forward[t * k : (t + 1) * k]) if d is not None]
        # forced/answer_mass of the questions behind the score (all of them when none gave a number)
        used = [j for j, _ in valid] or range(k)
        asked = [answered[t * k + j] for j in used]
        if order == "both":
            asked += [answered[k * n + t * k + j] for j in used]
        forced, mass = _flags(asked)
        answers.append(
            Answer(None, False, f"no valid comparison with any of the {k} anchors{both}", forced, mass)
        )
        if valid:
            comparisons += [Comparison(j, k + len(solvable), float(value)) for j, value in valid]
            solvable.append(t)
    if solvable:
        scores = solve_scores(k + len(solvable), comparisons, dict(enumerate(anchor_scores)))
        for position, t in enumerate(solvable):
            answers[t] = replace(answers[t], value=float(scores[k + position]), valid=True, error=None)
    return answers


def evaluate(
    scorer: BaseScorer,
    benchmark: Benchmark,
    *,
    model_id: str,
    adapter: str | None = None,
    scoring: ScoringMode = "direct",
    decoding: Decoding = "reasoning",
    anchors: Anchors | None = None,
    anchor_order: AnchorOrder = "both",
    cache: PredictionCache | None = None,
    batch_size: int | None = None,
    boot: BootstrapConfig | None = None,
    progress: bool = True,
    exclude_forced: bool = False,
    load_options: dict[str, Any] | None = None,
) -> EvalResult:
    """Score ``benchmark`` with ``scorer`` (named ``model_id``/``adapter`` in the cache and reports).

    ``load_options`` are the options ``scorer`` was loaded with (they join the cache key);
    ``exclude_forced`` leaves forced answers out of the metrics (counted).
    """
    if scoring not in SCORING_MODES:
        raise InputError(f"scoring must be one of {SCORING_MODES}, got {scoring!r}")
    if anchor_order not in ANCHOR_ORDERS:
        raise InputError(f"anchor_order must be one of {ANCHOR_ORDERS}, got {anchor_order!r}")
    if decoding not in DECODINGS:
        raise InputError(f"decoding must be one of {DECODINGS}, got {decoding!r}")
    pairs = benchmark.kind in ("pairwise", "delta")
    if len(benchmark) == 0:
        raise InputError(f"benchmark {benchmark.name!r} has no items")
    anchor_ids: list[str] = []
    anchor_images: list[LoadedImage] = []
    anchor_scores: tuple[float, ...] = ()
    anchor_pixels: dict[str, str] = {}  # pixel digest -> anchor id
    if scoring == "anchored":
        if pairs:
            raise InputError(
                f"scoring 'anchored' gives absolute scores; {benchmark.name!r} is a {benchmark.kind} "
                "benchmark scored by comparing its pairs directly (use scoring 'direct')"
            )
        if anchors is None or len(anchors) == 0:
            raise InputError(
                "scoring 'anchored' needs anchor images with known scores (e.g. --anchors train.csv)"
            )
        anchor_ids, anchor_images, anchor_scores = (
            list(anchors.ids),
            _load(anchors.images, scorer),
            anchors.scores,
        )
        # the same image as an anchor: by file bytes before any question, by pixels as items load
        files = {_file_digest(source): i for source, i in zip(anchors.images, anchor_ids, strict=True)}
        anchor_files = {digest: i for digest, i in files.items() if digest is not None}
        for item in benchmark.items:
            _refuse_overlap(anchor_files, item.id, _file_digest(item.image), "file bytes")  # type: ignore[union-attr]
        anchor_pixels = {image.digest: i for image, i in zip(anchor_images, anchor_ids, strict=True)}
    size = batch_size or scorer.batch_size
    answerer = CachedScorer(
        scorer,
        cache,
        model_id=model_id,
        adapter=adapter,
        decoding=decoding,
        batch_size=size,
        load_options=load_options,
    )
    absolute_pairs = pairs and not is_relative(scorer)
    image_scores: dict[str, Answer] = {}  # absolute scorers on pairs: pixel digest -> score
    file_digests: dict[str, str] = {}  # and file path -> pixel digest, so a file is read once
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
            if absolute_pairs:
                answers = _scored_pairs(answerer, items, scorer, image_scores, file_digests)  # type: ignore[arg-type]
            elif pairs:
                pair_items: list[PairItem] = items  # type: ignore[assignment]
                answers = answerer.compare(
                    _load([it.first for it in pair_items], scorer),
                    _load([it.second for it in pair_items], scorer),
                    [it.instruction for it in pair_items],
                )
            else:
                image_items: list[ImageItem] = items  # type: ignore[assignment]
                loaded = _load([it.image for it in image_items], scorer)
                if scoring == "anchored":
                    for item, image in zip(image_items, loaded, strict=True):
                        _refuse_overlap(anchor_pixels, item.id, image.digest, "pixels")
                    answers = _anchored_scores(answerer, anchor_images, anchor_scores, loaded, anchor_order)
                else:
                    answers = answerer.score(loaded)
            predictions += [
                Prediction(
                    it.id, it.label, a.value, a.valid, a.error, it.subset, it.group, a.forced, a.answer_mass
                )
                for it, a in zip(items, answers, strict=True)
            ]
            bar.update(len(chunk))
    return EvalResult(
        model=model_id,
        adapter=adapter,
        benchmark=benchmark,
        scoring_mode=scoring,
        decoding=decoding,
        predictions=predictions,
        report=measure(benchmark, predictions, boot or BootstrapConfig(), exclude_forced=exclude_forced),
        computed=answerer.computed,
        cached=answerer.cached,
        anchors=anchor_ids,
        anchor_order=anchor_order if scoring == "anchored" else None,
        exclude_forced=exclude_forced,
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


def measure(
    benchmark: Benchmark,
    predictions: Sequence[Prediction],
    boot: BootstrapConfig,
    *,
    exclude_forced: bool = False,
) -> MetricReport:
    """The metrics of the benchmark's kind on the valid predictions (without the forced ones when
    ``exclude_forced``). Counts: ``invalid`` (of which ``invalid_low_mass``: invalid answers that carry
    an answer mass, i.e. fast mode found too little probability on well-formed answers), ``forced``
    (valid answers given after the reasoning budget ran out) and, when excluded, ``excluded_forced``."""
    valid = [p for p in predictions if p.valid and not (exclude_forced and p.forced)]
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
    report.counts["invalid"] = sum(not p.valid for p in predictions)
    report.counts["invalid_low_mass"] = sum(not p.valid and p.answer_mass is not None for p in predictions)
    report.counts["forced"] = sum(p.valid and p.forced for p in predictions)
    report.counts["excluded_forced"] = report.counts["forced"] if exclude_forced else 0
    return report
