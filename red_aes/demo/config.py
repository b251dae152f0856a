"""The demo's configuration and backends: flags over ``RED_AES_*`` environment variables over defaults
(see :data:`OPTIONS`), and the scorer and editors loaded once at start. When nothing is configured, or a
configured model cannot be loaded, the demo runs on the offline default (classical editor + the RED-Lite
scorer) and says so in a visible notice.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from red_aes.editing import EDITORS, load_editor
from red_aes.editing.base import BaseEditor
from red_aes.errors import InputError
from red_aes.images import DEFAULT_MAX_INPUT_PIXELS
from red_aes.registry import given
from red_aes.scoring import SCORERS, BaseScorer, load_scorer
from red_aes.scoring.options import DEFAULT_MODEL, MODEL_OPTIONS, Option
from red_aes.types import check_quantization, resolve_quantization

logger = logging.getLogger(__name__)

DEFAULT_EDITOR = "classical"
#: What the page says the offline scorer is: its registry description, as for every scorer.
OFFLINE_SCORER_KIND = SCORERS[DEFAULT_MODEL].description
#: Seconds one request may run (edit, then assessment) before it is stopped at its next step, so that one
#: request cannot hold the queue: a backstop behind the work bound of the classical editor's prompts.
DEFAULT_TIME_LIMIT = 60.0
#: Most estimated work (seconds of one core) the app's classical editor takes from one prompt, tighter
#: than the library's MAX_EDIT_WORK: with the assessment (about 2.5 s at 2048 px) the heaviest request
#: allowed stays under 5 s, so a light request queued behind it waits less than that.
DEMO_EDIT_WORK = 2.0
#: Most photos one "Cull" request takes (a larger request is refused with a message). RED-Lite analyses
#: a 12 MP photo in about 0.4 s of one core (``benchmarks/bench_cull.py``: 4.9 photos/s on 2 cores), so a
#: full request takes about 10 s, well within :data:`DEFAULT_TIME_LIMIT`.
DEFAULT_MAX_CULL_IMAGES = 24

#: Options settable by flag or environment variable (a flag wins): the model options that have a
#: variable (declared once with the commands' in :mod:`red_aes.scoring.options`), then the app's own.
OPTIONS: tuple[Option, ...] = (
    *(option for option in MODEL_OPTIONS if option.env),
    Option(
        "--editor",
        f"editor: one of {', '.join(EDITORS.names())}, or a diffusers pipeline id or directory",
        env="RED_AES_EDITOR",
    ),
    Option("--editor-steps", "denoising steps of a diffusion editor", type=int, env="RED_AES_EDITOR_STEPS"),
    Option(
        "--editor-max-area",
        "largest area a diffusion editor generates at",
        type=int,
        env="RED_AES_EDITOR_MAX_AREA",
    ),
    Option(
        "--max-input-pixels",
        "input limit: an uploaded image with more pixels (width x height) is refused",
        type=int,
        env="RED_AES_MAX_INPUT_PIXELS",
    ),
    Option("--max-file-size", "upload size limit, e.g. 25mb", env="RED_AES_MAX_FILE_SIZE"),
    Option(
        "--max-cull-images",
        "most photos one Cull request takes; more are refused",
        type=int,
        env="RED_AES_MAX_CULL_IMAGES",
    ),
    Option(
        "--concurrency",
        "requests processed at the same time, over all endpoints together",
        type=int,
        env="RED_AES_CONCURRENCY",
    ),
    Option(
        "--time-limit",
        "seconds one request may run before it is stopped",
        type=float,
        env="RED_AES_TIME_LIMIT",
    ),
)


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
    the scorer's default) apply to VLM scorers only; ``endpoint_url`` and ``endpoint_model`` to the
    ``endpoint`` scorer.
    ``editor_steps`` and ``editor_max_area`` tune a diffusion editor (None: the editor's defaults).
    ``max_input_pixels`` is the input limit of every uploaded image; ``max_file_size`` the upload limit
    (Gradio syntax, e.g. ``"25mb"``); ``max_cull_images`` the most photos of one Cull request;
    ``concurrency`` the queue's default concurrency limit; ``time_limit`` the seconds one request may run
    before it is stopped at its next step.
    """

    model: str = DEFAULT_MODEL
    adapter: str | None = None
    quantization: str = "auto"
    max_reasoning_tokens: int | None = None
    endpoint_url: str | None = None
    endpoint_model: str | None = None
    editor: str = DEFAULT_EDITOR
    device: str | None = None
    editor_steps: int | None = None
    editor_max_area: int | None = None
    max_input_pixels: int = DEFAULT_MAX_INPUT_PIXELS
    max_file_size: str = "25mb"
    max_cull_images: int = DEFAULT_MAX_CULL_IMAGES
    concurrency: int = 1
    time_limit: float = DEFAULT_TIME_LIMIT
    share: bool = False
    server_name: str | None = None
    server_port: int | None = None

    def __post_init__(self) -> None:
        check_quantization(self.quantization)
        if self.max_input_pixels < 1:
            raise InputError(f"max_input_pixels must be >= 1, got {self.max_input_pixels}")
        if self.max_cull_images < 1:
            raise InputError(f"max_cull_images must be >= 1, got {self.max_cull_images}")
        if self.concurrency < 1:
            raise InputError(f"concurrency must be >= 1, got {self.concurrency}")
        if not self.time_limit > 0:
            raise InputError(f"time_limit must be > 0 seconds, got {self.time_limit}")


