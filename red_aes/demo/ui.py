"""The Gradio app of the demo: UI wiring only, the logic is in :mod:`red_aes.demo` (config, actions,
views). ``red-aes demo`` serves it from an install, and the Space's ``app.py`` serves it from a checkout.

Scale and sign: scores in [1, 10]; delta = score(edited) - score(original), positive = improvement.

With nothing configured, or when a configured model cannot be loaded, the app runs on the offline
default (classical editor + RED-Lite scorer) and shows a notice saying so and why. Gradio analytics are
off unless GRADIO_ANALYTICS_ENABLED=True.

API (gradio_client, ``api_name=``): ``/edit_and_assess``, ``/auto_enhance``, ``/compare``, ``/score``,
``/cull``. Its text outputs are plain text; only the page's HTML views (the delta card, the error popup)
are HTML-escaped. ``/score`` and ``/cull`` also return a CSV file: ``red-aes score --csv``'s and
``red-aes cull``'s ``cull.csv``.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image

from red_aes.errors import missing_extra

try:
    import gradio as gr
    import spaces
except ImportError as err:  # the demo is the 'app' extra
    raise missing_extra("app", err.name, "the demo") from err

from red_aes.cull import CSV_NAME, PHOTO_SUFFIXES
from red_aes.demo import (
    ATTRIBUTE_COLUMNS,
    CULL_COLUMNS,
    MAX_PROMPT_CHARS,
    MAX_SCORE_IMAGES,
    RANKING_COLUMNS,
    SCALE_NOTE,
    Backends,
    DemoActions,
    DemoConfig,
    PairView,
    credits_markdown,
    load_backends,
    photo_credits,
    return_freed_memory,
)
from red_aes.demo.actions import AUTO_ENHANCE_PROMPT, SUPPORTED_EDITS_TITLE, supported_edits_markdown
from red_aes.editing.base import DEFAULT_STRENGTH, MAX_SEED
from red_aes.resources import example_photos

#: (photo, prompt, strength) examples of the Edit & assess tab, improvements and degradations.
EDIT_EXAMPLES: tuple[tuple[str, str, float], ...] = (
    ("chelsea.png", "make it a bit brighter and warmer", 0.6),
    ("china.jpg", "give it more contrast and add a slight vignette", 0.6),
    ("rocket.jpg", "add a lot of grain", 0.8),
    ("coffee.png", "make it much darker", 0.8),
    ("flower.jpg", "make it blurrier", 0.7),
)
SCORE_EXAMPLE: tuple[str, ...] = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg")
CULL_EXAMPLE: tuple[str, ...] = ("chelsea.png", "coffee.png", "flower.jpg", "rocket.jpg", "china.jpg")
#: Name of the Score tab's CSV download (the columns of ``red-aes score --csv``).
SCORES_CSV_NAME = "scores.csv"
GPU_SECONDS = 120
SOURCES = ["upload", "clipboard"]


#: An uploaded file as the handlers receive it: Gradio's file payload (with ``path``), or None.
Upload = dict[str, Any] | None
#: Events run with ``preprocess=False`` so that Gradio never opens an upload with PIL itself (its
#: preprocessing would fail on a corrupt file with a developer-facing error): the handlers get the
#: uploaded files' payloads (already checked to be in Gradio's upload folder) and ``red_aes.images``
#: is the only decoder, with its pixel budget and clear messages.
EVENT_OPTIONS: dict[str, Any] = {"preprocess": False}
#: The one concurrency group of every endpoint: the configured number of requests runs at once over the
#: whole app (a per-endpoint limit would let an edit, a comparison and a ranking run together, tripling
#: the memory and the model load).
CONCURRENCY_ID = "red-aes"
#: Gradio's file cache (uploads, edited images, previews): every 10 minutes, files older than 30 minutes
#: are deleted, so the cache cannot grow without bound on a long-running Space.
DELETE_CACHE: tuple[int, int] = (600, 1800)


def analytics_enabled(environ: dict[str, str] | None = None) -> bool:
    """Gradio's usage analytics: off unless ``GRADIO_ANALYTICS_ENABLED`` says ``True`` (the demo runs
    offline by default and sends nothing anywhere)."""
    env = os.environ if environ is None else environ
    return env.get("GRADIO_ANALYTICS_ENABLED", "").strip().lower() == "true"


def _path(upload: Upload) -> str | None:
    """The server-side path of an uploaded file."""
    return None if upload is None else upload["path"]


#: Values of the ``x-gradio-user`` header by which Gradio's clients mark an API call: ``gradio_client``
#: and ``@gradio/client`` send ``api``, Gradio's MCP server ``mcp`` (the page itself sends ``app``).
API_CLIENTS = frozenset({"api", "mcp"})


def api_client(request: gr.Request | None) -> bool:
    """Whether ``request`` comes from an API client, which reads an error message as plain text. The page
    renders it as HTML, and so is any caller that does not say what it is taken to be."""
    headers = getattr(request, "headers", None)
    return headers is not None and headers.get("x-gradio-user") in API_CLIENTS


@contextmanager
def user_errors(request: gr.Request | None = None) -> Iterator[None]:
    """Show input errors (bad image, empty or unsupported prompt, ...) to the user as a gr.Error. The
    message quotes user text (a prompt, a file name): the page shows it as HTML, so there it is escaped;
    an API client (:func:`api_client`) gets it as written."""
    try:
        yield
    except ValueError as err:
        message = str(err) if api_client(request) else html.escape(str(err), quote=False)
        raise gr.Error(message, print_exception=False) from err


def _png(image: Image.Image, directory: str, name: str) -> str:
    """Save ``image`` once as a lossless PNG (zlib level 1) and return its path. The before/after pair is
    sent as files: Gradio copies a file into its cache once, whereas a PIL image would be re-encoded and its
    cache file rewritten at every update of the stream (racing with the browser fetching it)."""
    path = os.path.join(directory, f"{name}.png")
    image.save(path, compress_level=1)  # about half the encoding time of the default level 6
    return path


def _text_file(text: str, directory: str, name: str) -> str:
    """Write ``text`` (a CSV) to ``directory/name`` for Gradio to copy into its cache, and return its
    path."""
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    return path


def _assessment(view: PairView) -> tuple[Any, ...]:
    """A view's delta card, reasoning, measured-changes rows and JSON details, in the outputs' order;
    while the scorer streams its reasoning only the reasoning is sent (``gr.skip()`` keeps the rest)."""
    if view.stage == "reasoning":
        return gr.skip(), view.reasoning, gr.skip(), gr.skip()
    return view.delta_html, view.reasoning, view.attribute_rows, view.details


def _changes_and_details() -> tuple[gr.Dataframe, gr.JSON]:
    """The measured-changes table and the collapsed JSON of a pair's assessment (Edit and Compare tabs)."""
    table = gr.Dataframe(
        headers=list(ATTRIBUTE_COLUMNS), label="Measured changes (edited − original)", interactive=False
    )
    with gr.Accordion("Details (JSON)", open=False):
        details = gr.JSON(label="Result")
    return table, details


