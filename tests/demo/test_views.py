"""What the demo shows (red_aes.demo.views): the delta card, the photo credits and the Cull tab's
summary, rows and captions."""

from __future__ import annotations

import re
from pathlib import Path

from red_aes.cull import Photo
from red_aes.demo.views import CULL_COLUMNS, cull_caption, cull_row, cull_summary, delta_html, photo_credits
from red_aes.types import DELTA_MAX, AestheticDelta


def test_delta_card_shows_sign_magnitude_and_colour() -> None:
    better = delta_html(AestheticDelta(delta=2.0, valid=True, model="m"))
    worse = delta_html(AestheticDelta(delta=-0.5, valid=True, model="m"))
    flat = delta_html(AestheticDelta(delta=0.0, valid=True, model="m"))
    assert "+2.00" in better and "moderate improvement" in better and "#15803d" in better
    assert "-0.50" in worse and "slight degradation" in worse and "#b91c1c" in worse
    assert "+0.00" in flat and "no clear change" in flat
    # the bar's length is proportional to |delta| on the [-9, 9] scale
    assert f"width:{2.0 / DELTA_MAX * 50:.2f}%" in better and f"width:{0.5 / DELTA_MAX * 50:.2f}%" in worse


def test_invalid_delta_is_a_notice_without_any_number() -> None:
    card = delta_html(
        AestheticDelta(delta=None, valid=False, error="answer '<b>lots</b>' is not a plain number")
    )
    assert 'data-valid="false"' in card and "No valid delta" in card
    assert "&lt;b&gt;lots&lt;/b&gt;" in card and "<b>lots" not in card  # model text is escaped
    assert "data-delta" not in card and re.search(r"[+\-−]\d+\.\d\d", card) is None


def test_photo_credits_cover_every_bundled_photo(photo_paths: list[Path], photos_dir: Path) -> None:
    credits = photo_credits(photos_dir / "LICENSES.csv")
    assert {c.file for c in credits} == {p.name for p in photo_paths}
    assert all(c.license and c.credit for c in credits)


def test_the_cull_tab_shows_each_decision_once_with_the_pick_starred() -> None:
    pick = Photo("a.jpg", score=6.5, group=1, rank=1, group_size=2, pick=True, reason="Sharper than b.jpg")
    other = Photo("b.jpg", score=4.25, group=1, rank=2, group_size=2, flags=["blur"], reason="Blurred")
    broken = Photo("c.jpg", error="truncated", flags=["unreadable"], reason="truncated")
    assert cull_summary([pick], 1) == "1 photo in 1 group: 1 pick; flags: none"
    assert (
        cull_summary([pick, other, broken], 1) == "3 photos in 1 group: 1 pick; flags: blur 1, unreadable 1"
    )
    assert [cull_row(p) for p in (pick, other, broken)] == [
        [1, 1, "a.jpg", 6.5, "★", "", "Sharper than b.jpg"],
        [1, 2, "b.jpg", 4.25, "", "blur", "Blurred"],
        [None, None, "c.jpg", None, "", "unreadable", "truncated"],
    ]
    assert len(CULL_COLUMNS) == len(cull_row(pick))
    assert cull_caption(pick) == "G1 ★ a.jpg · 6.50"
    assert cull_caption(other) == "G1 #2 b.jpg · 4.25 · blur"
