"""``red-aes enhance`` (red_aes.commands.enhance): one JSON object, the edited photo only when an edit
helps, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from red_aes.commands import enhance
from red_aes.editing import ClassicalEditor, Operation
from red_aes.enhance import DEFAULT_MARGIN
from red_aes.images import load_image


def test_enhance_json_names_a_prompt_the_editor_accepts(
    photo_paths: list[Path], tmp_path: Path, run_cli
) -> None:
    dark = tmp_path / "dark.png"
    ClassicalEditor().apply(load_image(photo_paths[2]), [Operation("exposure", -1.5)]).image.save(dark)
    out = tmp_path / "better.png"
    # a budget for one whole first round: cut at 20, its best was a sharpening too subtle to suggest
    code, stdout, _ = run_cli(
        "enhance", dark, "--model", "measured", "--budget", "30", "--out", out, "--json"
    )
    answer = json.loads(stdout)
    assert code == 0 and set(answer) >= {"prompt", "delta", "reasoning", "alternatives"}
    assert answer["prompt"] and out.is_file() and answer["evaluations"] <= 30, answer["reasoning"]
    ClassicalEditor().edit(load_image(dark), answer["prompt"])  # parses and applies


def test_no_edit_helps_writes_nothing(photo_paths: list[Path], tmp_path: Path, run_cli, parser_of) -> None:
    """A margin of 9 points is the whole delta range of a 1-10 scorer: no edit can reach it, however many
    are tried, so a small budget shows the outcome as well as the default 60."""
    out = tmp_path / "better.png"
    argv = ("enhance", photo_paths[1], "--model", "measured", "--margin", "9", "--budget", "10", "--out", out)
    code, stdout, _ = run_cli(*argv)
    assert code == 0 and stdout.startswith("No edit helps") and not out.exists()
    code, _, err = run_cli("enhance", photo_paths[1], "--budget", "0")
    assert code == 2 and err.count("\n") == 1 and "--budget" in err
    assert parser_of(enhance).parse_args(["enhance", "x.jpg"]).margin == DEFAULT_MARGIN
