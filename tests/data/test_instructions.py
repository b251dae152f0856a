"""The instruction library (red_aes.data.instructions): phrasings per attribute, direction and strength."""

from __future__ import annotations

import random

from red_aes.data.instructions import LIBRARIES, phrase, strength_level
from red_aes.types import ATTRIBUTES


def test_library_covers_taxonomy_with_several_phrasings_per_attribute_and_strength() -> None:
    for attribute in ATTRIBUTES:
        for direction in ("improve", "degrade"):
            for strength in (0.2, 0.5, 0.9):
                wordings = {phrase(attribute, direction, strength, random.Random(s)) for s in range(60)}
                assert len(wordings) >= 4, (attribute, direction, strength, wordings)
    assert (
        strength_level(0.4) == "slight"
        and strength_level(0.41) == "moderate"
        and strength_level(1.0) == "strong"
    )


def test_library_amount_words_follow_strength() -> None:
    _, amounts = LIBRARIES["v1"]
    slight = phrase("noise", "degrade", 0.2, random.Random(3))
    strong = phrase("noise", "degrade", 0.95, random.Random(3))
    assert any(slight.endswith(w + ".") for w in amounts["slight"])
    assert any(strong.endswith(w + ".") for w in amounts["strong"])
