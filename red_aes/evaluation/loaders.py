"""Loaders behind the benchmark registry: folder + labels CSV, ``datasets`` datasets, pairwise CSVs, RED.

Every problem is reported before any scoring starts, naming the file, row and reason: a missing root or
labels file, a missing column, a non-numeric or out-of-scale label, an image referenced in the labels
that is not on disk. Images are not decoded here; they are read when they are scored.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from PIL import Image

from red_aes.data.ladder import is_cross_photo
from red_aes.errors import InputError
from red_aes.evaluation.benchmarks import Benchmark, BenchmarkSpec, ImageItem, LoadRequest, PairItem
from red_aes.evaluation.metrics import majority_preference

PREFERENCES: dict[str, float] = {"a": -1.0, "b": 1.0, "tie": 0.0}
_MAX_LISTED = 5


def reject_unused(spec: BenchmarkSpec, request: LoadRequest, used: set[str]) -> None:
    """Fail when ``request`` sets a field that the benchmark's loader does not read."""
    unused = [
        f.name
        for f in fields(LoadRequest)
        if f.name not in used and getattr(request, f.name) != f.default and f.name != "split"
    ]
    if unused:
        raise InputError(f"benchmark {spec.name!r} does not use: {', '.join(unused)}")


def check_root(root: Path) -> Path:
    """``root`` must be an existing directory."""
    if not root.exists():
        raise FileNotFoundError(f"benchmark root {root} does not exist")
    if not root.is_dir():
        raise NotADirectoryError(f"benchmark root {root} is not a directory")
    return root


def _check_scale(scale: tuple[float, float] | None) -> None:
    if scale is not None and not (
        math.isfinite(scale[0]) and math.isfinite(scale[1]) and scale[0] < scale[1]
    ):
        raise InputError(f"label scale must be (low, high) with low < high, got {scale}")


