"""Loading a RED dataset (red_aes.data.loading): broken datasets and splits are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from datasets import Dataset, DatasetDict, load_from_disk

from red_aes.data import SchemaError, load_red_dataset
from red_aes.data.loading import load_red_split
from red_aes.data.schema import SPLITS


def test_load_red_dataset_rejects_broken_datasets(reference_build: Path, tmp_path: Path) -> None:
    dataset = load_from_disk(str(reference_build))
    name = next(iter(dataset))
    split = dataset[name]
    cases = {
        "missing": (
            DatasetDict({name: split.remove_columns("rationale")}),
            "missing RED columns \\['rationale'\\]",
        ),
        "unknown split": (DatasetDict({"dev": split}), "unknown splits \\['dev'\\]"),
        "two splits": (DatasetDict({"train": split, "test": split}), "is in both train and test"),
        "attribute": (DatasetDict({name: split.map(lambda r: {"attribute": "sparkle"})}), "sparkle"),
        "rationale": (DatasetDict({name: split.map(lambda r: {"rationale": "better"})}), "answer format"),
    }
    for case, (broken, message) in cases.items():
        path = tmp_path / case.replace(" ", "-")
        broken.save_to_disk(str(path))
        with pytest.raises(SchemaError, match=message):
            load_red_dataset(path)
    with pytest.raises(SchemaError, match=r"dataset_dict\.json"):
        load_red_dataset(tmp_path)
    assert set(load_red_dataset(reference_build)) <= set(SPLITS)


def test_load_red_errors_name_the_problem(tiny_red_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(KeyError, match=r"has no split 'dev'; it has \['test', 'train', 'validation'\]"):
        load_red_split(str(tiny_red_dir), "dev")
    DatasetDict({"train": Dataset.from_dict({"pair_id": ["a"]})}).save_to_disk(str(tmp_path / "bad"))
    with pytest.raises(SchemaError, match="missing RED columns"):
        load_red_split(str(tmp_path / "bad"), "train")
    with pytest.raises(ValueError, match="is a local folder"):
        load_red_split(str(tiny_red_dir), "train", revision="main")
