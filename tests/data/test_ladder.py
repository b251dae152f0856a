"""Degradation ladders (red_aes.data.ladder): the ladder build orders every edit and adds cross-photo
pairs; unknown kinds are refused and cross-photo rows are read from their editor parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from red_aes.data import load_red_dataset
from red_aes.data.ladder import check_kinds, is_cross_photo
from red_aes.errors import InputError
from tests.conftest import LADDER_BUILD_KINDS


def test_ladder_build_orders_every_edit_and_adds_cross_photo_pairs(ladder_dataset: Path) -> None:
    dataset = load_red_dataset(ladder_dataset)
    rows = [row for split in dataset.values() for row in split.remove_columns(["original", "edited"])]
    plain = [r for r in rows if "-x-" not in r["pair_id"]]
    cross = [r for r in rows if "-x-" in r["pair_id"]]
    kinds = {json.loads(r["editor_params"])["params"]["kind"] for r in plain}
    assert kinds == set(LADDER_BUILD_KINDS)
    for row in plain:  # Δ = −4 · strength, voted by the ladder judge alone
        assert row["judges"] == ["ladder"] and row["delta"] == pytest.approx(-4.0 * row["strength"])
    assert cross, "ladder mode with cross_photo_pairs must emit cross-photo pairs"
    split_of = {r["source_id"]: name for name, split in dataset.items() for r in split}
    source_of_pair = {r["pair_id"]: r["source_id"] for r in plain}
    for row in cross:
        other = json.loads(row["editor_params"])["cross_photo"]["edited_pair_id"]
        assert source_of_pair[other] != row["source_id"]  # the edit is of another photo ...
        assert split_of[source_of_pair[other]] == split_of[row["source_id"]]  # ... of the same split
        assert row["strength"] == 1.0 and row["delta"] < 0 and "two different photos" in row["rationale"]
    card = (ladder_dataset / "README.md").read_text()
    assert "**Assumption:**" in card and "curated original" in card and "cross-photo" in card
    assert "Share-alike licences" in card  # the build kept the photo list, and the card explains it


def test_unknown_kinds_are_refused_by_name_and_cross_photo_rows_are_recognised(ladder_dataset: Path) -> None:
    check_kinds(["haze", "jpeg"])
    with pytest.raises(InputError, match=r"unknown ladder kinds \['sparkle'\]; known: gaussian_blur, "):
        check_kinds(["haze", "sparkle"])
    assert is_cross_photo({"editor_params": json.dumps({"cross_photo": {"edited_pair_id": "a-0"}})})
    assert not any(is_cross_photo(row) for row in ({"editor_params": "{}"}, {"editor_params": "{oops"}, {}))
    rows = [
        row
        for split in load_red_dataset(ladder_dataset).values()
        for row in split.select_columns(["pair_id", "editor_params"])
    ]
    assert [is_cross_photo(row) for row in rows] == ["-x-" in row["pair_id"] for row in rows]
    assert any(is_cross_photo(row) for row in rows)
