"""Resumable shard storage of a build: atomic files, a manifest of the photos, one marker per shard.

Layout under ``OUT/shards/``::

    manifest.json                 config fingerprint, shard size, the photos (index, source_id, name)
    shard-00003.train.parquet     the rows of shard 3 that belong to the train split (RED features)
    shard-00003.json              the marker: written last; lists the shard's files and its statistics

Every file is written to a temporary name and moved into place with ``os.replace``, so a reader sees a
whole file or none. A shard counts as done only when its marker exists; a crash before that leaves at
most stale parquet files that the re-run overwrites (the marker lists the files that belong to the
shard, so nothing stale is ever merged).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets import Dataset

from red_aes.data.schema import FEATURES, SPLITS
from red_aes.errors import InputError

MANIFEST = "manifest.json"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, value: Any) -> None:
    atomic_write_text(path, json.dumps(value, indent=2, sort_keys=True) + "\n")


@dataclass(frozen=True)
class SourceEntry:
    """One distinct photo of the build: its position in the source, content id and a display name."""

    index: int
    source_id: str
    name: str


@dataclass(frozen=True)
class Manifest:
    """What a build's shards are made of; compared on resume so shards of different builds never mix."""

    fingerprint: str
    shard_size: int
    entries: tuple[SourceEntry, ...]
    duplicates: int
    description: str

    @property
    def num_shards(self) -> int:
        return (len(self.entries) + self.shard_size - 1) // self.shard_size

    def shard(self, index: int) -> tuple[SourceEntry, ...]:
        return self.entries[index * self.shard_size : (index + 1) * self.shard_size]

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "shard_size": self.shard_size,
            "duplicates": self.duplicates,
            "description": self.description,
            "entries": [[e.index, e.source_id, e.name] for e in self.entries],
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Manifest:
        entries = tuple(SourceEntry(int(i), str(s), str(n)) for i, s, n in value["entries"])
        return cls(
            fingerprint=value["fingerprint"],
            shard_size=int(value["shard_size"]),
            entries=entries,
            duplicates=int(value["duplicates"]),
            description=value["description"],
        )


class ShardStore:
    """The ``shards/`` folder of one build."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # -- manifest -----------------------------------------------------------------------------------
    def read_manifest(self) -> Manifest | None:
        path = self.root / MANIFEST
        if not path.is_file():
            return None
        return Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def open(self, manifest: Manifest) -> None:
        """Start a build, or check that the shards already here belong to the same build."""
        existing = self.read_manifest()
        if existing is None:
            atomic_write_json(self.root / MANIFEST, manifest.to_dict())
            return
        if existing.fingerprint != manifest.fingerprint:
            raise InputError(
                f"{self.root}: holds shards of a build with another config (fingerprint "
                f"{existing.fingerprint}, now {manifest.fingerprint}); use a new --out folder or --overwrite"
            )
        if existing.shard_size != manifest.shard_size:
            raise InputError(
                f"{self.root}: shards were cut with shard_size={existing.shard_size}, not "
                f"{manifest.shard_size}; resume with the same shard_size, or use --overwrite"
            )
        if existing.entries != manifest.entries:
            raise InputError(
                f"{self.root}: the source photos changed since these shards were written; use --overwrite"
            )

    # -- shards -------------------------------------------------------------------------------------
    def marker(self, index: int) -> Path:
        return self.root / f"shard-{index:05d}.json"

    def is_done(self, index: int) -> bool:
        return self.marker(index).is_file()

    def pending(self, num_shards: int) -> list[int]:
        return [i for i in range(num_shards) if not self.is_done(i)]

    def write_shard(
        self, index: int, rows: Sequence[tuple[str, dict[str, Any]]], stats: dict[str, Any]
    ) -> None:
        """Store shard ``index``: ``rows`` are ``(split, row)`` pairs; the marker is written last."""
        files: dict[str, str] = {}
        for split in SPLITS:
            split_rows = [row for row_split, row in rows if row_split == split]
            if not split_rows:
                continue
            path = self.root / f"shard-{index:05d}.{split}.parquet"
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            Dataset.from_list(split_rows, features=FEATURES).to_parquet(str(tmp))
            os.replace(tmp, path)
            files[split] = path.name
        marker = {"shard": index, "files": files, "stats": stats, "pid": os.getpid()}  # pid: which worker
        atomic_write_json(self.marker(index), marker)

    def read_marker(self, index: int) -> dict[str, Any]:
        return json.loads(self.marker(index).read_text(encoding="utf-8"))

    def split_files(self, num_shards: int, split: str) -> list[Path]:
        """The parquet files of ``split``, in shard order, as listed by the markers."""
        files = []
        for index in range(num_shards):
            name = self.read_marker(index)["files"].get(split)
            if name is not None:
                files.append(self.root / name)
        return files
