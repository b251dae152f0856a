"""One evaluation run as ``red-aes eval`` does it: models on one benchmark, through the shared cache,
then the reports. The command line only turns its flags into an :class:`EvalSession`.

Under ``accelerate launch`` (more than one process) each process scores its share of every model into
the cache, VLM scorers on the process's own device, and the main process alone measures and reports;
``shard`` does the same split by hand (it only fills the cache).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from red_aes.errors import InputError
from red_aes.evaluation.anchored import Anchors
from red_aes.evaluation.benchmarks import Benchmark, LoadRequest, get_spec, load_benchmark
from red_aes.evaluation.cache import PredictionCache
from red_aes.evaluation.metrics import BootstrapConfig
from red_aes.evaluation.reports import write_outputs
from red_aes.evaluation.runner import (
    AnchorOrder,
    EvalResult,
    ScoringMode,
    evaluate,
    evaluate_across_processes,
)
from red_aes.registry import given
from red_aes.scoring import SCORERS, load_scorer
from red_aes.types import Decoding

if TYPE_CHECKING:
    from accelerate import PartialState


@dataclass(frozen=True)
class ModelEntry:
    """A model to evaluate: a scorer name or VLM id/directory, and its adapter."""

    model: str
    adapter: str | None = None


@dataclass(frozen=True)
class AnchorSource:
    """Where anchored scoring takes its anchors: a labels CSV of a training split (``file,score``)."""

    labels: Path
    root: Path | None = None
    count: int = 5


@dataclass
class EvalSession:
    """Everything one run needs. ``load_options`` are what every scorer is loaded with (None: the
    backend's default); they join the cache key, the device does not."""

    models: list[ModelEntry]
    benchmark: str
    request: LoadRequest
    out: Path
    scoring: ScoringMode = "direct"
    decoding: Decoding = "reasoning"
    anchors: AnchorSource | None = None
    anchor_order: AnchorOrder = "both"
    exclude_forced: bool = False
    limit: int | None = None
    shard: tuple[int, int] | None = None
    batch_size: int | None = None
    bootstrap: int = 1000
    seed: int = 0
    load_options: dict[str, Any] = field(default_factory=dict)
    device: str | None = None
    model_card: Path | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        get_spec(self.benchmark)
        if self.model_card is not None and len(self.models) != 1:
            raise InputError(
                f"--model-card describes one model; got {len(self.models)} --model (run them separately)"
            )
        self.load_options = given(self.load_options)


@dataclass
class SessionOutcome:
    """What a run produced on this process: the results it measured (none on a process other than the
    main one, or for a shard) and the files it wrote."""

    results: list[EvalResult]
    written: list[Path]
    state: PartialState | None


def launched_state(session: EvalSession) -> PartialState | None:
    """The accelerate process state when launched with several processes (None for one process)."""
    from red_aes.processes import process_state

    state = process_state()
    if state.num_processes == 1:
        return None
    launch = f"accelerate launch with {state.num_processes} processes"
    if session.shard is not None:
        raise InputError(f"--shard splits a run by hand; {launch} splits it already (leave --shard out)")
    if session.device is not None:
        raise InputError(f"--device {session.device}: under {launch} each process uses its own device")
    return state


def load_anchors(source: AnchorSource | None, benchmark: Benchmark, request: LoadRequest) -> Anchors:
    """The anchors of anchored scoring, on the benchmark's native scale."""
    if source is None:
        raise InputError("--scoring anchored needs --anchors CSV (file,score of a training split)")
    name = benchmark.name if benchmark.kind == "score" else "imagefolder"
    anchor_request = LoadRequest(
        root=source.root or source.labels.parent,
        labels=source.labels,
        scale=benchmark.scale,
        file_column=request.file_column,
        score_column=request.score_column,
    )
    return Anchors.from_benchmark(load_benchmark(name, anchor_request), source.count)


def run_session(session: EvalSession, *, report: Callable[[str], None] = print) -> SessionOutcome:
    """Score every model of ``session`` into ``out/cache.sqlite``; unless this is a shard or a process
    other than the main one, write the reports. ``report`` gets one line per process share scored."""
    state = launched_state(session)
    benchmark = load_benchmark(session.benchmark, session.request).head(session.limit)
    if session.shard is not None:
        benchmark = benchmark.shard(*session.shard)
    anchors = (
        load_anchors(session.anchors, benchmark, session.request) if session.scoring == "anchored" else None
    )
    # a shard only fills the cache: its metrics are not reported, so no bootstrap is spent on them
    boot = BootstrapConfig(n_resamples=0 if session.shard else session.bootstrap, seed=session.seed)
    results = []
    with PredictionCache(session.out / "cache.sqlite") as cache:
        for entry in session.models:
            options = given({**session.load_options, "adapter": entry.adapter})
            if state is not None and SCORERS.accepts(entry.model, "device"):  # this process's device
                options["device"] = str(state.device)
            elif session.device is not None:
                options["device"] = session.device
            scorer = load_scorer(entry.model, **options)
            settings: dict[str, Any] = {
                "model_id": entry.model,
                "adapter": entry.adapter,
                "scoring": session.scoring,
                "decoding": session.decoding,
                "exclude_forced": session.exclude_forced,
                "load_options": session.load_options,
                "anchors": anchors,
                "anchor_order": session.anchor_order,
                "batch_size": session.batch_size,
                "boot": boot,
                "progress": session.progress,
            }
            if state is None:
                results.append(evaluate(scorer, benchmark, cache=cache, **settings))
                continue
            result = evaluate_across_processes(scorer, benchmark, state, cache=cache, **settings)
            report(
                f"process {state.process_index} of {state.num_processes}: {entry.model} "
                "scored its share into the cache"
            )
            if result is not None:  # the main process's: the whole benchmark
                results.append(result)
    if (state is not None and not state.is_main_process) or session.shard is not None:
        return SessionOutcome(results if session.shard is not None else [], [], state)
    written = write_outputs(
        results, session.out, model_card=session.model_card, dataset_id=session.request.hub_dataset
    )
    return SessionOutcome(results, written, state)
