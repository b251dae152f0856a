"""Photo sources (red_aes.data.sources): a ``datasets`` source hashes the same bytes as a folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from datasets import Dataset
from datasets import Image as ImageFeature

from red_aes.data.sources import DatasetSource, FolderSource
from red_aes.images import load_image


def test_dataset_source_ids_match_folder_ids(build_photos: Path, tmp_path: Path) -> None:
    """A ``datasets`` source (here a local Parquet dataset standing in for a Hub id) hashes the same bytes."""
    files = sorted(build_photos.iterdir())
    images = [{"bytes": p.read_bytes(), "path": None} for p in [*files, files[0]]]  # one duplicate
    data = tmp_path / "hub-like"
    data.mkdir()
    Dataset.from_dict({"photo": images}).cast_column("photo", ImageFeature()).to_parquet(
        str(data / "train.parquet")
    )
    source = DatasetSource(str(data), image_column="photo", split="train")
    entries, duplicates = source.scan()
    folder_entries, _ = FolderSource(build_photos).scan()
    assert [e.source_id for e in entries] == [e.source_id for e in folder_entries] and duplicates == 1
    assert np.array_equal(
        np.asarray(source.load(1, max_side=None, max_input_pixels=None)), np.asarray(load_image(files[1]))
    )
    with pytest.raises(ValueError, match="no image column 'image'"):
        DatasetSource(str(data), image_column="image", split="train")
