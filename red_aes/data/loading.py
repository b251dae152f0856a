"""Load a RED dataset (a build's output folder or a Hub dataset id) and check it against the schema: the
one way in for training, RED-Lite and the ``red`` evaluation benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from red_aes.data.schema import SPLITS, SchemaError, validate_features, validate_row
from red_aes.errors import InputError, UnknownNameError
from red_aes.parsing import ParseError, parse_answer

#: The columns read for row-level checks (everything but the images, which would be decoded).
_ROW_COLUMNS = ("pair_id", "source_id", "attribute", "direction", "delta", "votes", "judges", "rationale")


def load_red_dataset(path_or_id: str | Path, *, revision: str | None = None) -> Any:
    """The ``datasets.DatasetDict`` of a RED dataset, after checking it.

    ``path_or_id`` is a folder written by ``red-aes data build`` (``save_to_disk``) or a Hub dataset id.
    Raises :class:`SchemaError` naming the split, row or column when the dataset is not a RED dataset:
    unknown splits, missing or mistyped columns, values outside the taxonomy or the Δ range, a rationale
    that does not parse, or a photo (``source_id``) in two splits.
    """
    from datasets import DatasetDict, load_dataset, load_from_disk

    path = Path(path_or_id)
    if path.exists():
        if revision is not None:
            raise InputError(f"revision={revision!r} was given but {path} is a local folder")
        if not (path / "dataset_dict.json").is_file():
            raise SchemaError(
                f"{path}: no dataset_dict.json; not a DatasetDict saved by `red-aes data build`"
            )
        dataset = load_from_disk(str(path))
    else:
        dataset = load_dataset(str(path_or_id), revision=revision)
    if not isinstance(dataset, DatasetDict):
        raise SchemaError(
            f"{path_or_id}: expected a DatasetDict with splits {SPLITS}, got {type(dataset).__name__}"
        )
    unknown = sorted(set(dataset) - set(SPLITS))
    if unknown:
        raise SchemaError(f"{path_or_id}: unknown splits {unknown}; a RED dataset has {list(SPLITS)}")
    owner: dict[str, str] = {}
    for name, split in dataset.items():
        validate_features(split.features, where=f"{path_or_id} split {name}")
        for index, row in enumerate(split.select_columns(list(_ROW_COLUMNS))):
            where = f"{path_or_id} split {name} row {index} ({row['pair_id']})"
            validate_row(row, where=where)
            try:
                parse_answer(row["rationale"], "delta", strict=True)
            except ParseError as err:
                raise SchemaError(f"{where}: rationale is not in the answer format ({err})") from None
            first = owner.setdefault(row["source_id"], name)
            if first != name:
                raise SchemaError(f"{where}: photo {row['source_id']} is in both {first} and {name}")
    return dataset


def load_red_split(path_or_id: str | Path, split: str, *, revision: str | None = None) -> Any:
    """One split (a ``datasets.Dataset``) of a RED dataset checked by :func:`load_red_dataset` (all its
    splits: a photo must not be in two); a split that is missing or empty is refused by name."""
    splits = load_red_dataset(path_or_id, revision=revision)
    if split not in splits:
        raise UnknownNameError(f"{path_or_id} has no split {split!r}; it has {sorted(splits)}")
    if len(splits[split]) == 0:
        raise InputError(f"{path_or_id}[{split}] is empty")
    return splits[split]
