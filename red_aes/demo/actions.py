"""The demo's three actions (edit and assess, compare, score and rank) on the loaded backends, as
streams of views (:mod:`red_aes.demo.views`)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from red_aes.demo.config import DEFAULT_TIME_LIMIT, Backends
from red_aes.demo.views import (
    PairView,
    RankingView,
    attribute_rows,
    delta_html,
    json_safe,
    pending_html,
    rounded,
    thumbnail,
)
from red_aes.editing.base import check_deadline, check_seed
from red_aes.errors import InputError, TimeLimitError
from red_aes.images import (
    DEFAULT_MAX_PIXELS,
    MAX_REQUEST_PIXELS,
    WORKING_LONG_SIDE,
    ImageInput,
    check_total_pixels,
    declared_size,
    load_image,
)
from red_aes.measure import describe_changes, measure_pair

#: Most images one "Score images" request may rank, and longest edit prompt accepted (requests above
#: these are refused with a message, so that one user cannot hold the queue for long).
MAX_SCORE_IMAGES = 16
MAX_PROMPT_CHARS = 500


class DemoActions:
    """The demo's three actions on loaded backends. Holds no per-user state: every call gets its inputs
    as arguments, so concurrent users never see each other's data.

    Every request is checked (prompt length, seed range, number of images, the declared pixels of all
    its images together) before any image is decoded, and images are decoded straight to their working
    copy (:data:`red_aes.images.WORKING_LONG_SIDE`), so one request's memory is bounded whatever the
    uploads claim. A request runs for at most ``time_limit`` seconds: the editor checks it before each
    step (operation, denoising step) and the assessment between its updates.
    """

    def __init__(
        self,
        backends: Backends,
        *,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        max_request_pixels: int = MAX_REQUEST_PIXELS,
        time_limit: float = DEFAULT_TIME_LIMIT,
    ) -> None:
        if not time_limit > 0:
            raise InputError(f"time_limit must be a positive number of seconds, got {time_limit}")
        self.backends = backends
        self.max_pixels = max_pixels
        self.max_request_pixels = max_request_pixels
        self.time_limit = time_limit

    def _deadline(self) -> float:
        return time.monotonic() + self.time_limit

    def _timed_out(self, err: TimeLimitError) -> InputError:
        return TimeLimitError(f"Request stopped at its {self.time_limit:g} s time limit: {err}.")

    @staticmethod
    def _named(image: ImageInput, what: str, err: ValueError) -> InputError:
        """``err`` about an upload, naming the upload (ImageLoadError names the server-side temp path)."""
        name = Path(image).name if isinstance(image, (str, os.PathLike)) else what
        return InputError(f"{what} ({name}): {getattr(err, 'reason', err)}")

    def load(self, image: ImageInput | None, what: str) -> Image.Image:
        """Load an uploaded image's working copy under the pixel budget; a ValueError naming ``what``
        and the reason."""
        if image is None:
            raise InputError(f"No {what}: upload an image first.")
        try:
            return load_image(image, max_pixels=self.max_pixels, long_side=WORKING_LONG_SIDE)
        except ValueError as err:
            raise self._named(image, what, err) from err

    def load_all(self, images: Sequence[tuple[ImageInput | None, str]]) -> list[Image.Image]:
        """Load several ``(upload, what)`` images of one request, after checking from the file headers
        that their declared pixels stay within ``max_request_pixels`` together."""
        sizes = []
        for image, what in images:
            if image is None:
                raise InputError(f"No {what}: upload an image first.")
            try:
                sizes.append(declared_size(image, self.max_pixels))
            except ValueError as err:
                raise self._named(image, what, err) from err
        try:
            check_total_pixels(sizes, self.max_request_pixels)
        except ValueError as err:
            raise InputError(f"Request too large: {getattr(err, 'reason', err)}.") from err
        return [self.load(image, what) for image, what in images]

    def edit_and_assess(
        self,
        image: ImageInput | None,
        instruction: str | None,
        editor: str | None = None,
        strength: float | None = None,
        seed: int | None = None,
    ) -> Iterator[PairView]:
        """Edit ``image`` as ``instruction`` says, then stream the assessment of the edit."""
        _check_length(instruction, "Edit prompt")
        if not (instruction or "").strip():
            raise InputError("Empty edit prompt: say what to change, e.g. 'make it a bit brighter'.")
        seed = check_seed(seed)
        name = editor or self.backends.default_editor
        if not isinstance(name, str) or name not in self.backends.editors:
            shown = repr(name) if isinstance(name, str) else f"of type {type(name).__name__}"
            raise InputError(f"Unknown editor {shown}; loaded editors: {', '.join(self.backends.editors)}.")
        deadline = self._deadline()
        original = self.load_all([(image, "photo")])[0]
        try:
            result = self.backends.editors[name].edit(
                original, instruction, seed=seed, strength=strength, deadline=deadline
            )
        except TimeLimitError as err:
            raise self._timed_out(err) from err
        extra = {"editor": result.backend, "instruction": result.instruction, "edit_params": result.params}
        yield from self._assess(original, result.image, result.instruction, extra, deadline)

    def compare(
        self, original: ImageInput | None, edited: ImageInput | None, instruction: str | None = None
    ) -> Iterator[PairView]:
        """Stream the assessment of an (original, edited) pair; ``instruction`` is optional context."""
        _check_length(instruction, "Edit instruction")
        before, after = self.load_all([(original, "original image"), (edited, "edited image")])
        text = (instruction or "").strip() or None
        yield from self._assess(before, after, text, {"instruction": text}, self._deadline())

    def score(self, images: Sequence[ImageInput] | None) -> RankingView:
        """Score several images and rank them, best first (invalid answers last, with the reason)."""
        if not images:
            raise InputError("No images: upload one or more images to score.")
        if len(images) > MAX_SCORE_IMAGES:
            raise InputError(f"Too many images: {len(images)} (at most {MAX_SCORE_IMAGES} per request).")
        names = [
            Path(x).name if isinstance(x, (str, os.PathLike)) else f"image {i + 1}"
            for i, x in enumerate(images)
        ]
        deadline = self._deadline()
        loaded = self.load_all([(x, f"image {i + 1}") for i, x in enumerate(images)])
        try:
            check_deadline(deadline, "after loading the images")
        except TimeLimitError as err:
            raise self._timed_out(err) from err
        ranked = self.backends.scorer.rank(loaded)
        rows, gallery, details = [], [], []
        for rank, (index, result) in enumerate(ranked, start=1):
            note = "" if result.valid else f"invalid model answer: {result.error}"
            rows.append([rank, names[index], rounded(result.score), note])
            caption = f"#{rank} {names[index]}: " + (
                f"{result.score:.2f}" if result.valid else "no valid score"
            )
            gallery.append((thumbnail(loaded[index]), caption))
            details.append({"rank": rank, "image": names[index], **json_safe(result.to_dict())})
        return RankingView(rows=rows, gallery=gallery, details=details)

    def _assess(
        self,
        original: Image.Image,
        edited: Image.Image,
        instruction: str | None,
        extra: dict[str, Any],
        deadline: float,
    ) -> Iterator[PairView]:
        try:
            yield from self._assess_until(original, edited, instruction, extra, deadline)
        except TimeLimitError as err:
            raise self._timed_out(err) from err

    def _assess_until(
        self,
        original: Image.Image,
        edited: Image.Image,
        instruction: str | None,
        extra: dict[str, Any],
        deadline: float,
    ) -> Iterator[PairView]:
        check_deadline(deadline, "before the assessment")
        measured = measure_pair(original, edited, max_pixels=self.max_pixels, long_side=WORKING_LONG_SIDE)
        rows = attribute_rows(measured)
        scorer = self.backends.scorer_name
        extra = {**extra, "measured_facts": describe_changes(measured)}
        pending, details = pending_html(scorer), {"scorer": scorer, **extra}
        yield PairView(original, edited, pending, "", rows, details, "pair")
        for reasoning, delta in self.backends.scorer.stream_compare(original, edited, instruction):
            if delta is None:
                check_deadline(deadline, "while the scorer was writing its reasoning")
                yield PairView(None, None, pending, reasoning, rows, details, "reasoning")
            else:
                final = json_safe({**delta.to_dict(), "scorer": delta.model or scorer, **extra})
                shown = reasoning if delta.valid else delta.raw_text  # an unreadable answer, as written
                yield PairView(None, None, delta_html(delta), shown, rows, final, "final")


def _check_length(text: str | None, what: str) -> None:
    """Refuse text that is not a string or is longer than :data:`MAX_PROMPT_CHARS` (before any work, and
    without echoing it)."""
    if text is not None and not isinstance(text, str):
        raise InputError(f"{what} must be text, got {type(text).__name__}.")
    if text is not None and len(text) > MAX_PROMPT_CHARS:
        raise InputError(f"{what} too long: {len(text):,} characters (at most {MAX_PROMPT_CHARS}).")
