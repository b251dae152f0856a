"""The dataset card of a real (small) build never shows the builder's local paths."""

from __future__ import annotations

import shutil
from pathlib import Path

from red_aes.data.builder import build_dataset
from red_aes.data.card import render_card
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
