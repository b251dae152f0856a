"""The demo's actions (edit and assess, compare, score and rank, cull) on the loaded backends, as views
or streams of views (:mod:`red_aes.demo.views`), and the app's list of supported edits."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from red_aes.cull import FLAGS, PHOTO_SUFFIXES, Culler, cull_csv, is_photo_name, natural_key
from red_aes.demo.config import DEFAULT_MAX_CULL_IMAGES, DEFAULT_TIME_LIMIT, Backends
from red_aes.demo.views import (
    CullView,
    PairView,
    RankingView,
    attribute_rows,
    cull_caption,
    cull_row,
    cull_summary,
    delta_html,
    json_safe,
    pending_html,
    rounded,
    thumbnail,
)
from red_aes.editing.base import check_deadline, check_seed
from red_aes.editing.classical import ClassicalEditor, unseen_change_notes
from red_aes.editing.prompt_parser import (
    LIGHT_FACTOR,
    MAX_CLAUSES,
    STRONG_FACTOR,
    PromptNotUnderstoodError,
    supported_edits,
)
from red_aes.enhance import Enhancer
from red_aes.errors import InputError, TimeLimitError
from red_aes.images import (
    DEFAULT_MAX_INPUT_PIXELS,
    MAX_REQUEST_PIXELS,
    WORKING_LONG_SIDE,
    ImageInput,
    check_total_pixels,
    declared_size,
    load_image,
)
from red_aes.measure import describe_changes, measure_pair
from red_aes.scoring import score_csv

#: Most images one "Score images" request may rank, and longest edit prompt accepted (requests above
#: these are refused with a message, so that one user cannot hold the queue for long).
MAX_SCORE_IMAGES = 16
MAX_PROMPT_CHARS = 500
#: Title of the app's list of supported edits (:func:`supported_edits_markdown`), which the refusal of a
#: prompt points to.
SUPPORTED_EDITS_TITLE = "Supported edits"


#: Prompts that ask for no particular edit but for the best one: they run the critic's search
#: (:class:`red_aes.enhance.Enhancer`) with the classical editor instead of being refused.
AUTO_ENHANCE = re.compile(
    r"^\s*(?:auto(?:[- ]?enhance)?|enhance(?: it| this| the photo)?|improve(?: it| this)?|fix it"
    r"|(?:make|get) it (?:better|pop|look (?:good|better|nicer)))\s*[.!]*\s*$",
    re.IGNORECASE,
)
#: The prompt the app's Auto-enhance button sends.
AUTO_ENHANCE_PROMPT = "auto-enhance"


def supported_edits_markdown() -> str:
    """The app's list of the classical editor's supported edits, as Markdown: example instructions by
    attribute, drawn from the prompt parser's own table
    (:func:`~red_aes.editing.prompt_parser.supported_edits`), then how strength words, numbers and several
    edits are read. Shown under :data:`SUPPORTED_EDITS_TITLE`, so that a refused prompt can point to a
    list in the app itself."""
    lines = [
        f"- **{attribute.value.replace('_', ' ')}**: " + ", ".join(f"`{example}`" for example in examples)
        for attribute, examples in supported_edits().items()
    ]
    return "\n".join(
        [
            "The classical editor understands English prompts like these (it edits the whole image):",
            "",
            *lines,
            "",
            f"Strength: `slightly` or `a bit` gives {LIGHT_FACTOR:g}x the usual amount, `much`, `a lot` or "
            f"`very` {STRONG_FACTOR:g}x; a number with its unit sets it exactly (`+0.7 EV`, `blur 2 px`). "
            f"Join up to {MAX_CLAUSES} edits with `and` or commas: `make it a bit brighter and warmer`.",
        ]
    )


class DemoActions:
    """The demo's actions on loaded backends. Holds no per-user state: every call gets its inputs
    as arguments, so concurrent users never see each other's data.

    Every request is checked (prompt length, seed range, number of images, the declared pixels of all
    its images together) before any image is decoded, and images are decoded straight to their working
    copy (:data:`red_aes.images.WORKING_LONG_SIDE`), so one request's memory is bounded whatever the
    uploads claim. A request runs for at most ``time_limit`` seconds: the editor checks it before each
    step (operation, denoising step) and the assessment between its updates. A cull takes at most
    ``max_cull_images`` photos, each checked against the input limit from its header, and analyses them
    one at a time at a reduced size (:mod:`red_aes.cull`), checking the time limit after each.
    """

    def __init__(
        self,
        backends: Backends,
        *,
        max_input_pixels: int = DEFAULT_MAX_INPUT_PIXELS,
        max_request_pixels: int = MAX_REQUEST_PIXELS,
        time_limit: float = DEFAULT_TIME_LIMIT,
        max_cull_images: int = DEFAULT_MAX_CULL_IMAGES,
    ) -> None:
        if not time_limit > 0:
            raise InputError(f"time_limit must be a positive number of seconds, got {time_limit}")
        if max_cull_images < 1:
            raise InputError(f"max_cull_images must be >= 1, got {max_cull_images}")
        self.backends = backends
        self.max_cull_images = max_cull_images
        self.max_input_pixels = max_input_pixels
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
            return load_image(image, max_input_pixels=self.max_input_pixels, long_side=WORKING_LONG_SIDE)
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
                sizes.append(declared_size(image, self.max_input_pixels))
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
        if AUTO_ENHANCE.match(instruction or ""):
            yield from self._auto_enhance(original, name, deadline)
            return
        try:
            result = self.backends.editors[name].edit(
                original, instruction, seed=seed, strength=strength, deadline=deadline
            )
        except TimeLimitError as err:
            raise self._timed_out(err) from err
        except PromptNotUnderstoodError as err:
            raise PromptNotUnderstoodError(
                f"{err}; all supported edits are listed under '{SUPPORTED_EDITS_TITLE}'"
            ) from err
        extra = {"editor": result.backend, "instruction": result.instruction, "edit_params": result.params}
        operations = result.params.get("operations", [])
        yield from self._assess(original, result.image, result.instruction, extra, deadline, operations)

    def _auto_enhance(self, original: Image.Image, name: str, deadline: float) -> Iterator[PairView]:
        """Search the classical editor's global edits for the one the scorer predicts helps most, apply it
        (or nothing, when no edit helps by the search's margin) and stream its assessment, led by what
        the search chose and its alternatives."""
        editor = self.backends.editors[name]
        if not isinstance(editor, ClassicalEditor):
            classical = [e for e in self.backends.editors.values() if isinstance(e, ClassicalEditor)]
            if not classical:
                raise InputError("Auto-enhance searches the classical editor's edits, which is not loaded.")
            editor = classical[0]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timed_out(TimeLimitError("before the auto-enhance search"))
        # half of what is left for the search; the rest assesses the chosen edit at full working size
        found = Enhancer(self.backends.scorer, editor, time_limit=remaining / 2).enhance(original)
        alternatives = "; ".join(f"{s.prompt} ({s.delta:+.2f})" for s in found.alternatives)
        if found.prompt is None or found.image is None:
            lead = f"Auto-enhance: {found.reasoning}"
            edited, operations = original, []
        else:
            lead = f"Auto-enhance chose: {found.prompt} (predicted {found.delta:+.2f})."
            edited, operations = found.image, found.details["operations"]
        if alternatives:
            lead += f" Alternatives: {alternatives}."
        extra = {"editor": "auto-enhance", "instruction": found.prompt, "auto_enhance": found.to_dict()}
        yield from self._assess(original, edited, found.prompt, extra, deadline, operations, lead + "\n")

    def compare(
        self, original: ImageInput | None, edited: ImageInput | None, instruction: str | None = None
    ) -> Iterator[PairView]:
        """Stream the assessment of an (original, edited) pair; ``instruction`` is optional context."""
        _check_length(instruction, "Edit instruction")
        before, after = self.load_all([(original, "original image"), (edited, "edited image")])
        text = (instruction or "").strip() or None
        yield from self._assess(before, after, text, {"instruction": text}, self._deadline(), None)

    def score(
        self, images: Sequence[ImageInput] | None, folder: Sequence[str | os.PathLike] | None = None
    ) -> RankingView:
        """Score several images and rank them, best first (invalid answers last, with the reason).

        ``folder`` is the files of an uploaded folder: its photos (:func:`folder_photos`) are scored
        after ``images``; its other files are left out."""
        photos = folder_photos(folder or [])
        if folder and not photos:
            raise InputError(
                f"No photos in the folder: none of its {len(folder)} file(s) is a photo "
                f"({', '.join(sorted(PHOTO_SUFFIXES))})."
            )
        images = [*(images or []), *photos]
        if not images:
            raise InputError("No images: upload one or more images, or a folder, to score.")
        if len(images) > MAX_SCORE_IMAGES:
            raise InputError(
                f"Too many images: {len(images)} (at most {MAX_SCORE_IMAGES} per request; "
                "`red-aes score FOLDER --csv` scores a whole folder)."
            )
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
        csv = score_csv((names[index], result) for index, result in ranked)
        return RankingView(rows=rows, gallery=gallery, details=details, csv=csv)

    def cull(self, images: Sequence[str | os.PathLike] | None) -> CullView:
        """Cull uploaded photos as ``red-aes cull`` culls a folder (:class:`red_aes.cull.Culler` with the
        loaded scorer): group the bursts and near-duplicates, pick the best frame of each group with a
        reason, flag defects; the CSV is ``cull.csv``'s. A photo is named by its file name (a repeated
        name gets `` (2)``, ...).

        Refused before any decoding: no photos, more than ``max_cull_images``, a file that is not one of
        the photo types ``red-aes cull`` reads, or one over the input limit. The photos are analysed one at
        a time, at the reduced size the cull decodes (memory: one photo), and the request stops at its
        time limit between two photos."""
        if not images:
            raise InputError("No photos: upload the photos of a shoot (bursts included) to cull.")
        if len(images) > self.max_cull_images:
            raise InputError(
                f"Too many photos: {len(images)} (at most {self.max_cull_images} per Cull request)."
            )
        names = _cull_names(images)
        for number, image in enumerate(images, start=1):
            try:
                declared_size(image, self.max_input_pixels)
            except ValueError as err:
                raise self._named(image, f"photo {number}", err) from err
        deadline = self._deadline()
        with tempfile.TemporaryDirectory(prefix="red-aes-cull-") as scratch:
            folder = Path(scratch) / "photos"
            folder.mkdir()
            for image, name in zip(images, names, strict=True):
                _link_or_copy(Path(image), folder / name)
            culler = Culler(self.backends.scorer, cache=Path(scratch) / "cache", progress=False)
            for done, name in enumerate(names):  # pass 1, into the cache, within the time limit
                if time.monotonic() >= deadline:
                    raise TimeLimitError(
                        f"Request stopped at its {self.time_limit:g} s time limit after analysing {done} "
                        f"of {len(names)} photos: upload fewer photos."
                    )
                culler.analyser(folder / name, name)
            result = culler.run(folder)  # reads pass 1 back from the cache, groups, flags and ranks
            photos = result.ordered()
            gallery = [
                (_thumbnail(thumb), cull_caption(photo))
                for photo in photos
                if (thumb := result.cache.thumbnail(photo.digest)) is not None
            ]
        rows = result.rows()
        summary = cull_summary(photos, result.groups)
        details = json_safe(
            {
                "scorer": self.backends.scorer_name,
                "summary": summary,
                "groups": result.groups,
                "flags": FLAGS,
                # the CSV's rows, ``path`` named ``image`` as in the Score tab's details: gradio_client
                # takes any object with a ``path`` for a file to download
                "photos": [
                    {("image" if key == "path" else key): value for key, value in row.items()} for row in rows
                ],
            }
        )
        return CullView(summary, [cull_row(p) for p in photos], gallery, details, cull_csv(rows))

    def _assess(
        self,
        original: Image.Image,
        edited: Image.Image,
        instruction: str | None,
        extra: dict[str, Any],
        deadline: float,
        operations: Sequence[Mapping[str, Any]] | None,
        lead: str = "",
    ) -> Iterator[PairView]:
        try:
            yield from self._assess_until(original, edited, instruction, extra, deadline, operations, lead)
        except TimeLimitError as err:
            raise self._timed_out(err) from err

    def _assess_until(
        self,
        original: Image.Image,
        edited: Image.Image,
        instruction: str | None,
        extra: dict[str, Any],
        deadline: float,
        operations: Sequence[Mapping[str, Any]] | None,
        lead: str = "",
    ) -> Iterator[PairView]:
        """Measure the pair, then stream the scorer's assessment, after ``lead``. For an edit
        (``operations``: the classical editor's operations, empty for other editors) the reasoning
        starts with a note per operation whose change is too small to see, saying why (``edit_notes`` in
        the details)."""
        check_deadline(deadline, "before the assessment")
        measured = measure_pair(
            original, edited, max_input_pixels=self.max_input_pixels, long_side=WORKING_LONG_SIDE
        )
        rows = attribute_rows(measured)
        scorer = self.backends.scorer_name
        extra = {**extra, "measured_facts": describe_changes(measured)}
        if operations is not None:
            notes = unseen_change_notes(measured, operations)
            extra["edit_notes"] = notes
            lead += "".join(f"Edit note: {note}.\n" for note in notes)
        pending, details = pending_html(scorer), {"scorer": scorer, **extra}
        yield PairView(original, edited, pending, lead, rows, details, "pair")
        for reasoning, delta in self.backends.scorer.stream_compare(original, edited, instruction):
            if delta is None:
                check_deadline(deadline, "while the scorer was writing its reasoning")
                yield PairView(None, None, pending, lead + reasoning, rows, details, "reasoning")
            else:
                final = json_safe({**delta.to_dict(), "scorer": delta.model or scorer, **extra})
                shown = reasoning if delta.valid else delta.raw_text  # an unreadable answer, as written
                yield PairView(None, None, delta_html(delta), lead + (shown or ""), rows, final, "final")


def folder_photos(files: Sequence[str | os.PathLike]) -> list[str]:
    """The photos among an uploaded folder's files, as ``red-aes score DIR`` picks them from a folder
    (:func:`red_aes.cull.is_photo_name`), in natural order of the file name (an upload does not keep
    subfolders)."""
    photos = [str(f) for f in files if is_photo_name(Path(f).name)]
    return sorted(photos, key=lambda f: natural_key(Path(f).name))


def _cull_names(images: Sequence[str | os.PathLike]) -> list[str]:
    """The file name each uploaded photo of a cull gets in its folder: its own, with `` (2)``, ... added
    to a repeated one and leading dots dropped (``red-aes cull`` skips hidden files); an InputError for an
    upload that is not a file path or not one of the photo types the cull reads."""
    names: list[str] = []
    taken: set[str] = set()
    for number, image in enumerate(images, start=1):
        if not isinstance(image, (str, os.PathLike)):
            raise InputError(f"photo {number}: expected a file path, got {type(image).__name__}.")
        path = Path(image)
        if path.suffix.lower() not in PHOTO_SUFFIXES:
            kinds = ", ".join(sorted(PHOTO_SUFFIXES))
            raise InputError(f"photo {number} ({path.name}): Cull reads only {kinds} files.")
        stem = path.stem.lstrip(".") or "photo"
        name, copy = f"{stem}{path.suffix}", 1
        while name.lower() in taken:
            copy += 1
            name = f"{stem} ({copy}){path.suffix}"
        taken.add(name.lower())
        names.append(name)
    return names


def _link_or_copy(source: Path, target: Path) -> None:
    """Put an upload into the cull's folder: a hard link where the file system allows, else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _thumbnail(data: str) -> Image.Image:
    """A cull thumbnail (base64 JPEG text, :func:`red_aes.cull.thumbnail_data`) as an image."""
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    image.load()
    return image


def _check_length(text: str | None, what: str) -> None:
    """Refuse text that is not a string or is longer than :data:`MAX_PROMPT_CHARS` (before any work, and
    without echoing it)."""
    if text is not None and not isinstance(text, str):
        raise InputError(f"{what} must be text, got {type(text).__name__}.")
    if text is not None and len(text) > MAX_PROMPT_CHARS:
        raise InputError(f"{what} too long: {len(text):,} characters (at most {MAX_PROMPT_CHARS}).")