def read_labels_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a labels CSV as dicts; errors name the file and the missing columns."""
    if not path.is_file():
        raise FileNotFoundError(f"labels CSV {path} not found")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise InputError(f"{path}: empty labels CSV (expected a header with {', '.join(required)})")
        header = [name.strip() for name in reader.fieldnames]
        missing = [name for name in required if name not in header]
        if missing:
            raise InputError(f"{path}: missing column(s) {missing}; found {header}")
        reader.fieldnames = header
        rows = [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    if not rows:
        raise InputError(f"{path}: no rows under the header")
    return rows


def parse_number(text: str, where: str) -> float:
    """A finite float, or a ValueError naming ``where``."""
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{where}: {text!r} is not a finite number")
    return value


def _check_in_scale(value: float, scale: tuple[float, float] | None, where: str) -> None:
    if scale is not None and not scale[0] <= value <= scale[1]:
        raise InputError(
            f"{where}: label {value:g} is outside the native scale [{scale[0]:g}, {scale[1]:g}] "
            "(wrong score column, or pass the right scale)"
        )


def resolve_images(root: Path, names: list[tuple[str, str]], labels: Path | str) -> list[Path]:
    """Paths of ``(where, relative name)`` under ``root``; one error listing every missing image."""
    paths, missing = [], []
    for where, name in names:
        if not name:
            raise InputError(f"{where}: empty file name")
        path = root / name
        paths.append(path)
        if not path.is_file():
            missing.append(f"{where}: {name!r}")
    if missing:
        shown = "; ".join(missing[:_MAX_LISTED]) + (" ..." if len(missing) > _MAX_LISTED else "")
        raise FileNotFoundError(f"{labels}: {len(missing)} image(s) not found under {root}: {shown}")
    return paths


def open_dataset(location: str, split: str) -> Any:
    """A ``datasets.Dataset``: a folder written by ``save_to_disk`` (its ``split`` if it is a
    DatasetDict) or anything ``datasets.load_dataset`` reads (a Hub id, a local data folder)."""
    import datasets

    path = Path(location)
    if path.is_dir() and ((path / "dataset_dict.json").is_file() or (path / "state.json").is_file()):
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise InputError(f"{location}: no split {split!r} (found: {', '.join(loaded)})")
            return loaded[split]
        return loaded
    return datasets.load_dataset(location, split=split)


def _require_columns(dataset: Any, columns: tuple[str, ...], images: tuple[str, ...], where: str) -> None:
    import datasets

    missing = [name for name in columns if name not in dataset.column_names]
    if missing:
        raise InputError(f"{where}: missing column(s) {missing}; found {dataset.column_names}")
    for name in images:
        if not isinstance(dataset.features[name], datasets.Image):
            raise InputError(
                f"{where}: column {name!r} is {dataset.features[name]!r}, expected an Image feature "
                f"(cast it with dataset.cast_column({name!r}, datasets.Image()))"
            )


@dataclass(frozen=True)
class DatasetImage:
    """One image cell of a ``datasets`` dataset, decoded only when called."""

    dataset: Any  # the dataset restricted to ``column``, so that reading a row decodes one image
    column: str
    index: int

    def __call__(self) -> Image.Image:
        return self.dataset[self.index][self.column]


def _cells(dataset: Any, column: str) -> list[DatasetImage]:
    only = dataset.select_columns([column])
    return [DatasetImage(only, column, i) for i in range(len(dataset))]


def _score_items_from_dataset(request: LoadRequest, scale: tuple[float, float] | None) -> list[ImageItem]:
    location = str(request.hub_dataset)
    dataset = open_dataset(location, request.split)
    where = f"{location} [{request.split}]"
    _require_columns(dataset, (request.image_column, request.score_column), (request.image_column,), where)
    columns = [request.score_column] + [
        c for c in (request.file_column, request.subset_column) if c in dataset.column_names
    ]
    table = dataset.select_columns(columns).to_dict()
    images = _cells(dataset, request.image_column)
    items = []
    for i, image in enumerate(images):
        row_where = f"{where} row {i}"
        value = table[request.score_column][i]
        if value is None:
            raise InputError(f"{row_where}: missing {request.score_column!r}")
        label = parse_number(str(value), row_where)
        _check_in_scale(label, scale, row_where)
        name = table[request.file_column][i] if request.file_column in table else f"{request.split}-{i}"
        subset = table[request.subset_column][i] if request.subset_column in table else None
        items.append(ImageItem(str(name), image, label, None if subset is None else str(subset)))
    return items


def _score_items_from_csv(
    request: LoadRequest, scale: tuple[float, float] | None
) -> tuple[list[ImageItem], Path, Path]:
    if request.root is None:
        raise InputError("give a root image folder (with a labels CSV) or a Hub dataset id")
    root = check_root(Path(request.root))
    labels = Path(request.labels) if request.labels else root / "labels.csv"
    rows = read_labels_csv(labels, (request.file_column, request.score_column))
    names = [(f"{labels} row {n}", row[request.file_column]) for n, row in enumerate(rows, start=2)]
    paths = resolve_images(root, names, labels)
    items = []
    for (where, name), path, row in zip(names, paths, rows, strict=True):
        label = parse_number(row[request.score_column], where)
        _check_in_scale(label, scale, where)
        items.append(ImageItem(name, path, label, row.get(request.subset_column) or None))
    return items, root, labels


def load_score_benchmark(spec: BenchmarkSpec, request: LoadRequest) -> Benchmark:
    """An absolute-score benchmark from ``root`` + labels CSV, or from a dataset (``hub_dataset``)."""
    reject_unused(
        spec,
        request,
        {
            "root",
            "labels",
            "hub_dataset",
            "scale",
            "file_column",
            "score_column",
            "image_column",
            "subset_column",
        },
    )
    scale = request.scale or spec.scale
    _check_scale(scale)
    if request.hub_dataset is not None:
        if request.root is not None or request.labels is not None:
            raise InputError("give either a Hub dataset id or a root folder with labels, not both")
        items = _score_items_from_dataset(request, scale)
        source = f"{request.hub_dataset} [{request.split}]"
    else:
        items, root, labels = _score_items_from_csv(request, scale)
        source = f"{root} ({labels.name})"
    return Benchmark(spec.name, spec.display_name, "score", items, source, request.split, scale)


def _preference(row: dict[str, str], where: str) -> float:
    if "votes_a" in row and "votes_b" in row:
        votes_a = parse_number(row["votes_a"], f"{where} votes_a")
        votes_b = parse_number(row["votes_b"], f"{where} votes_b")
        if votes_a < 0 or votes_b < 0:
            raise InputError(f"{where}: vote counts must be >= 0")
        return float(majority_preference([votes_a], [votes_b])[0])
    choice = row["preferred"].lower()
    if choice not in PREFERENCES:
        raise InputError(f"{where}: preferred must be one of a, b, tie; got {row['preferred']!r}")
    return PREFERENCES[choice]


def load_pairwise_benchmark(spec: BenchmarkSpec, request: LoadRequest) -> Benchmark:
    """Preference pairs from ``root`` + CSV ``file_a,file_b`` with ``votes_a,votes_b`` or ``preferred``.

    The label is the majority vote in {-1 (a preferred), 0 (tie), +1 (b preferred)}; the prediction
    is ``score(b) - score(a)``, so a positive prediction means "b is better".
    """
    reject_unused(spec, request, {"root", "labels", "subset_column"})
    if request.root is None:
        raise InputError("the pairwise benchmark needs a root image folder and a pairs CSV")
    root = check_root(Path(request.root))
    labels = Path(request.labels) if request.labels else root / "labels.csv"
    rows = read_labels_csv(labels, ("file_a", "file_b"))
    has_votes = "votes_a" in rows[0] and "votes_b" in rows[0]
    if has_votes == ("preferred" in rows[0]):
        raise InputError(
            f"{labels}: give either votes_a,votes_b or a preferred column (a|b|tie), exactly one"
        )
    items = []
    for n, row in enumerate(rows, start=2):
        where = f"{labels} row {n}"
        a, b = resolve_images(root, [(where, row["file_a"]), (where, row["file_b"])], labels)
        items.append(
            PairItem(
                f"{row['file_a']}|{row['file_b']}",
                a,
                b,
                _preference(row, where),
                subset=row.get(request.subset_column) or None,
            )
        )
    return Benchmark(
        spec.name, spec.display_name, "pairwise", items, f"{root} ({labels.name})", request.split
    )


def load_red_benchmark(spec: BenchmarkSpec, request: LoadRequest) -> Benchmark:
    """RED pairs (``test`` split) from a ``save_to_disk`` folder (root) or a dataset id (hub_dataset),
    read through :func:`red_aes.data.loading.load_red_split`, so the whole dataset is schema-checked."""
    from red_aes.data.loading import load_red_split

    reject_unused(spec, request, {"root", "hub_dataset"})
    if (request.root is None) == (request.hub_dataset is None):
        raise InputError(
            "the red benchmark needs exactly one of: a save_to_disk folder (root) or a Hub dataset id"
        )
    if request.root is not None:
        check_root(Path(request.root))
    location = str(request.root if request.root is not None else request.hub_dataset)
    dataset = load_red_split(location, request.split)
    where = f"{location} [{request.split}]"
    columns = ["pair_id", "source_id", "instruction", "attribute", "delta", "editor_params"]
    table = dataset.select_columns(columns).to_dict()
    cross = [is_cross_photo({"editor_params": p}) for p in table["editor_params"]]
    originals, edited = _cells(dataset, "original"), _cells(dataset, "edited")
    items = [
        PairItem(
            str(table["pair_id"][i]),
            originals[i],
            edited[i],
            float(table["delta"][i]),
            instruction=table["instruction"][i],
            subset="cross-photo" if cross[i] else table["attribute"][i],
            group=str(table["source_id"][i]),
        )
        for i in range(len(dataset))
    ]
    return Benchmark(spec.name, spec.display_name, "delta", items, where, request.split)
