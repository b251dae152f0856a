"""Degradation ladders: the edits of the ``ladder`` build mode and the order they imply.

With ``ladder_kinds`` set in the build config, every photo gets every listed degradation kind at every
``strengths`` value (a full ladder instead of ``pairs_per_source`` random plans), carried out exactly by
the classical editor. The ``ladder`` judge (:class:`red_aes.data.judges.LadderJudge`) then votes by
construction: original ≻ weak ≻ medium ≻ strong. The kinds are the rows of the one degradation table
(:data:`red_aes.editing.degradations.DEGRADATIONS`) that have an exact operation; each one's amount at
strength 1 is a clearly visible, strong degradation of a typical photo, and strength ``s`` applies ``s``
times it.

``cross_photo_pairs`` adds, per photo, pairs of its curated original against a strong degradation of
*another* photo of the same shard and split, so the model also learns to rank different photos.
"""

from __future__ import annotations

import json
from typing import Any

from red_aes.editing.degradations import DEGRADATIONS, Degradation
from red_aes.errors import InputError

#: Ladder kind -> its row of the degradation table: every row with an exact classical operation (its
#: ``attribute``, its ``operation`` at strength 1 and ``at(strength)``, amounts in the operation's units).
LADDER_KINDS: dict[str, Degradation] = {
    name: row for name, row in DEGRADATIONS.items() if row.operation is not None
}


def check_kinds(kinds: list[str]) -> None:
    """InputError naming unknown kinds (and listing the known ones)."""
    unknown = [k for k in kinds if k not in LADDER_KINDS]
    if unknown:
        raise InputError(f"unknown ladder kinds {unknown}; known: {', '.join(LADDER_KINDS)}")


def is_cross_photo(row: dict[str, Any]) -> bool:
    """Whether a dataset row is a cross-photo pair (the builder marks it in ``editor_params``)."""
    try:
        return bool(json.loads(row.get("editor_params") or "{}").get("cross_photo"))
    except json.JSONDecodeError:
        return False
