"""The scorer interface every backend implements (the registry is :mod:`red_aes.scoring`).

A scorer answers two questions: ``compare(original, edited)`` -> :class:`AestheticDelta` and
``score(image)`` -> :class:`AestheticScore`. Both take one item or a list; lists are loaded,
validated up front, then prepared and processed in batches of ``batch_size``. :meth:`BaseScorer.prepare`
is the model-free part of scoring one image (RED-Lite: the backbone's input tensor and the measured
statistics; by default the image itself), so that ``pipeline("red-aes")`` runs it in ``preprocess`` and
only the model in ``_forward`` (:meth:`BaseScorer.compare_prepared`, :meth:`BaseScorer.score_prepared`).
Backends implement the per-item methods (``_compare_one``, ``_score_one``) or, when they batch, the batch
methods; either receives what :meth:`BaseScorer.prepare` returned. In the spirit of pyiqa, a
scorer exposes its output ranges and direction (higher is better), read from its registry entry
(:mod:`red_aes.scoring.backends`).

``decoding`` is how a backend answers: ``"reasoning"`` (reasoning text, then the number) or ``"fast"``
(the number alone).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from PIL import Image
from tqdm.auto import tqdm

from red_aes.errors import InputError
from red_aes.images import DEFAULT_MAX_INPUT_PIXELS, ImageInput, load_image
from red_aes.parsing import Kind, parse_answer
from red_aes.prompts import format_answer, format_delta, format_score
from red_aes.scoring.backends import ScorerEntry, scorer_entry
from red_aes.types import AestheticDelta, AestheticScore, Decoding

#: The decodings every scorer accepts (a backend without reasoning text may leave ``reasoning`` short).
DECODINGS: tuple[str, ...] = ("reasoning", "fast")


def _is_batch(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _batches(n: int, size: int) -> list[range]:
    return [range(start, min(start + size, n)) for start in range(0, n, size)]


class BaseScorer:
    """Common front end: input handling, batching and progress; backends fill in the per-item or the
    batch methods."""

    #: The registered name (:data:`~red_aes.scoring.backends.SCORERS`) whose entry holds this backend's
    #: facts; a name that is not registered reads the VLM fallback's entry.
    name: str = "base"

    @property
    def entry(self) -> ScorerEntry:
        """This backend's registry entry, the one home of its ``relative``, ``score_range`` and
        ``higher_is_better``."""
        return scorer_entry(self.name)

    @property
    def relative(self) -> bool:
        """True when a delta needs a joint look at both images (a VLM); False when it is by definition
        score(edited) − score(original), so a harness may score each image once and subtract."""
        return self.entry.relative

    @property
    def score_range(self) -> tuple[float, float]:
        """The (low, high) of this backend's scores."""
        return self.entry.score_range

    @property
    def delta_range(self) -> tuple[float, float]:
        """The (low, high) of its deltas, ``±(high − low)`` of :attr:`score_range`."""
        return self.entry.delta_range

    @property
    def higher_is_better(self) -> bool:
        """Whether a higher score means a better photo."""
        return self.entry.higher_is_better

    def __init__(self, batch_size: int = 8, max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS) -> None:
        if batch_size < 1:
            raise InputError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self.max_input_pixels = max_input_pixels

    # -- backend hooks -------------------------------------------------------------------------
    def prepare(self, image: Image.Image) -> Any:
        """The model-free part of scoring one loaded RGB image (resizing, measuring), which the pipeline
        runs in ``preprocess``; the batch and per-item hooks receive its result. By default the image
        itself."""
        return image

    # A backend that answers one item at a time implements ``_compare_one``/``_score_one`` and keeps the
    # default batch methods; a backend that batches (a VLM, concurrent requests) overrides the batch ones.
    # Their images are what :meth:`prepare` returned (loaded RGB images unless a backend prepares them).
    def _compare_batch(
        self,
        originals: list[Any],
        edited: list[Any],
        instructions: list[str | None],
        decoding: Decoding,
        **options: Any,
    ) -> list[AestheticDelta]:
        """Deltas for one batch of prepared image pairs; ``options`` are the backend's own. By default,
        :meth:`_compare_one` for each pair in turn."""
        return [
            self._compare_one(original, edit, instruction, decoding, **options)
            for original, edit, instruction in zip(originals, edited, instructions, strict=True)
        ]

    def _score_batch(self, images: list[Any], decoding: Decoding, **options: Any) -> list[AestheticScore]:
        """Scores for one batch of prepared images; ``options`` are the backend's own. By default,
        :meth:`_score_one` for each image in turn."""
        return [self._score_one(image, decoding, **options) for image in images]

    def _compare_one(
        self, original: Any, edited: Any, instruction: str | None, decoding: Decoding
    ) -> AestheticDelta:
        """The delta of one prepared pair: what a backend without its own :meth:`_compare_batch`
        implements."""
        raise NotImplementedError(f"{type(self).__name__} implements neither _compare_batch nor _compare_one")

    def _score_one(self, image: Any, decoding: Decoding) -> AestheticScore:
        """The score of one prepared image: what a backend without its own :meth:`_score_batch`
        implements."""
        raise NotImplementedError(f"{type(self).__name__} implements neither _score_batch nor _score_one")

    # -- public API ----------------------------------------------------------------------------
    def compare(
        self,
        original: ImageInput | Sequence[ImageInput],
        edited: ImageInput | Sequence[ImageInput],
        instruction: str | Sequence[str | None] | None = None,
        *,
        decoding: Decoding = "reasoning",
        batch_size: int | None = None,
        progress: bool = False,
        **options: Any,
    ) -> AestheticDelta | list[AestheticDelta]:
        """Predict ``score(edited) - score(original)``; a list of pairs returns a list of deltas.

        Every image is loaded (and so checked) before any work; each batch is prepared when it runs.
        ``options`` are backend decoding options (e.g. ``max_reasoning_tokens`` of the VLM scorer); a
        backend refuses options it does not have.
        """
        decoding = _check_decoding(decoding)
        single = not _is_batch(original)
        originals = [original] if single else list(original)
        editeds = [edited] if single else list(edited)
        if len(originals) != len(editeds):
            raise InputError(f"got {len(originals)} originals but {len(editeds)} edited images")
        if instruction is None or isinstance(instruction, str):
            instructions: list[str | None] = [instruction] * len(originals)
        else:
            instructions = list(instruction)
            if len(instructions) != len(originals):
                raise InputError(f"got {len(instructions)} instructions for {len(originals)} pairs")
        originals, editeds = self._load_each(originals), self._load_each(editeds)
        results = self._compare_batches(
            originals, editeds, instructions, decoding, batch_size, progress, options, prepare=True
        )
        return results[0] if single else results

    def _load_each(self, items: Sequence[ImageInput]) -> list[Image.Image]:
        """Every item loaded (and so checked); an object given several times is loaded once and the
        result shared, so that a batch prepares it once (e.g. one original against many edits)."""
        loaded: dict[int, Image.Image] = {}
        for item in items:
            if id(item) not in loaded:
                loaded[id(item)] = load_image(item, max_input_pixels=self.max_input_pixels)
        return [loaded[id(item)] for item in items]

    def compare_prepared(
        self,
        originals: Sequence[Any],
        edited: Sequence[Any],
        instructions: Sequence[str | None],
        *,
        decoding: Decoding = "reasoning",
        batch_size: int | None = None,
        progress: bool = False,
        **options: Any,
    ) -> list[AestheticDelta]:
        """Deltas of pairs whose images went through :meth:`prepare`: the model part of :meth:`compare`,
        which a pipeline's ``_forward`` runs, in batches of ``batch_size``."""
        if not len(originals) == len(edited) == len(instructions):
            raise InputError(
                f"got {len(originals)} originals, {len(edited)} edited images and {len(instructions)} "
                "instructions"
            )
        return self._compare_batches(
            originals, edited, instructions, _check_decoding(decoding), batch_size, progress, options
        )

    def _compare_batches(
        self,
        originals: Sequence[Any],
        edited: Sequence[Any],
        instructions: Sequence[str | None],
        decoding: Decoding,
        batch_size: int | None,
        progress: bool,
        options: dict[str, Any],
        *,
        prepare: bool = False,
    ) -> list[AestheticDelta]:
        """:meth:`_compare_batch` over batches of ``batch_size`` (with ``prepare``, each item through
        :meth:`prepare` first, once per batch for an image object that appears several times in it, so
        the backend may reuse its work; memory stays one batch's)."""
        results: list[AestheticDelta] = []
        for idx in tqdm(
            _batches(len(originals), batch_size or self.batch_size), desc="compare", disable=not progress
        ):
            images = [originals[i] for i in idx] + [edited[i] for i in idx]
            if prepare:
                prepared: dict[int, Any] = {}
                for image in images:
                    if id(image) not in prepared:
                        prepared[id(image)] = self.prepare(image)
                images = [prepared[id(image)] for image in images]
            results += self._compare_batch(
                images[: len(idx)],
                images[len(idx) :],
                [instructions[i] for i in idx],
                decoding,
                **options,
            )
        return results

    def score(
        self,
        image: ImageInput | Sequence[ImageInput],
        *,
        decoding: Decoding = "reasoning",
        batch_size: int | None = None,
        progress: bool = False,
        **options: Any,
    ) -> AestheticScore | list[AestheticScore]:
        """Absolute aesthetic score in ``score_range``; a list of images returns a list of scores.

        Loaded and prepared as in :meth:`compare`; ``options`` are backend decoding options.
        """
        decoding = _check_decoding(decoding)
        single = not _is_batch(image)
        images = [
            load_image(x, max_input_pixels=self.max_input_pixels) for x in ([image] if single else image)
        ]
        results = self._score_batches(images, decoding, batch_size, progress, options, prepare=True)
        return results[0] if single else results

    def score_prepared(
        self,
        images: Sequence[Any],
        *,
        decoding: Decoding = "reasoning",
        batch_size: int | None = None,
        progress: bool = False,
        **options: Any,
    ) -> list[AestheticScore]:
        """Scores of images that went through :meth:`prepare`: the model part of :meth:`score`, in
        batches of ``batch_size``."""
        return self._score_batches(images, _check_decoding(decoding), batch_size, progress, options)

    def _score_batches(
        self,
        images: Sequence[Any],
        decoding: Decoding,
        batch_size: int | None,
        progress: bool,
        options: dict[str, Any],
        *,
        prepare: bool = False,
    ) -> list[AestheticScore]:
        """:meth:`_score_batch` over batches of ``batch_size`` (with
        ``prepare``, each item through :meth:`prepare` first)."""
        ready = self.prepare if prepare else (lambda image: image)
        results: list[AestheticScore] = []
        for idx in tqdm(
            _batches(len(images), batch_size or self.batch_size), desc="score", disable=not progress
        ):
            results += self._score_batch([ready(images[i]) for i in idx], decoding, **options)
        return results

    def stream_compare(
        self,
        original: ImageInput,
        edited: ImageInput,
        instruction: str | None = None,
        **options: Any,
    ) -> Iterator[tuple[str, AestheticDelta | None]]:
        """Reasoning decoding of one pair as a stream of ``(reasoning so far, None)`` updates, then
        ``(final reasoning, delta)``. Backends that write as they go override it; this default yields
        the final pair alone, the delta :meth:`compare` returns."""
        delta = self.compare(original, edited, instruction, decoding="reasoning", **options)
        yield delta.reasoning or "", delta

    def computed_score(
        self, score: float, reasoning: str | None, decoding: Decoding, **fields: Any
    ) -> AestheticScore:
        """A score the backend computed (rather than parsed from a model's text): valid, with the
        answer-format text a model would have written."""
        return AestheticScore(
            score=score,
            valid=True,
            reasoning=reasoning,
            raw_text=format_answer(format_score(score), reasoning),
            model=self.name,
            decoding=decoding,
            **fields,
        )

    def computed_delta(
        self, delta: float, reasoning: str | None, decoding: Decoding, **fields: Any
    ) -> AestheticDelta:
        """A delta the backend computed, as :meth:`computed_score`."""
        return AestheticDelta(
            delta=delta,
            valid=True,
            reasoning=reasoning,
            raw_text=format_answer(format_delta(delta), reasoning),
            model=self.name,
            decoding=decoding,
            **fields,
        )

    def cache_identity(self) -> dict[str, Any]:
        """Settings besides the model and adapter names that determine the answers (none by default)."""
        return {}

    def rank(
        self,
        images: Sequence[ImageInput],
        *,
        decoding: Decoding = "reasoning",
    ) -> list[tuple[int, AestheticScore]]:
        """Score ``images`` and return ``(input index, score)`` best first; invalid scores go last."""
        scores = self.score(list(images), decoding=_check_decoding(decoding))
        return sorted(enumerate(scores), key=lambda item: (not item[1].valid, -(item[1].score or 0.0)))


