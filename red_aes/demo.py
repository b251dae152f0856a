"""The library side of the Gradio Space (``app.py``): configuration, backend loading with the offline
fallback, the three demo actions and the formatting of their results. Nothing here imports Gradio, so
every piece is testable (and reusable) without the UI; ``app.py`` only wires it to components.

Configuration comes from command-line flags, then environment variables, then defaults (see
:data:`OPTIONS`). When nothing is configured, or a configured model cannot be loaded, the demo runs
on the offline default (classical editor + the RED-Lite scorer, a small CNN trained on edit pairs) and
says so in a visible notice.

Scale and sign, as everywhere in RED-Aes: scores in [1, 10]; ``delta = score(edited) - score(original)``,
positive when the edit improved the photo.
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import html
import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from PIL import Image

from red_aes.editing import load_editor
from red_aes.editing.base import BaseEditor, check_seed
from red_aes.errors import InputError
from red_aes.images import (
    DEFAULT_MAX_PIXELS,
    MAX_REQUEST_PIXELS,
    WORKING_LONG_SIDE,
    ImageInput,
    check_total_pixels,
    declared_size,
    load_image,
)
from red_aes.measure import METRICS, PairMeasurements, describe_changes, measure_pair
from red_aes.scoring import SCORERS, BaseScorer, load_scorer
from red_aes.types import DELTA_MAX, SCORE_MAX, SCORE_MIN, AestheticDelta

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "red-lite"
DEFAULT_EDITOR = "classical"
#: What the page says each registered scorer is (a VLM is described by its adapter and quantization).
SCORER_KINDS: dict[str, str] = {
    "red-lite": "RED-Lite, trained on edit pairs only",
    "measured": "measured image statistics, no model",
    "stat-sharpness": "a single sharpness statistic, no model",
    "stat-colorfulness": "a single colourfulness statistic, no model",
}
OFFLINE_SCORER_KIND = SCORER_KINDS[DEFAULT_MODEL]
QUANTIZATIONS: tuple[str, ...] = ("auto", "4bit", "8bit", "none")

#: Options settable by flag or environment variable (a flag wins): flag, variable, type, help.
OPTIONS: tuple[tuple[str, str, type, str], ...] = (
    ("--model", "RED_AES_MODEL", str, "scorer: 'red-lite' (offline default), 'measured' or a VLM id/dir"),
    ("--adapter", "RED_AES_ADAPTER", str, "VLM LoRA adapter, or RED-Lite head (folder or Hub repo)"),
    ("--quantization", "RED_AES_QUANTIZATION", str, "VLM quantization; auto = 4bit on CUDA, none on CPU"),
    ("--max-reasoning-tokens", "RED_AES_MAX_REASONING_TOKENS", int, "reasoning budget of a VLM scorer"),
    ("--editor", "RED_AES_EDITOR", str, "editor: 'classical' (offline) or a diffusers id/directory"),
    ("--device", "RED_AES_DEVICE", str, "device for the models, e.g. cuda or cpu (default: automatic)"),
    ("--editor-steps", "RED_AES_EDITOR_STEPS", int, "denoising steps of a diffusion editor"),
    ("--editor-max-area", "RED_AES_EDITOR_MAX_AREA", int, "largest area a diffusion editor generates at"),
    ("--max-pixels", "RED_AES_MAX_PIXELS", int, "pixel budget (width x height) of an uploaded image"),
    ("--max-file-size", "RED_AES_MAX_FILE_SIZE", str, "upload size limit, e.g. 25mb"),
    ("--concurrency", "RED_AES_CONCURRENCY", int, "requests processed at the same time"),
)

SCALE_NOTE = (
    f"Scores run from {SCORE_MIN:g} to {SCORE_MAX:g}. **delta = score(edited) − score(original)**, "
    f"from −{DELTA_MAX:g} to +{DELTA_MAX:g}: positive means the edit improved the photo, negative that it "
    "made it worse."
)

#: |delta| below this is shown as "no clear change" (grey); display-only, never used to change a value.
NEUTRAL_BAND = 0.05
#: Upper bounds of |delta| for the words "slight" and "moderate" (above: "strong"); display-only.
MAGNITUDE_WORDS: tuple[tuple[float, str], ...] = (
    (1.0, "slight"),
    (2.5, "moderate"),
    (float("inf"), "strong"),
)
POSITIVE_COLOUR, NEGATIVE_COLOUR, NEUTRAL_COLOUR = "#15803d", "#b91c1c", "#4b5563"


# -- memory -------------------------------------------------------------------------------------------

#: Allocations from this size up are served by mmap and returned to the system when freed (glibc).
MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3  # mallopt parameter number in glibc's malloc.h


def return_freed_memory() -> bool:
    """Make a long-running server give freed image memory back to the system (glibc only; False
    elsewhere). glibc raises its mmap threshold after the first large buffer is freed, so later image
    buffers (PIL's 16 MB blocks, numpy arrays) come from heaps it rarely returns, and a server keeps the
    peak of its busiest request for good. Fixing the threshold at :data:`MMAP_THRESHOLD` keeps every
    such buffer in its own mapping, released on free."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):
        return False


# -- configuration ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoConfig:
    """Which backends the demo uses and how it is served.

    ``quantization="auto"`` means 4-bit on CUDA and none on CPU; it and ``max_reasoning_tokens`` (None:
    the scorer's default) apply to VLM scorers only.
    ``editor_steps`` and ``editor_max_area`` tune a diffusion editor (None: the editor's defaults).
    ``max_pixels`` is the pixel budget of every uploaded image; ``max_file_size`` the upload limit
    (Gradio syntax, e.g. ``"25mb"``); ``concurrency`` the queue's default concurrency limit.
    """

    model: str = DEFAULT_MODEL
    adapter: str | None = None
    quantization: str = "auto"
    max_reasoning_tokens: int | None = None
    editor: str = DEFAULT_EDITOR
    device: str | None = None
    editor_steps: int | None = None
    editor_max_area: int | None = None
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_file_size: str = "25mb"
    concurrency: int = 1
    share: bool = False
    server_name: str | None = None
    server_port: int | None = None

    def __post_init__(self) -> None:
        if self.quantization not in QUANTIZATIONS:
            raise InputError(f"quantization must be one of {QUANTIZATIONS}, got {self.quantization!r}")
        if self.max_pixels < 1:
            raise InputError(f"max_pixels must be >= 1, got {self.max_pixels}")
        if self.concurrency < 1:
            raise InputError(f"concurrency must be >= 1, got {self.concurrency}")


def build_arg_parser(environ: Mapping[str, str] | None = None) -> argparse.ArgumentParser:
    """The app's flags; each option of :data:`OPTIONS` defaults to its environment variable, then to
    :class:`DemoConfig`'s default."""
    env = os.environ if environ is None else environ
    defaults = DemoConfig()
    parser = argparse.ArgumentParser(
        prog="app.py",
        description="RED-Aes demo. Flags override the RED_AES_* environment variables; GRADIO_SERVER_NAME "
        "and GRADIO_SERVER_PORT are honoured as in any Gradio app.",
    )
    for flag, var, kind, text in OPTIONS:
        dest = flag.removeprefix("--").replace("-", "_")
        extra = {"choices": QUANTIZATIONS} if dest == "quantization" else {}
        default = env.get(var) or getattr(defaults, dest)
        parser.add_argument(flag, type=kind, default=default, help=f"{text} (env {var})", **extra)
    parser.add_argument("--share", action="store_true", help="create a public gradio.live link")
    parser.add_argument("--server-name", default=None, help="host (default: GRADIO_SERVER_NAME or 127.0.0.1)")
    parser.add_argument(
        "--server-port", type=int, default=None, help="port (default: GRADIO_SERVER_PORT or 7860+)"
    )
    return parser


def load_config(argv: Sequence[str] | None = (), environ: Mapping[str, str] | None = None) -> DemoConfig:
    """The demo configuration from ``argv`` flags over ``environ`` (default ``os.environ``).

    ``argv=()`` reads the environment only (what importing ``app.py`` does); ``None`` reads ``sys.argv``.
    """
    args = build_arg_parser(environ).parse_args(None if argv is None else list(argv))
    try:
        return DemoConfig(**vars(args))  # every flag's dest is a DemoConfig field
    except ValueError as err:
        raise SystemExit(f"app.py: error: {err}") from err


def resolve_quantization(quantization: str, cuda_available: bool) -> str | None:
    """``auto`` -> ``"4bit"`` on CUDA, None on CPU; ``none`` -> None; ``4bit``/``8bit`` unchanged."""
    if quantization == "auto":
        return "4bit" if cuda_available else None
    return None if quantization == "none" else quantization


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


# -- backends -----------------------------------------------------------------------------------------


@dataclass
class Backends:
    """The loaded scorer and editors, loaded once at start and shared read-only by all requests.

    ``editors`` maps a name to an editor, the default first. ``notices`` are shown at the top of the app
    (why a configured backend was replaced by the offline default).
    """

    scorer: BaseScorer
    scorer_name: str
    editors: dict[str, BaseEditor]
    notices: list[str] = field(default_factory=list)
    scorer_kind: str = OFFLINE_SCORER_KIND

    @property
    def default_editor(self) -> str:
        return next(iter(self.editors))

    def status_markdown(self) -> str:
        """One line naming the backends in use, then any fallback notices."""
        editors = ", ".join(f"`{name}`" for name in self.editors)
        lines = [f"**Backends in use:** scorer `{self.scorer_name}` ({self.scorer_kind}); editors {editors}."]
        lines += [f"⚠️ {notice}" for notice in self.notices]
        return "\n\n".join(lines)


def _failure(what: str, name: str, err: BaseException) -> str:
    return f"Could not load the configured {what} `{name}` ({type(err).__name__}: {err})."


def load_backends(config: DemoConfig, *, cuda_available: bool | None = None) -> Backends:
    """Load the configured scorer and editor; a backend that fails to load is replaced by the offline
    default, with a notice naming the backend in use and the reason. Never raises for a model that
    cannot be loaded, so the app always starts."""
    notices: list[str] = []
    scorer_name, scorer_kind = config.model, SCORER_KINDS.get(config.model, OFFLINE_SCORER_KIND)
    try:
        kwargs: dict[str, Any] = {"adapter": config.adapter} if config.adapter else {}
        if config.model not in SCORERS:  # a VLM id or directory
            cuda = _cuda_available() if cuda_available is None else cuda_available
            quantization = resolve_quantization(config.quantization, cuda)
            kwargs = {
                "adapter": config.adapter,
                "quantization": quantization,
                "device": config.device,
                "max_reasoning_tokens": config.max_reasoning_tokens,
            }
            kwargs = {key: value for key, value in kwargs.items() if value is not None}
            adapter = f", adapter `{config.adapter}`" if config.adapter else ""
            scorer_kind = f"VLM{adapter}, {quantization or 'not quantized'}"
        scorer = load_scorer(config.model, **kwargs)
    except Exception as err:  # any load failure (missing files, no network, OOM, bad config) -> offline
        logger.exception("scorer %s failed to load", config.model)
        notices.append(f"{_failure('scorer', config.model, err)} Using the offline `{DEFAULT_MODEL}` scorer.")
        scorer, scorer_name, scorer_kind = load_scorer(DEFAULT_MODEL), DEFAULT_MODEL, OFFLINE_SCORER_KIND
    editors: dict[str, BaseEditor] = {}
    if config.editor != DEFAULT_EDITOR:
        options = {
            "device": config.device,
            "num_inference_steps": config.editor_steps,
            "max_area": config.editor_max_area,
            "max_pixels": config.max_pixels,
        }
        try:
            editors[config.editor] = load_editor(
                config.editor, **{key: value for key, value in options.items() if value is not None}
            )
        except Exception as err:  # same reason as above: the app must start on the offline default
            logger.exception("editor %s failed to load", config.editor)
            notices.append(
                f"{_failure('editor', config.editor, err)} Using the offline `{DEFAULT_EDITOR}` editor."
            )
    editors[DEFAULT_EDITOR] = load_editor(DEFAULT_EDITOR)
    return Backends(scorer, scorer_name, editors, notices, scorer_kind)


# -- the three actions --------------------------------------------------------------------------------


Stage = Literal["pair", "reasoning", "final"]


@dataclass(frozen=True)
class PairView:
    """What the app shows for an (original, edited) pair at one moment of an assessment.

    A stream of views starts with ``stage="pair"`` (the images and their measurements, the delta still
    pending), continues with ``"reasoning"`` views whose only change is the growing ``reasoning``, and
    ends with one ``"final"`` view holding the delta. Only the ``"pair"`` view carries the images: on
    ZeroGPU every view is pickled from the GPU worker to the server, once per streamed token.
    """

    original: Image.Image | None
    edited: Image.Image | None
    delta_html: str
    reasoning: str
    attribute_rows: list[list[Any]]
    details: dict[str, Any]
    stage: Stage


@dataclass(frozen=True)
class RankingView:
    """Scores of several images, best first: table rows, (preview, caption) pairs and JSON details."""

    rows: list[list[Any]]
    gallery: list[tuple[Image.Image, str]]
    details: list[dict[str, Any]]


#: Most images one "Score images" request may rank, and longest edit prompt accepted (requests above
#: these are refused with a message, so that one user cannot hold the queue for long).
MAX_SCORE_IMAGES = 16
MAX_PROMPT_CHARS = 500
#: Long side of the ranking gallery's previews (the scores are computed on the full images).
THUMBNAIL_SIDE = 768
ATTRIBUTE_COLUMNS: tuple[str, ...] = ("attribute", "measurement", "unit", "original", "edited", "change")
RANKING_COLUMNS: tuple[str, ...] = ("rank", "image", "score", "note")


class DemoActions:
    """The demo's three actions on loaded backends. Holds no per-user state: every call gets its inputs
    as arguments, so concurrent users never see each other's data.

    Every request is checked (prompt length, seed range, number of images, the declared pixels of all
    its images together) before any image is decoded, and images are decoded straight to their working
    copy (:data:`red_aes.images.WORKING_LONG_SIDE`), so one request's memory is bounded whatever the
    uploads claim.
    """

    def __init__(
        self,
        backends: Backends,
        *,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        max_request_pixels: int = MAX_REQUEST_PIXELS,
    ) -> None:
        self.backends = backends
        self.max_pixels = max_pixels
        self.max_request_pixels = max_request_pixels

    @staticmethod
    def _named(image: ImageInput, what: str, err: ValueError) -> ValueError:
        """``err`` about an upload, naming the upload (ImageLoadError names the server-side temp path)."""
        name = Path(image).name if isinstance(image, (str, os.PathLike)) else what
        return ValueError(f"{what} ({name}): {getattr(err, 'reason', err)}")

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
                sizes.append(declared_size(image))
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
        if name not in self.backends.editors:
            raise InputError(f"Unknown editor {name!r}; loaded editors: {', '.join(self.backends.editors)}.")
        original = self.load_all([(image, "photo")])[0]
        result = self.backends.editors[name].edit(original, instruction, seed=seed, strength=strength)
        extra = {"editor": result.backend, "instruction": result.instruction, "edit_params": result.params}
        yield from self._assess(original, result.image, result.instruction, extra)

    def compare(
        self, original: ImageInput | None, edited: ImageInput | None, instruction: str | None = None
    ) -> Iterator[PairView]:
        """Stream the assessment of an (original, edited) pair; ``instruction`` is optional context."""
        _check_length(instruction, "Edit instruction")
        before, after = self.load_all([(original, "original image"), (edited, "edited image")])
        text = (instruction or "").strip() or None
        yield from self._assess(before, after, text, {"instruction": text})

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
        loaded = self.load_all([(x, f"image {i + 1}") for i, x in enumerate(images)])
        ranked = self.backends.scorer.rank(loaded)
        rows, gallery, details = [], [], []
        for rank, (index, result) in enumerate(ranked, start=1):
            note = "" if result.valid else f"invalid model answer: {result.error}"
            rows.append([rank, names[index], _round(result.score), note])
            caption = f"#{rank} {names[index]}: " + (
                f"{result.score:.2f}" if result.valid else "no valid score"
            )
            gallery.append((_thumbnail(loaded[index]), caption))
            details.append({"rank": rank, "image": names[index], **_json_safe(result.to_dict())})
        return RankingView(rows=rows, gallery=gallery, details=details)

    def _assess(
        self, original: Image.Image, edited: Image.Image, instruction: str | None, extra: dict[str, Any]
    ) -> Iterator[PairView]:
        measured = measure_pair(original, edited, max_pixels=self.max_pixels, long_side=WORKING_LONG_SIDE)
        rows = attribute_rows(measured)
        scorer = self.backends.scorer_name
        extra = {**extra, "measured_facts": describe_changes(measured)}
        pending, details = pending_html(scorer), {"scorer": scorer, **extra}
        yield PairView(original, edited, pending, "", rows, details, "pair")
        for reasoning, delta in stream_delta(self.backends.scorer, original, edited, instruction):
            if delta is None:
                yield PairView(None, None, pending, reasoning, rows, details, "reasoning")
            else:
                final = _json_safe({**delta.to_dict(), "scorer": delta.model or scorer, **extra})
                shown = reasoning if delta.valid else delta.raw_text  # an unreadable answer, as written
                yield PairView(None, None, delta_html(delta), shown, rows, final, "final")


def _check_length(text: str | None, what: str) -> None:
    """Refuse text that is not a string or is longer than :data:`MAX_PROMPT_CHARS` (before any work, and
    without echoing it)."""
    if text is not None and not isinstance(text, str):
        raise InputError(f"{what} must be text, got {type(text).__name__}.")
    if text is not None and len(text) > MAX_PROMPT_CHARS:
        raise InputError(f"{what} too long: {len(text):,} characters (at most {MAX_PROMPT_CHARS}).")


def stream_delta(
    scorer: BaseScorer, original: Image.Image, edited: Image.Image, instruction: str | None
) -> Iterator[tuple[str, AestheticDelta | None]]:
    """``(reasoning so far, None)`` while a streaming scorer writes, then ``(reasoning, final delta)``;
    a scorer without ``stream_compare`` gives only the final pair."""
    stream = getattr(scorer, "stream_compare", None)
    if stream is not None:
        yield from stream(original, edited, instruction)
    else:
        delta = scorer.compare(original, edited, instruction)
        yield delta.reasoning or "", delta


# -- formatting ---------------------------------------------------------------------------------------


def _thumbnail(image: Image.Image) -> Image.Image:
    preview = image.copy()
    preview.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return preview


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def _json_safe(value: Any) -> Any:
    """``value`` with anything JSON cannot hold (numpy scalars, paths, enums) turned into strings."""
    return json.loads(json.dumps(value, default=str))


def attribute_rows(pair: PairMeasurements) -> list[list[Any]]:
    """One table row per measured statistic: attribute, meaning, unit, original, edited, change."""
    return [
        [
            info.attribute.value,
            info.description,
            info.unit,
            _round(getattr(pair.original, name)),
            _round(getattr(pair.edited, name)),
            _round(pair.changes[name]),
        ]
        for name, info in METRICS.items()
    ]


def _magnitude_word(size: float) -> str:
    return next(word for bound, word in MAGNITUDE_WORDS if size < bound)


def delta_html(delta: AestheticDelta) -> str:
    """The delta as a coloured card: signed number, direction and size in words, and a bar on
    [-9, +9]. An invalid answer becomes a notice with the reason and no number at all."""
    if not delta.valid or delta.delta is None:
        reason = html.escape(delta.error or "no answer")
        return (
            '<div class="red-aes-delta" data-valid="false" style="border:2px solid #b45309;'
            'border-radius:12px;padding:12px;background:#fffbeb;color:#78350f">'
            "<strong>No valid delta.</strong> The scorer's answer could not be read as a number, so none is "
            f"shown. Reason: {reason}</div>"
        )
    value = float(delta.delta)
    size = abs(value)
    if size < NEUTRAL_BAND:
        colour, verdict = NEUTRAL_COLOUR, "no clear change"
    else:
        colour = POSITIVE_COLOUR if value > 0 else NEGATIVE_COLOUR
        verdict = f"{_magnitude_word(size)} {'improvement' if value > 0 else 'degradation'}"
    half = min(size / DELTA_MAX, 1.0) * 50.0
    side = "left:50%" if value >= 0 else f"left:{50.0 - half:.2f}%"
    return (
        f'<div class="red-aes-delta" data-valid="true" data-delta="{value:+.2f}" '
        f'style="border:2px solid {colour};border-radius:12px;padding:12px">'
        f'<div style="display:flex;align-items:baseline;gap:12px">'
        f'<span class="red-aes-delta-value" style="font-size:2.6em;font-weight:700;color:{colour}">'
        f"{value:+.2f}</span>"
        f'<span style="font-size:1.2em;color:{colour}">{verdict}</span></div>'
        '<div style="position:relative;height:14px;background:#e5e7eb;border-radius:7px;margin:10px 0 4px">'
        f'<div style="position:absolute;{side};width:{half:.2f}%;height:100%;background:{colour};'
        'border-radius:7px"></div>'
        '<div style="position:absolute;left:50%;top:-3px;width:2px;height:20px;background:#111827"></div>'
        "</div>"
        '<div style="display:flex;justify-content:space-between;font-size:0.8em;color:#4b5563">'
        f"<span>−{DELTA_MAX:g} worse</span><span>0</span><span>+{DELTA_MAX:g} better</span></div>"
        f'<div style="font-size:0.8em;color:#4b5563;margin-top:6px">delta = score(edited) − score(original) '
        f"· scorer {html.escape(delta.model or 'unknown')}</div></div>"
    )


def pending_html(scorer: str) -> str:
    """Placeholder shown while the scorer is assessing a pair."""
    return (
        '<div class="red-aes-delta" data-valid="pending" style="border:2px dashed #9ca3af;border-radius:12px;'
        f'padding:12px;color:#4b5563">Assessing the edit with <code>{html.escape(scorer)}</code>…</div>'
    )


# -- bundled example photos -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoCredit:
    """One row of ``examples/photos/LICENSES.csv``."""

    file: str
    origin: str
    license: str
    credit: str


def photo_credits(licenses_csv: str | os.PathLike) -> list[PhotoCredit]:
    """The credits of the bundled photos, in file order."""
    with open(licenses_csv, newline="", encoding="utf-8") as handle:
        return [
            PhotoCredit(row["file"], row["origin_package"], row["license"], row["credit"])
            for row in csv.DictReader(handle)
        ]


def credits_markdown(credits: Sequence[PhotoCredit]) -> str:
    """A Markdown table of photo credits for the app's footer."""
    lines = ["| photo | license | credit | source |", "|---|---|---|---|"]
    lines += [f"| {c.file} | {c.license} | {c.credit} | {c.origin} |" for c in credits]
    return "\n".join(lines)
