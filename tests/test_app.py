"""The Gradio app (red_aes.demo.ui, which the Space's app.py and ``red-aes demo`` serve) served in-process
and driven through its named API with gradio_client, on the offline default (classical editor + measured
scorer, real photos) and on the tiny VLM + tiny diffusion editor. The library side of the demo is tested in
tests/demo/."""

from __future__ import annotations

import csv
import html
import importlib.util
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image, ImageFilter

from tests.conftest import REPO

gr = pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from launch import free_port  # noqa: E402

from red_aes.cull import COLUMNS as CULL_CSV_COLUMNS  # noqa: E402
from red_aes.demo import (  # noqa: E402
    DEFAULT_EDITOR,
    DEFAULT_MODEL,
    MAX_PROMPT_CHARS,
    Backends,
    DemoActions,
    DemoConfig,
    load_backends,
    load_config,
    ui,
)
from red_aes.editing import VOCABULARY  # noqa: E402
from red_aes.images import load_image  # noqa: E402
from red_aes.measure import METRICS  # noqa: E402
from red_aes.parsing import parse_answer  # noqa: E402
from red_aes.scoring import SCORE_CSV_COLUMNS, BaseScorer, load_scorer  # noqa: E402
from red_aes.types import (  # noqa: E402
    DEFAULT_STRENGTH,
    DELTA_MAX,
    DELTA_MIN,
    SCORE_MAX,
    SCORE_MIN,
    AestheticDelta,
)

#: Every bundled photo is at most 640x427 = 273,280 pixels; the test budget sits just above.
TEST_MAX_PIXELS = 300_000
#: Most photos of a Cull request in the offline fixture (small, to test the refusal with small uploads).
TEST_MAX_CULL_IMAGES = 4


