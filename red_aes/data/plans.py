"""Edit plans: which edits each source photo gets, and the instruction text of each.

For every photo the planner draws ``pairs_per_source`` distinct (editor, attribute, direction, strength)
combinations from the grid the config allows and the editors support, with a random generator seeded by
``(seed, source_id)``: the plans of a photo never depend on the order, sharding or number of processes,
so a resumed or distributed build plans exactly what an uninterrupted one does. Each plan then gets an
instruction from an instruction writer chosen by name:

=============  =====================================================================================
``library``    a phrasing from the versioned instruction library (:mod:`red_aes.data.instructions`)
``endpoint``   written by a VLM behind an OpenAI-compatible chat endpoint, which sees the photo
=============  =====================================================================================
"""

from __future__ import annotations

import hashlib
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from PIL import Image

from red_aes.chat import ChatEndpoint, image_data_url
from red_aes.data.instructions import phrase, strength_level
from red_aes.editing.operations import Operation
from red_aes.errors import InputError
from red_aes.registry import Registry
from red_aes.types import EditPlan

#: (attribute, direction) pairs an editor can carry out; None means any (instruction-following editors).
Capabilities = frozenset[tuple[str, str]] | None


class PlanError(InputError):
    """An instruction writer produced no usable instruction; the message says why."""


def derived_seed(*parts: object) -> int:
    """A 63-bit integer seed from ``parts`` (stable across runs, machines and Python versions)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()
    return int(digest[:16], 16) >> 1


@dataclass(frozen=True)
class PlannedEdit:
    """One planned edit of a photo: the plan, which editor carries it out and the editor's seed."""

    index: int
    plan: EditPlan
    editor: str
    seed: int
    #: ladder mode: the exact classical operation and its degradation kind (None: editor follows the plan)
    operation: Operation | None = None
    kind: str | None = None


class InstructionWriter(ABC):
    """Turns a plan (attribute, direction, strength) into an instruction for ``image``."""

    name: str

    @abstractmethod
    def write(
        self, attribute: str, direction: str, strength: float, image: Image.Image, seed: int
    ) -> str: ...


class LibraryWriter(InstructionWriter):
    """Phrasings from the versioned instruction library, picked with the plan's seed."""

    name = "library"

    def __init__(self, version: str = "v1") -> None:
        self.version = version

    def write(self, attribute: str, direction: str, strength: float, image: Image.Image, seed: int) -> str:
        return phrase(attribute, direction, strength, random.Random(seed), self.version)


class EndpointWriter(InstructionWriter):
    """A VLM behind an OpenAI-compatible endpoint writes the instruction after looking at the photo."""

    name = "endpoint"
    MAX_CHARS = 200

    def __init__(
        self, base_url: str, model: str, *, api_key_env: str | None = None, timeout: float = 120.0
    ) -> None:
        self.client = ChatEndpoint(base_url, model, api_key_env=api_key_env, max_tokens=80, timeout=timeout)

    def write(self, attribute: str, direction: str, strength: float, image: Image.Image, seed: int) -> str:
        goal = "improves" if direction == "improve" else "worsens"
        text = (
            f"Write one short image-editing instruction that {goal} the {attribute.replace('_', ' ')} of "
            f"this photo, {strength_level(strength)}ly in strength, and keeps its content and subject "
            "unchanged. "
            "Reply with the instruction only, one sentence, no quotes."
        )
        messages = [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": image_data_url(image)}},
                    {"type": "text", "text": text},
                ],
            }
        ]
        answer = self.client.chat(messages, seed=seed % 2**31).strip().strip('"').strip()
        if not answer or "\n" in answer or len(answer) > self.MAX_CHARS or "<" in answer:
            raise PlanError(
                f"{self.client.url}: not a one-line instruction of <= {self.MAX_CHARS} chars: {answer!r}"
            )
        return answer


#: Instruction writer name -> class taking the options of the config's ``planner`` entry.
WRITERS = Registry(
    "planner",
    {"library": "red_aes.data.plans:LibraryWriter", "endpoint": "red_aes.data.plans:EndpointWriter"},
)


def load_writer(spec: dict[str, Any], library_version: str) -> InstructionWriter:
    """The instruction writer of a ``planner`` config entry."""
    options = dict(spec)
    name = options.pop("name")
    if name == "library":
        options.setdefault("version", library_version)
    return WRITERS.build(name, **options)


def plan_grid(
    capabilities: dict[str, Capabilities],
    attributes: list[str],
    directions: list[str],
    strengths: list[float],
) -> list[tuple[str, str, str, float]]:
    """Every (editor, attribute, direction, strength) the config allows and the editor supports."""
    grid = [
        (editor, attribute, direction, strength)
        for editor, supported in capabilities.items()
        for attribute in attributes
        for direction in directions
        if supported is None or (attribute, direction) in supported
        for strength in strengths
    ]
    if not grid:
        raise InputError(
            f"no edit the editors {sorted(capabilities)} support matches attributes {attributes} and "
            f"directions {directions}"
        )
    return grid


def plan_source(
    source_id: str,
    grid: list[tuple[str, str, str, float]],
    *,
    pairs_per_source: int,
    seed: int,
) -> list[tuple[int, str, str, str, float]]:
    """The photo's plans without instructions: ``(index, editor, attribute, direction, strength)``,
    ``min(pairs_per_source, len(grid))`` distinct grid cells drawn with a ``(seed, source_id)`` generator."""
    rng = random.Random(derived_seed(seed, source_id, "plan"))
    cells = rng.sample(grid, k=min(pairs_per_source, len(grid)))
    return [(index, *cell) for index, cell in enumerate(cells)]


def ladder_plans(source_id: str, kinds: list[str], strengths: list[float], seed: int) -> list[PlannedEdit]:
    """Ladder mode: every kind at every strength, as exact classical operations (see :mod:`.ladder`)."""
    from red_aes.data.ladder import LADDER_KINDS
    from red_aes.editing.prompt_parser import describe_operation

    planned = []
    for index, (kind, strength) in enumerate((k, s) for k in kinds for s in sorted(strengths)):
        spec = LADDER_KINDS[kind]
        op = spec.at(strength)
        plan = EditPlan(spec.attribute, "degrade", strength, describe_operation(op))
        plan_seed = derived_seed(seed, source_id, index) % 2**31
        planned.append(PlannedEdit(index, plan, "classical", plan_seed, operation=op, kind=kind))
    return planned


def write_plans(
    source_id: str,
    image: Image.Image,
    cells: list[tuple[int, str, str, str, float]],
    writer: InstructionWriter,
    seed: int,
) -> list[PlannedEdit | PlanError]:
    """Instructions for the photo's plans; a plan whose writer failed is returned as its PlanError."""
    planned: list[PlannedEdit | PlanError] = []
    for index, editor, attribute, direction, strength in cells:
        plan_seed = derived_seed(seed, source_id, index)
        try:
            instruction = writer.write(attribute, direction, strength, image, plan_seed)
        except PlanError as err:
            planned.append(err)
            continue
        plan = EditPlan(attribute=attribute, direction=direction, strength=strength, instruction=instruction)  # type: ignore[arg-type]
        planned.append(PlannedEdit(index, plan, editor, plan_seed % 2**31))
    return planned
