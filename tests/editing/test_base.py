"""What every editor checks first (red_aes.editing.base): negated clauses and seeds are refused before
any work."""

from __future__ import annotations

import pytest

from red_aes.editing import (
    ClassicalEditor,
    UnsupportedEditError,
)
from red_aes.editing.base import MAX_SEED, check_not_negated, check_seed
from red_aes.errors import InputError


def test_negation_is_refused_by_the_editors_before_any_work(photos_dir) -> None:
    with pytest.raises(UnsupportedEditError, match="negations"):
        ClassicalEditor().edit(photos_dir / "china.jpg", "make it brighter, not darker")
    with pytest.raises(UnsupportedEditError, match="negations"):
        check_not_negated("do not add grain")  # the diffusion editor's check
    check_not_negated("make it brighter but not too much")  # a hedge, not a negation


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (2**64, "between 0 and 4294967295"),
        (float(2**64), "between 0 and 4294967295"),
        (-1, "between"),
        (1.5, "whole"),
        (float("inf"), "whole"),
        (float("nan"), "whole"),
        ("7", "whole"),
    ],
)
def test_seed_out_of_range_is_refused_before_any_work(seed: object, message: str, photos_dir) -> None:
    with pytest.raises(ValueError, match=message):
        ClassicalEditor().edit(photos_dir / "china.jpg", "add grain", seed=seed)  # type: ignore[arg-type]


def test_a_seed_is_a_whole_number_in_the_generators_range() -> None:
    assert check_seed(7) == 7 and check_seed(3.0) == 3 and check_seed(MAX_SEED) == MAX_SEED
    assert check_seed(None) == 0
    assert type(check_seed(3.0)) is int
    for seed in (True, "7", 2.5, MAX_SEED + 1, -1):
        with pytest.raises(InputError, match="seed must be"):
            check_seed(seed)
