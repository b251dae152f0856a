"""Evaluation harness: benchmark registry and loaders, metrics, direct and anchored scoring, reports.

Typical use::

    from red_aes import load_scorer
    from red_aes.evaluation import LoadRequest, evaluate, load_benchmark, write_outputs

    bench = load_benchmark("koniq-10k", LoadRequest(root="data/koniq", labels="data/koniq/test.csv"))
    result = evaluate(load_scorer("measured"), bench, model_id="measured", decoding="fast")
    write_outputs([result], Path("runs/koniq"))

The ``red-aes eval`` command wraps the same calls (see ``red_aes/commands/evaluate.py``).
"""

from red_aes.evaluation.anchored import Anchors, Comparison, choose_anchors, solve_scores
from red_aes.evaluation.benchmarks import (
    BENCHMARKS,
    Benchmark,
    BenchmarkSpec,
    ImageItem,
    LoadRequest,
    PairItem,
    get_spec,
    load_benchmark,
)
from red_aes.evaluation.cache import PredictionCache
from red_aes.evaluation.metrics import BootstrapConfig, Metric, MetricReport
from red_aes.evaluation.reports import write_outputs
from red_aes.evaluation.runner import EvalResult, Prediction, evaluate, evaluate_across_processes

__all__ = [
    "BENCHMARKS",
    "Anchors",
    "Benchmark",
    "BenchmarkSpec",
    "BootstrapConfig",
    "Comparison",
    "EvalResult",
    "ImageItem",
    "LoadRequest",
    "Metric",
    "MetricReport",
    "PairItem",
    "Prediction",
    "PredictionCache",
    "choose_anchors",
    "evaluate",
    "evaluate_across_processes",
    "get_spec",
    "load_benchmark",
    "solve_scores",
    "write_outputs",
]
