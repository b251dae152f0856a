"""The editor interface every editing backend implements, and its input checks.

An editor takes an image and a free-text instruction and returns an :class:`~red_aes.types.EditResult`
with the edited image, the instruction, the backend name and the exact parameters it used. Backends are
registered by name in :data:`red_aes.editing.EDITORS`.
"""

from __future__ import annotations

import math
import re
import time
from abc import ABC, abstractmethod

from red_aes.errors import InputError, TimeLimitError
from red_aes.images import ImageInput
from red_aes.types import DEFAULT_STRENGTH, EditResult


class UnsupportedEditError(InputError):
    """The editor cannot carry out this instruction; the message says what it supports instead."""


class BaseEditor(ABC):
    """Common interface: ``edit(image, instruction, *, seed=None, strength=None) -> EditResult``."""

    name: str = "base"

    @abstractmethod
    def edit(
        self,
        image: ImageInput,
        instruction: str,
        *,
        seed: int | None = None,
        strength: float | None = None,
        deadline: float | None = None,
    ) -> EditResult:
        """Edit ``image`` as ``instruction`` says. ``strength`` in (0, 1] scales the edit (backend-specific
        meaning); ``seed`` makes random parts reproducible; ``deadline`` (a :func:`time.monotonic` time)
        stops the edit with a :class:`~red_aes.errors.TimeLimitError` at the first step past it."""


def check_instruction(instruction: object) -> str:
    """The instruction stripped of surrounding whitespace; a ValueError if it is not a non-empty string."""
    if not isinstance(instruction, str):
        raise InputError(f"edit instruction must be a string, got {type(instruction).__name__}")
    text = instruction.strip()
    if not text:
        raise InputError("edit instruction is empty: say what to change, e.g. 'make it a bit brighter'")
    return text


#: Largest seed an editor accepts: 2**32 - 1, the range every backend's generator (and a JSON number in
#: a browser) holds exactly.
MAX_SEED = 2**32 - 1


def check_seed(seed: object) -> int:
    """``seed`` as an int in [0, :data:`MAX_SEED`] (None means 0); a ValueError otherwise, before any work."""
    if seed is None:
        return 0
    whole = isinstance(seed, int) or (isinstance(seed, float) and math.isfinite(seed) and seed.is_integer())
    if isinstance(seed, bool) or not whole:
        raise InputError(f"seed must be a whole number, got {seed!r}")
    if not 0 <= seed <= MAX_SEED:
        raise InputError(f"seed must be between 0 and {MAX_SEED}, got {int(seed)}")
    return int(seed)


def check_deadline(deadline: float | None, progress: str) -> None:
    """Raise :class:`~red_aes.errors.TimeLimitError` when ``deadline`` (a :func:`time.monotonic` time;
    None: no limit) has passed; ``progress`` says how far the work got ("after 3 of 12 operations")."""
    if deadline is not None and time.monotonic() >= deadline:
        raise TimeLimitError(
            f"stopped {progress}: the request ran past its time limit; use fewer or lighter edits"
        )


#: Words that negate a clause ("don't make it brighter", "no grain", "brighter, not darker").
NEGATION = re.compile(
    r"\b(not|no|never|none|nor|neither|without|avoid|don'?t|doesn'?t|didn'?t|shouldn'?t|mustn'?t"
    r"|can'?t|cannot|won'?t|isn'?t|aren'?t|instead of|rather than)\b"
)
#: A hedge on the strength, not a negated edit: "(but) not too much", "not that strong", "not overly".
HEDGE = re.compile(
    r"\s*,?\s*\b(but\s+)?not\s+(too|that|so|overly)\s+(much|strongly|strong|far|hard|heavily|heavy)\b"
)


def soften_hedges(text: str) -> str:
    """``text`` with each hedge ("but not too much") replaced by the light strength word "slightly"."""
    return HEDGE.sub(" slightly", text)


def check_not_negated(instruction: str) -> None:
    """Refuse an instruction that says what *not* to do: editors carry out edits, they cannot avoid
    one, and acting on the remaining words would apply exactly the edit that was ruled out. Hedges on
    the strength ("but not too much") are not negations."""
    match = NEGATION.search(soften_hedges(instruction.lower().replace("’", "'")))
    if match:
        raise UnsupportedEditError(
            f"in {instruction!r}: negations ({match.group(0)!r}) are not applied; an editor can only "
            "carry out an edit, so say the edit you want (e.g. 'make it darker' rather than 'not "
            "brighter') and leave out the ones you don't"
        )


def check_strength(strength: object) -> float:
    """``strength`` as a float in (0, 1] (None means :data:`DEFAULT_STRENGTH`); an InputError for
    anything else, text that is not a number included ("abc" through the app's API)."""
    if strength is None:
        return DEFAULT_STRENGTH
    if isinstance(strength, bool):
        raise InputError(f"strength must be a number in (0, 1], got {strength!r}")
    try:
        value = float(strength)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        shown = repr(strength) if len(repr(strength)) <= 40 else f"{type(strength).__name__} value"
        raise InputError(f"strength must be a number in (0, 1], got {shown}") from None
    if not 0.0 < value <= 1.0:
        raise InputError(f"strength must be in (0, 1], got {value:g}")
    return value
