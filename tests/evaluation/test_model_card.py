"""Evaluation results on a model card (red_aes.evaluation.model_card): one model-index entry per defined
metric, and a re-run replaces its entries instead of adding duplicates."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import ModelCard

from red_aes.evaluation.model_card import TASK_TYPE, hub_results, update_model_card
from red_aes.evaluation.runner import EvalResult


def test_each_defined_metric_is_one_entry_with_its_interval_and_counts(measured_result: EvalResult) -> None:
    entries = {entry.metric_type: entry for entry in hub_results(measured_result)}
    defined = {name for name, metric in measured_result.report.metrics.items() if metric.value is not None}
    assert set(entries) == defined and "srcc" in entries
    srcc, metric = entries["srcc"], measured_result.report.metrics["srcc"]
    assert (srcc.task_type, srcc.dataset_name, srcc.dataset_type) == (TASK_TYPE, "AVA", "ava")
    assert srcc.metric_config == "direct/fast" and srcc.metric_value == round(metric.value, 4)
    assert srcc.metric_args == {"ci95": [round(v, 4) for v in metric.ci95], "n": 7, "n_invalid": 0}
    assert hub_results(measured_result, dataset_id="me/ava")[0].dataset_type == "me/ava"


def test_a_rerun_replaces_the_entries_of_the_same_benchmark_and_config(
    measured_result: EvalResult, tmp_path: Path
) -> None:
    card = tmp_path / "README.md"
    assert update_model_card(card, measured_result) == card  # created
    update_model_card(card, measured_result)
    loaded = ModelCard.load(card)
    assert len(loaded.data.eval_results) == len(hub_results(measured_result))
    assert loaded.data.model_name == measured_result.label
    update_model_card(card, measured_result, dataset_id="me/ava")  # another dataset: added next to them
    assert len(ModelCard.load(card).data.eval_results) == 2 * len(hub_results(measured_result))