def build_demo(config: DemoConfig, backends: Backends | None = None) -> gr.Blocks:
    """The app for ``config``; models are loaded here, once (pass ``backends`` to reuse loaded ones)."""
    backends = load_backends(config) if backends is None else backends
    photos = example_photos()
    actions = DemoActions(
        backends,
        max_input_pixels=config.max_input_pixels,
        time_limit=config.time_limit,
        max_cull_images=config.max_cull_images,
    )

    # The model work runs under spaces.GPU (a GPU is attached per call on ZeroGPU, in a worker process;
    # elsewhere the decorator is a no-op). The handlers below stay in the server process, where the
    # files they hand to Gradio live as long as Gradio needs them.
    gpu = spaces.GPU(duration=GPU_SECONDS)
    gpu_edit_and_assess, gpu_compare, gpu_score, gpu_cull = (
        gpu(actions.edit_and_assess),
        gpu(actions.compare),
        gpu(actions.score),
        gpu(actions.cull),
    )

    # Gradio passes each handler its request (a parameter typed gr.Request, not an API input).
    def edit_and_assess(
        image: Upload, prompt: str, editor: str, strength: float, seed: float | None, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """Edit a photo as the prompt says; stream the delta (edited - original) and the reasoning."""
        with user_errors(request), tempfile.TemporaryDirectory(prefix="red-aes-") as scratch:
            pair: tuple[str, str] | None = None
            for view in gpu_edit_and_assess(_path(image), prompt, editor, strength, seed):
                pair = pair or (
                    _png(view.original, scratch, "original"),
                    _png(view.edited, scratch, "edited"),
                )
                yield (gr.skip() if view.stage == "reasoning" else pair, *_assessment(view))

    def auto_enhance(
        image: Upload, editor: str, strength: float, seed: float | None, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """Let the critic choose the edit (the search behind ``red-aes enhance``), then assess it."""
        yield from edit_and_assess(image, AUTO_ENHANCE_PROMPT, editor, strength, seed, request)

    def compare(
        original: Upload, edited: Upload, instruction: str, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """Stream the delta score(edited) - score(original) with the reasoning."""
        with user_errors(request):
            for view in gpu_compare(_path(original), _path(edited), instruction):
                yield _assessment(view)

    # The CSV files are written into a scratch folder that lives while the handler is suspended at its
    # yield: Gradio copies each returned file into its cache before resuming it.
    # ``folder`` comes after the request so that it can have a default: Gradio fills a gr.Request
    # parameter wherever it stands, and gradio_client may then leave the second input out.
    def score(
        files: list[dict[str, Any]] | None, request: gr.Request, folder: list[dict[str, Any]] | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Score every image (1-10), and every photo of an uploaded folder, and rank them, best first;
        the ranking also as a CSV file. ``folder`` may be left out by API clients."""
        with user_errors(request):
            view = gpu_score([_path(f) for f in files or []], [_path(f) for f in folder or []])
        with tempfile.TemporaryDirectory(prefix="red-aes-") as scratch:
            yield view.gallery, view.rows, view.details, _text_file(view.csv, scratch, SCORES_CSV_NAME)

    def cull(files: list[dict[str, Any]] | None, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        """Group the photos' bursts and near-duplicates, pick the best frame of each group with a
        reason and flag defects, as ``red-aes cull`` does; the decisions also as its ``cull.csv``."""
        with user_errors(request):
            view = gpu_cull([_path(f) for f in files or []])
        with tempfile.TemporaryDirectory(prefix="red-aes-") as scratch:
            csv_file = _text_file(view.csv, scratch, CSV_NAME)
            yield view.summary, view.gallery, view.rows, csv_file, view.details

    editor_names = list(backends.editors)
    events: dict[str, Any] = {
        **EVENT_OPTIONS,
        "concurrency_id": CONCURRENCY_ID,
        "concurrency_limit": config.concurrency,
    }
    with gr.Blocks(
        title="RED-Aes: relative image aesthetics",
        delete_cache=DELETE_CACHE,
        analytics_enabled=analytics_enabled(),
    ) as demo:
        gr.Markdown(
            "# RED-Aes: how much did the edit change the photo's aesthetics?\n"
            "Edit a photo (or upload two versions) and get the aesthetic **delta** with the reasoning "
            "behind it. " + SCALE_NOTE
        )
        gr.Markdown(backends.status_markdown(), elem_id="backend-status")
        with gr.Tab("Edit & assess", id="edit"):
            with gr.Row():
                with gr.Column(scale=1):
                    image = gr.Image(label="Photo", type="filepath", sources=SOURCES, elem_id="edit-image")
                    prompt = gr.Textbox(
                        label="Edit prompt",
                        placeholder="e.g. make it a bit brighter and warmer",
                        max_length=MAX_PROMPT_CHARS,
                        elem_id="edit-prompt",
                    )
                    with gr.Accordion(SUPPORTED_EDITS_TITLE, open=False):
                        gr.Markdown(supported_edits_markdown())
                    with gr.Row():
                        editor = gr.Dropdown(editor_names, value=backends.default_editor, label="Editor")
                        strength = gr.Slider(
                            0.05,
                            1.0,
                            value=DEFAULT_STRENGTH,
                            step=0.05,
                            label="Strength",
                            info=f"default {DEFAULT_STRENGTH:g}, as in the CLI; yes/no edits ignore it",
                        )
                        seed = gr.Number(value=0, precision=0, minimum=0, maximum=MAX_SEED, label="Seed")
                    with gr.Row():
                        run_edit = gr.Button("Edit & assess", variant="primary", elem_id="edit-run")
                        run_auto = gr.Button("Auto-enhance", elem_id="edit-auto")
                    gr.Examples(
                        [
                            [str(photos / photo), text, backends.default_editor, level, 0]
                            for photo, text, level in EDIT_EXAMPLES
                        ],
                        inputs=[image, prompt, editor, strength, seed],
                        example_labels=[f"{Path(photo).stem}: {text}" for photo, text, _ in EDIT_EXAMPLES],
                    )
                with gr.Column(scale=1):
                    slider = gr.ImageSlider(label="Before / after", type="filepath", elem_id="edit-slider")
                    edit_delta = gr.HTML(label="Delta", elem_id="edit-delta")
                    edit_reasoning = gr.Textbox(label="Reasoning", lines=5, interactive=False)
            edit_table, edit_details = _changes_and_details()
            edit_inputs = [image, prompt, editor, strength, seed]
            edit_outputs = [slider, edit_delta, edit_reasoning, edit_table, edit_details]
            gr.on(
                [run_edit.click, prompt.submit],
                edit_and_assess,
                edit_inputs,
                edit_outputs,
                api_name="edit_and_assess",
                **events,
            )
            run_auto.click(
                auto_enhance,
                [image, editor, strength, seed],
                edit_outputs,
                api_name="auto_enhance",
                **events,
            )
        with gr.Tab("Compare two images", id="compare"):
            with gr.Row():
                original = gr.Image(label="Original", type="filepath", sources=SOURCES)
                edited = gr.Image(label="Edited", type="filepath", sources=SOURCES)
            instruction = gr.Textbox(
                value="",
                label="Edit instruction (optional)",
                placeholder="what the edit was meant to do",
                max_length=MAX_PROMPT_CHARS,
            )
            run_compare = gr.Button("Compare", variant="primary")
            compare_delta = gr.HTML(label="Delta")
            compare_reasoning = gr.Textbox(label="Reasoning", lines=5, interactive=False)
            compare_table, compare_details = _changes_and_details()
            run_compare.click(
                compare,
                [original, edited, instruction],
                [compare_delta, compare_reasoning, compare_table, compare_details],
                api_name="compare",
                **events,
            )
        with gr.Tab("Score images", id="score"):
            with gr.Row():
                files = gr.File(label="Images", file_count="multiple", file_types=["image"], type="filepath")
                folder = gr.File(
                    label=f"...or a folder (its photos; up to {MAX_SCORE_IMAGES} in all)",
                    file_count="directory",
                    type="filepath",
                    elem_id="score-folder",
                )
            run_score = gr.Button("Score & rank", variant="primary")
            ranked = gr.Gallery(label="Ranking (best first)", columns=4, height="auto")
            score_table = gr.Dataframe(
                headers=list(RANKING_COLUMNS), label="Scores (1 to 10)", interactive=False
            )
            score_csv = gr.File(
                label="Ranking as CSV (the columns of red-aes score --csv)", elem_id="score-csv"
            )
            with gr.Accordion("Details (JSON)", open=False):
                score_details = gr.JSON(label="Results")
            gr.Examples([[[str(photos / name) for name in SCORE_EXAMPLE]]], inputs=[files])
            run_score.click(
                score,
                [files, folder],
                [ranked, score_table, score_details, score_csv],
                api_name="score",
                **events,
            )
        with gr.Tab("Cull a shoot", id="cull"):
            gr.Markdown(
                f"Upload up to {config.max_cull_images} photos of a shoot: bursts and near-duplicates are "
                "grouped, the best frame of each group is picked (★) with a one-line reason, and blurred, "
                "noisy, badly exposed, tilted and duplicate frames are flagged, as `red-aes cull` does for "
                "a folder."
            )
            cull_files = gr.File(
                label=f"Photos (up to {config.max_cull_images})",
                file_count="multiple",
                file_types=sorted(PHOTO_SUFFIXES),
                type="filepath",
                elem_id="cull-files",
            )
            run_cull = gr.Button("Cull", variant="primary", elem_id="cull-run")
            cull_summary = gr.Textbox(label="Summary", interactive=False, elem_id="cull-summary")
            cull_gallery = gr.Gallery(
                label="By group (G1, G2, ...), best first; ★ the pick",
                columns=6,
                height="fit-content",  # grows with the rows of thumbnails
                object_fit="contain",  # the whole frame: tilt and framing show
                elem_id="cull-gallery",
            )
            cull_table = gr.Dataframe(
                headers=list(CULL_COLUMNS),
                label="Decisions by group",
                interactive=False,
                wrap=True,
                column_widths=["6%", "5%", "17%", "6%", "5%", "11%", "50%"],
                elem_id="cull-table",
            )
            cull_csv = gr.File(label=f"{CSV_NAME} (as red-aes cull writes it)", elem_id="cull-csv")
            with gr.Accordion("Details (JSON)", open=False):
                cull_details = gr.JSON(label="Decisions")
            gr.Examples([[[str(photos / name) for name in CULL_EXAMPLE]]], inputs=[cull_files])
            run_cull.click(
                cull,
                [cull_files],
                [cull_summary, cull_gallery, cull_table, cull_csv, cull_details],
                api_name="cull",
                **events,
            )
        with gr.Accordion("Photo credits", open=False):
            gr.Markdown(credits_markdown(photo_credits(photos / "LICENSES.csv")))
    demo.queue(default_concurrency_limit=config.concurrency)
    return demo


def launch(demo: gr.Blocks, config: DemoConfig, **kwargs: Any) -> tuple[Any, str, str | None]:
    """Serve ``demo`` with the configured host, port, sharing and upload size limit."""
    return demo.launch(
        share=config.share,
        server_name=config.server_name,
        server_port=config.server_port,
        max_file_size=config.max_file_size,
        **kwargs,
    )


def serve(config: DemoConfig, **kwargs: Any) -> None:
    """Build the app for ``config`` and serve it until interrupted (``red-aes demo``, ``app.py``)."""
    return_freed_memory()
    launch(build_demo(config), config, **kwargs)
