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
from red_aes.images import load_image
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


def test_fine_tuning_trains_the_last_block_ships_it_and_resumes_to_the_same_weights(
    photo_paths: list[Path], tmp_path: Path
) -> None:
    """``tune_blocks: 1`` trains block 10 beside the head from the cached block inputs; the saved model
    carries it, and a run asked for a second epoch continues from the first one's checkpoint to the
    weights a straight two-epoch run on an empty cache reaches; asked for one epoch again, it starts
    from the one-epoch checkpoint."""
    from safetensors.numpy import load_file

    from red_aes.lite.model import BLOCK_PREFIX, RedLiteModel
    from red_aes.train.lite.trainer import train

    photos = tmp_path / "photos"
    photos.mkdir()
    for path in photo_paths[:4]:
        shutil.copy(path, photos / path.name)
    config = dict(
        photos=str(photos),
        long_side=128,
        ladder={
            "crops_per_photo": 1,
            "levels": [0.5, 1.0],
            "validation_share": 0.25,
            "work_sides": [128, 160],
        },
        max_epochs=40,
        patience=40,
        tune_blocks=1,
        tune_families=2,
        tune_learning_rate=1e-2,
        progress=False,
    )
    frozen_first = {**config, "tune_blocks": 0, "output_dir": str(tmp_path / "frozen-first")}
    train(LiteTrainConfig(**frozen_first, feature_cache=str(tmp_path / "cache")))  # features, no inputs
    one = train(
        LiteTrainConfig(
            **config, tune_epochs=1, output_dir=str(tmp_path / "one"), feature_cache=str(tmp_path / "cache")
        )
    )
    two = train(
        LiteTrainConfig(
            **config, tune_epochs=2, output_dir=str(tmp_path / "two"), feature_cache=str(tmp_path / "cache")
        )
    )
    straight = train(
        LiteTrainConfig(
            **config,
            tune_epochs=2,
            output_dir=str(tmp_path / "straight"),
            feature_cache=str(tmp_path / "empty"),
        )
    )
    tuning = [json.loads((out / "red_aes.json").read_text())["training"]["tuning"] for out in (one, two)]
    # on 13 tiny validation pairs the first epoch need not beat the frozen start; the second run's kept
    # epoch did (its block is checked in the saved weights below)
    assert all(t["blocks"] == [10] for t in tuning) and tuning[1]["relative_weight_change"] > 0
    # the frozen run's cached families lacked the block inputs, so they were rebuilt with them
    assert json.loads((one / "red_aes.json").read_text())["training"]["features_from_cache"] == 0
    accuracies = [row["val_order_accuracy"] for row in tuning[1]["history"]]
    best = int(np.argmax(accuracies))  # the kept epoch: the best, as for the head (frozen start aside)
    assert tuning[1]["kept_epoch"] == (
        best if accuracies[best] > tuning[1]["frozen_val_order_accuracy"] else None
    )
    assert [h["epoch"] for h in tuning[1]["history"]] == [0, 1]
    assert tuning[1]["history"][0] == tuning[0]["history"][0]  # the second run resumed the first epoch
    back = train(
        LiteTrainConfig(
            **config, tune_epochs=1, output_dir=str(tmp_path / "back"), feature_cache=str(tmp_path / "cache")
        )
    )
    names = {"one": one, "two": two, "straight": straight, "back": back}
    weights = {name: load_file(str(out / "model.safetensors")) for name, out in names.items()}
    for key, value in weights["one"].items():  # asked for one epoch again: the one-epoch checkpoint
        np.testing.assert_array_equal(value, weights["back"][key], err_msg=key)
    assert any(k.startswith(f"{BLOCK_PREFIX}10.") for k in weights["two"])
    assert weights["two"].keys() == weights["straight"].keys()
    for key, value in weights["two"].items():
        np.testing.assert_allclose(value, weights["straight"][key], atol=1e-5, err_msg=key)
    model = RedLiteModel.from_pretrained(two)
    assert list(model.blocks) == [10]
    still = {**config, "tune_learning_rate": 1e-12}  # no epoch can beat the frozen start: it is kept
    frozen = train(
        LiteTrainConfig(**still, output_dir=str(tmp_path / "frozen"), feature_cache=str(tmp_path / "cache"))
    )
    assert json.loads((frozen / "red_aes.json").read_text())["training"]["tuning"]["kept_epoch"] is None
    assert not RedLiteModel.from_pretrained(frozen).blocks
    image = load_image(photo_paths[0])
    untuned = RedLiteModel(model.feature_config, model.head)
    assert not np.allclose(model.extractor(image), untuned.extractor(image))  # the tuned block is used


def test_fine_tuning_needs_photos_and_a_block_of_the_stride16_stage(tmp_path: Path) -> None:
    from red_aes.lite.backbone import load_backbone
    from red_aes.lite.features import FeatureConfig, tuned_blocks

    with pytest.raises(InputError, match="tune_blocks needs --photos"):
        LiteTrainConfig(dataset="x", tune_blocks=1).validate()
    backbone = load_backbone("efficientnet-lite0")
    assert list(tuned_blocks(backbone, 3, FeatureConfig())) == [8, 9, 10]
    with pytest.raises(InputError, match="tune_blocks must be 1-6"):
        tuned_blocks(backbone, 7, FeatureConfig())
    with pytest.raises(InputError, match="stride-16 features alone"):
        tuned_blocks(backbone, 1, FeatureConfig(global_features=True))
