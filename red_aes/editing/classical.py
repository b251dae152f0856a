"""The classical editor: exact, deterministic edits with numpy/PIL/scipy and no model.

Three ways in:

* ``edit(image, "make it brighter and warmer")``: free text through :mod:`red_aes.editing.prompt_parser`;
* ``apply(image, [Operation("exposure", 0.7)])``: the structured API;
* ``edit_attribute(image, "sharpness", "degrade", 0.5)``: an edit of one taxonomy attribute at a strength,
  from :data:`ATTRIBUTE_EDITS` (a view of :data:`red_aes.editing.degradations.DEGRADATIONS`: the row that
  degrades each attribute), for the dataset builder and the edit-ladder benchmark.

Every result carries the operations and exact parameters in ``EditResult.params["operations"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from red_aes.editing.base import (
    BaseEditor,
    UnsupportedEditError,
    check_deadline,
    check_seed,
    check_strength,
)
from red_aes.editing.degradations import DEGRADATIONS, Degradation
from red_aes.editing.operations import MAX_EDIT_WORK, Operation, apply_operation, check_operation, check_work
from red_aes.editing.prompt_parser import describe_operation, parse_prompt
from red_aes.errors import InputError
from red_aes.images import DEFAULT_MAX_PIXELS, WORKING_LONG_SIDE, ImageInput, load_image
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
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
        long_side: int | None = WORKING_LONG_SIDE,
        max_work: float | None = MAX_EDIT_WORK,
    ) -> None:
        """``max_pixels``: pixel budget of an input; ``long_side``: edits run on (and return) the input's
        working copy of at most this many pixels on the long side (None: full resolution); ``max_work``:
        most estimated seconds of computing a prompt may ask for on that copy
        (:func:`~red_aes.editing.operations.check_work`; None: unbounded)."""
        self.max_pixels = max_pixels
        self.long_side = long_side
        self.max_work = max_work

    @classmethod
    def from_pretrained(
        cls,
        name: str = "classical",
        *,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
        long_side: int | None = WORKING_LONG_SIDE,
        max_work: float | None = MAX_EDIT_WORK,
    ) -> ClassicalEditor:
        """Registry constructor: the classical editor has no weights."""
        if name != cls.name:
            raise InputError(f"ClassicalEditor serves editor 'classical', not {name!r}")
        return cls(max_pixels=max_pixels, long_side=long_side, max_work=max_work)

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
        edited = load_image(image, max_pixels=self.max_pixels, long_side=self.long_side)
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
