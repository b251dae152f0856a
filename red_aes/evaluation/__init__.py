"""Evaluation harness: benchmark registry and loaders, metrics, direct and anchored scoring, reports.

Typical use::

    from red_aes import load_scorer
    from red_aes.evaluation import LoadRequest, evaluate, load_benchmark, write_outputs

    bench = load_benchmark("koniq-10k", LoadRequest(root="data/koniq", labels="data/koniq/test.csv"))
    result = evaluate(load_scorer("measured"), bench, model_id="measured", decoding="fast")
    write_outputs([result], Path("runs/koniq"))

The ``red-aes eval`` command runs an :class:`EvalSession` (:func:`run_session`): the same calls for
several models, through the cache, then the reports.
"""

from typing import TYPE_CHECKING

from red_aes._lazy import lazy_getattr

if TYPE_CHECKING:
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
    from red_aes.evaluation.session import AnchorSource, EvalSession, ModelEntry, run_session

#: Public name -> the module that defines it, imported on first access (evaluation/__init__ stays light).
__getattr__ = lazy_getattr(
    __name__,
    {
        "Anchors": "red_aes.evaluation.anchored",
        "Comparison": "red_aes.evaluation.anchored",
        "choose_anchors": "red_aes.evaluation.anchored",
        "solve_scores": "red_aes.evaluation.anchored",
        "BENCHMARKS": "red_aes.evaluation.benchmarks",
        "Benchmark": "red_aes.evaluation.benchmarks",
        "BenchmarkSpec": "red_aes.evaluation.benchmarks",
        "ImageItem": "red_aes.evaluation.benchmarks",
        "LoadRequest": "red_aes.evaluation.benchmarks",
        "PairItem": "red_aes.evaluation.benchmarks",
        "get_spec": "red_aes.evaluation.benchmarks",
        "load_benchmark": "red_aes.evaluation.benchmarks",
        "PredictionCache": "red_aes.evaluation.cache",
        "BootstrapConfig": "red_aes.evaluation.metrics",
        "Metric": "red_aes.evaluation.metrics",
        "MetricReport": "red_aes.evaluation.metrics",
        "write_outputs": "red_aes.evaluation.reports",
        "EvalResult": "red_aes.evaluation.runner",
        "Prediction": "red_aes.evaluation.runner",
        "evaluate": "red_aes.evaluation.runner",
        "evaluate_across_processes": "red_aes.evaluation.runner",
        "AnchorSource": "red_aes.evaluation.session",
        "EvalSession": "red_aes.evaluation.session",
        "ModelEntry": "red_aes.evaluation.session",
        "run_session": "red_aes.evaluation.session",
    },
)

__all__ = [
    "BENCHMARKS",
    "AnchorSource",
    "Anchors",
    "Benchmark",
    "BenchmarkSpec",
    "BootstrapConfig",
    "Comparison",
    "EvalResult",
    "EvalSession",
    "ImageItem",
    "LoadRequest",
    "Metric",
    "MetricReport",
    "ModelEntry",
    "PairItem",
    "Prediction",
    "PredictionCache",
    "choose_anchors",
    "evaluate",
    "evaluate_across_processes",
    "get_spec",
    "load_benchmark",
    "run_session",
    "solve_scores",
    "write_outputs",
]
