"""The RED schema (red_aes.data.schema): the columns and their types, and the rules of each row."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from datasets import Features, Value, load_from_disk

from red_aes.data.schema import FEATURES, SchemaError, validate_features, validate_row


def test_tiny_red_follows_the_schema_and_splits_by_source(tiny_red_dir: Path) -> None:
    splits = load_from_disk(str(tiny_red_dir))
    assert set(splits) == {"train", "validation", "test"}
    sources = {name: set(split["source_id"]) for name, split in splits.items()}
    for a, b in itertools.combinations(sources, 2):
        assert not sources[a] & sources[b], (a, b)
    for name in splits:
        assert splits[name].features == FEATURES


def _row(**changes: Any) -> dict[str, Any]:
    row = {
        "attribute": "exposure",
        "direction": "degrade",
        "delta": -1.5,
        "votes": [-1.5],
        "judges": ["measured"],
    }
    return {**row, **changes}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"attribute": "sparkle"}, "row 7: attribute 'sparkle' is not in the taxonomy"),
        ({"direction": "sideways"}, "row 7: direction 'sideways' must be one of"),
        ({"delta": 9.5}, r"row 7: delta 9.5 outside \[-9, 9\]"),
        ({"delta": None}, r"row 7: delta None outside \[-9, 9\]"),
        ({"votes": [-1.5, -2.0]}, "row 7: 2 votes for 1 judges"),
    ],
    ids=["attribute", "direction", "delta-range", "delta-none", "votes"],
)
def test_each_broken_row_rule_is_a_schema_error_naming_the_row(change: dict[str, Any], message: str) -> None:
    validate_row(_row())
    with pytest.raises(SchemaError, match=message):
        validate_row(_row(**change), where="row 7")


def test_missing_and_mistyped_columns_are_named() -> None:
    validate_features(FEATURES)
    missing = Features({name: kind for name, kind in FEATURES.items() if name != "rationale"})
    with pytest.raises(SchemaError, match=r"dataset: missing RED columns \['rationale'\]"):
        validate_features(missing)
    mistyped = Features({**FEATURES, "delta": Value("string")})
    with pytest.raises(SchemaError, match="wrong column types: delta is Value"):
        validate_features(mistyped, where="red")
