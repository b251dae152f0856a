"""Training pairs from a RED dataset, for RED-Lite.

Nodes are images: each photo's original (relative score 0) and each edit (relative score = its judged Δ).
Pairs, within one split:

* **judged**: original vs edit, with the judged Δ (order and magnitude);
* **ladder**: two edits of the same photo and attribute whose Δs differ by at least the no-change band
  (order only: the difference of two judged Δs is not itself judged);
* **cross-photo**: rows the builder marks ``cross_photo`` in ``editor_params`` (a curated original vs a
  degradation of *another* photo) give order only, since their Δ is an assumption of the ladder judge.

Rows whose |Δ| is inside the no-change band give no order (the judged-Δ magnitude term still uses them).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from red_aes.data.ladder import is_cross_photo
from red_aes.types import NO_CHANGE_BAND


@dataclass
class PairSet:
    """Index pairs into an image table. ``order``: (winner, loser); ``judged``: (original, edited, Δ);
    ``aesthetic``: (original, aesthetic edit), an order weighed on its own; ``ties``: two images that
    must score the same."""

    order: list[tuple[int, int]] = field(default_factory=list)
    judged: list[tuple[int, int, float]] = field(default_factory=list)
    aesthetic: list[tuple[int, int]] = field(default_factory=list)
    ties: list[tuple[int, int]] = field(default_factory=list)
    original_nodes: set[int] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``order`` (n, 2) int, ``judged`` index (m, 2) int and Δ (m,) float arrays."""
        order = np.array(self.order, dtype=np.int64).reshape(-1, 2)
        judged = np.array([(o, e) for o, e, _ in self.judged], dtype=np.int64).reshape(-1, 2)
        deltas = np.array([d for _, _, d in self.judged], dtype=np.float64)
        return order, judged, deltas

    @staticmethod
    def index(pairs: list[tuple[int, int]]) -> np.ndarray:
        """A list of index pairs as an (n, 2) int array."""
        return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def build_pairs(rows: list[dict[str, Any]], node_of: dict[str, int], band: float = NO_CHANGE_BAND) -> PairSet:
    """Pairs of one split. ``rows`` carry ``pair_id``, ``source_id``, ``attribute``, ``delta`` and
    ``editor_params``; ``node_of`` maps ``"orig:<source_id>"`` and ``"edit:<pair_id>"`` to image indices."""
    pairs = PairSet()
    ladders: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    for row in rows:
        original = node_of[f"orig:{row['source_id']}"]
        edited = node_of[f"edit:{row['pair_id']}"]
        delta = float(row["delta"])
        pairs.original_nodes.add(original)
        if abs(delta) < band:
            pairs.counts["no_change"] += 1
        elif delta < 0:
            pairs.order.append((original, edited))
        else:
            pairs.order.append((edited, original))
        if is_cross_photo(row):
            pairs.counts["cross_photo"] += 1
            continue
        pairs.judged.append((original, edited, delta))
        pairs.counts["judged"] += 1
        ladders[(row["source_id"], row["attribute"])].append((edited, delta))
    for members in ladders.values():
        for i, (a, da) in enumerate(members):
            for b, db in members[i + 1 :]:
                if abs(da - db) >= band:
                    pairs.order.append((a, b) if da > db else (b, a))
                    pairs.counts["ladder"] += 1
    pairs.counts["order"] = len(pairs.order)
    return pairs
