"""The demo's actions (red_aes.demo.actions) without the UI: request limits, time limits and pixel
budgets are checked before any work; refusals and edits too small to see are explained in the app's own
terms; the app's list of supported edits; the cull of uploads and the CSV files of the Score and Cull
tabs."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from red_aes.cull import THUMB_LONG_SIDE, cull_csv
from red_aes.demo.actions import (
    MAX_PROMPT_CHARS,
    MAX_SCORE_IMAGES,
    SUPPORTED_EDITS_TITLE,
    DemoActions,
    supported_edits_markdown,
)
from red_aes.demo.config import DemoConfig, load_backends
from red_aes.editing import OPERATIONS, UnsupportedEditError, parse_prompt
from red_aes.editing.prompt_parser import LIGHT_FACTOR, MAX_CLAUSES, STRONG_FACTOR
from red_aes.errors import TimeLimitError
from red_aes.images import load_image
from red_aes.scoring import SCORE_CSV_COLUMNS as CSV_COLUMNS
from red_aes.types import Attribute


def test_a_request_past_its_time_limit_is_stopped_with_a_message(photos_dir: Path) -> None:
    backends = load_backends(DemoConfig())
    photo = photos_dir / "chelsea.png"
    hurried = DemoActions(backends, time_limit=1e-9)  # past its limit by the time the photo is decoded
    with pytest.raises(
        TimeLimitError, match=r"Request stopped at its 1e-09 s time limit: stopped after 0 of 2"
    ):
        next(hurried.edit_and_assess(photo, "brighter and warmer"))
    with pytest.raises(TimeLimitError, match="time limit: stopped before the assessment"):
        next(hurried.compare(photo, photo))
    with pytest.raises(TimeLimitError, match="time limit: stopped after loading the images"):
        hurried.score([photo])
    views = list(DemoActions(backends, time_limit=600).edit_and_assess(photo, "brighter and warmer"))
    assert views[-1].stage == "final"
    with pytest.raises(ValueError, match="time_limit must be"):
        DemoActions(backends, time_limit=0)
    with pytest.raises(ValueError, match="Unknown editor of type list"):
        next(DemoActions(backends).edit_and_assess(photo, "brighter", editor=["classical"]))  # type: ignore[arg-type]


def test_request_limits_and_unknown_editor_are_refused(photos_dir: Path) -> None:
    actions = DemoActions(load_backends(DemoConfig()))
    photo = photos_dir / "chelsea.png"
    with pytest.raises(ValueError, match=f"Too many images: {MAX_SCORE_IMAGES + 1}"):
        actions.score([photo] * (MAX_SCORE_IMAGES + 1))
    with pytest.raises(ValueError, match="Edit prompt too long"):
        next(actions.edit_and_assess(photo, "brighter " * MAX_PROMPT_CHARS))
    with pytest.raises(ValueError, match="Unknown editor 'magic'; loaded editors: classical"):
        next(actions.edit_and_assess(photo, "brighter", editor="magic"))


def test_long_instruction_and_bad_seed_are_refused_before_any_work(tmp_path: Path) -> None:
    actions = DemoActions(load_backends(DemoConfig()))
    missing = tmp_path / "never-read.png"  # the checks come first: the file is never opened
    huge = "x" * 1_000_000
    with pytest.raises(ValueError) as excinfo:
        next(actions.compare(missing, missing, huge))
    assert (
        str(excinfo.value) == f"Edit instruction too long: 1,000,000 characters (at most {MAX_PROMPT_CHARS})."
    )
    with pytest.raises(ValueError, match="Edit prompt must be text, got int"):
        next(actions.edit_and_assess(missing, 42))  # type: ignore[arg-type]
    for seed, message in ((2**64, "seed must be between 0 and 4294967295"), (-3, "between"), (0.5, "whole")):
        with pytest.raises(ValueError, match=message):
            next(actions.edit_and_assess(missing, "add grain", seed=seed))


def test_request_pixel_budget_is_checked_from_the_headers_before_decoding(
    tmp_path: Path, png_claiming
) -> None:
    actions = DemoActions(load_backends(DemoConfig()))
    claims = [png_claiming(tmp_path / f"bomb{i}.png", 7990, 7990) for i in range(16)]
    with pytest.raises(ValueError, match=r"Request too large: 1,021,441,600 pixels in total exceed"):
        actions.score(claims)
    with pytest.raises(ValueError, match=r"Request too large"):
        next(DemoActions(actions.backends, max_request_pixels=100).compare(claims[0], claims[1]))


# -- issue 24: the Edit tab's messages -----------------------------------------------------------------


@pytest.fixture(scope="module")
def measured_actions() -> DemoActions:
    """The demo's actions on the classical editor and the model-free ``measured`` scorer."""
    return DemoActions(load_backends(DemoConfig(model="measured")))


