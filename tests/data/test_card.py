"""The dataset card (red_aes.data.card): its metadata parses back, and it never shows the builder's
local paths."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from datasets import load_from_disk
from huggingface_hub import DatasetCard

from red_aes.data.builder import build_dataset
from red_aes.data.card import BUILD_STATS, render_card
from red_aes.data.config import BuildConfig


def test_card_names_the_source_folder_and_counts_without_local_paths(
    photos_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "c_src"
    source.mkdir()
    for name in ("astronaut.png", "coffee.png", "rocket.jpg"):
        shutil.copy(photos_dir / name, source / name)
    shutil.copy(photos_dir / "coffee.png", source / "coffee-again.png")  # a byte-identical duplicate
    out = tmp_path / "built"
    config = BuildConfig(
        source=str(source) + "/",
        out=str(out),
        pairs_per_source=1,
        attributes=["exposure", "sharpness"],
        max_side=64,
        shard_size=4,
        progress=False,
    )
    build_dataset(config)
    assert str(tmp_path) in (out / "build_stats.json").read_text()  # the local record keeps the path
    text = str(render_card(out))
    assert str(tmp_path) not in text
    assert "folder c_src — 3 distinct photos\n   (1 byte-identical duplicates skipped)" in text
    assert "source: c_src\n" in text and "out: built\n" in text  # the build config as the card shows it


def test_card_metadata_parses_back(reference_build: Path) -> None:
    card = DatasetCard.load(reference_build / "README.md")
    dataset = load_from_disk(str(reference_build))
    header = yaml.safe_load((reference_build / "README.md").read_text().split("---")[1])
    assert header["license"] == card.data.license == "cc-by-2.0"
    assert card.data.pretty_name == "RED-Aes test pairs"
    assert card.data.task_categories == ["image-text-to-text"] and card.data.size_categories == ["n<1K"]
    assert "red-aes" in card.data.tags
    assert card.data.configs == [
        {"config_name": "default", "data_files": [{"split": s, "path": f"data/{s}-*"} for s in dataset]}
    ]
    info = card.data.dataset_info
    assert [f["name"] for f in info["features"]][:4] == ["pair_id", "source_id", "original", "edited"]
    assert {s["name"]: s["num_examples"] for s in info["splits"]} == {n: len(d) for n, d in dataset.items()}
    stats = json.loads((reference_build / BUILD_STATS).read_text())
    for reason, count in stats["rejected"].items():
        assert f"| {reason} | {count} |" in card.text
    assert "median of the valid votes" in card.text and "score(edited) − score(original)" in card.text
