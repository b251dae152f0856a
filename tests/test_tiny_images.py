"""Images with a side of 1 or 2 px through every path (CLI measure/edit/score/compare, the library and
the demo actions): a result, or a clear error naming the file, never a traceback."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from red_aes.commands.red_aes_cli import main
from red_aes.demo import DemoActions, DemoConfig, load_backends

SIZES = [(1, 1), (1, 100), (100, 1), (2, 2)]


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def tiny(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    width, height = request.param
    path = tmp_path / f"tiny_{width}x{height}.png"
    pixels = np.random.default_rng(width * 1000 + height).integers(0, 255, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def test_cli_measure_gives_finite_values(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["measure", str(tiny), "--json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert all(math.isfinite(v) for k, v in record.items() if k != "file")


@pytest.mark.parametrize("prompt", ["add grain", "reduce the noise", "make it out of focus", "add haze"])
def test_cli_edit_gives_an_image_of_the_same_size(tiny: Path, prompt: str, tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    assert main(["edit", str(tiny), "--prompt", prompt, "--out", str(out)]) == 0
    with Image.open(tiny) as source, Image.open(out) as edited:
        assert edited.size == source.size


def test_cli_score_and_compare_with_the_measured_scorer(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["score", str(tiny), "--model", "measured", "--json"]) == 0
    assert main(["compare", str(tiny), str(tiny), "--model", "measured", "--json"]) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out and "Traceback" not in out


def test_content_refusals_are_clear_one_line_errors(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["edit", str(tiny), "--prompt", "straighten it", "--out", str(tiny.with_name("o.png"))]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("red-aes edit: error: cannot straighten") and "\n" not in err


def test_demo_actions_assess_tiny_images(tiny: Path) -> None:
    actions = DemoActions(load_backends(DemoConfig()))
    final = list(actions.edit_and_assess(str(tiny), "add grain", seed=1))[-1]
    assert final.stage == "final" and math.isfinite(final.details["delta"])
    ranking = actions.score([str(tiny), str(tiny)])
    assert all(math.isfinite(row[2]) for row in ranking.rows)
