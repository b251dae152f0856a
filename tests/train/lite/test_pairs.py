"""Training pairs from a RED dataset (red_aes.train.lite.pairs): ladders, cross-photo pairs, no change."""

from __future__ import annotations

import json

from red_aes.train.lite.pairs import build_pairs


def test_pairs_order_ladders_cross_photo_and_no_change() -> None:
    rows = [
        _row("a-0", "a", "sharpness", -1.0),
        _row("a-1", "a", "sharpness", -4.0),
        _row("a-2", "a", "noise", -0.1),  # inside the no-change band: no order
        _row("a-x", "a", "noise", -4.0, cross=True),
    ]
    node_of = {"orig:a": 0, "edit:a-0": 1, "edit:a-1": 2, "edit:a-2": 3, "edit:a-x": 4}
    pairs = build_pairs(rows, node_of)
    assert set(pairs.order) == {(0, 1), (0, 2), (0, 4), (1, 2)}  # original ≻ edits; weak ≻ strong
    assert [(o, e) for o, e, _ in pairs.judged] == [(0, 1), (0, 2), (0, 3)]  # cross pairs: order only
    assert pairs.counts["ladder"] == 1 and pairs.counts["cross_photo"] == 1 and pairs.counts["no_change"] == 1


def _row(pair_id: str, source: str, attribute: str, delta: float, cross: bool = False) -> dict:
    params = {"cross_photo": {"edited_pair_id": "x"}} if cross else {}
    return {
        "pair_id": pair_id,
        "source_id": source,
        "attribute": attribute,
        "delta": delta,
        "editor_params": json.dumps(params),
    }
