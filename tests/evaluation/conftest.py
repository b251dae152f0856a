"""Fixtures of the evaluation tests: one small, real evaluation result (the measured scorer on the
bundled photos) for the reports, the model card and the plot."""

from __future__ import annotations

from pathlib import Path

import pytest

from red_aes.evaluation.benchmarks import LoadRequest, load_benchmark
from red_aes.evaluation.metrics import BootstrapConfig
from red_aes.evaluation.runner import EvalResult, evaluate
from red_aes.scoring.measured import MeasuredScorer


@pytest.fixture(scope="package")
def measured_result(small_photos: Path, labelled_photos: Path) -> EvalResult:
    """The measured scorer (fast decoding) on the 7 small photos labelled 1..7, with two subsets."""
    bench = load_benchmark("ava", LoadRequest(root=small_photos, labels=labelled_photos))
    boot = BootstrapConfig(n_resamples=20, seed=0)
    return evaluate(MeasuredScorer(), bench, model_id="measured", decoding="fast", boot=boot, progress=False)
