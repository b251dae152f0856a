"""RED-Lite training (red_aes.train.lite.trainer): tiny trainings on a ladder build and on photos beat
their untrained start, the config refuses what it does not know, order accuracy counts ties half."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from red_aes.errors import InputError
from red_aes.train.lite.trainer import RUN_FIELDS, LiteTrainConfig, order_accuracy
from tests.conftest import LADDER_BUILD_KINDS, REPO


def test_tiny_training_beats_its_untrained_start(ladder_dataset: Path, tmp_path: Path) -> None:
    from red_aes.train.lite.trainer import LiteTrainConfig, train

    out = train(
        LiteTrainConfig(
            dataset=str(ladder_dataset),
            output_dir=str(tmp_path / "model"),
            long_side=96,
            max_epochs=150,
            patience=50,
            progress=False,
        )
    )
    meta = json.loads((out / "red_aes.json").read_text())
    training = meta["training"]
    assert training["best_val_order_accuracy"] > training["untrained_val_order_accuracy"]
    assert meta["validation"]["validation"]["order_accuracy"] == pytest.approx(
        training["best_val_order_accuracy"]
    )
    assert training["n_kinds"] == len(LADDER_BUILD_KINDS) and training["n_photos"] == 7
    assert (out / "model.safetensors").stat().st_size < 5 * 2**20


def test_training_config_refuses_a_missing_dataset_and_unknown_keys(tmp_path: Path) -> None:
    from red_aes.train.lite.trainer import LiteTrainConfig

    with pytest.raises(ValueError, match="dataset"):
        LiteTrainConfig().validate()
    with pytest.raises(ValueError, match="unknown RED-Lite training keys"):
        (tmp_path / "c.yaml").write_text("dataset: x\nlearning_rat: 0.1\n")
        LiteTrainConfig.from_yaml(tmp_path / "c.yaml")


def test_order_accuracy_counts_ties_half() -> None:
    scores = np.array([3.0, 2.0, 2.0])
    assert order_accuracy(scores, np.array([[0, 1], [1, 2], [2, 0]])) == pytest.approx((1 + 0.5 + 0) / 3)
    assert order_accuracy(scores, np.zeros((0, 2), dtype=int)) is None


def test_tiny_photo_training_beats_its_untrained_start_and_resumes_from_its_cache(
    photo_paths: list[Path], tmp_path: Path
) -> None:
    from red_aes.lite.model import RedLiteModel
    from red_aes.train.lite.trainer import LiteTrainConfig, train

    photos = tmp_path / "photos"
    photos.mkdir()
    for path in photo_paths:
        shutil.copy(path, photos / path.name)
    config = dict(
        photos=str(photos),
        output_dir=str(tmp_path / "model"),
        feature_cache=str(tmp_path / "cache"),
        long_side=96,
        ladder={
            "crops_per_photo": 1,
            "chains_per_crop": 3,
            "levels": [0.33, 0.67, 1.0],
            "validation_share": 0.4,
            "work_sides": [128, 160],
        },
        max_epochs=120,
        patience=60,
        progress=False,
    )
    out = train(LiteTrainConfig(**config))
    meta = json.loads((out / "red_aes.json").read_text())
    training = meta["training"]
    assert training["best_val_order_accuracy"] > training["untrained_val_order_accuracy"]
    assert training["n_photos"] == len(photo_paths) and training["features_from_cache"] == 0
    counts = meta["validation"]["train"]["pairs"]
    assert counts["clean>degraded"] > 0 and counts["ladder"] > 0
    again = train(LiteTrainConfig(**{**config, "output_dir": str(tmp_path / "again")}))
    resumed = json.loads((again / "red_aes.json").read_text())["training"]
    assert resumed["features_from_cache"] == resumed["images"] == training["images"]
    model, first = RedLiteModel.from_pretrained(again), RedLiteModel.from_pretrained(out)
    vector = np.ones(model.head.config.dim)
    assert np.array_equal(model.score_features(vector), first.score_features(vector))  # same data, same head


def test_photo_training_needs_exactly_one_source(tmp_path: Path) -> None:
    from red_aes.train.lite.trainer import LiteTrainConfig

    with pytest.raises(InputError, match="exactly one source"):
        LiteTrainConfig(photos=str(tmp_path), dataset="x").validate()
    with pytest.raises(InputError, match="no images"):
        from red_aes.train.lite.synthetic import photo_files

        photo_files(tmp_path)


def test_the_shipped_weights_record_the_recipe_that_rebuilds_them() -> None:
    """The config stored with the shipped head is exactly the recipe's YAML (read as the CLI reads it), so
    the card describes what ``red-aes lite train --config training_recipes/red-lite/train.yaml`` does."""
    recipe = LiteTrainConfig.from_yaml(REPO / "training_recipes" / "red-lite" / "train.yaml")
    recorded = json.loads((REPO / "red_aes" / "assets" / "red-lite" / "red_aes.json").read_text())["training"]
    expected = {k: v for k, v in asdict(recipe).items() if k not in RUN_FIELDS}
    assert recorded["config"] == json.loads(json.dumps(expected))
    assert recorded["crops"] == recorded["n_photos"] * recipe.ladder["crops_per_photo"]
