"""Shared value types and the score conventions every part of RED-Aes uses.

Scale and sign (see docs/architecture.md): an absolute aesthetic score lives in [1, 10] (the AVA
convention); a delta is ``score(edited) - score(original)`` in [-9, 9] and is positive when the edit
improved the photo.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, ClassVar, Literal

from PIL import Image

SCORE_MIN: float = 1.0
SCORE_MAX: float = 10.0
DELTA_MIN: float = SCORE_MIN - SCORE_MAX
DELTA_MAX: float = SCORE_MAX - SCORE_MIN
#: |delta| below this is "no change": the dataset builder's sign checks, SFT's ``+0.0`` targets and
#: evaluation's direction accuracy all use this one band.
NO_CHANGE_BAND: float = 0.25
#: The strength of an edit when none is given, the same for the app, the CLI and the library: 1, the
#: operation's documented default amount ("make it brighter" is +0.7 EV).
DEFAULT_STRENGTH: float = 1.0

#: How a scorer answers: reasoning text then the number, or the number alone (see red_aes.scoring).
Decoding = Literal["reasoning", "fast"]
Direction = Literal["improve", "degrade"]

#: How a model is quantized when loaded (bitsandbytes): 4-bit nf4 or 8-bit.
QUANTIZATIONS: tuple[str, ...] = ("4bit", "8bit")
#: The one vocabulary every command, the app, the loaders and the training recipes take for
#: quantization: ``auto``, ``none`` (full precision) or one of :data:`QUANTIZATIONS`
#: (:func:`resolve_quantization` says what ``auto`` becomes).
QUANTIZATION_CHOICES: tuple[str, ...] = ("auto", "none", *QUANTIZATIONS)


def check_quantization(quantization: str) -> str:
    """``quantization`` when it is one of :data:`QUANTIZATION_CHOICES`, else an InputError naming them:
    what a configuration checks before anything loads (:func:`resolve_quantization` checks the same)."""
    if quantization not in QUANTIZATION_CHOICES:
        from red_aes.errors import InputError

        raise InputError(f"quantization must be one of {QUANTIZATION_CHOICES}, got {quantization!r}")
    return quantization


def resolve_quantization(quantization: str | None, cuda_available: bool | None = None) -> str | None:
    """The quantization a model loads with; the one resolver of the scorer, the training stages, the
    diffusion editor, evaluation and the app.

    ``auto`` is ``"4bit"`` when the model loads on CUDA and bitsandbytes is installed, else None (full
    precision): bitsandbytes' 4-bit kernels are what make a large VLM fit a GPU, and on a CPU they only
    slow it down. ``cuda_available`` says whether the model loads on CUDA (None: whether torch sees a
    CUDA device; asked only for ``auto``). ``none`` and None give None; ``4bit``/``8bit`` stay as they
    are. Anything else is an InputError naming the choices (:func:`check_quantization`)."""
    if quantization is None or check_quantization(quantization) == "none":
        return None
    if quantization == "auto":
        if cuda_available is None:
            import torch

            cuda_available = torch.cuda.is_available()
        return "4bit" if cuda_available and _has_bitsandbytes() else None
    return quantization


def _has_bitsandbytes() -> bool:
    """Whether bitsandbytes is installed (looked up, not imported: importing it is slow)."""
    from red_aes.errors import MissingExtraError, require

    try:
        require("bitsandbytes", "vlm", "4-bit quantization")
    except MissingExtraError:
        return False
    return True


class Attribute(str, Enum):
    """The aesthetic factors an edit changes and a rationale talks about."""

    EXPOSURE = "exposure"
    CONTRAST = "contrast"
    COLOR = "color"
    WHITE_BALANCE = "white_balance"
    SHARPNESS = "sharpness"
    NOISE = "noise"
    COMPOSITION = "composition"
    DEPTH_OF_FIELD = "depth_of_field"
    CLUTTER = "clutter"
    STYLE = "style"

    def __str__(self) -> str:
        return self.value


ATTRIBUTES: tuple[str, ...] = tuple(a.value for a in Attribute)


@dataclass(kw_only=True)
class AestheticResult:
    """What every scorer answer carries besides its number (:class:`AestheticDelta`, :class:`AestheticScore`).

    ``valid`` is False when no number could be read from the answer; the number is then None and
    ``error`` says why. Never a guessed or default number. ``decoding`` is how it was answered
    (``reasoning`` or ``fast``); ``forced`` is True when the reasoning budget ran out and the answer was
    forced; ``answer_mass`` is fast decoding's total probability of well-formed answers (None for
    backends without one); ``warning`` flags a number that means little although the model produced it
    (e.g. a uniform frame that is not a photo).
    """

    #: The name of the number's field in the subclass.
    VALUE: ClassVar[str]

    reasoning: str | None = None
    raw_text: str = ""
    error: str | None = None
    attributes: dict[str, float] = field(default_factory=dict)
    model: str | None = None
    prompt_version: str | None = None
    decoding: str | None = None
    forced: bool = False
    answer_mass: float | None = None
    warning: str | None = None

    #: Fields that only some backends or decodings have: left out of :meth:`to_dict` when unset (a
    #: RED-Lite or measured result has no prompt version, a reasoning answer no answer mass, an answer
    #: about a real photo no warning).
    OPTIONAL: ClassVar[tuple[str, ...]] = ("prompt_version", "answer_mass", "warning")

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data, the number and ``valid`` first. Every key means one thing and
        is filled: the fields of :data:`OPTIONAL` are absent where they do not apply."""
        data = asdict(self)
        first = {key: data.pop(key) for key in (self.VALUE, "valid")}
        for key in self.OPTIONAL:
            if data[key] is None:
                del data[key]
        return {**first, **data}


@dataclass
class AestheticDelta(AestheticResult):
    """How much ``edited`` is better (+) or worse (-) than ``original``, with the model's reasoning."""

    VALUE: ClassVar[str] = "delta"

    delta: float | None
    valid: bool


@dataclass
class AestheticScore(AestheticResult):
    """An absolute aesthetic score in [SCORE_MIN, SCORE_MAX] for one image."""

    VALUE: ClassVar[str] = "score"

    score: float | None
    valid: bool


@dataclass
class EditPlan:
    """One planned edit of a source photo: which factor, which way, how strongly (0 < strength <= 1)."""

    attribute: str
    direction: Direction
    strength: float
    instruction: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EditResult:
    """An edited image with the instruction that produced it and the backend's exact parameters."""

    image: Image.Image
    instruction: str
    backend: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Verdict:
    """One judge's vote on an edit pair: a delta and a rationale."""

    judge: str
    delta: float
    rationale: str
    attributes: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
