"""What a training stage saves and pushes (red_aes.train.outputs): the model card and the Hub target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import ModelCard


def test_model_card_for_hub_ids_carries_metadata_and_evaluation_results(tmp_path: Path) -> None:
    from huggingface_hub import EvalResult

    from red_aes.train.outputs import build_model_card

    adapter = {
        "r": 64,
        "lora_alpha": 128,
        "target_modules": ["q_proj", "v_proj"],
        "exclude_modules": ".*visual.*",
    }
    (tmp_path / "adapter_config.json").write_text(json.dumps(adapter))
    metadata = {
        "base_model": "Qwen/Qwen2.5-VL-7B-Instruct",
        "stage": "group",
        "prompt_version": "v1",
        "dataset": "your-org/red-aes-pairs",
        "dataset_revision": "abc123",
        "red_aes_version": "0.1.0",
    }
    result = EvalResult(
        task_type="image-aesthetics-assessment",
        dataset_type="ava",
        dataset_name="AVA",
        dataset_split="test",
        metric_type="srcc",
        metric_name="SRCC",
        metric_value=0.731,
    )
    card = build_model_card(
        tmp_path,
        metadata,
        {"learning_rate": 5e-6, "group_size": 4},
        license="apache-2.0",
        usage_id="your-org/red-aes-qwen2.5-vl-7b",
        init_adapter="outputs/stage2",
        eval_results=[result],
    )
    card.save(tmp_path / "README.md")
    loaded = ModelCard.load(tmp_path / "README.md")
    assert loaded.data.base_model == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert loaded.data.datasets == ["your-org/red-aes-pairs"]
    assert loaded.data.pipeline_tag == "image-text-to-text" and loaded.data.library_name == "peft"
    [parsed] = loaded.data.eval_results
    assert (parsed.dataset_name, parsed.metric_type, parsed.metric_value) == ("AVA", "srcc", 0.731)
    assert "| AVA | test | SRCC | 0.731 |" in loaded.text
    assert "Training stage | 3 of 3: group-ranking GRPO" in loaded.text
    assert "revision `abc123`" in loaded.text and "continued from\n`outputs/stage2`" in loaded.text
    assert 'RedAesScorer.from_pretrained("your-org/red-aes-qwen2.5-vl-7b")' in loaded.text
    assert "except `.*visual.*`" in loaded.text
    assert "| group_size | `4` |" in loaded.text


def test_push_to_hub_needs_a_repo_id() -> None:
    from trl import SFTConfig

    from red_aes.train.outputs import take_hub_target

    config = SFTConfig(output_dir="out", use_cpu=True, push_to_hub=True, hub_model_id=None)
    with pytest.raises(ValueError, match="push_to_hub needs hub_model_id"):
        take_hub_target(config)
    config = SFTConfig(
        output_dir="out", use_cpu=True, push_to_hub=True, hub_model_id="me/x", hub_private_repo=True
    )
    target = take_hub_target(config)
    assert (target.repo_id, target.private, config.push_to_hub) == ("me/x", True, False)


def test_a_stage_checks_its_card_template_before_it_trains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The card is written after training: a missing template fails before the trainer is even built."""
    from trl import SFTConfig

    from red_aes import resources
    from red_aes.train.config import RedAesArguments
    from red_aes.train.outputs import run_stage

    built: list[str] = []
    monkeypatch.setattr(resources, "ROOT", tmp_path)  # an installation without its templates
    with pytest.raises(FileNotFoundError, match=r"model_card/template\.md not found"):
        run_stage(
            lambda *args: built.append("trainer"),
            RedAesArguments(stage="sft", dataset_name="d"),
            SFTConfig(output_dir=str(tmp_path / "out"), use_cpu=True),
            None,
        )
    assert built == [] and not (tmp_path / "out").exists()
