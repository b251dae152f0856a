"""The versioned instruction library: how an edit plan (attribute, direction, strength) is phrased.

Each (attribute, direction) has several phrasings ending in an ``{amount}`` slot, and each strength
level several amount words (adverbs that read well after a verb phrase), so one plan has many
wordings and the model does not learn a single template.
Phrasings say concretely what changes, and they agree with what the classical editor does for that
plan (:data:`red_aes.editing.classical.ATTRIBUTE_EDITS`: degrading exposure darkens, degrading white
balance cools, degrading composition tilts the frame, ...), so the stored instruction is true whichever
editor carried it out. A library version is never edited once released: change wording in a new version.
"""

from __future__ import annotations

import random

from red_aes.errors import InputError, UnknownNameError
from red_aes.types import ATTRIBUTES

#: Strength levels and the upper bound of the strength each covers (strength is in (0, 1]).
STRENGTH_LEVELS: tuple[tuple[str, float], ...] = (("slight", 0.4), ("moderate", 0.7), ("strong", 1.0))

_AMOUNTS_V1: dict[str, tuple[str, ...]] = {
    "slight": ("slightly", "a little", "subtly"),
    "moderate": ("noticeably", "moderately", "clearly"),
    "strong": ("strongly", "a lot", "heavily"),
}

_PHRASINGS_V1: dict[str, dict[str, tuple[str, ...]]] = {
    "exposure": {
        "improve": (
            "Correct the exposure {amount}",
            "Fix the over- or underexposure {amount}",
            "Rebalance the brightness of the photo {amount}",
        ),
        "degrade": (
            "Underexpose the photo {amount}",
            "Darken the whole photo {amount}",
            "Dim the photo {amount}",
        ),
    },
    "contrast": {
        "improve": (
            "Increase the contrast {amount}",
            "Add contrast to the photo {amount}",
            "Deepen the shadows and lift the highlights {amount}",
        ),
        "degrade": (
            "Reduce the contrast {amount}",
            "Flatten the tones {amount}",
            "Wash out the photo {amount}",
        ),
    },
    "color": {
        "improve": (
            "Boost the colours {amount}",
            "Enrich the muted colours {amount}",
            "Increase the vibrance {amount}",
        ),
        "degrade": (
            "Desaturate the colours {amount}",
            "Mute the colours {amount}",
            "Drain the colour from the photo {amount}",
        ),
    },
    "white_balance": {
        "improve": (
            "Correct the colour cast {amount}",
            "Neutralise the white balance {amount}",
            "Remove the colour tint {amount}",
        ),
        "degrade": (
            "Cool the white balance {amount}",
            "Shift the colours towards blue {amount}",
            "Add a cold blue cast {amount}",
        ),
    },
    "sharpness": {
        "improve": (
            "Sharpen the details {amount}",
            "Crisp up the photo {amount}",
            "Bring out fine detail {amount}",
        ),
        "degrade": (
            "Blur the photo {amount}",
            "Soften the focus {amount}",
            "Smear the fine detail {amount}",
        ),
    },
    "noise": {
        "improve": (
            "Reduce the noise {amount}",
            "Clean up the grain {amount}",
            "Smooth away the sensor noise {amount}",
        ),
        "degrade": (
            "Add grain {amount}",
            "Add noise to the photo {amount}",
            "Roughen the photo with film grain {amount}",
        ),
    },
    "composition": {
        "improve": (
            "Reframe the photo along the rule of thirds {amount}",
            "Crop tighter around the subject {amount}",
            "Improve the framing by cropping {amount}",
        ),
        "degrade": (
            "Tilt the frame {amount}",
            "Rotate the photo off level {amount}",
            "Slant the horizon {amount}",
        ),
    },
    "depth_of_field": {
        "improve": (
            "Blur the background {amount}",
            "Narrow the depth of field {amount}",
            "Defocus the background behind the subject {amount}",
        ),
        "degrade": (
            "Bring the background into focus {amount}",
            "Deepen the depth of field {amount}",
            "Remove the background blur {amount}",
        ),
    },
    "clutter": {
        "improve": (
            "Remove distracting objects from the background {amount}",
            "Tidy up the clutter around the subject {amount}",
            "Simplify the background {amount}",
        ),
        "degrade": (
            "Clutter the background {amount}",
            "Add distracting objects around the subject {amount}",
            "Crowd the empty areas with objects {amount}",
        ),
    },
    "style": {
        "improve": (
            "Polish the overall look {amount}",
            "Apply a tasteful colour grade {amount}",
            "Refine the style of the photo {amount}",
        ),
        "degrade": (
            "Apply a garish filter {amount}",
            "Overprocess the photo {amount}",
            "Overdo the editing {amount}",
        ),
    },
}

#: Released libraries: version -> (attribute -> direction -> phrasings, level -> amount words).
LIBRARIES: dict[str, tuple[dict[str, dict[str, tuple[str, ...]]], dict[str, tuple[str, ...]]]] = {
    "v1": (_PHRASINGS_V1, _AMOUNTS_V1),
}


def strength_level(strength: float) -> str:
    """The level name of ``strength`` in (0, 1]: slight (<= 0.4), moderate (<= 0.7) or strong."""
    if not 0.0 < strength <= 1.0:
        raise InputError(f"strength must be in (0, 1], got {strength}")
    return next(name for name, upper in STRENGTH_LEVELS if strength <= upper)


def get_library(version: str) -> tuple[dict[str, dict[str, tuple[str, ...]]], dict[str, tuple[str, ...]]]:
    try:
        return LIBRARIES[version]
    except KeyError:
        raise UnknownNameError(
            f"unknown instruction library {version!r}; known: {sorted(LIBRARIES)}"
        ) from None


def phrase(attribute: str, direction: str, strength: float, rng: random.Random, version: str = "v1") -> str:
    """One wording of the plan, chosen with ``rng`` among the library's phrasings and amount words."""
    phrasings, amounts = get_library(version)
    if attribute not in phrasings:
        raise InputError(f"attribute {attribute!r} is not in the taxonomy {list(ATTRIBUTES)}")
    if direction not in phrasings[attribute]:
        raise InputError(f"direction must be 'improve' or 'degrade', got {direction!r}")
    template = rng.choice(phrasings[attribute][direction])
    return template.format(amount=rng.choice(amounts[strength_level(strength)])) + "."


def _check_library() -> None:
    """Every released library covers the whole taxonomy, both directions and every level (at import)."""
    for version, (phrasings, amounts) in LIBRARIES.items():
        if set(phrasings) != set(ATTRIBUTES) or set(amounts) != {name for name, _ in STRENGTH_LEVELS}:
            raise RuntimeError(
                f"instruction library {version} does not cover the taxonomy and strength levels"
            )
        for attribute, by_direction in phrasings.items():
            for direction in ("improve", "degrade"):
                texts = by_direction.get(direction, ())
                if len(texts) < 2 or any(not t.endswith(" {amount}") for t in texts):
                    raise RuntimeError(
                        f"instruction library {version}: {attribute}/{direction} needs >= 2 phrasings"
                    )


_check_library()
