"""Versioned prompt templates, the chat-message builder and the answer format.

This is the only place that writes prompts or formats answers: training targets, inference prompts and
judges all go through it, and the version string is stored in datasets, adapters and cards so a model
is always queried with the prompt it was trained on.

Answer format::

    pair:   <think>reasoning</think><answer>+1.5</answer>     (delta = s(edited) - s(original))
    single: <think>reasoning</think><answer>6.4</answer>      (score in [1, 10]; <think> optional)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from red_aes.errors import InputError, UnknownNameError
from red_aes.types import ATTRIBUTES, DELTA_MAX, DELTA_MIN, SCORE_MAX, SCORE_MIN

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"


@dataclass(frozen=True)
class PromptTemplate:
    """The texts of one prompt version."""

    version: str
    system: str
    pair: str
    pair_instruction: str
    single: str


_SYSTEM_V1 = (
    "You are an expert photo critic. You judge image aesthetics on a 1-10 scale "
    "(1 = very poor, 10 = outstanding) by looking at "
    + ", ".join(a.replace("_", " ") for a in ATTRIBUTES)
    + "."
)

PROMPTS: dict[str, PromptTemplate] = {
    "v1": PromptTemplate(
        version="v1",
        system=_SYSTEM_V1,
        pair=(
            "The first image is the original photo and the second is an edited version of it. "
            "How much did the edit change the aesthetic quality? Think about which aesthetic factors "
            f"changed inside {THINK_OPEN}{THINK_CLOSE}, then give the change in score (edited minus "
            f"original, from {DELTA_MIN:+.0f} to {DELTA_MAX:+.0f}, positive if the edit improved the "
            f"photo) with one decimal inside {ANSWER_OPEN}{ANSWER_CLOSE}, "
            f"e.g. {ANSWER_OPEN}+1.5{ANSWER_CLOSE}."
        ),
        pair_instruction='The edit instruction was: "{instruction}".',
        single=(
            "Rate the aesthetic quality of this photo. Think about its aesthetic factors inside "
            f"{THINK_OPEN}{THINK_CLOSE}, then give a score from {SCORE_MIN:.0f} to {SCORE_MAX:.0f} with "
            f"one decimal inside {ANSWER_OPEN}{ANSWER_CLOSE}, e.g. {ANSWER_OPEN}6.4{ANSWER_CLOSE}."
        ),
    ),
}

PROMPT_VERSION = "v1"


def get_template(version: str = PROMPT_VERSION) -> PromptTemplate:
    """Return the template of ``version`` or raise a KeyError that lists the known versions."""
    try:
        return PROMPTS[version]
    except KeyError:
        raise UnknownNameError(f"unknown prompt version {version!r}; known: {sorted(PROMPTS)}") from None


def pair_text(instruction: str | None = None, version: str = PROMPT_VERSION) -> str:
    """The user text of a pair prompt, with the edit instruction when one is given."""
    template = get_template(version)
    if instruction is not None and instruction.strip():
        return template.pair_instruction.format(instruction=instruction.strip()) + " " + template.pair
    return template.pair


def build_messages(
    kind: str, instruction: str | None = None, version: str = PROMPT_VERSION
) -> list[dict[str, Any]]:
    """Chat messages for a ``"pair"`` (two images) or ``"single"`` (one image) prompt.

    Images appear as ``{"type": "image"}`` placeholders in order (original first, then edited); the
    caller passes the pixels to the processor separately.
    """
    template = get_template(version)
    if kind == "pair":
        content = [
            {"type": "image"},
            {"type": "image"},
            {"type": "text", "text": pair_text(instruction, version)},
        ]
    elif kind == "single":
        if instruction is not None:
            raise InputError("a single-image prompt takes no edit instruction")
        content = [{"type": "image"}, {"type": "text", "text": template.single}]
    else:
        raise InputError(f"prompt kind must be 'pair' or 'single', got {kind!r}")
    return [
        {"role": "system", "content": [{"type": "text", "text": template.system}]},
        {"role": "user", "content": content},
    ]


def format_delta(delta: float) -> str:
    """A delta as the model writes it: explicit sign, one decimal (``+1.5``, ``-0.3``, ``+0.0``).

    Zero is always ``+0.0`` (never ``-0.0``): the decoding grid holds one spelling per value.
    """
    return f"{round(delta, 1) + 0.0:+.1f}"


def format_score(score: float) -> str:
    """A score as the model writes it: one decimal (``6.4``)."""
    return f"{round(score, 1) + 0.0:.1f}"


def format_answer(value: str, reasoning: str | None = None) -> str:
    """The full answer text: optional ``<think>`` block then the ``<answer>`` block."""
    think = f"{THINK_OPEN}{reasoning.strip()}{THINK_CLOSE}" if reasoning else ""
    return f"{think}{ANSWER_OPEN}{value}{ANSWER_CLOSE}"
