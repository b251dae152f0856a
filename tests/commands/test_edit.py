"""``red-aes edit`` (red_aes.commands.edit) end to end through the real CLI entry point."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from red_aes.commands import edit
from red_aes.commands.red_aes_cli import main
from red_aes.types import DEFAULT_STRENGTH


def test_edit_classical_json(photos_dir, tmp_path, run_cli) -> None:
    out = tmp_path / "edited.png"
    prompt = "make it a bit brighter and warmer"
    code, stdout, _ = run_cli("edit", photos_dir / "china.jpg", "--prompt", prompt, "--out", out, "--json")
    assert code == 0
    record = json.loads(stdout)
    assert record["out"] == str(out) and record["backend"] == "classical"
    assert [op["op"] for op in record["params"]["operations"]] == ["exposure", "temperature"]
    with Image.open(photos_dir / "china.jpg") as source, Image.open(out) as edited:
        assert edited.size == source.size


def test_edit_text_output_lists_operations(photos_dir, tmp_path, capsys) -> None:
    out = tmp_path / "edited.jpg"
    assert (
        main(["edit", str(photos_dir / "coffee.png"), "--prompt", "rotate 2 degrees", "--out", str(out)]) == 0
    )
    text = capsys.readouterr().out
    assert f"wrote {out}" in text and "rotate +2" in text
    assert out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prompt", "make it pop"], "cannot map 'make it pop'"),
        (["--prompt", "  "], "edit instruction is empty"),
        (["--prompt", "brighter", "--strength", "2"], "strength must be in (0, 1]"),
        (["--prompt", "brighter", "--steps", "4"], "--steps only apply to diffusion editors"),
    ],
)
def test_edit_user_errors_exit_2_with_one_line(args, message, photos_dir, tmp_path, capsys) -> None:
    out = tmp_path / "out.png"
    assert main(["edit", str(photos_dir / "china.jpg"), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("red-aes edit: error:") and message in err
    assert "\n" not in err and not out.exists()


def test_edit_bad_paths(photos_dir, tmp_path, capsys) -> None:
    assert (
        main(["edit", str(tmp_path / "nope.jpg"), "--prompt", "brighter", "--out", str(tmp_path / "o.png")])
        == 2
    )
    assert "file not found" in capsys.readouterr().err
    photo = str(photos_dir / "china.jpg")
    assert main(["edit", photo, "--prompt", "brighter", "--out", str(tmp_path / "missing" / "o.png")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["edit", photo, "--prompt", "brighter", "--out", str(tmp_path / "o.xyz")]) == 2
    assert "unknown image extension" in capsys.readouterr().err


def test_edit_saves_jpeg_at_high_quality(photos_dir, tmp_path) -> None:
    """A JPEG output must not add heavy compression to the edit being assessed (PIL's default is 75)."""
    import io

    args = ["edit", str(photos_dir / "chelsea.png"), "--prompt", "make it warmer"]
    assert main([*args, "--out", str(tmp_path / "out.png")]) == 0
    assert main([*args, "--out", str(tmp_path / "out.jpg")]) == 0
    expected = io.BytesIO()
    Image.open(tmp_path / "out.png").save(expected, format="JPEG", quality=95)
    assert (tmp_path / "out.jpg").read_bytes() == expected.getvalue()


def test_edit_and_measure_use_the_working_copy_unless_full_resolution(photos_dir, tmp_path, capsys) -> None:
    big = tmp_path / "big.png"  # above the 2048-pixel working size (each pixel more is time, not a check)
    with Image.open(photos_dir / "china.jpg") as photo:
        photo.resize((2304, 1537)).save(big)
    out, full = tmp_path / "out.png", tmp_path / "full.png"
    assert main(["edit", str(big), "--prompt", "add haze", "--out", str(out)]) == 0
    assert main(["edit", str(big), "--prompt", "add haze", "--out", str(full), "--full-resolution"]) == 0
    with Image.open(out) as working, Image.open(full) as native:
        assert working.size == (2048, 1366) and native.size == (2304, 1537)
    capsys.readouterr()
    assert main(["measure", str(big), "--json", "--full-resolution"]) == 0
    assert main(["measure", str(big), "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    sizes = [(record["width"], record["height"]) for line in lines for record in json.loads(line)]
    assert sizes == [(2304, 1537), (2048, 1366)]


#: Issue 16's table through the CLI at strength 0.6: a refusal's wording, or the operations applied.
ISSUE_16_REFUSALS = {
    "make my 3 kids brighter": "3 is not an amount",
    "<b>brighter</b> <script>alert(1)</script>": "1 is not an amount",
    "make it brighter like a sunset": "did not understand 'like a sunset'",
}


@pytest.mark.parametrize("prompt", list(ISSUE_16_REFUSALS))
def test_edit_refuses_words_and_numbers_it_does_not_understand(prompt, photos_dir, tmp_path, run_cli) -> None:
    out = tmp_path / "out.png"
    code, _, err = run_cli(
        "edit", photos_dir / "chelsea.png", "--prompt", prompt, "--strength", 0.6, "--out", out
    )
    err = err.strip()
    assert code == 2 and ISSUE_16_REFUSALS[prompt] in err and "closest supported edits" in err
    assert "\n" not in err and "Traceback" not in err and not out.exists()


@pytest.mark.parametrize(
    ("prompt", "op", "check"),
    [
        ("jpeg quality 5", "jpeg", lambda image, entry: entry["quality"] == 5),
        ("crop to a square", "crop_square", lambda image, entry: image.width == image.height),
        (
            "make it black and white",
            "saturation",
            lambda image, entry: (
                entry["amount"] == -1.0 and np.ptp(np.asarray(image, dtype=int), axis=2).max() <= 1
            ),
        ),
    ],
)
def test_edit_does_what_the_prompt_says_at_any_strength(
    prompt, op, check, photos_dir, tmp_path, run_cli
) -> None:
    out = tmp_path / "out.png"
    code, stdout, _ = run_cli(
        "edit", photos_dir / "chelsea.png", "--prompt", prompt, "--strength", 0.6, "--out", out, "--json"
    )
    assert code == 0
    (entry,) = json.loads(stdout)["params"]["operations"]
    with Image.open(out) as edited:
        assert entry["op"] == op and check(edited.convert("RGB"), entry)


def test_edit_default_strength_is_the_apps(photos_dir, tmp_path, run_cli) -> None:
    out = tmp_path / "out.png"
    code, stdout, _ = run_cli(
        "edit", photos_dir / "chelsea.png", "--prompt", "make it brighter", "--out", out, "--json"
    )
    assert code == 0
    record = json.loads(stdout)
    assert record["params"]["strength"] == DEFAULT_STRENGTH
    assert record["params"]["operations"][0]["amount"] == pytest.approx(0.7)


def test_edit_typo_in_the_editor_name_suggests_the_registered_one(photos_dir, tmp_path, run_cli) -> None:
    argv = ["edit", photos_dir / "chelsea.png", "--prompt", "brighter", "--editor", "clasical"]
    code, _, err = run_cli(*argv, "--out", tmp_path / "out.png")
    assert code == 2 and "did you mean `classical`?" in err


def test_the_edit_command_alone_writes_the_edit_and_reports_its_operations(
    parser_of, photos_dir, tmp_path, capsys
) -> None:
    out = tmp_path / "warmer.png"
    argv = ["edit", str(photos_dir / "coffee.png"), "--prompt", "make it warmer", "--out", str(out), "--json"]
    args = parser_of(edit).parse_args(argv)
    assert args.func is edit.run and edit.run(args) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["out"] == str(out) and [op["op"] for op in record["params"]["operations"]] == [
        "temperature"
    ]
    with Image.open(out) as edited, Image.open(photos_dir / "coffee.png") as source:
        assert edited.size == source.size
