"""Loading the policy's parts (red_aes.train.modeling): the processor gets the recipe's pixel budget."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
