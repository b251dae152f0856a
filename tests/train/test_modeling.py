"""Loading the policy's parts (red_aes.train.modeling): the processor gets the recipe's pixel budget."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO


def test_processor_gets_the_recipe_pixel_budget(tiny_model_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoProcessor
    from trl import SFTConfig

    from red_aes.train.config import parse_recipe
    from red_aes.train.modeling import load_processor

    budget = 12544  # 16 patches of 28x28 pixels
    script, _, model = parse_recipe(
        SFTConfig,
        [
            "--config",
            str(REPO / "training_recipes" / "tiny" / "stage1_sft.yaml"),
            "--model_name_or_path",
            str(tiny_model_dir),
            "--max_image_pixels",
            str(budget),
        ],
    )
    processor = load_processor(model, script, trust_remote_code=False)
    assert processor.tokenizer.padding_side == "left"
    processor.save_pretrained(tmp_path)  # saved with the adapter, read back by RedAesScorer
    reloaded = AutoProcessor.from_pretrained(tmp_path)
    image = Image.fromarray(np.zeros((400, 600, 3), np.uint8))
    [[t, h, w]] = reloaded.image_processor(images=[image], return_tensors="pt")["image_grid_thw"].tolist()
    assert t == 1 and h * w * 14 * 14 <= budget and h * w * 14 * 14 > budget // 2


def _tiny_sft(tiny_model_dir: Path, *extra: str) -> tuple:
    from trl import SFTConfig

    from red_aes.train.config import parse_recipe

    recipe = ["--config", str(REPO / "training_recipes" / "tiny" / "stage1_sft.yaml")]
    return parse_recipe(SFTConfig, [*recipe, "--model_name_or_path", str(tiny_model_dir), *extra])


def test_the_policy_loads_with_the_scorers_quantization_words(tiny_model_dir: Path) -> None:
    """The recipe's ``quantization`` goes through the scorer's resolver and bitsandbytes settings: ``auto``
    is full precision on the CPU, ``4bit`` is nf4 (bitsandbytes quantizes on the CPU too)."""
    from red_aes.scoring.vlm import quantization_of
    from red_aes.train.modeling import load_policy

    script, _, model_args = _tiny_sft(tiny_model_dir, "--quantization", "auto")
    model, peft_config = load_policy(model_args, script, trust_remote_code=False)
    assert quantization_of(model) is None and peft_config is not None
    script, _, model_args = _tiny_sft(tiny_model_dir, "--quantization", "4bit")
    model, _ = load_policy(model_args, script, trust_remote_code=False)
    assert quantization_of(model) == "4bit"
    config = model.config.quantization_config
    assert config.bnb_4bit_quant_type == "nf4" and config.bnb_4bit_use_double_quant


def test_quantization_words_are_checked_and_trls_own_keys_are_refused(tiny_model_dir: Path) -> None:
    from red_aes.train.modeling import load_policy

    with pytest.raises(ValueError, match=r"quantization must be one of \('auto', 'none', '4bit', '8bit'\)"):
        _tiny_sft(tiny_model_dir, "--quantization", "3bit")
    script, _, model_args = _tiny_sft(tiny_model_dir, "--load_in_4bit", "true")
    with pytest.raises(ValueError, match=r"recipe key quantization .* not load_in_4bit/load_in_8bit"):
        load_policy(model_args, script, trust_remote_code=False)
    script, _, model_args = _tiny_sft(tiny_model_dir, "--quantization", "8bit", "--use_peft", "false")
    with pytest.raises(ValueError, match="trains an adapter on a quantized base"):
        load_policy(model_args, script, trust_remote_code=False)