def test_an_edit_too_small_to_see_says_why_before_the_scorers_reasoning(
    measured_actions: DemoActions, photos_dir: Path
) -> None:
    photo = photos_dir / "chelsea.png"
    views = list(measured_actions.edit_and_assess(photo, "denoise"))
    pair, final = views[0], views[-1]
    (note,) = final.details["edit_notes"]
    assert note.startswith(
        "'denoise': the change is below what the eye sees; the photo had little measurable"
    )
    assert re.search(r"noise to remove \(\d+\.\d grey levels in flat areas; \d+\.\d after\)$", note)
    assert pair.reasoning == f"Edit note: {note}.\n"  # shown at once, before the scorer answers
    assert final.stage == "final" and final.reasoning.startswith(pair.reasoning + "Measured changes:")
    warmer = list(measured_actions.edit_and_assess(photo, "make it a bit warmer"))[-1]
    assert warmer.details["edit_notes"][0].startswith(
        "'make it a bit warmer': the change is below what the eye sees; median blue(-)/yellow(+) shift"
    )
    # a visible edit needs no note, and a comparison of two uploads is not an edit
    darker = list(measured_actions.edit_and_assess(photo, "make it much darker"))[-1]
    assert darker.details["edit_notes"] == [] and darker.reasoning.startswith("Measured changes:")
    assert "edit_notes" not in list(measured_actions.compare(photo, photo))[-1].details


@pytest.mark.parametrize(
    ("prompt", "says"),
    [
        ("replace the sky with a sunset", "closest supported edits: '"),
        ("mach es heller", "only English prompts are understood"),
    ],
)
def test_a_prompt_not_understood_points_to_the_apps_own_list(
    measured_actions: DemoActions, photos_dir: Path, prompt: str, says: str
) -> None:
    with pytest.raises(UnsupportedEditError) as caught:
        next(measured_actions.edit_and_assess(photos_dir / "chelsea.png", prompt))
    text = str(caught.value)
    assert says in text and text.endswith(f"; all supported edits are listed under '{SUPPORTED_EDITS_TITLE}'")
    assert "red-aes" not in text and "--help" not in text and "README" not in text


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("flower.jpg", "cannot straighten: no dominant straight lines"),
        ("china.jpg", "nothing to straighten: the photo is already level"),
    ],
)
def test_straightening_without_a_measurable_tilt_is_a_message_not_an_edit(
    measured_actions: DemoActions, photos_dir: Path, name: str, says: str
) -> None:
    views = measured_actions.edit_and_assess(photos_dir / name, "straighten the horizon")
    with pytest.raises(UnsupportedEditError, match=says) as caught:
        next(views)  # refused before any view: no edited image, no delta
    assert SUPPORTED_EDITS_TITLE not in str(caught.value)


def test_the_list_of_supported_edits_is_the_parsers_own() -> None:
    text = supported_edits_markdown()
    lines = re.findall(r"^- \*\*([a-z ]+)\*\*: (.*)$", text, flags=re.MULTILINE)
    assert [name for name, _ in lines] == [
        a.value.replace("_", " ") for a in Attribute if a.value.replace("_", " ") in dict(lines)
    ]
    covered = set()
    for name, examples in lines:
        for example in re.findall(r"`([^`]+)`", examples):
            (parsed,) = parse_prompt(example)
            assert OPERATIONS[parsed.operation.op].attribute.value == name.replace(" ", "_"), example
            covered.add(parsed.operation.op)
    assert covered == set(OPERATIONS)
    strength = re.search(r"Strength: (.*) gives ([\d.]+)x the usual amount, (.*) ([\d.]+)x;", text)
    assert strength is not None
    assert (float(strength.group(2)), float(strength.group(4))) == (LIGHT_FACTOR, STRONG_FACTOR)
    default = OPERATIONS["exposure"].default
    for words, factor in ((strength.group(1), LIGHT_FACTOR), (strength.group(3), STRONG_FACTOR)):
        for word in re.findall(r"`([^`]+)`", words):
            (parsed,) = parse_prompt(f"make it {word} brighter")
            assert parsed.operation.amount == pytest.approx(default * factor), word
    assert f"Join up to {MAX_CLAUSES} edits" in text
    assert [p.operation.op for p in parse_prompt("make it a bit brighter and warmer")] == [
        "exposure",
        "temperature",
    ]


