"""Train/validation/test assignment by photo: a hash of ``source_id`` picks the split.

Every pair made from one photo lands in the split of that photo, so no photo appears in two splits.
The assignment depends only on the id and the fractions (not on the seed, order, sharding or number of
processes), so rebuilding with more photos keeps every existing photo in its split.
"""

from __future__ import annotations

import hashlib

from red_aes.data.schema import SPLITS
from red_aes.errors import InputError

_SALT = "red-aes-split-v1"


def split_point(source_id: str) -> float:
    """A uniform number in [0, 1) derived from ``source_id``."""
    digest = hashlib.sha256(f"{_SALT}:{source_id}".encode()).hexdigest()
    return int(digest[:15], 16) / float(16**15)


def assign_split(source_id: str, fractions: dict[str, float]) -> str:
    """The split of ``source_id``: walk :data:`SPLITS` in order, each taking its fraction of [0, 1)."""
    point, cumulative = split_point(source_id), 0.0
    active = [s for s in SPLITS if fractions.get(s, 0.0) > 0.0]
    if not active:
        raise InputError(f"split fractions {fractions} give no split a positive share")
    for split in active:
        cumulative += fractions[split]
        if point < cumulative:
            return split
    return active[-1]  # rounding left the cumulative sum a hair below 1.0