def add_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str] | None = None) -> None:
    """Add the demo's flags to ``parser``, built from :data:`OPTIONS`: each defaults to its environment
    variable, then to :class:`DemoConfig`'s default (``app.py`` and ``red-aes demo`` share them)."""
    env = os.environ if environ is None else environ
    defaults = DemoConfig()
    for option in OPTIONS:
        default = getattr(defaults, option.dest)
        shown = "" if default is None else f"; default {default}"
        parser.add_argument(
            option.flag,
            type=option.type,
            default=env.get(option.env) or default,
            choices=option.choices,
            help=f"{option.help} (env {option.env}{shown})",
        )
    parser.add_argument("--share", action="store_true", help="create a public gradio.live link")
    parser.add_argument("--server-name", default=None, help="host (default: GRADIO_SERVER_NAME or 127.0.0.1)")
    parser.add_argument(
        "--server-port", type=int, default=None, help="port (default: GRADIO_SERVER_PORT or 7860+)"
    )


#: What the demo's help says about its configuration (``app.py --help``, ``red-aes demo --help``).
DESCRIPTION = (
    "RED-Aes demo: edit a photo and see how much the edit changed its aesthetics, compare two images, score "
    "several, cull a shoot. Flags override the RED_AES_* environment variables; GRADIO_SERVER_NAME and "
    "GRADIO_SERVER_PORT are honoured as in any Gradio app. Needs the 'app' extra (gradio)."
)


def build_arg_parser(
    environ: Mapping[str, str] | None = None, prog: str = "app.py"
) -> argparse.ArgumentParser:
    """The app's parser (:func:`add_arguments`). Flags are taken only as spelled, as in ``red-aes``."""
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION, allow_abbrev=False)
    add_arguments(parser, environ)
    return parser


def config_from_args(args: argparse.Namespace) -> DemoConfig:
    """The :class:`DemoConfig` of parsed demo flags (other attributes of ``args`` are ignored); an
    InputError for a bad value."""
    return DemoConfig(**{name: getattr(args, name) for name in DemoConfig.__dataclass_fields__})


def load_config(argv: Sequence[str] | None = (), environ: Mapping[str, str] | None = None) -> DemoConfig:
    """The demo configuration from ``argv`` flags over ``environ`` (default ``os.environ``).

    ``argv=()`` reads the environment only (what importing ``app.py`` does); ``None`` reads ``sys.argv``.
    """
    args = build_arg_parser(environ).parse_args(None if argv is None else list(argv))
    try:
        return config_from_args(args)  # every flag's dest is a DemoConfig field
    except ValueError as err:
        raise SystemExit(f"app.py: error: {err}") from err


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
    scorer_name, scorer_kind = config.model, SCORERS.entry(config.model).description
    try:
        # The app's model options this backend takes (a VLM's, an endpoint's); the adapter always goes,
        # so that one set for a backend without adapters is refused rather than ignored.
        options: dict[str, Any] = {"adapter": config.adapter}
        for option in MODEL_OPTIONS:
            taken = option.env and option.key not in {"model", "adapter"}
            if taken and SCORERS.accepts(config.model, option.key):
                options[option.key] = getattr(config, option.dest)
        if "quantization" in options:  # a VLM id or directory
            options["quantization"] = resolve_quantization(config.quantization, cuda_available)
            adapter = f"adapter `{config.adapter}`, " if config.adapter else ""
            scorer_kind += f"; {adapter}{options['quantization'] or 'not quantized'}"
        scorer = load_scorer(config.model, **given(options))
    except Exception as err:  # any load failure (missing files, no network, OOM, bad config) -> offline
        logger.exception("scorer %s failed to load", config.model)
        notices.append(f"{_failure('scorer', config.model, err)} Using the offline `{DEFAULT_MODEL}` scorer.")
        scorer, scorer_name, scorer_kind = load_scorer(DEFAULT_MODEL), DEFAULT_MODEL, OFFLINE_SCORER_KIND
    editors: dict[str, BaseEditor] = {}
    if config.editor != DEFAULT_EDITOR:
        editor_options = {
            "device": config.device,
            "num_inference_steps": config.editor_steps,
            "max_area": config.editor_max_area,
            "max_input_pixels": config.max_input_pixels,
        }
        try:
            editors[config.editor] = load_editor(config.editor, **given(editor_options))
        except Exception as err:  # same reason as above: the app must start on the offline default
            logger.exception("editor %s failed to load", config.editor)
            notices.append(
                f"{_failure('editor', config.editor, err)} Using the offline `{DEFAULT_EDITOR}` editor."
            )
    editors[DEFAULT_EDITOR] = load_editor(DEFAULT_EDITOR, max_work=DEMO_EDIT_WORK)
    return Backends(scorer, scorer_name, editors, notices, scorer_kind)