# -- issue 25: the Cull tab and the Score tab's CSV ---------------------------------------------------


def test_a_cull_beyond_its_limits_is_refused_before_any_work(
    tmp_path: Path, photos_dir: Path, png_claiming
) -> None:
    actions = DemoActions(load_backends(DemoConfig()), max_cull_images=3, max_input_pixels=300_000)
    photo = photos_dir / "chelsea.png"
    with pytest.raises(ValueError, match="No photos: upload the photos of a shoot"):
        actions.cull([])
    with pytest.raises(ValueError, match=r"Too many photos: 4 \(at most 3 per Cull request\)\.$"):
        actions.cull([photo] * 4)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    with pytest.raises(ValueError, match=r"photo 2 \(notes.txt\): Cull reads only .heic, .heif, .jpe, .jpeg"):
        actions.cull([photo, notes])
    with pytest.raises(ValueError, match="photo 1: expected a file path, got bytes"):
        actions.cull([b"\x89PNG"])  # type: ignore[list-item]
    huge = png_claiming(tmp_path / "huge.png", 20000, 20000)  # a few bytes that claim 400 MP
    with pytest.raises(ValueError, match=r"photo 2 \(huge.png\): .*400,000,000 pixels exceeds the budget"):
        actions.cull([photo, huge])
    hurried = DemoActions(actions.backends, time_limit=1e-9)
    with pytest.raises(
        TimeLimitError, match=r"stopped at its 1e-09 s time limit after analysing 0 of 2 photos: upload fewer"
    ):
        hurried.cull([photo, photo])
    with pytest.raises(ValueError, match="max_cull_images must be >= 1"):
        DemoActions(actions.backends, max_cull_images=0)


def test_a_cull_keeps_every_upload_apart_and_its_csv_is_red_aes_culls(
    tmp_path: Path, photos_dir: Path
) -> None:
    """Uploads with one name (from two folders), or a hidden one, are each a photo of the cull, and the
    CSV is the text ``red-aes cull`` writes for the same decisions (:func:`red_aes.cull.cull_csv`)."""
    small = tmp_path / "a" / "coffee.png"
    small.parent.mkdir()
    load_image(photos_dir / "coffee.png").resize((160, 107)).save(small)
    hidden = tmp_path / ".coffee.png"
    load_image(photos_dir / "rocket.jpg").resize((160, 107)).save(hidden)
    view = DemoActions(load_backends(DemoConfig())).cull([small, small, hidden])
    rows = list(csv.DictReader(io.StringIO(view.csv)))
    assert [row["path"] for row in rows] == [row[2] for row in view.rows]
    assert sorted(row[2] for row in view.rows) == ["coffee (2).png", "coffee (3).png", "coffee.png"]
    as_rows = [{("path" if k == "image" else k): v for k, v in row.items()} for row in view.details["photos"]]
    assert view.csv == cull_csv(as_rows)  # the details hold the CSV's rows, "path" named "image"
    twins = [row for row in view.rows if row[2] in {"coffee.png", "coffee (2).png"}]
    assert [row[0] for row in twins] == [1, 1] and sum("duplicate" in row[5] for row in twins) == 1
    assert view.summary.startswith("3 photos in 2 groups: 2 picks; flags:")
    assert len(view.gallery) == 3 and all(image.width <= THUMB_LONG_SIDE for image, _ in view.gallery)


def test_the_score_csv_is_red_aes_score_s_one_row_per_image_best_first(photos_dir: Path) -> None:
    photos = [photos_dir / "chelsea.png", photos_dir / "rocket.jpg"]
    view = DemoActions(load_backends(DemoConfig())).score(photos)
    reader = csv.DictReader(io.StringIO(view.csv))
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    assert [row["file"] for row in rows] == [row[1] for row in view.rows]
    assert [float(row["score"]) for row in rows] == pytest.approx([row[2] for row in view.rows], abs=1e-3)
