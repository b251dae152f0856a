"""``red-aes score`` (red_aes.commands.score): JSON and text output, exit codes, one-line errors."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from launch import free_port

from red_aes.commands import score
from red_aes.commands.red_aes_cli import main
from red_aes.scoring import SCORE_CSV_COLUMNS
from red_aes.scoring.decoding import MIN_ANSWER_MASS
from red_aes.testing import TINY_MAX_PIXELS


def test_cli_reports_an_unreachable_endpoint_in_one_line(
    capsys: pytest.CaptureFixture[str], photo_paths: list[Path]
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    argv = ["score", str(photo_paths[0]), "--model", "endpoint", "--endpoint-url", url]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot list the served models" in err


def test_score_json_lists_every_file(tiny_model_dir: Path, photo_paths: list[Path], run_cli) -> None:
    code, out, _ = run_cli(
        "score", *photo_paths[:2], "--model", tiny_model_dir, "--decoding", "fast", "--json"
    )
    assert code == 1  # the untrained model puts almost no probability on well-formed answers
    records = json.loads(out)
    assert [r["file"] for r in records] == [str(p) for p in photo_paths[:2]]
    for r in records:
        assert not r["valid"] and r["score"] is None and r["decoding"] == "fast" and r["forced"] is False
        assert 0 < r["answer_mass"] < MIN_ANSWER_MASS and f"{r['answer_mass']:.2e}" in r["error"]
        assert r["max_image_pixels"] == TINY_MAX_PIXELS  # the tiny processor's own, tighter limit


def test_fast_text_output_gives_the_mass(tiny_model_dir: Path, photo_paths: list[Path], run_cli) -> None:
    code, out, _ = run_cli("score", photo_paths[0], "--model", tiny_model_dir, "--decoding", "fast")
    assert code == 1 and "no valid answer (well-formed answers have total probability" in out


def test_max_image_pixels_is_refused_by_the_measured_scorer(photo_paths: list[Path], run_cli) -> None:
    code, _, err = run_cli("score", photo_paths[0], "--model", "measured", "--max-image-pixels", 1000)
    assert code == 2 and "max_image_pixels" in err


def test_score_loads_a_vlm_unquantized_with_quantization_none(
    tiny_model_dir: Path, photo_paths: list[Path], run_cli
) -> None:
    code, out, _ = run_cli(
        "score", photo_paths[0], "--model", tiny_model_dir, "--quantization", "none",
        "--max-reasoning-tokens", 2, "--device", "cpu", "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)[0]["model"] == str(tiny_model_dir)


def test_the_score_command_alone_lists_one_record_per_image(
    parser_of, photo_paths: list[Path], capsys
) -> None:
    args = parser_of(score).parse_args(["score", *map(str, photo_paths[:2]), "--model", "measured", "--json"])
    assert args.func is score.run
    assert score.run(args) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in records] == [str(p) for p in photo_paths[:2]]
    assert all(r["valid"] and 1 <= r["score"] <= 10 and r["model"] == "measured" for r in records)
    args = parser_of(score).parse_args(["score", str(photo_paths[0]), "--model", "measured"])
    assert score.run(args) == 0
    text = capsys.readouterr().out
    assert text.startswith("scores in [1, 10], higher is better\n") and f"{photo_paths[0]}: " in text


def test_score_takes_a_folder_recursively_and_writes_csv(
    photo_paths: list[Path], tmp_path: Path, run_cli
) -> None:
    folder = tmp_path / "shoot"
    (folder / "day2").mkdir(parents=True)
    shutil.copy(photo_paths[0], folder / photo_paths[0].name)
    shutil.copy(photo_paths[1], folder / "day2" / photo_paths[1].name)
    (folder / "broken.jpg").write_bytes(b"not a JPEG")
    (folder / "notes.txt").write_text("not a photo")
    table = tmp_path / "scores.csv"
    code, out, _ = run_cli("score", folder, photo_paths[2], "--model", "measured", "--csv", table, "--json")
    assert code == 1  # the corrupt file has no score; the others do
    records = json.loads(out)
    files = [r["file"] for r in records]
    assert files[0] == str(photo_paths[2]) and len(files) == 4 and not any("notes" in f for f in files)
    by_name = {Path(r["file"]).name: r for r in records}
    assert not by_name["broken.jpg"]["valid"] and "unreadable" in by_name["broken.jpg"]["error"]
    assert by_name[photo_paths[1].name]["valid"] and "day2" in by_name[photo_paths[1].name]["file"]
    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["file"] for r in rows] == files and list(rows[0]) == list(SCORE_CSV_COLUMNS)
    assert rows[0]["valid"] == "true" and 1 <= float(rows[0]["score"]) <= 10


def test_score_refuses_an_empty_folder(tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli("score", tmp_path, "--model", "measured")
    assert code == 2 and "no photos found" in err
