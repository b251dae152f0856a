"""Add evaluation results to a model card's ``model-index`` (huggingface_hub ModelCard / EvalResult).

One ``EvalResult`` per metric; the metric config names the scoring mode and decoding
(``direct/fast``, ``anchored-both/fast``) and the metric args keep the 95 % CI, N and invalid count.
Re-running replaces the entries of the same benchmark, split, metric and config instead of appending
duplicates.
"""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import EvalResult as HubEvalResult
from huggingface_hub import ModelCard, ModelCardData

from red_aes.errors import InputError
from red_aes.evaluation.metrics import METRIC_TITLES
from red_aes.evaluation.runner import EvalResult

TASK_TYPE = "image-aesthetics-assessment"
TASK_NAME = "Image Aesthetics Assessment"


def hub_results(result: EvalResult, dataset_id: str | None = None) -> list[HubEvalResult]:
    """The defined metrics of ``result`` as huggingface_hub ``EvalResult`` entries."""
    benchmark = result.benchmark
    return [
        HubEvalResult(
            task_type=TASK_TYPE,
            task_name=TASK_NAME,
            dataset_type=dataset_id or benchmark.name,
            dataset_name=benchmark.display_name,
            dataset_split=benchmark.split,
            metric_type=name,
            metric_name=METRIC_TITLES.get(name, name),
            metric_value=round(metric.value, 4),
            metric_config=f"{result.scoring}/{result.decoding}",
            metric_args={
                "ci95": [round(v, 4) for v in metric.ci95] if metric.ci95 else None,
                "n": result.report.n,
                "n_invalid": result.n_invalid,
            },
        )
        for name, metric in result.report.metrics.items()
        if metric.value is not None
    ]


def _same_slot(a: HubEvalResult, b: HubEvalResult) -> bool:
    return (a.dataset_type, a.dataset_split, a.metric_type, a.metric_config) == (
        b.dataset_type,
        b.dataset_split,
        b.metric_type,
        b.metric_config,
    )


def update_model_card(path: Path, result: EvalResult, dataset_id: str | None = None) -> Path:
    """Add ``result`` to the model-index of the card at ``path`` (created if missing) and save it."""
    if path.exists():
        card = ModelCard.load(path)
    else:
        card = ModelCard(f"---\n{ModelCardData().to_yaml()}\n---\n\n# {result.label}\n")
    new = hub_results(result, dataset_id)
    if not new:
        raise InputError(f"{result.label} has no defined metric on {result.benchmark.name} to add to {path}")
    kept = [old for old in card.data.eval_results or [] if not any(_same_slot(old, n) for n in new)]
    card.data.eval_results = kept + new
    if not card.data.model_name:
        card.data.model_name = result.label
    card.save(path)
    return path
