"""The demo's actions (red_aes.demo.actions) without the UI: request limits, time limits and pixel
budgets are checked before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from red_aes.demo.actions import MAX_PROMPT_CHARS, MAX_SCORE_IMAGES, DemoActions
from red_aes.demo.config import DemoConfig, load_backends
from red_aes.errors import TimeLimitError


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
