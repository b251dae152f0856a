"""The critic suggests the edit: a bounded search over the classical editor's global edits, ranked by a
scorer's predicted Δ.

The search is coordinate ascent (one global control at a time), as a photographer works through the
basic panel of a raw converter: every candidate of :data:`CANDIDATES` (exposure, contrast, saturation,
vibrance, white balance and tint, sharpening, denoising, straightening) is tried on top of the best edit
so far; the one with the largest predicted gain over the original is kept, and the next round tries the
other controls on top of it. It stops when no candidate gains :data:`MIN_GAIN` more, after
``max_rounds`` rounds, or when ``max_evaluations`` images have been scored or ``time_limit`` seconds
spent (the last round's best still counts). Candidates are scored at the scorer's working size on a
copy of at most :data:`SEARCH_LONG_SIDE` pixels, so the cost is a few dozen scorer calls, whatever the
photo's size.

The result is the best edit as a prompt the editor accepts ("exposure +0.3 EV, contrast +10%,
temperature +0.5"), so it can be rerun or adjusted, with its predicted Δ, the scorer's reasoning and the
next best alternatives. When no candidate beats the original by ``margin`` score points, the answer is
"no edit helps" and nothing is changed: the critic's own uncertainty is larger than a smaller gain. Nor
is a candidate suggested whose change is under :data:`VISIBLE_MIN` just-noticeable differences
(:func:`red_aes.perceptual.visible_difference` on the search copy): no one can see what it improves, so
its predicted gain is the critic's artefact (a full denoise of a clean photo measures about 0.1 JND).
The alternatives listed beside an answer are held to the same rule.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import islice, zip_longest
from typing import Any

from PIL import Image

from red_aes.editing.base import UnsupportedEditError
from red_aes.editing.classical import ClassicalEditor
from red_aes.editing.operations import OPERATIONS, Operation
from red_aes.images import ImageInput, load_image
from red_aes.perceptual import visible_difference
from red_aes.scoring.base import BaseScorer
from red_aes.types import AestheticDelta

#: Each global control and the amounts tried, relative to the image being improved (editor units:
#: EV, fractions, quarter stops of white balance, unsharp-mask amount, denoise blend).
CANDIDATES: dict[str, tuple[float, ...]] = {
    "exposure": (-0.6, -0.3, -0.15, 0.15, 0.3, 0.6),
    "contrast": (-0.2, -0.1, 0.1, 0.2),
    "saturation": (-0.3, -0.15, 0.15, 0.3),
    "vibrance": (0.2, 0.4),
    "temperature": (-1.0, -0.5, 0.5, 1.0),
    "tint": (-0.8, -0.4, 0.4, 0.8),
    "sharpen": (0.3, 0.6),
    "denoise": (0.5, 1.0),
    "straighten": (1.0,),
}
#: The order the chosen edits are applied in (geometry first, detail last), as a raw converter does.
ORDER = ("straighten", *(name for name in CANDIDATES if name != "straighten"))
#: Long side of the copy candidates are made and scored on.
SEARCH_LONG_SIDE = 512
#: Smallest gain over the best edit so far for the search to go on (score points).
MIN_GAIN = 0.02
#: Default margin an edit must beat the original by to be suggested (score points).
DEFAULT_MARGIN = 0.15
#: Least visible change a suggestion must make (JND units of :func:`red_aes.perceptual.visible_difference`).
VISIBLE_MIN = 1.0


@dataclass
class Suggestion:
    """One candidate edit: its operations (in :data:`ORDER`), the prompt that makes it, its predicted Δ."""

    operations: list[Operation]
    prompt: str
    delta: float


@dataclass
class EnhanceResult:
    """What ``enhance`` found: the prompt (None when no edit helps), its predicted Δ and reasoning, the
    next best alternatives, the edited photo (None when no edit helps) and the search's bookkeeping."""

    prompt: str | None
    delta: float
    reasoning: str
    alternatives: list[Suggestion]
    image: Image.Image | None
    evaluations: int
    seconds: float
    stopped: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON answer of ``red-aes enhance --json``."""
        return {
            "prompt": self.prompt,
            "delta": round(self.delta, 3),
            "reasoning": self.reasoning,
            "alternatives": [{"prompt": s.prompt, "delta": round(s.delta, 3)} for s in self.alternatives],
            "evaluations": self.evaluations,
            "seconds": round(self.seconds, 2),
            "stopped": self.stopped,
        }


def _amount_text(op: Operation) -> str:
    """One clause the prompt parser reads back as exactly ``op``."""
    a = op.amount
    texts = {
        "exposure": f"exposure {a:+.2g} EV",
        "contrast": f"contrast {a * 100:+.0f}%",
        "saturation": f"saturation {a * 100:+.0f}%",
        "vibrance": f"vibrance {a * 100:+.0f}%",
        "temperature": f"temperature {a:+.2g}",
        "tint": f"tint {a:+.2g}",
        "sharpen": f"sharpen {a:.2g}",
        "denoise": f"denoise {a:.2g}",
        "straighten": "straighten",
    }
    return texts[op.op]


def prompt_for(operations: list[Operation]) -> str:
    """The editor prompt of ``operations`` (clauses joined by commas, amounts spelled out)."""
    return ", ".join(_amount_text(op) for op in operations)


def ordered(edit: dict[str, float]) -> list[Operation]:
    """An edit (control -> amount) as editor operations in :data:`ORDER`."""
    return [Operation(name, edit[name]) for name in ORDER if name in edit]


def _combined(current: float | None, name: str, step: float) -> float:
    """The amount of ``name`` after a step on top of ``current`` (straightening is done once)."""
    if name == "straighten" or current is None:
        return step
    return round(current + step, 4)


def candidates(best: dict[str, float]) -> list[dict[str, float]]:
    """A search round's candidates (``best`` = {} for the first): every one-control change of ``best``,
    interleaved across controls (each control's smallest steps first), so that a budget too small for a
    whole round still tries every control."""
    per_control = []
    for name, steps in CANDIDATES.items():
        if name == "straighten" and name in best:
            continue
        edits = []
        for step in sorted(steps, key=abs):
            amount = _combined(best.get(name), name, step)
            if not OPERATIONS[name].low <= amount <= OPERATIONS[name].high:  # past the control's range
                continue
            edit = {k: v for k, v in best.items() if k != name}
            if amount != 0:  # a step back to neutral removes the control
                edit[name] = amount
            if edit:
                edits.append(edit)
        per_control.append(edits)
    return [edit for rank in zip_longest(*per_control) for edit in rank if edit is not None]


class Enhancer:
    """Searches the editor's global edits for the one a scorer predicts helps most."""

    def __init__(
        self,
        scorer: BaseScorer,
        editor: ClassicalEditor | None = None,
        *,
        margin: float = DEFAULT_MARGIN,
        max_rounds: int = 3,
        max_evaluations: int = 60,
        time_limit: float = 20.0,
        alternatives: int = 3,
    ) -> None:
        if max_rounds < 1 or max_evaluations < 1 or time_limit <= 0 or margin < 0:
            raise ValueError("max_rounds and max_evaluations must be >= 1, time_limit > 0, margin >= 0")
        self.scorer = scorer
        self.editor = editor or ClassicalEditor()
        self.margin = margin
        self.max_rounds = max_rounds
        self.max_evaluations = max_evaluations
        self.time_limit = time_limit
        self.n_alternatives = alternatives

    def _gains(self, original: Image.Image, images: list[Image.Image]) -> list[float]:
        """Predicted Δ of each image against ``original``: one batch of scores for an absolute scorer,
        pairwise comparisons for a relative one."""
        if self.scorer.relative:
            return [
                d.delta if d.valid else float("-inf")
                for d in self.scorer.compare([original] * len(images), images)
            ]
        scores = self.scorer.score([original, *images])
        base = scores[0].score
        return [s.score - base if s.valid and base is not None else float("-inf") for s in scores[1:]]

    def enhance(self, image: ImageInput) -> EnhanceResult:
        """Search for the best global edit of ``image`` (see the module docstring)."""
        started = time.monotonic()
        photo = load_image(image, long_side=self.editor.long_side)
        small = load_image(photo, long_side=SEARCH_LONG_SIDE)
        seen: dict[tuple[tuple[str, float], ...], float] = {}
        best: dict[str, float] = {}
        best_gain, stopped, evaluations = 0.0, "no candidate gained more", 0
        for _ in range(self.max_rounds):
            edits, images = [], []
            for edit in candidates(best):
                key = tuple(sorted(edit.items()))
                if key in seen:
                    continue
                try:
                    result = self.editor.apply(small, ordered(edit), seed=0, max_work=self.editor.max_work)
                except UnsupportedEditError:  # e.g. straighten without straight lines: not a candidate
                    seen[key] = float("-inf")
                    continue
                edits.append(edit)
                images.append(result.image)
            room = self.max_evaluations - evaluations
            if time.monotonic() - started > self.time_limit or room <= 0:
                stopped = "work budget spent"
                break
            edits, images = edits[:room], images[:room]
            if not edits:
                break
            gains = self._gains(small, images)
            evaluations += len(edits)
            for edit, gain in zip(edits, gains, strict=True):
                seen[tuple(sorted(edit.items()))] = gain
            round_best = max(range(len(edits)), key=gains.__getitem__)
            if gains[round_best] < best_gain + MIN_GAIN:
                break
            best, best_gain = edits[round_best], gains[round_best]
        else:
            stopped = "round limit"
        if evaluations >= self.max_evaluations:
            stopped = "work budget spent"
        ranked = sorted(((g, k) for k, g in seen.items() if g > float("-inf")), reverse=True)
        suggestions = [Suggestion(ordered(dict(k)), prompt_for(ordered(dict(k))), g) for g, k in ranked]

        def visible(suggestion: Suggestion) -> bool:
            on_copy = self.editor.apply(small, suggestion.operations, seed=0, max_work=self.editor.max_work)
            return visible_difference(small, on_copy.image) >= VISIBLE_MIN

        alternatives, unusable, invisible = iter(suggestions), [], []
        for chosen in alternatives:
            if chosen.delta < self.margin:
                break
            if not visible(chosen):
                invisible.append(chosen)
                continue
            try:
                result = self.editor.apply(photo, chosen.operations, seed=0, max_work=self.editor.max_work)
            except UnsupportedEditError:  # straighten may find lines on the search copy only: the next
                unusable.append(chosen)
                continue
            edited = result.image
            verdict: AestheticDelta = self.scorer.compare(photo, edited, chosen.prompt, decoding="reasoning")
            return EnhanceResult(
                chosen.prompt,
                float(verdict.delta) if verdict.valid and verdict.delta is not None else chosen.delta,
                verdict.reasoning or "",
                list(islice(filter(visible, alternatives), self.n_alternatives)),
                edited,
                evaluations,
                time.monotonic() - started,
                stopped,
                {"search_delta": chosen.delta, "operations": [op.to_dict() for op in chosen.operations]},
            )
        usable = [s for s in suggestions if s not in unusable and s not in invisible]
        shown = list(islice(filter(visible, usable), self.n_alternatives))
        top = shown[0].delta if shown else 0.0
        reasoning = (
            f"No edit helps: the best of {evaluations} candidates gains {top:+.2f}, less than the "
            f"{self.margin:.2f} a suggestion must gain. The photo is left as it is."
        )
        if invisible:
            reasoning += (
                f" {len(invisible)} candidate(s) predicted to gain more change the photo by less than "
                f"{VISIBLE_MIN:g} just-noticeable difference, so they are not suggested: "
                f"{'; '.join(s.prompt for s in invisible[:3])}."
            )
        if unusable:
            reasoning += (
                f" ({len(unusable)} better candidate(s) could not be applied at full size: "
                f"{'; '.join(s.prompt for s in unusable)}.)"
            )
        return EnhanceResult(
            None,
            0.0,
            reasoning,
            shown,
            None,
            evaluations,
            time.monotonic() - started,
            stopped,
        )
