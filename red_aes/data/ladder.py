"""Degradation ladders: the edits of the ``ladder`` build mode and the order they imply.

With ``ladder_kinds`` set in the build config, every photo gets every listed degradation kind at every
``strengths`` value (a full ladder instead of ``pairs_per_source`` random plans), carried out exactly by
the classical editor. The ``ladder`` judge (:class:`red_aes.data.judges.LadderJudge`) then votes by
construction: original ≻ weak ≻ medium ≻ strong. Each kind's amount at strength 1 is chosen to be a
clearly visible, strong degradation of a typical photo; strength ``s`` applies ``s`` times it.

``cross_photo_pairs`` adds, per photo, pairs of its curated original against a strong degradation of
*another* photo of the same shard and split, so the model also learns to rank different photos.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from red_aes.editing.operations import Operation
from red_aes.errors import InputError


@dataclass(frozen=True)
class LadderKind:
    """One degradation kind: the taxonomy attribute it hurts and its operation at strength 1."""

    attribute: str
    operation: Operation

    def at(self, strength: float) -> Operation:
        return replace(self.operation, amount=self.operation.amount * strength)


#: Degradation kind -> attribute and operation at strength 1 (amounts in the operation's own units).
LADDER_KINDS: dict[str, LadderKind] = {
    "gaussian_blur": LadderKind("sharpness", Operation("blur", 4.0)),
    "defocus": LadderKind("sharpness", Operation("defocus", 5.0)),
    "motion_blur": LadderKind("sharpness", Operation("motion_blur", 14.0)),
    "low_resolution": LadderKind("sharpness", Operation("downscale", 6.0)),
    "oversharpen": LadderKind("sharpness", Operation("oversharpen", 6.0)),
    "grain": LadderKind("noise", Operation("grain", 30.0)),
    "sensor_noise": LadderKind("noise", Operation("sensor_noise", 30.0)),
    "jpeg": LadderKind("noise", Operation("jpeg", 0.95)),
    "jpeg_repeat": LadderKind("noise", Operation("jpeg_repeat", 0.9)),
    "underexposure": LadderKind("exposure", Operation("exposure", -2.5)),
    "overexposure": LadderKind("exposure", Operation("exposure", 2.0)),
    "low_contrast": LadderKind("contrast", Operation("contrast", -0.7)),
    "haze": LadderKind("contrast", Operation("haze", 0.7)),
    "desaturation": LadderKind("color", Operation("saturation", -0.8)),
    "chromatic_aberration": LadderKind("color", Operation("chromatic_aberration", 4.0)),
    "cool_cast": LadderKind("white_balance", Operation("temperature", -3.0)),
    "green_tint": LadderKind("white_balance", Operation("tint", -3.0)),
    "tilt": LadderKind("composition", Operation("rotate", 8.0)),
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
