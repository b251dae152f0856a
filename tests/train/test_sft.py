"""Stage 1's entry point (red_aes.train.sft): it trains only the ``sft`` stage, on the RED train split as
SFT conversations."""

from __future__ import annotations

from pathlib import Path

import pytest

from red_aes.data.loading import load_red_split
from red_aes.errors import InputError
from red_aes.train import sft
from red_aes.train.config import parse_recipe
from red_aes.train.data import sft_examples
from tests.conftest import REPO

TINY = REPO / "training_recipes" / "tiny"


def test_a_grpo_recipe_is_refused_before_anything_loads() -> None:
    with pytest.raises(InputError, match="recipe stage 'pair' is trained with GRPOConfig"):
        sft.main(["--config", str(TINY / "stage2_grpo_pair.yaml"), "--use_cpu", "true"])
    from trl import GRPOConfig

    script, config, model = parse_recipe(GRPOConfig, ["--config", str(TINY / "stage3_grpo_group.yaml")])
    with pytest.raises(InputError, match=r"red_aes\.train\.sft trains stage 'sft', the recipe says 'group'"):
        sft.build_trainer(script, config, model)


def test_the_trainer_learns_the_train_split_as_sft_conversations(
    tiny_model_dir: Path, tiny_red_dir: Path, tmp_path: Path
) -> None:
    from trl import SFTConfig, SFTTrainer

    argv = ["--config", str(TINY / "stage1_sft.yaml"), "--model_name_or_path", str(tiny_model_dir)]
    argv += ["--dataset_name", str(tiny_red_dir), "--output_dir", str(tmp_path / "out"), "--use_cpu", "true"]
    script, config, model = parse_recipe(SFTConfig, argv)
    trainer = sft.build_trainer(script, config, model)
    assert isinstance(trainer, SFTTrainer) and hasattr(trainer.model, "peft_config")  # a LoRA adapter
    red = load_red_split(str(tiny_red_dir), "train")
    expected = sft_examples(red, script.prompt_version, script.answer_only_share)
    assert len(trainer.train_dataset) == len(expected) > len(red)  # rationales, then answer-only targets
