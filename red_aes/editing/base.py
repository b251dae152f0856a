"""The editor interface every editing backend implements, and its input checks.

An editor takes an image and a free-text instruction and returns an :class:`~red_aes.types.EditResult`
with the edited image, the instruction, the backend name and the exact parameters it used. Backends are
registered by name in :data:`red_aes.editing.EDITORS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from red_aes.images import ImageInput
from red_aes.types import EditResult


class UnsupportedEditError(ValueError):
    """The editor cannot carry out this instruction; the message says what it supports instead."""


class BaseEditor(ABC):
    """Common interface: ``edit(image, instruction, *, seed=None, strength=None) -> EditResult``."""

    name: str = "base"

    @abstractmethod
    def edit(
        self, image: ImageInput, instruction: str, *, seed: int | None = None, strength: float | None = None
    ) -> EditResult:
        """Edit ``image`` as ``instruction`` says. ``strength`` in (0, 1] scales the edit (backend-specific
        meaning); ``seed`` makes random parts reproducible."""


def check_instruction(instruction: object) -> str:
    """The instruction stripped of surrounding whitespace; a ValueError if it is not a non-empty string."""
    if not isinstance(instruction, str):
        raise ValueError(f"edit instruction must be a string, got {type(instruction).__name__}")
    text = instruction.strip()
    if not text:
        raise ValueError("edit instruction is empty: say what to change, e.g. 'make it a bit brighter'")
    return text


def check_strength(strength: float | None) -> float:
    """``strength`` as a float in (0, 1] (None means 1); a ValueError otherwise."""
    if strength is None:
        return 1.0
    value = float(strength)
    if not 0.0 < value <= 1.0:
        raise ValueError(f"strength must be in (0, 1], got {strength}")
    return value
