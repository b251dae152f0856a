"""Chain-of-thought targets: ``<think>reasoning</think><answer>Δ</answer>`` for every kept pair.

The answer is always the aggregated Δ (:func:`red_aes.prompts.format_delta`); the reasoning comes from a
writer chosen by name, grounded in the measured attribute changes (:func:`red_aes.measure.describe_changes`):

=============  =====================================================================================
``offline``    built from the measured facts and the aggregated Δ, no model
``endpoint``   a teacher VLM behind an OpenAI-compatible endpoint, shown the pair, the facts and Δ
``vlm``        a teacher VLM through ``RedAesScorer`` (its own reasoning for the pair)
=============  =====================================================================================

A teacher's own answer must agree in direction with the aggregated Δ (the sign with the neutral band,
:func:`red_aes.data.aggregate.direction_of`); the endpoint teacher is asked again (sampling) up to
``max_attempts`` times, then the pair is rejected (``rationale_inconsistent``). Every target is parsed
back with :func:`red_aes.parsing.parse_answer` and must carry exactly the aggregated Δ.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from red_aes.chat import ChatEndpoint, to_openai_messages
from red_aes.data.aggregate import direction_of
from red_aes.errors import InputError
from red_aes.measure import ImageMeasurements, describe_changes, measure_image, pair_measurements
from red_aes.parsing import ParseError, parse_answer
from red_aes.prompts import PROMPT_VERSION, build_messages, format_answer, format_delta
from red_aes.registry import Registry
from red_aes.scoring import load_scorer
from red_aes.types import Verdict

#: At most this many measured facts are quoted in a rationale.
MAX_FACTS = 4


class RationaleError(InputError):
    """No rationale consistent with the aggregated Δ could be written; the message says why."""


@dataclass(frozen=True)
class RationaleInput:
    """What a writer knows about a kept pair."""

    original: Image.Image
    edited: Image.Image
    instruction: str
    attribute: str
    delta: float
    verdicts: list[Verdict] = field(default_factory=list)


def rationale_target(reasoning: str, delta: float) -> str:
    """The training target, checked: parses strictly and answers exactly ``format_delta(delta)``."""
    text = format_answer(format_delta(delta), reasoning)
    try:
        parsed = parse_answer(text, "delta", strict=True)
    except ParseError as err:
        raise RationaleError(f"rationale does not follow the answer format: {err}") from err
    if not parsed.reasoning:
        raise RationaleError("rationale has an empty <think> block")
    if parsed.value != float(format_delta(delta)):
        raise RationaleError(f"rationale answers {parsed.value}, not the aggregated {format_delta(delta)}")
    return text


class FactFinder:
    """The pair's noticeable measured changes in plain language (at most :data:`MAX_FACTS`).

    A photo has several edits, so the measurements of the last few originals are kept (keyed by the
    image object, which is held so its id cannot be reused).
    """

    def __init__(self, cache_size: int = 16) -> None:
        self.cache_size = cache_size
        self._originals: dict[int, tuple[Image.Image, ImageMeasurements]] = {}

    def __call__(self, original: Image.Image, edited: Image.Image) -> list[str]:
        cached = self._originals.get(id(original))
        if cached is None:
            cached = (original, measure_image(original))
            if len(self._originals) >= self.cache_size:
                del self._originals[next(iter(self._originals))]
            self._originals[id(original)] = cached
        return describe_changes(pair_measurements(cached[1], measure_image(edited)))[:MAX_FACTS]


def _verdict_sentence(delta: float, neutral_band: float) -> str:
    direction = direction_of(delta, neutral_band)
    if direction > 0:
        return f"Overall the edit improves the photo, by about {abs(delta):.1f} points."
    if direction < 0:
        return f"Overall the edit makes the photo worse, by about {abs(delta):.1f} points."
    return "Overall the aesthetic quality stays about the same."


class RationaleWriter(ABC):
    """Writes the reasoning of a kept pair and returns the checked target text."""

    name: str

    def __init__(self, neutral_band: float) -> None:
        self.neutral_band = neutral_band
        self.facts = FactFinder()

    @abstractmethod
    def reasoning(self, item: RationaleInput) -> str:
        """The reasoning text (without tags); RationaleError if none consistent with Δ can be written."""

    def write(self, item: RationaleInput) -> str:
        return rationale_target(self.reasoning(item), item.delta)

    def _check_direction(self, teacher_delta: float, delta: float, who: str) -> None:
        if direction_of(teacher_delta, self.neutral_band) != direction_of(delta, self.neutral_band):
            raise RationaleError(
                f"{who} answered {format_delta(teacher_delta)}, against the aggregated {format_delta(delta)}"
            )


class OfflineWriter(RationaleWriter):
    """Reasoning assembled from the measured facts and the aggregated Δ (no model)."""

    name = "offline"

    def reasoning(self, item: RationaleInput) -> str:
        facts = self.facts(item.original, item.edited)
        target = item.attribute.replace("_", " ")
        lines = [f'The edit asked: "{item.instruction}", which targets {target}.']
        if facts:
            lines.append("Compared with the original, " + "; ".join(facts) + ".")
        else:
            lines.append("No measured property of the photo changed noticeably.")
        lines.append(_verdict_sentence(item.delta, self.neutral_band))
        return " ".join(lines)


class EndpointTeacher(RationaleWriter):
    """A teacher VLM behind an OpenAI-compatible endpoint explains the judged Δ, grounded in the facts."""

    name = "endpoint"

    def __init__(
        self,
        neutral_band: float,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = None,
        max_attempts: int = 3,
        temperature: float = 0.7,
        max_tokens: int = 512,
        timeout: float = 120.0,
        prompt_version: str = PROMPT_VERSION,
    ) -> None:
        super().__init__(neutral_band)
        if max_attempts < 1:
            raise InputError(f"rationale max_attempts must be >= 1, got {max_attempts}")
        self.client = ChatEndpoint(
            base_url, model, api_key_env=api_key_env, max_tokens=max_tokens, timeout=timeout
        )
        self.max_attempts, self.temperature, self.prompt_version = max_attempts, temperature, prompt_version

    def reasoning(self, item: RationaleInput) -> str:
        facts = self.facts(item.original, item.edited)
        messages = build_messages("pair", item.instruction, version=self.prompt_version)
        grounding = (
            "Measured changes from the original to the edit: "
            + ("; ".join(facts) if facts else "none noticeable")
            + f". Expert judges rated the change at {format_delta(item.delta)}. Explain step by step which "
            "aesthetic factors changed and why that gives this change, then answer with that number."
        )
        messages[-1]["content"].append({"type": "text", "text": grounding})
        openai_messages = to_openai_messages(messages, [item.original, item.edited])
        errors = []
        for attempt in range(self.max_attempts):
            temperature = 0.0 if attempt == 0 else self.temperature
            text = self.client.chat(openai_messages, temperature=temperature, seed=attempt)
            parsed = parse_answer(text, "delta")
            if not parsed.valid or parsed.value is None or not parsed.reasoning:
                errors.append(parsed.error or "no reasoning")
                continue
            try:
                self._check_direction(parsed.value, item.delta, f"teacher {self.client.model}")
            except RationaleError as err:
                errors.append(str(err))
                continue
            return parsed.reasoning
        raise RationaleError(f"no consistent rationale after {self.max_attempts} attempts: {errors}")


class ScorerTeacher(RationaleWriter):
    """A teacher VLM through ``RedAesScorer``: its reasoning, if its own Δ agrees in direction."""

    name = "vlm"

    def __init__(self, neutral_band: float, model: str, **scorer_kwargs: Any) -> None:
        super().__init__(neutral_band)
        self.model = model
        self.scorer = load_scorer(model, **scorer_kwargs)

    def reasoning(self, item: RationaleInput) -> str:
        result = self.scorer.compare(item.original, item.edited, item.instruction, decoding="reasoning")
        if not result.valid or result.delta is None or not result.reasoning:
            raise RationaleError(
                f"teacher {self.model} gave no usable answer: {result.error or 'no reasoning'}"
            )
        self._check_direction(result.delta, item.delta, f"teacher {self.model}")
        return result.reasoning


#: Rationale writer name -> class taking ``neutral_band`` and the options of the config's entry.
WRITERS = Registry(
    "rationale writer",
    {
        "offline": "red_aes.data.rationale:OfflineWriter",
        "endpoint": "red_aes.data.rationale:EndpointTeacher",
        "vlm": "red_aes.data.rationale:ScorerTeacher",
    },
)


def load_rationale_writer(
    spec: dict[str, Any], *, neutral_band: float, device: str | None = None
) -> RationaleWriter:
    """The writer of a ``rationale`` config entry (``device`` goes to a VLM teacher unless set)."""
    options = dict(spec)
    name = options.pop("name")
    if name == "vlm" and device is not None:
        options.setdefault("device", device)
    return WRITERS.build(name, neutral_band, **options)
