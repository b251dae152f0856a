"""What the demo shows (red_aes.demo.views): the delta card and the photo credits."""

from __future__ import annotations

import re
from pathlib import Path

from red_aes.demo.views import delta_html, photo_credits
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
