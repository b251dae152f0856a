"""The dataset builder's output is what the training recipes consume: build with the real builder
(classical editor + measured judge on real photos), then turn it into the three stages' examples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from red_aes.data import BuildConfig, build_dataset
from red_aes.data.loading import load_red_split
from red_aes.parsing import parse_answer
from red_aes.prompts import PROMPT_VERSION
from red_aes.train.config import ANSWER_ONLY_SHARE
from red_aes.train.data import answer_only_rows, group_prompts, pair_prompts, sft_examples


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, photos_dir: Path) -> Path:
    photos = tmp_path_factory.mktemp("photos")
    for name in ("astronaut.png", "chelsea.png", "china.jpg", "coffee.png", "flower.jpg", "rocket.jpg"):
        shutil.copy(photos_dir / name, photos / name)
    config = BuildConfig.from_dict(
        {
            "source": str(photos),
            "out": str(tmp_path_factory.mktemp("red") / "out"),
            "editors": ["classical"],
            "judges": ["measured"],
            "rationale": "offline",
            "pairs_per_source": 3,
            "attributes": ["exposure", "sharpness", "noise"],
            "directions": ["degrade"],
            "max_side": 96,
            "split_fractions": {"train": 0.7, "validation": 0.15, "test": 0.15},
            "progress": False,
            "seed": 0,
        }
    )
    return build_dataset(config)


def test_builder_output_feeds_every_training_stage(built: Path) -> None:
    train = load_red_split(str(built), "train")
    assert len(train) > 0

    sft = sft_examples(train, PROMPT_VERSION)
    answer_only = answer_only_rows(train["pair_id"], ANSWER_ONLY_SHARE)
    assert answer_only and len(sft) == len(train) + len(answer_only)  # rationales, then answer-only
    deltas = [*train["delta"], *(train["delta"][i] for i in answer_only)]
    for example, delta in zip(sft, deltas, strict=True):
        answer = parse_answer(example["completion"][0]["content"][0]["text"], "delta", strict=True)
        assert answer.value == pytest.approx(delta, abs=0.05)
        assert len(example["images"]) == 2

    pairs = pair_prompts(train, PROMPT_VERSION)
    assert pairs["delta"] == pytest.approx(train["delta"])
    # Strong degradations are judged as losses (a slight darkening may honestly read as neutral).
    strong = [d for d, s in zip(pairs["delta"], train["strength"], strict=True) if s >= 0.6]
    assert strong and all(delta < 0 for delta in strong)

    groups = group_prompts(train, PROMPT_VERSION, group_size=2, seed=0)
    assert len(groups) % 2 == 0
    group_ids = groups["group_id"]
    assert all(group_ids[i] == group_ids[i + 1] for i in range(0, len(group_ids), 2))
    # The original (relative score 0) comes first in its group, its edit scored by the judged delta.
    assert all(score == 0 for score in groups["relative_score"][::2])