def _check_decoding(decoding: str) -> Decoding:
    """``decoding``, refusing anything but :data:`DECODINGS`."""
    if decoding not in DECODINGS:
        raise InputError(f"decoding must be one of {DECODINGS}, got {decoding!r}")
    return decoding  # type: ignore[return-value]


def result_type(kind: Kind) -> type[AestheticDelta] | type[AestheticScore]:
    """The result class of an answer kind: ``delta`` -> AestheticDelta, ``score`` -> AestheticScore."""
    return AestheticDelta if kind == "delta" else AestheticScore


def parsed_result(kind: Kind, text: str, **fields: Any) -> AestheticDelta | AestheticScore:
    """A result read from a model's written answer with :func:`~red_aes.parsing.parse_answer`: valid only
    when a number could be read (never a guessed one); ``fields`` are the backend's (model, decoding...)."""
    parsed = parse_answer(text, kind)
    cls = result_type(kind)
    return cls(
        parsed.value,
        parsed.valid,
        reasoning=parsed.reasoning,
        raw_text=text,
        error=parsed.error,
        **fields,
    )


#: The columns of a scores CSV (``red-aes score --csv``, the app's *Score images* download).
SCORE_CSV_COLUMNS = ("file", "score", "valid", "error", "warning", "model", "decoding")


def score_csv(results: Iterable[tuple[str, AestheticScore]]) -> str:
    """The text of a scores CSV: :data:`SCORE_CSV_COLUMNS`, one row per ``(file, score)``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SCORE_CSV_COLUMNS)
    for file, s in results:
        score = "" if s.score is None else s.score
        valid = str(s.valid).lower()
        writer.writerow([file, score, valid, s.error or "", s.warning or "", s.model, s.decoding])
    return buffer.getvalue()