def import_app() -> ModuleType:
    """Import the repository's app.py as a module (as `gradio app.py` does)."""
    if "app" in sys.modules and getattr(sys.modules["app"], "__file__", None) == str(REPO / "app.py"):
        return sys.modules["app"]
    spec = importlib.util.spec_from_file_location("app", REPO / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def serve(config: DemoConfig, backends: Backends | None = None) -> Iterator[tuple[Client, Any]]:
    """Build and launch the app for ``config`` (on ``backends`` if given); yield a client and the Blocks."""
    demo = ui.build_demo(config, backends)
    _, url, _ = ui.launch(demo, config, prevent_thread_lock=True, quiet=True)
    try:
        yield Client(url, verbose=False, analytics_enabled=False), demo
    finally:
        demo.close()


@pytest.fixture(scope="module")
def offline_client() -> Iterator[Client]:
    """The app on the offline default, with a small pixel budget, upload limit and Cull request to test
    them."""
    config = DemoConfig(
        max_input_pixels=TEST_MAX_PIXELS,
        max_file_size="1mb",
        max_cull_images=TEST_MAX_CULL_IMAGES,
        server_port=free_port(),
    )
    with serve(config) as (client, _):
        yield client


def read_csv(path: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the rows of a CSV file the app returned."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    return list(reader.fieldnames or []), rows


def status_text(demo: Any) -> str:
    """The backend notice shown at the top of the page."""
    (block,) = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "backend-status"]
    return block.value


# -- offline default: classical editor + measured scorer ---------------------------------------------


def test_api_exposes_the_named_endpoints(offline_client: Client) -> None:
    endpoints = offline_client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/edit_and_assess", "/auto_enhance", "/compare", "/score", "/cull"} <= set(endpoints)
    names = [p["parameter_name"] for p in endpoints["/edit_and_assess"]["parameters"]]
    assert names == ["image", "prompt", "editor", "strength", "seed"]


def test_edit_and_assess_offline(offline_client: Client, photos_dir: Path) -> None:
    photo = photos_dir / "chelsea.png"
    (before, after), card, reasoning, table, details = offline_client.predict(
        handle_file(str(photo)), "make it brighter", DEFAULT_EDITOR, 0.8, 0, api_name="/edit_and_assess"
    )
    original, edited = load_image(before), load_image(after)
    assert original.size == edited.size == load_image(photo).size
    # the prompt reached the classical editor: the returned photo is brighter than the upload
    assert np.asarray(edited, dtype=float).mean() > np.asarray(original, dtype=float).mean() + 2
    assert details["editor"] == DEFAULT_EDITOR and details["scorer"] == DEFAULT_MODEL
    assert details["instruction"] == "make it brighter"
    assert details["valid"] is True and DELTA_MIN <= details["delta"] <= DELTA_MAX
    # each key filled: the decoding, no null prompt_version
    assert details["decoding"] == "reasoning"
    assert details.get("prompt_version", "absent") is not None
    assert f"{details['delta']:+.2f}" in card and 'data-valid="true"' in card
    assert reasoning == (details["reasoning"] or "")
    rows = {row[1]: row for row in table["data"]}
    assert table["headers"] == ["attribute", "measurement", "unit", "original", "edited", "change"]
    assert rows[METRICS["mean_luminance"].description][5] > 0  # measured exposure went up


def test_edit_and_assess_streams_the_pair_before_the_delta(offline_client: Client, photos_dir: Path) -> None:
    job = offline_client.submit(
        handle_file(str(photos_dir / "coffee.png")),
        "add a lot of grain",
        DEFAULT_EDITOR,
        1.0,
        3,
        api_name="/edit_and_assess",
    )
    job.result(timeout=120)
    updates = job.outputs()
    assert len(updates) >= 2
    first, last = updates[0], updates[-1]
    assert first[0] is not None and 'data-valid="pending"' in first[1]  # the edit is shown while assessing
    assert 'data-valid="true"' in last[1] and last[4]["valid"] is True


def test_compare_offline_matches_the_library(
    offline_client: Client, photos_dir: Path, tmp_path: Path
) -> None:
    original = photos_dir / "rocket.jpg"
    blurred = tmp_path / "rocket_blurred.png"
    load_image(original).filter(ImageFilter.GaussianBlur(4)).save(blurred)
    card, _, table, details = offline_client.predict(
        handle_file(str(original)), handle_file(str(blurred)), "blur it", api_name="/compare"
    )
    expected = load_scorer(DEFAULT_MODEL).compare(original, blurred, "blur it")
    assert details["valid"] is True and details["delta"] == pytest.approx(expected.delta, abs=1e-6)
    assert details["delta"] < 0  # a strongly blurred photo is judged worse
    assert "#b91c1c" in card  # shown in the colour of a degradation
    rows = {row[1]: row for row in table["data"]}
    assert rows[METRICS["sharpness"].description][5] < 0  # measured sharpness dropped


def test_score_ranks_best_first_and_matches_the_library(
    offline_client: Client, photo_paths: list[Path]
) -> None:
    photos = photo_paths[:3]
    gallery, table, details, csv_file = offline_client.predict(
        [handle_file(str(p)) for p in photos], api_name="/score"
    )
    expected = {
        p.name: s.score for p, s in zip(photos, load_scorer(DEFAULT_MODEL).score(list(photos)), strict=True)
    }
    assert [row[0] for row in table["data"]] == [1, 2, 3]
    assert sorted(row[1] for row in table["data"]) == sorted(expected)
    scores = [row[2] for row in table["data"]]
    assert scores == sorted(scores, reverse=True)
    assert all(SCORE_MIN <= s <= SCORE_MAX for s in scores)
    for row in table["data"]:
        assert row[2] == pytest.approx(expected[row[1]], abs=1e-3)
    assert [d["image"] for d in details] == [row[1] for row in table["data"]]
    assert len(gallery) == 3 and gallery[0]["caption"].startswith(f"#1 {table['data'][0][1]}")
    # the ranking as a CSV file with red-aes score --csv's columns: one row per uploaded image, best first
    header, rows = read_csv(csv_file)
    assert Path(csv_file).name == "scores.csv" and header == list(SCORE_CSV_COLUMNS)
    assert [row["file"] for row in rows] == [row[1] for row in table["data"]]
    for row in rows:
        assert float(row["score"]) == pytest.approx(expected[row["file"]], abs=1e-6)
        assert row["valid"] == "true" and row["model"] == DEFAULT_MODEL


def test_cull_picks_the_clean_frame_of_a_burst_and_flags_the_blurred_one(
    offline_client: Client, photos_dir: Path, tmp_path: Path
) -> None:
    """A photo and a blurred copy of it are one group, the clean frame its pick; an unrelated photo is a
    group of its own. The decisions come as a table, a gallery and red-aes cull's cull.csv."""
    blurred = tmp_path / "chelsea_blurred.png"
    load_image(photos_dir / "chelsea.png").filter(ImageFilter.GaussianBlur(3)).save(blurred)
    uploads = [photos_dir / "chelsea.png", blurred, photos_dir / "rocket.jpg"]
    summary, gallery, table, csv_file, details = offline_client.predict(
        [handle_file(str(p)) for p in uploads], api_name="/cull"
    )
    assert summary == "3 photos in 2 groups: 2 picks; flags: blur 1"
    assert table["headers"] == ["group", "rank", "image", "score", "pick", "flags", "reason"]
    assert [row[:3] + row[4:6] for row in table["data"]] == [
        [1, 1, "chelsea.png", "★", ""],
        [1, 2, "chelsea_blurred.png", "", "blur"],
        [2, 1, "rocket.jpg", "★", ""],
    ]
    assert table["data"][0][6] == "Sharper than the other frame"
    assert [item["caption"].split(" · ")[0] for item in gallery] == [
        "G1 ★ chelsea.png",
        "G1 #2 chelsea_blurred.png",
        "G2 ★ rocket.jpg",
    ]
    header, rows = read_csv(csv_file)
    assert Path(csv_file).name == "cull.csv" and header == list(CULL_CSV_COLUMNS)
    decided = {row["path"]: row for row in rows}
    assert list(decided) == ["chelsea.png", "chelsea_blurred.png", "rocket.jpg"]
    assert decided["chelsea.png"]["pick"] == "true" and decided["chelsea.png"]["flags"] == ""
    assert decided["chelsea_blurred.png"]["pick"] == "false"
    assert decided["chelsea_blurred.png"]["flags"] == "blur"
    assert decided["chelsea_blurred.png"]["group"] == decided["chelsea.png"]["group"] == "1"
    assert decided["rocket.jpg"]["group"] == "2" and decided["rocket.jpg"]["pick"] == "true"
    assert float(decided["chelsea.png"]["score"]) > float(decided["chelsea_blurred.png"]["score"])
    assert [photo["image"] for photo in details["photos"]] == list(decided)
    assert details["groups"] == 2 and details["scorer"] == DEFAULT_MODEL and "blur" in details["flags"]


def test_too_many_photos_for_one_cull_are_refused_with_the_limit(
    offline_client: Client, tmp_path: Path
) -> None:
    photos = []
    for index in range(TEST_MAX_CULL_IMAGES + 1):
        photos.append(tmp_path / f"frame{index}.png")
        Image.new("RGB", (32, 24), (40 * index, 90, 60)).save(photos[-1])
    with pytest.raises(
        gradio_client.exceptions.AppError,
        match=rf"Too many photos: {len(photos)} \(at most {TEST_MAX_CULL_IMAGES} per Cull request\)",
    ):
        offline_client.predict([handle_file(str(p)) for p in photos], api_name="/cull")
    with pytest.raises(gradio_client.exceptions.AppError, match="No photos: upload the photos of a shoot"):
        offline_client.predict([], api_name="/cull")


def test_score_takes_a_folder_and_leaves_out_its_other_files(
    offline_client: Client, photo_paths: list[Path], tmp_path: Path
) -> None:
    """The Score tab's folder input: the photos of an uploaded folder are scored beside the images (the
    file types ``red-aes score DIR`` reads); a folder's other files are left out; one with no photo is a
    clear error. API clients that send only the images still work (the test above)."""
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    hidden = tmp_path / "._IMG_0001.JPG"  # the resource fork a Mac leaves beside a copied photo
    hidden.write_bytes(b"\x00\x05\x16\x07")
    folder = [handle_file(str(p)) for p in [*photo_paths[1:3], notes, hidden]]
    _, table, details, csv_file = offline_client.predict(
        [handle_file(str(photo_paths[0]))], folder, api_name="/score"
    )
    assert sorted(row[1] for row in table["data"]) == sorted(p.name for p in photo_paths[:3])
    assert [d["image"] for d in details] == [row[1] for row in table["data"]]
    assert "notes.txt" not in Path(csv_file).read_text() and "IMG_0001" not in Path(csv_file).read_text()
    with pytest.raises(
        gradio_client.exceptions.AppError, match=r"No photos in the folder: none of its 1 file\(s\)"
    ):
        offline_client.predict([], [handle_file(str(notes))], api_name="/score")


# -- error paths ----------------------------------------------------------------------------------------


def test_no_image_is_a_clear_error(offline_client: Client) -> None:
    with pytest.raises(gradio_client.exceptions.AppError, match="No photo: upload an image"):
        offline_client.predict(None, "make it brighter", DEFAULT_EDITOR, 0.5, 0, api_name="/edit_and_assess")
    with pytest.raises(gradio_client.exceptions.AppError, match="No images"):
        offline_client.predict([], api_name="/score")


def test_corrupt_upload_names_the_file_and_reason(offline_client: Client, tmp_path: Path) -> None:
    corrupt = tmp_path / "holiday.png"
    corrupt.write_bytes(b"this is not a PNG at all" * 20)
    with pytest.raises(gradio_client.exceptions.AppError) as excinfo:
        offline_client.predict(
            handle_file(str(corrupt)), "make it brighter", DEFAULT_EDITOR, 0.5, 0, api_name="/edit_and_assess"
        )
    message = str(excinfo.value)
    assert "holiday.png" in message and "not a recognised image format" in message


def test_truncated_image_is_rejected_in_compare(
    offline_client: Client, photos_dir: Path, tmp_path: Path
) -> None:
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes((photos_dir / "flower.jpg").read_bytes()[:3000])
    with pytest.raises(gradio_client.exceptions.AppError, match=r"edited image \(cut.jpg\)"):
        offline_client.predict(
            handle_file(str(photos_dir / "flower.jpg")), handle_file(str(truncated)), "", api_name="/compare"
        )


def test_image_over_the_pixel_budget_is_refused(offline_client: Client, tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    Image.new("RGB", (600, 600), (120, 90, 60)).save(big)  # 360,000 > 300,000 pixels
    with pytest.raises(gradio_client.exceptions.AppError, match="exceeds the budget of 300,000 pixels"):
        offline_client.predict([handle_file(str(big))], api_name="/score")


def test_upload_over_the_size_limit_is_refused(offline_client: Client, tmp_path: Path) -> None:
    big = tmp_path / "huge.png"
    noise = np.random.default_rng(0).integers(0, 256, (700, 700, 3), dtype=np.uint8)
    Image.fromarray(noise).save(big)  # incompressible: about 1.5 MB, over the fixture's 1 MB limit
    assert big.stat().st_size > 1024 * 1024
    # the server refuses the upload itself (HTTP 413), whatever client sends it ...
    with big.open("rb") as handle:
        response = httpx.post(f"{offline_client.src}gradio_api/upload", files={"files": handle})
    assert response.status_code == 413
    # ... and gradio_client, which reads the limit from the app, refuses before sending
    with pytest.raises(ValueError, match="exceeds the maximum file size of 1048576 bytes"):
        offline_client.predict([handle_file(str(big))], api_name="/score")


def test_empty_prompt_is_a_clear_error(offline_client: Client, photos_dir: Path) -> None:
    with pytest.raises(gradio_client.exceptions.AppError, match="Empty edit prompt"):
        offline_client.predict(
            handle_file(str(photos_dir / "chelsea.png")),
            "   ",
            DEFAULT_EDITOR,
            0.5,
            0,
            api_name="/edit_and_assess",
        )


def test_unsupported_prompt_gets_a_few_close_suggestions(offline_client: Client, photos_dir: Path) -> None:
    with pytest.raises(gradio_client.exceptions.AppError) as excinfo:
        offline_client.predict(
            handle_file(str(photos_dir / "chelsea.png")),
            "replace the sky with a sunset",
            DEFAULT_EDITOR,
            0.5,
            0,
            api_name="/edit_and_assess",
        )
    message = str(excinfo.value)
    assert "replace the sky with a sunset" in message and "closest supported edits: '" in message
    assert VOCABULARY not in message and len(message) < 400


#: Issue 16's table, at the app's former default strength 0.6: (prompt, what must happen). A string is
#: the refusal's wording; a function checks the edited image and the operations applied.
ISSUE_16_ROWS: dict[str, Any] = {
    "make my 3 kids brighter": "3 is not an amount",
    "<b>brighter</b> <script>alert(1)</script>": "1 is not an amount",
    "make it brighter like a sunset": "did not understand 'like a sunset'",
    "jpeg quality 5": lambda image, ops: ops == [("jpeg", 5)],
    "crop to a square": lambda image, ops: image.width == image.height and ops == [("crop_square", None)],
    "make it black and white": lambda image, ops: (
        np.ptp(np.asarray(image, dtype=int), axis=2).max() <= 1 and ops == [("saturation", None)]
    ),
}


@pytest.mark.parametrize("prompt", list(ISSUE_16_ROWS))
def test_issue_16_prompts_do_what_they_say_through_the_api(
    prompt: str, offline_client: Client, photos_dir: Path
) -> None:
    expected = ISSUE_16_ROWS[prompt]
    call = (handle_file(str(photos_dir / "chelsea.png")), prompt, DEFAULT_EDITOR, 0.6, 0)
    if isinstance(expected, str):
        with pytest.raises(gradio_client.exceptions.AppError, match=re.escape(expected)):
            offline_client.predict(*call, api_name="/edit_and_assess")
        return
    (_, after), *_, details = offline_client.predict(*call, api_name="/edit_and_assess")
    operations = details["edit_params"]["operations"]
    applied = [(op["op"], op.get("quality")) for op in operations]
    assert expected(load_image(after), applied), applied
    if prompt == "make it black and white":
        assert operations[0]["amount"] == -1.0  # strength 0.6 does not make it a partial desaturation


def test_app_and_cli_share_one_default_strength(offline_client: Client) -> None:
    endpoints = offline_client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    (strength,) = [
        p for p in endpoints["/edit_and_assess"]["parameters"] if p["parameter_name"] == "strength"
    ]
    assert strength["parameter_default"] == DEFAULT_STRENGTH


@pytest.mark.parametrize("strength", ["abc", "", None])
def test_a_strength_that_is_not_a_number_is_a_clear_message(
    strength: Any, offline_client: Client, photos_dir: Path
) -> None:
    call = (handle_file(str(photos_dir / "chelsea.png")), "make it brighter", DEFAULT_EDITOR, strength, 0)
    if strength is None:  # not given: the default strength
        *_, details = offline_client.predict(*call, api_name="/edit_and_assess")
        assert details["edit_params"]["strength"] == DEFAULT_STRENGTH
        return
    with pytest.raises(gradio_client.exceptions.AppError) as excinfo:
        offline_client.predict(*call, api_name="/edit_and_assess")
    message = str(excinfo.value)
    assert f"strength must be a number in (0, 1], got {strength!r}" in message
    assert "could not convert" not in message


def test_a_20000_px_upload_gets_the_pixel_budget_message(
    offline_client: Client, tmp_path: Path, png_claiming
) -> None:
    huge = png_claiming(tmp_path / "huge.png", 20000, 20000)  # a few bytes that claim 400 MP
    for call, api_name in (
        ((handle_file(str(huge)), "make it brighter", DEFAULT_EDITOR, 0.5, 0), "/edit_and_assess"),
        (([handle_file(str(huge))],), "/score"),
    ):
        with pytest.raises(gradio_client.exceptions.AppError) as excinfo:
            offline_client.predict(*call, api_name=api_name)
        message = str(excinfo.value)
        assert "400,000,000 pixels exceeds the budget of 300,000 pixels" in message
        assert "decompression" not in message.lower()


def test_gradio_analytics_are_off_by_default(offline_client: Client) -> None:
    assert httpx.get(f"{offline_client.src}config").json()["analytics_enabled"] is False
    assert ui.analytics_enabled({}) is False and ui.analytics_enabled({"GRADIO_ANALYTICS_ENABLED": "True"})


def test_a_heavy_prompt_is_refused_before_any_work(
    offline_client: Client, photos_dir: Path, tmp_path: Path
) -> None:
    heavy = ",".join(["blur 50 px"] * 45)  # 45 clauses in 494 characters
    assert len(heavy) <= MAX_PROMPT_CHARS
    with pytest.raises(gradio_client.exceptions.AppError, match="too many edits: the prompt has 45 clauses"):
        offline_client.predict(
            handle_file(str(photos_dir / "chelsea.png")),
            heavy,
            DEFAULT_EDITOR,
            0.6,
            0,
            api_name="/edit_and_assess",
        )
    # at the 2048 px working size, a prompt within the clause limit is bounded by its estimated work
    photo = tmp_path / "wide.png"
    load_image(photos_dir / "chelsea.png").resize((2048, 1366)).save(photo)
    actions = DemoActions(load_backends(DemoConfig()))
    with pytest.raises(ValueError, match="blur 50 px is too much work for a 2048x1366 image"):
        next(actions.edit_and_assess(photo, ",".join(["blur 50 px"] * 12)))


def test_all_endpoints_share_one_concurrency_group_and_the_cache_is_cleaned() -> None:
    demo = ui.build_demo(DemoConfig(concurrency=2), load_backends(DemoConfig()))
    named = {"edit_and_assess", "auto_enhance", "compare", "score", "cull"}
    api = [fn for fn in demo.fns.values() if fn.api_name in named]
    assert len(api) == len(named)
    assert {fn.concurrency_id for fn in api} == {ui.CONCURRENCY_ID}
    assert {fn.concurrency_limit for fn in api} == {2}
    assert demo.delete_cache == ui.DELETE_CACHE


HTML_PROMPT = "<img src=x onerror=alert(1)>"


def test_api_clients_get_plain_text_and_the_page_gets_escaped_html(
    offline_client: Client, photos_dir: Path
) -> None:
    """Text outputs are plain text for every client: the prompt comes back as written in the details and
    in an error message. Only what the page renders as HTML is escaped: the error popup of a request the
    page sends (``x-gradio-user: app``), and the delta card."""
    instruction = "<b>warmer</b> & brighter"
    card, reasoning, _, details = offline_client.predict(
        handle_file(str(photos_dir / "chelsea.png")),
        handle_file(str(photos_dir / "coffee.png")),
        instruction,
        api_name="/compare",
    )
    assert details["instruction"] == instruction and "&lt;" not in json.dumps(details) + reasoning
    assert "<div" in card  # the card is HTML, and holds no unescaped model text (tests/demo/test_views.py)
    with pytest.raises(gradio_client.exceptions.AppError) as excinfo:
        offline_client.predict(
            handle_file(str(photos_dir / "chelsea.png")),
            HTML_PROMPT,
            DEFAULT_EDITOR,
            0.5,
            0,
            api_name="/edit_and_assess",
        )
    assert HTML_PROMPT in str(excinfo.value) and "&lt;" not in str(excinfo.value)
    for client, expected in (("app", html.escape(HTML_PROMPT, quote=False)), ("api", HTML_PROMPT)):
        assert expected in queue_error(
            offline_client.src, "edit_and_assess", client, [None, "x", HTML_PROMPT, 0.5, 0]
        )


def queue_error(url: str, api_name: str, client: str, data: list[Any]) -> str:
    """The error message the app sends for ``data`` through its queue, asked as the page asks (the same
    HTTP calls, with ``x-gradio-user: CLIENT``: ``app`` for the page)."""
    config = httpx.get(f"{url}config").json()
    dependencies = config["dependencies"]
    (fn_index,) = [dep.get("id", i) for i, dep in enumerate(dependencies) if dep.get("api_name") == api_name]
    headers = {"x-gradio-user": client}
    session = f"test-{client}-{os.getpid()}"
    payload = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None}
    base = f"{url}gradio_api/queue"
    httpx.post(f"{base}/join", json=payload, headers=headers, timeout=30).raise_for_status()
    with httpx.stream("GET", f"{base}/data", params={"session_hash": session}, timeout=60) as events:
        for line in events.iter_lines():
            message = json.loads(line[len("data:") :]) if line.startswith("data:") else {}
            if message.get("msg") == "process_completed":
                return message["output"]["error"]
    raise AssertionError("the queue closed without a completed message")


# -- configuration and the offline fallback --------------------------------------------------------------


def test_missing_configured_models_fall_back_to_the_offline_default_with_a_notice(tmp_path: Path) -> None:
    missing_model, missing_editor = tmp_path / "no-such-vlm", tmp_path / "no-such-editor"
    config = DemoConfig(model=str(missing_model), editor=str(missing_editor))
    backends = load_backends(config, cuda_available=False)
    assert backends.scorer_name == DEFAULT_MODEL and list(backends.editors) == [DEFAULT_EDITOR]
    demo = import_app().build_demo(config, backends)
    shown = status_text(demo)
    assert f"scorer `{DEFAULT_MODEL}`" in shown and f"editors `{DEFAULT_EDITOR}`" in shown
    assert str(missing_model) in shown and str(missing_editor) in shown
    assert shown.count("Could not load the configured") == 2


def test_app_module_builds_the_space_demo_from_the_environment() -> None:
    app = import_app()  # what a Space does: import app.py, whose module-level `demo` is served
    assert isinstance(app.demo, gr.Blocks) and load_config((), os.environ) == app.CONFIG
    api_names = {dependency["api_name"] for dependency in app.demo.config["dependencies"]}
    assert {"edit_and_assess", "compare", "score"} <= api_names


# -- an answer the parser rejects -----------------------------------------------------------------------


class UnreadableScorer(BaseScorer):
    """A scorer whose model writes an answer the real parser rejects (what an undertrained model does)."""

    name = "unreadable"
    ANSWER = "<think>the sky is nicer</think><answer>much better</answer>"

    def _compare_batch(self, originals, edited, instructions, mode):  # type: ignore[no-untyped-def]
        parsed = parse_answer(self.ANSWER, "delta")
        return [
            AestheticDelta(delta=parsed.value, valid=parsed.valid, raw_text=self.ANSWER, error=parsed.error)
            for _ in originals
        ]

    def _score_batch(self, images, mode):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def test_unparseable_model_answer_is_shown_as_a_notice_not_a_number(photos_dir: Path) -> None:
    backends = Backends(UnreadableScorer(), "unreadable", load_backends(DemoConfig()).editors)
    photo = handle_file(str(photos_dir / "flower.jpg"))
    with serve(DemoConfig(server_port=free_port()), backends) as (client, _):
        card, reasoning, _, details = client.predict(photo, photo, "", api_name="/compare")
    assert details["valid"] is False and details["delta"] is None
    assert "is not a plain number" in details["error"] and "No valid delta" in card
    assert reasoning == UnreadableScorer.ANSWER  # the unreadable answer is shown as the model wrote it
    assert re.search(r"[+\-−]\d+\.\d\d", card) is None


# -- tiny VLM scorer + tiny diffusion editor ------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path, tiny_editor_dir: Path) -> Iterator[tuple[Client, Any]]:
    config = DemoConfig(
        model=str(tiny_model_dir),
        editor=str(tiny_editor_dir),
        max_reasoning_tokens=16,
        editor_steps=2,
        editor_max_area=64 * 64,
        quantization="auto",
        device="cpu",
        server_port=free_port(),
    )
    with serve(config) as served:
        yield served


def check_delta_result(card: str, details: dict[str, Any]) -> None:
    """A tiny untrained VLM answers at random: a valid delta in range, or an invalid one and no number."""
    if details["valid"]:
        assert DELTA_MIN <= details["delta"] <= DELTA_MAX and f"{details['delta']:+.2f}" in card
    else:
        assert details["delta"] is None and details["error"] and "No valid delta" in card


@pytest.mark.slow
def test_tiny_models_serve_every_endpoint(
    tiny: tuple[Client, Any], tiny_model_dir: Path, tiny_editor_dir: Path, photos_dir: Path
) -> None:
    client, demo = tiny
    shown = status_text(demo)
    assert "⚠" not in shown and f"scorer `{tiny_model_dir}`" in shown and f"`{tiny_editor_dir}`" in shown
    photo = photos_dir / "chelsea.png"
    (before, after), card, _, table, details = client.predict(
        handle_file(str(photo)),
        "make it look like a sunny day",
        str(tiny_editor_dir),
        0.5,
        1,
        api_name="/edit_and_assess",
    )
    assert details["scorer"] == str(tiny_model_dir) and details["editor"] != DEFAULT_EDITOR
    assert details["prompt_version"] and details["decoding"] == "reasoning"
    assert load_image(after).size[0] > 0 and len(table["data"]) > 0
    check_delta_result(card, details)

    job = client.submit(handle_file(str(photo)), handle_file(after), "", api_name="/compare")
    card, reasoning, _, details = job.result(timeout=300)
    assert details["scorer"] == str(tiny_model_dir)
    check_delta_result(card, details)
    # the VLM's reasoning is streamed: growing text while the card still says "assessing"
    updates = job.outputs()
    assert 'data-valid="pending"' in updates[0][0] and updates[0][1] == ""
    streamed = [update[1] for update in updates[1:-1]]
    assert any(streamed)
    assert all(
        later.startswith(earlier) for earlier, later in zip(streamed, [*streamed[1:], reasoning], strict=True)
    )

    _, table, details, _ = client.predict([handle_file(str(photo)), handle_file(before)], api_name="/score")
    assert sorted(row[0] for row in table["data"]) == [1, 2]
    for row, result in zip(table["data"], details, strict=True):
        assert result["model"] == str(tiny_model_dir)
        if result["valid"]:
            assert SCORE_MIN <= row[2] <= SCORE_MAX and row[3] == ""
        else:
            assert row[2] is None and row[3].startswith("invalid model answer")
    json.dumps(details)  # the API returns plain JSON


#: Issue 23's app cases: (photo, prompt, the measured cause the reasoning must name).
GARISH = {
    "over-saturated": (
        "rocket.jpg",
        "make it much more saturated, much more saturated, much more saturated",
        r"Colour hurt \(-\d\.\d\d\): colours now clip on \d+% of pixels.*colours are richer",
    ),
    "clipped contrast": (
        "china.jpg",
        "increase contrast a lot, increase contrast a lot",
        r"Exposure hurt \(-\d\.\d\d\): .*highlights now clip",
    ),
    # the deep features carry this delta; the measured cast is named beside them
    "strong warm cast": ("chelsea.png", "add a strong warm colour cast", r"white balance shifted warmer"),
}


@pytest.mark.parametrize("case", list(GARISH))
def test_garish_edits_get_a_red_card_naming_the_cause(
    case: str, offline_client: Client, photos_dir: Path
) -> None:
    """The offline default (RED-Lite) gives a degradation card, not an improvement, to edits a
    photographer calls worse, and the reasoning names the measured cause."""
    photo, prompt, cause = GARISH[case]
    call = (handle_file(str(photos_dir / photo)), prompt, DEFAULT_EDITOR, 1.0, 0)
    _, card, reasoning, _, details = offline_client.predict(*call, api_name="/edit_and_assess")
    assert details["delta"] <= -0.05 and "degradation" in card, (details["delta"], reasoning)
    assert re.search(cause, reasoning), reasoning


@pytest.mark.slow
def test_auto_enhance_lets_the_critic_choose_the_edit_of_an_underexposed_photo(
    offline_client: Client, photos_dir: Path, tmp_path: Path
) -> None:
    """The Auto-enhance button (API ``/auto_enhance``) searches the classical editor's edits with the
    scorer: a photo darkened by 1.2 EV gets an exposure increase back, shown as the prompt it ran, with
    its alternatives, before the scorer's reasoning."""
    from red_aes.editing import ClassicalEditor, Operation

    photo = load_image(photos_dir / "chelsea.png")
    dark = ClassicalEditor().apply(photo, [Operation("exposure", -1.2)]).image
    dark.save(tmp_path / "dark.png")
    (before, after), card, reasoning, _, details = offline_client.predict(
        handle_file(str(tmp_path / "dark.png")), DEFAULT_EDITOR, 0.5, 0, api_name="/auto_enhance"
    )
    found = details["auto_enhance"]
    assert details["editor"] == "auto-enhance" and found["prompt"] == details["instruction"]
    assert "exposure +" in found["prompt"], found
    assert reasoning.startswith(f"Auto-enhance chose: {found['prompt']}")
    assert np.asarray(load_image(after), float).mean() > np.asarray(load_image(before), float).mean() + 2
    assert details["valid"] is True and f"{details['delta']:+.2f}" in card


def test_asking_for_the_best_edit_is_routed_to_the_search_not_refused() -> None:
    """Typed prompts that ask for the best edit take the path of the Auto-enhance button (whose prompt,
    ``AUTO_ENHANCE_PROMPT``, the API test above runs end to end); ordinary edits do not."""
    from red_aes.demo.actions import AUTO_ENHANCE, AUTO_ENHANCE_PROMPT

    asks = ["enhance", "make it pop", "Make it better!", "auto", AUTO_ENHANCE_PROMPT, "improve it", "fix it"]
    assert all(AUTO_ENHANCE.match(ask) for ask in asks)
    edits = ("make it brighter", "enhance the colours", "pop art")
    assert not any(AUTO_ENHANCE.match(edit) for edit in edits)
