"""Fixtures of the evaluation tests: one small, real evaluation result (the measured scorer on the
bundled photos) for the reports, the model card and the plot; RED rows for the ``red`` benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from red_aes.data.schema import FEATURES
from red_aes.evaluation.benchmarks import LoadRequest, load_benchmark
from red_aes.evaluation.metrics import BootstrapConfig
from red_aes.evaluation.runner import EvalResult, evaluate
from red_aes.prompts import format_answer, format_delta
from red_aes.scoring.measured import MeasuredScorer


@pytest.fixture(scope="package")
def measured_result(small_photos: Path, labelled_photos: Path) -> EvalResult:
    """The measured scorer (fast decoding) on the 7 small photos labelled 1..7, with two subsets."""
    bench = load_benchmark("ava", LoadRequest(root=small_photos, labels=labelled_photos))
    boot = BootstrapConfig(n_resamples=20, seed=0)
    return evaluate(MeasuredScorer(), bench, model_id="measured", decoding="fast", boot=boot, progress=False)


def red_pairs(
    source_ids: list[str],
    originals: list[Image.Image],
    edited: list[Image.Image],
    deltas: list[float],
    *,
    word: str,
    **same: Any,
) -> Any:
    """A schema-valid RED ``datasets.Dataset``: one row per pair (ids ``p0``, ``p1``, ...), one judge's vote
    per row, answer-format rationales naming ``word``; ``same`` gives a column's value shared by all rows
    (instruction, attribute, direction, strength, editor, judges, pair_id offset by ``first``)."""
    import datasets

    n = len(deltas)
    first = same.pop("first", 0)
    shared = {"direction": "degrade", "editor_params": "{}", "agreement": 1.0, "prompt_version": "v1", **same}
    rows = {
        "pair_id": [f"p{first + i}" for i in range(n)],
        "source_id": source_ids,
        "original": originals,
        "edited": edited,
        "delta": deltas,
        "votes": [[d] for d in deltas],
        "rationale": [format_answer(format_delta(d), word) for d in deltas],
        **{column: [value] * n for column, value in shared.items()},
    }
    return datasets.Dataset.from_dict(rows, features=FEATURES)
