"""The scorer interface every backend implements, and the registry that maps model names to backends.

A scorer answers two questions: ``compare(original, edited)`` -> :class:`AestheticDelta` and
``score(image)`` -> :class:`AestheticScore`. Both take one item or a list; lists are loaded and
validated up front, then processed in batches of ``batch_size``. Backends implement only the two batch
methods. In the spirit of pyiqa, a scorer exposes its output ranges and direction (higher is better).

Adding a backend is one class plus one line in :data:`SCORERS`.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from PIL import Image
from tqdm.auto import tqdm

from red_aes.images import DEFAULT_MAX_PIXELS, ImageInput, load_image
from red_aes.types import DELTA_MAX, DELTA_MIN, SCORE_MAX, SCORE_MIN, AestheticDelta, AestheticScore, Mode

MODES: tuple[str, ...] = ("reasoning", "fast")


def _is_batch(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _batches(n: int, size: int) -> list[range]:
    return [range(start, min(start + size, n)) for start in range(0, n, size)]


class BaseScorer(ABC):
    """Common front end: input handling, batching and progress; backends fill in the batch methods."""

    name: str = "base"
    score_range: ClassVar[tuple[float, float]] = (SCORE_MIN, SCORE_MAX)
    delta_range: ClassVar[tuple[float, float]] = (DELTA_MIN, DELTA_MAX)
    higher_is_better: ClassVar[bool] = True
    #: True when a delta needs a joint look at both images (a VLM); False when it is by definition
    #: score(edited) − score(original), so a harness may score each image once and subtract.
    relative: ClassVar[bool] = True

    def __init__(self, batch_size: int = 8, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self.max_pixels = max_pixels

    # -- backend hooks -------------------------------------------------------------------------
    @abstractmethod
    def _compare_batch(
        self,
        originals: list[Image.Image],
        edited: list[Image.Image],
        instructions: list[str | None],
        mode: Mode,
        **options: Any,
    ) -> list[AestheticDelta]:
        """Deltas for one batch of already-loaded RGB image pairs; ``options`` are the backend's own."""

    @abstractmethod
    def _score_batch(self, images: list[Image.Image], mode: Mode, **options: Any) -> list[AestheticScore]:
        """Scores for one batch of already-loaded RGB images; ``options`` are the backend's own."""

    # -- public API ----------------------------------------------------------------------------
    def compare(
        self,
        original: ImageInput | Sequence[ImageInput],
        edited: ImageInput | Sequence[ImageInput],
        instruction: str | Sequence[str | None] | None = None,
        *,
        mode: Mode = "reasoning",
        batch_size: int | None = None,
        progress: bool = False,
        **options: Any,
    ) -> AestheticDelta | list[AestheticDelta]:
        """Predict ``score(edited) - score(original)``; a list of pairs returns a list of deltas.

        ``options`` are backend decoding options (e.g. ``max_reasoning_tokens`` of the VLM scorer); a
        backend refuses options it does not have.
        """
        _check_mode(mode)
        single = not _is_batch(original)
        originals = [original] if single else list(original)
        editeds = [edited] if single else list(edited)
        if len(originals) != len(editeds):
            raise ValueError(f"got {len(originals)} originals but {len(editeds)} edited images")
        if instruction is None or isinstance(instruction, str):
            instructions: list[str | None] = [instruction] * len(originals)
        else:
            instructions = list(instruction)
            if len(instructions) != len(originals):
                raise ValueError(f"got {len(instructions)} instructions for {len(originals)} pairs")
        originals = [load_image(x, max_pixels=self.max_pixels) for x in originals]
        editeds = [load_image(x, max_pixels=self.max_pixels) for x in editeds]
        results: list[AestheticDelta] = []
        for idx in tqdm(
            _batches(len(originals), batch_size or self.batch_size), desc="compare", disable=not progress
        ):
            results += self._compare_batch(
                [originals[i] for i in idx],
                [editeds[i] for i in idx],
                [instructions[i] for i in idx],
                mode,
                **options,
            )
        return results[0] if single else results

    def score(
        self,
        image: ImageInput | Sequence[ImageInput],
        *,
        mode: Mode = "reasoning",
        batch_size: int | None = None,
        progress: bool = False,
        **options: Any,
    ) -> AestheticScore | list[AestheticScore]:
        """Absolute aesthetic score in ``score_range``; a list of images returns a list of scores.

        ``options`` are backend decoding options, as for :meth:`compare`.
        """
        _check_mode(mode)
        single = not _is_batch(image)
        images = [load_image(x, max_pixels=self.max_pixels) for x in ([image] if single else image)]
        results: list[AestheticScore] = []
        for idx in tqdm(
            _batches(len(images), batch_size or self.batch_size), desc="score", disable=not progress
        ):
            results += self._score_batch([images[i] for i in idx], mode, **options)
        return results[0] if single else results

    def rank(
        self, images: Sequence[ImageInput], *, mode: Mode = "reasoning"
    ) -> list[tuple[int, AestheticScore]]:
        """Score ``images`` and return ``(input index, score)`` best first; invalid scores go last."""
        scores = self.score(list(images), mode=mode)
        return sorted(enumerate(scores), key=lambda item: (not item[1].valid, -(item[1].score or 0.0)))


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


#: Named scorer backends: model name -> "module:Class". Any other model string is a VLM id or directory.
SCORERS: dict[str, str] = {
    "measured": "red_aes.measured_scorer:MeasuredScorer",
    "red-lite": "red_aes.lite.scorer:RedLiteScorer",
    "stat-sharpness": "red_aes.statistic_scorer:StatisticScorer",
    "stat-colorfulness": "red_aes.statistic_scorer:StatisticScorer",
}
DEFAULT_VLM_BACKEND = "red_aes.scorer:RedAesScorer"


def _resolve(target: str) -> type[BaseScorer]:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def load_scorer(model: str, adapter: str | None = None, **kwargs: Any) -> BaseScorer:
    """Build a scorer from a base model and an optional adapter (EditScore's pattern).

    ``model`` is a registered backend (``"red-lite"``, ``"measured"``, ...) or a VLM id/directory;
    ``adapter`` is a PEFT adapter of the VLM, or a RED-Lite head (folder or Hub repo) for ``"red-lite"``.
    Other keyword arguments go to the backend's ``from_pretrained`` (``quantization``, ``device``,
    ``dtype``, ...); a backend refuses options it does not have.
    """
    cls = _resolve(SCORERS.get(model, DEFAULT_VLM_BACKEND))
    if adapter is not None:
        kwargs["adapter"] = adapter
    return cls.from_pretrained(model, **kwargs)
