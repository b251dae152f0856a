"""The RED dataset schema: one row per (original, edited) pair, typed with ``datasets.Features``.

The training recipes, the evaluation harness and the builder all read and write exactly these columns.
``delta`` follows the project convention: ``score(edited) - score(original)`` in [-9, 9].
"""

from __future__ import annotations

from typing import Any

from datasets import Features, Image, Sequence, Value

from red_aes.errors import InputError
from red_aes.types import ATTRIBUTES, DELTA_MAX, DELTA_MIN

SPLITS: tuple[str, ...] = ("train", "validation", "test")
DIRECTIONS: tuple[str, ...] = ("improve", "degrade")

FEATURES = Features(
    {
        "pair_id": Value("string"),
        "source_id": Value("string"),
        "original": Image(),
        "edited": Image(),
        "instruction": Value("string"),
        "attribute": Value("string"),
        "direction": Value("string"),
        "strength": Value("float32"),
        "editor": Value("string"),
        "editor_params": Value("string"),  # JSON text: the editor's exact operations/parameters
        "delta": Value("float32"),
        "votes": Sequence(Value("float32")),
        "judges": Sequence(Value("string")),
        "agreement": Value("float32"),
        "rationale": Value("string"),  # chain-of-thought target in the model's answer format
        "prompt_version": Value("string"),
    }
)


class SchemaError(InputError):
    """A dataset does not follow the RED schema; the message names the column and the problem."""


def validate_features(features: Features, where: str = "dataset") -> None:
    """Raise :class:`SchemaError` unless ``features`` has every RED column with the right type."""
    missing = [name for name in FEATURES if name not in features]
    if missing:
        raise SchemaError(f"{where}: missing RED columns {missing}")
    wrong = [
        f"{name} is {features[name]!r}, expected {FEATURES[name]!r}"
        for name in FEATURES
        if repr(features[name]) != repr(FEATURES[name])
    ]
    if wrong:
        raise SchemaError(f"{where}: wrong column types: " + "; ".join(wrong))


def validate_row(row: dict[str, Any], where: str = "row") -> None:
    """Check the value-level rules of one row (taxonomy, direction, delta range, votes vs judges)."""
    if row["attribute"] not in ATTRIBUTES:
        raise SchemaError(f"{where}: attribute {row['attribute']!r} is not in the taxonomy {ATTRIBUTES}")
    if row["direction"] not in DIRECTIONS:
        raise SchemaError(f"{where}: direction {row['direction']!r} must be one of {DIRECTIONS}")
    if row["delta"] is None or not DELTA_MIN <= row["delta"] <= DELTA_MAX:
        raise SchemaError(f"{where}: delta {row['delta']} outside [{DELTA_MIN:g}, {DELTA_MAX:g}]")
    if len(row["votes"]) != len(row["judges"]):
        raise SchemaError(f"{where}: {len(row['votes'])} votes for {len(row['judges'])} judges")
