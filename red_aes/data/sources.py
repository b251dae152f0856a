"""Source photos of a build: a local folder or a ``datasets`` dataset (Hub id or local path).

Each photo gets a ``source_id`` derived from the sha256 of its encoded bytes, so the same file has the
same id on every run and machine, whatever it is called or wherever it sits; byte-identical duplicates
collapse to one photo. Images are decoded only through :func:`red_aes.images.load_image`.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from PIL import Image
from tqdm.auto import tqdm

from red_aes.data.shards import SourceEntry
from red_aes.errors import InputError
from red_aes.images import load_image

#: File suffixes a folder source reads (case-insensitive).
IMAGE_SUFFIXES: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})


def source_id(data: bytes) -> str:
    """The content id of an encoded photo: the first 20 hex digits of its sha256."""
    return hashlib.sha256(data).hexdigest()[:20]


class PhotoSource(ABC):
    """Indexed access to the encoded bytes of source photos."""

    description: str

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def raw_bytes(self, index: int) -> bytes:
        """The encoded bytes of photo ``index``."""

    @abstractmethod
    def name(self, index: int) -> str:
        """A human-readable name of photo ``index`` (file name or ``split[index]``)."""

    def load(self, index: int, *, max_side: int | None, max_input_pixels: int | None) -> Image.Image:
        """Photo ``index`` as RGB, downscaled (Lanczos) so its long side is at most ``max_side``."""
        image = load_image(self.raw_bytes(index), max_input_pixels=max_input_pixels)
        if max_side is not None and max(image.size) > max_side:
            scale = max_side / max(image.size)
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.LANCZOS)
        return image

    def scan(self, limit: int | None = None, progress: bool = False) -> tuple[list[SourceEntry], int]:
        """The distinct photos (first ``limit`` of the source, in order) and the number of duplicates."""
        count = len(self) if limit is None else min(limit, len(self))
        entries: list[SourceEntry] = []
        seen: set[str] = set()
        duplicates = 0
        for index in tqdm(range(count), desc="hash sources", disable=not progress):
            sid = source_id(self.raw_bytes(index))
            if sid in seen:
                duplicates += 1
                continue
            seen.add(sid)
            entries.append(SourceEntry(index, sid, self.name(index)))
        return entries, duplicates


class FolderSource(PhotoSource):
    """Every image file under a folder (recursively), in sorted relative-path order."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise NotADirectoryError(f"{self.folder}: source folder not found")
        self.files = sorted(
            (p for p in self.folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
            key=lambda p: p.relative_to(self.folder).as_posix(),
        )
        if not self.files:
            raise InputError(f"{self.folder}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
        self.description = f"folder {self.folder}"

    def __len__(self) -> int:
        return len(self.files)

    def raw_bytes(self, index: int) -> bytes:
        return self.files[index].read_bytes()

    def name(self, index: int) -> str:
        return self.files[index].relative_to(self.folder).as_posix()


class DatasetSource(PhotoSource):
    """One split of a ``datasets`` dataset (a Hub id, or a local dataset folder) with an image column.

    The column is read undecoded (``Image(decode=False)``) so the id hashes the stored file bytes.
    """

    def __init__(
        self, dataset_id: str, image_column: str, split: str, config_name: str | None = None
    ) -> None:
        from datasets import Image as ImageFeature
        from datasets import load_dataset

        try:
            dataset = load_dataset(dataset_id, config_name, split=split)
        except (OSError, ValueError) as err:  # not found, unreachable (ConnectionError), bad split or config
            raise InputError(
                f"{dataset_id}: no such local folder, and loading it as a dataset failed "
                f"({type(err).__name__}: {err})"
            ) from err
        if image_column not in dataset.column_names:
            raise InputError(
                f"{dataset_id}: no image column {image_column!r}; columns: {dataset.column_names}"
            )
        if not isinstance(dataset.features[image_column], ImageFeature):
            raise InputError(
                f"{dataset_id}: column {image_column!r} is {dataset.features[image_column]!r}, "
                "not an Image feature"
            )
        self.dataset = dataset.cast_column(image_column, ImageFeature(decode=False)).select_columns(
            [image_column]
        )
        self.image_column = image_column
        self.split = split
        self.description = (
            f"dataset {dataset_id} ({config_name or 'default'}, {split}, column {image_column!r})"
        )

    def __len__(self) -> int:
        return len(self.dataset)

    def raw_bytes(self, index: int) -> bytes:
        value: dict[str, Any] = self.dataset[index][self.image_column]
        if value.get("bytes"):
            return value["bytes"]
        if value.get("path"):
            return Path(value["path"]).read_bytes()
        raise InputError(f"{self.description}: row {index} has neither image bytes nor a path")

    def name(self, index: int) -> str:
        return f"{self.split}[{index}]"
