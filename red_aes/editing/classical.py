"""The classical editor: exact, deterministic edits with numpy/PIL/scipy and no model.

Three ways in:

* ``edit(image, "make it brighter and warmer")``: free text through :mod:`red_aes.editing.prompt_parser`;
* ``apply(image, [Operation("exposure", 0.7)])``: the structured API;
* ``edit_attribute(image, "sharpness", "degrade", 0.5)``: an edit of one taxonomy attribute at a strength,
  from :data:`ATTRIBUTE_EDITS` (a view of :data:`red_aes.editing.degradations.DEGRADATIONS`: the row that
  degrades each attribute), for the dataset builder and the edit-ladder benchmark.

Every result carries the operations and exact parameters in ``EditResult.params["operations"]``.
:func:`unseen_change_notes` says, with the measured numbers, why an operation shows no visible measured
change (a denoise of a clean photo, a slight white-balance shift), for the front ends that measure the
edit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from red_aes.editing.base import (
    BaseEditor,
    UnsupportedEditError,
    check_deadline,
    check_seed,
    check_strength,
)
from red_aes.editing.degradations import DEGRADATIONS, Degradation
from red_aes.editing.operations import (
    MAX_EDIT_WORK,
    OPERATIONS,
    Operation,
    apply_operation,
    check_operation,
    check_work,
)
from red_aes.editing.prompt_parser import describe_operation, parse_prompt
from red_aes.errors import InputError
from red_aes.images import DEFAULT_MAX_INPUT_PIXELS, WORKING_LONG_SIDE, ImageInput, load_image
from red_aes.measure import METRICS, PairMeasurements, cast_shift, change_facts
from red_aes.types import Direction, EditResult


@dataclass(frozen=True)
class AttributeEdit:
    """How the classical editor changes one taxonomy attribute: the row of the degradation table that
    degrades it (its exact operation at strength 1 clearly degrades a typical photo), and the generic
    improvement at strength 1 where one exists. Strength ``s`` applies ``s`` times either amount."""

    degradation: Degradation
    improve: Operation | None = None


#: Attribute -> the degradation table's row that degrades it, and its generic improvement at strength 1.
#: Degradations are monotonic in strength (see tests/editing/test_degradations.py); an improvement is not a
#: degradation, so it lives here and not in the table.
ATTRIBUTE_EDITS: dict[str, AttributeEdit] = {
    "exposure": AttributeEdit(DEGRADATIONS["underexposure"]),
    "contrast": AttributeEdit(DEGRADATIONS["low_contrast"]),
    "color": AttributeEdit(DEGRADATIONS["desaturation"], improve=Operation("vibrance", 0.3)),
    "white_balance": AttributeEdit(DEGRADATIONS["cool_cast"], improve=Operation("auto_white_balance", 1.0)),
    "sharpness": AttributeEdit(DEGRADATIONS["gaussian_blur"], improve=Operation("sharpen", 0.8)),
    "noise": AttributeEdit(DEGRADATIONS["grain"], improve=Operation("denoise", 0.8)),
    "composition": AttributeEdit(DEGRADATIONS["tilt"], improve=Operation("crop_thirds", 0.25)),
}


class ClassicalEditor(BaseEditor):
    """Deterministic whole-image edits: exposure, brightness, contrast, saturation, vibrance, white
    balance, sharpen/blur, grain/denoise, vignette, crops, rotate/straighten and JPEG re-compression, plus
    realistic degradations (defocus, motion blur, sensor noise, repeated JPEG, downscaling,
    oversharpening, haze, chromatic aberration)."""

    name = "classical"

    def __init__(
        self,
        max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS,
        long_side: int | None = WORKING_LONG_SIDE,
        max_work: float | None = MAX_EDIT_WORK,
    ) -> None:
        """``max_input_pixels``: input limit (larger inputs are refused); ``long_side``: edits run on
        (and return) the input's working copy of at most this many pixels on the long side (None: full
        resolution); ``max_work``: most estimated seconds of computing a prompt may ask for on that copy
        (:func:`~red_aes.editing.operations.check_work`; None: unbounded)."""
        self.max_input_pixels = max_input_pixels
        self.long_side = long_side
        self.max_work = max_work

    @classmethod
    def from_pretrained(
        cls,
        name: str = "classical",
        *,
        max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS,
        long_side: int | None = WORKING_LONG_SIDE,
        max_work: float | None = MAX_EDIT_WORK,
    ) -> ClassicalEditor:
        """Registry constructor: the classical editor has no weights."""
        if name != cls.name:
            raise InputError(f"ClassicalEditor serves editor 'classical', not {name!r}")
        return cls(max_input_pixels=max_input_pixels, long_side=long_side, max_work=max_work)

    def edit(
        self,
        image: ImageInput,
        instruction: str,
        *,
        seed: int | None = None,
        strength: float | None = None,
        deadline: float | None = None,
    ) -> EditResult:
        """Parse ``instruction`` into operations and apply them in order. ``strength`` in (0, 1] scales
        amounts the instruction does not spell out; ``seed`` fixes the grain pattern (default 0). The
        estimated work is checked against ``max_work`` before any runs, and ``deadline`` (a
        :func:`time.monotonic` time) before each operation."""
        parsed = parse_prompt(instruction, strength=strength)
        result = self.apply(
            image, [p.operation for p in parsed], seed=seed, max_work=self.max_work, deadline=deadline
        )
        for entry, p in zip(result.params["operations"], parsed, strict=True):
            entry["text"] = p.text
        result.instruction = instruction
        result.params["strength"] = check_strength(strength)
        return result

    def apply(
        self,
        image: ImageInput,
        operations: Sequence[Operation],
        *,
        seed: int | None = None,
        max_work: float | None = None,
        deadline: float | None = None,
    ) -> EditResult:
        """Apply structured operations in order (all are checked before any pixel work) to the working
        copy of ``image`` (see ``long_side``). ``max_work`` bounds their estimated work on that copy
        (None: unbounded); ``deadline`` is checked before each operation."""
        if not operations:
            raise InputError("no operations to apply")
        for op in operations:
            check_operation(op)
        seed = check_seed(seed)
        edited = load_image(image, max_input_pixels=self.max_input_pixels, long_side=self.long_side)
        check_work(list(operations), edited.size, max_work)
        applied = []
        for index, op in enumerate(operations):
            check_deadline(deadline, f"after {index} of {len(operations)} operations")
            edited, params = apply_operation(edited, op, seed=seed + index)
            applied.append(params)
        return EditResult(
            image=edited,
            instruction="; ".join(describe_operation(op) for op in operations),
            backend=self.name,
            params={"operations": applied, "seed": seed, "working_long_side": self.long_side},
        )

    def edit_attribute(
        self,
        image: ImageInput,
        attribute: str,
        direction: Direction,
        strength: float,
        *,
        seed: int | None = None,
    ) -> EditResult:
        """Degrade or improve one taxonomy attribute at ``strength`` in (0, 1] (see :data:`ATTRIBUTE_EDITS`).
        The instruction of the result is natural language ("make it much darker")."""
        entry = ATTRIBUTE_EDITS.get(str(attribute))
        if entry is None:
            raise UnsupportedEditError(
                f"the classical editor cannot edit attribute {attribute!r}; "
                f"it can edit: {', '.join(ATTRIBUTE_EDITS)}"
            )
        if direction not in ("improve", "degrade"):
            raise InputError(f"direction must be 'improve' or 'degrade', got {direction!r}")
        strength = check_strength(strength)
        if direction == "degrade":
            op = entry.degradation.at(strength)
        elif entry.improve is None:
            raise UnsupportedEditError(
                f"no generic improvement of {attribute!r} exists for the classical editor"
            )
        else:
            op = entry.improve.scaled(strength)
        result = self.apply(image, [op], seed=seed)
        result.params.update(attribute=str(attribute), direction=direction, strength=strength)
        return result


#: The statistics of :mod:`red_aes.measure` through which each operation's effect shows, the one quoted
#: first; :func:`~red_aes.measure.change_facts` decides which changes are visible. Geometric operations and
#: chromatic aberration have none: the frame's change is the edit itself, and no statistic follows
#: colour fringing.
EFFECT_STATISTICS: dict[str, tuple[str, ...]] = {
    "exposure": ("exposure_ev", "highlight_clip", "shadow_clip"),
    "brightness": ("exposure_ev", "highlight_clip", "shadow_clip"),
    "contrast": ("rms_contrast",),
    "saturation": ("colorfulness",),
    "vibrance": ("colorfulness",),
    "temperature": ("cast_b",),
    "tint": ("cast_a",),
    "auto_white_balance": ("cast_b", "cast_a"),
    "sharpen": ("sharpness",),
    "blur": ("sharpness",),
    "grain": ("flat_noise",),
    "denoise": ("flat_noise",),
    "vignette": ("vignetting_ev",),
    "jpeg": ("blockiness",),
    "defocus": ("sharpness",),
    "motion_blur": ("sharpness",),
    "sensor_noise": ("flat_noise",),
    "jpeg_repeat": ("blockiness",),
    "downscale": ("sharpness",),
    "oversharpen": ("sharpness", "highlight_clip", "shadow_clip"),
    "haze": ("rms_contrast", "exposure_ev"),
}
#: Operations that remove something a photo may barely have: (statistic, what it measures, its unit).
#: Their unseen change is explained by the little there was to remove.
_REMOVES: dict[str, tuple[str, str, str]] = {
    "denoise": ("flat_noise", "noise", "grey levels in flat areas"),
    "auto_white_balance": ("cast", "colour cast", "ΔE"),
}


def unseen_change_notes(pair: PairMeasurements, operations: Sequence[Mapping[str, Any]]) -> list[str]:
    """Why operations of an edit show no visible measured change, one sentence each with the numbers.

    ``pair`` measures the original and the edit; ``operations`` are the edit's
    ``EditResult.params["operations"]`` (each named by its prompt clause, ``"text"``, where it has one).
    An operation whose statistics (:data:`EFFECT_STATISTICS`) have no visible change
    (:func:`~red_aes.measure.change_facts`) gets a note: "denoise" on a clean photo says how little
    noise the photo had; a slight warming, that b* moved by less than the eye sees, and by how much. It
    never says "no change" where a statistic moved, so a table of small changes and an empty list of
    visible ones do not contradict each other. An operation no statistic follows gets a note only when
    nothing at all changed visibly. Empty when every operation's effect is visible."""
    seen = {statistic for statistic, _ in change_facts(pair)}
    before, after = pair.original, pair.edited
    shifts = dict(zip(("cast_a", "cast_b"), cast_shift(before, after), strict=True))
    notes = []
    for entry in operations:
        op, label = entry["op"], repr(entry.get("text") or entry["op"])
        statistics = EFFECT_STATISTICS.get(op)
        if statistics is None:
            if not seen:
                notes.append(
                    f"{label}: no measured statistic changed visibly, and none of them follows this kind "
                    f"of edit ({OPERATIONS[op].description}) on every photo"
                )
        elif not seen.intersection(statistics):
            if op in _REMOVES:
                statistic, what, unit = _REMOVES[op]
                was, now = getattr(before, statistic), getattr(after, statistic)
                reason = (
                    f"the photo had little measurable {what} to remove ({was:.1f} {unit}; {now:.1f} after)"
                )
            else:
                info = METRICS[statistics[0]]
                change = shifts.get(statistics[0], pair.changes[statistics[0]])
                reason = f"{info.description} moved by {change:+.2f} {info.unit}"
            notes.append(f"{label}: the change is below what the eye sees; {reason}")
    return notes
