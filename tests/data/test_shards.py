"""Resumable shard storage (red_aes.data.shards): atomic files, the manifest, and one marker per shard."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from datasets import Dataset

from red_aes.data.schema import FEATURES
from red_aes.data.shards import (
    Manifest,
    ShardStore,
    SourceEntry,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
)
from red_aes.errors import InputError

ENTRIES = tuple(SourceEntry(i, f"{i:020x}", f"photo-{i}.png") for i in range(5))
MANIFEST = Manifest("fingerprint-1", 2, ENTRIES, duplicates=1, description="folder photos")


def _row(pair_id: str) -> dict[str, Any]:
    row: dict[str, Any] = {name: None for name in FEATURES}
    row.update(pair_id=pair_id, source_id="s", delta=-1.0, votes=[-1.0], judges=["measured"])
    return row


def test_atomic_writes_replace_the_whole_file_and_leave_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "new" / "value.json"
    atomic_write_json(path, {"b": 1, "a": [1, 2]})  # the folder is made
    assert path.read_text() == json.dumps({"a": [1, 2], "b": 1}, indent=2, sort_keys=True) + "\n"
    atomic_write_text(path, "second")
    assert path.read_text() == "second"
    atomic_write_bytes(path, b"\x00\xff")
    assert path.read_bytes() == b"\x00\xff"
    assert [p.name for p in path.parent.iterdir()] == ["value.json"]


def test_a_write_that_dies_before_the_rename_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "marker.json"
    atomic_write_text(path, "old")

    def crash(source: object, target: object) -> None:
        raise OSError("killed before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="killed"):
        atomic_write_text(path, "new and longer")
    assert path.read_text() == "old"  # a reader never sees a partly written file


def test_the_manifest_round_trips_and_cuts_the_photos_into_shards() -> None:
    assert MANIFEST.num_shards == 3
    assert MANIFEST.shard(0) == ENTRIES[:2] and MANIFEST.shard(2) == ENTRIES[4:]
    assert Manifest.from_dict(json.loads(json.dumps(MANIFEST.to_dict()))) == MANIFEST


def test_a_store_resumes_only_the_same_build(tmp_path: Path) -> None:
    store = ShardStore(tmp_path / "shards")
    assert store.read_manifest() is None
    store.open(MANIFEST)
    assert store.read_manifest() == MANIFEST
    store.open(MANIFEST)  # the same build resumes
    with pytest.raises(InputError, match="holds shards of a build with another config"):
        store.open(replace(MANIFEST, fingerprint="fingerprint-2"))
    with pytest.raises(InputError, match="shard_size=2, not 3"):
        store.open(replace(MANIFEST, shard_size=3))
    with pytest.raises(InputError, match="the source photos changed"):
        store.open(replace(MANIFEST, entries=ENTRIES[:4]))


def test_a_shard_is_done_once_its_marker_lists_its_files(tmp_path: Path) -> None:
    store = ShardStore(tmp_path)
    store.write_shard(1, [("train", _row("a")), ("test", _row("b")), ("train", _row("c"))], {"kept": 3})
    assert store.is_done(1) and store.pending(3) == [0, 2]
    marker = store.read_marker(1)
    assert marker["files"] == {"train": "shard-00001.train.parquet", "test": "shard-00001.test.parquet"}
    assert marker["stats"] == {"kept": 3} and marker["pid"] == os.getpid()
    store.write_shard(0, [("validation", _row("d"))], {"kept": 1})
    assert store.pending(3) == [2]
    assert store.split_files(2, "train") == [tmp_path / "shard-00001.train.parquet"]
    assert store.split_files(2, "validation") == [tmp_path / "shard-00000.validation.parquet"]
    train = Dataset.from_parquet(str(tmp_path / "shard-00001.train.parquet"))
    assert train["pair_id"] == ["a", "c"] and train.features == FEATURES
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
