"""Recipe arguments (red_aes.train.config): the recipe's stage, the trainer it needs, one resize-budget
key."""

from __future__ import annotations

from pathlib import Path

import pytest

from red_aes.train.config import parse_recipe, recipe_stage
from tests.conftest import REPO


def test_the_resize_budget_is_a_recipe_key() -> None:
    from red_aes.train.config import RedAesArguments

    new = RedAesArguments(stage="sft", dataset_name="d", max_image_pixels=12544, min_image_pixels=3136)
    assert (new.max_image_pixels, new.min_image_pixels) == (12544, 3136)


def test_recipe_stage_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stage: rlhf\n")
    with pytest.raises(ValueError, match=r"stage must be one of \['group', 'pair', 'sft'\], got 'rlhf'"):
        recipe_stage(str(bad))
    bad.write_text("- a list\n")
    with pytest.raises(ValueError, match="a recipe is a YAML mapping with a 'stage' key"):
        recipe_stage(str(bad))


def test_sft_recipe_refused_by_the_grpo_entry_point() -> None:
    from trl import GRPOConfig

    with pytest.raises(ValueError, match="recipe stage 'sft' is trained with SFTConfig"):
        parse_recipe(
            GRPOConfig,
            ["--config", str(REPO / "training_recipes" / "tiny" / "stage1_sft.yaml"), "--use_cpu", "true"],
        )
