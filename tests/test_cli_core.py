"""``red-aes compare/score/make-tiny-*``: JSON and text output, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from red_aes.commands.options import quantization
from red_aes.commands.red_aes_cli import main
from red_aes.parsing import parse_answer
from red_aes.scoring.decoding import MIN_ANSWER_MASS
from red_aes.testing import TINY_MAX_PIXELS


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_json_is_one_document(capsys, tiny_model_dir: Path, photo_paths: list[Path]) -> None:
    code, out, _ = _run(
        capsys,
        "compare", photo_paths[0], photo_paths[1], "--instruction", "make it warmer",
        "--model", tiny_model_dir, "--max-reasoning-tokens", 2, "--device", "cpu", "--json",
        "--max-image-pixels", 6 * 784,
    )  # fmt: skip
    assert code == 0
    record = json.loads(out)
    assert record["original"] == str(photo_paths[0]) and record["instruction"] == "make it warmer"
    assert record["valid"] and -9 <= record["delta"] <= 9
    assert parse_answer(record["raw_text"], "delta").value == record["delta"]
    assert record["decoding"] == "reasoning" and record["model"] == str(tiny_model_dir)
    assert "mode" not in record  # one key per meaning: the legacy "mode" of "decoding" is gone
    assert record["forced"] is True and "answer_mass" not in record  # 2 tokens: the budget ran out
    assert record["max_image_pixels"] == 6 * 784


def test_compare_text_output(capsys, tiny_model_dir: Path, photo_paths: list[Path]) -> None:
    code, out, _ = _run(
        capsys,
        "compare",
        photo_paths[0],
        photo_paths[1],
        "--model",
        tiny_model_dir,
        "--max-reasoning-tokens",
        4,
    )
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith("delta: +") or first.startswith("delta: -")
    assert "positive means the edit improved the photo" in first
    assert first.endswith("[forced: the reasoning budget ran out before the model answered]")
    assert "reasoning: " in out


def test_score_json_lists_every_file(capsys, tiny_model_dir: Path, photo_paths: list[Path]) -> None:
    code, out, _ = _run(
        capsys, "score", *photo_paths[:2], "--model", tiny_model_dir, "--decoding", "fast", "--json"
    )
    assert code == 1  # the untrained model puts almost no probability on well-formed answers
    records = json.loads(out)
    assert [r["file"] for r in records] == [str(p) for p in photo_paths[:2]]
    for r in records:
        assert not r["valid"] and r["score"] is None and r["decoding"] == "fast" and r["forced"] is False
        assert 0 < r["answer_mass"] < MIN_ANSWER_MASS and f"{r['answer_mass']:.2e}" in r["error"]
        assert r["max_image_pixels"] == TINY_MAX_PIXELS  # the tiny processor's own, tighter limit


def test_fast_text_output_gives_the_mass(capsys, tiny_model_dir: Path, photo_paths: list[Path]) -> None:
    code, out, _ = _run(capsys, "score", photo_paths[0], "--model", tiny_model_dir, "--decoding", "fast")
    assert code == 1 and "no valid answer (well-formed answers have total probability" in out


@pytest.mark.parametrize("command", ["compare", "score"])
def test_the_old_mode_flag_is_refused(capsys, command: str, photo_paths: list[Path]) -> None:
    """``--mode`` is gone, and it is not read as an abbreviation of ``--model`` either."""
    images = [str(p) for p in photo_paths[: 2 if command == "compare" else 1]]
    with pytest.raises(SystemExit) as exit_info:
        main([command, *images, "--model", "measured", "--mode", "fast"])
    assert exit_info.value.code == 2 and "unrecognized arguments: --mode fast" in capsys.readouterr().err


def test_max_image_pixels_is_refused_by_the_measured_scorer(capsys, photo_paths: list[Path]) -> None:
    code, _, err = _run(capsys, "score", photo_paths[0], "--model", "measured", "--max-image-pixels", 1000)
    assert code == 2 and "max_image_pixels" in err


def test_bad_image_fails_before_the_model_is_loaded(capsys, tmp_path: Path, photo_paths: list[Path]) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"definitely not a jpeg")
    # the model does not exist either: the image error must come first
    code, out, err = _run(capsys, "compare", broken, photo_paths[0], "--model", tmp_path / "no-model")
    assert code == 2 and out == ""
    assert err.strip() == f"red-aes compare: error: {broken}: not a recognised image format"


def test_bad_model_is_a_one_line_error(capsys, tmp_path: Path, photo_paths: list[Path]) -> None:
    code, _, err = _run(capsys, "score", photo_paths[0], "--model", tmp_path / "missing-model")
    assert code == 2
    assert err.count("\n") == 1 and "missing-model: directory not found" in err


def test_unknown_quantization_is_a_one_line_error(
    capsys, tiny_model_dir: Path, photo_paths: list[Path]
) -> None:
    code, _, err = _run(capsys, "score", photo_paths[0], "--model", tiny_model_dir, "--quantization", "2bit")
    assert code == 2 and "quantization must be one of" in err and err.count("\n") == 1


def test_typo_in_the_model_name_fails_offline_at_once_with_a_suggestion(
    capsys, monkeypatch: pytest.MonkeyPatch, photo_paths: list[Path]
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, _, err = _run(capsys, "score", photo_paths[0], "--model", "redlite")
    assert code == 2 and err.count("\n") == 1
    assert "not a registered scorer" in err and "did you mean `red-lite`?" in err
    code, _, err = _run(capsys, "score", photo_paths[0], "--model", "nobody/redlite")  # a Hub id, offline
    assert code == 2 and "the Hub is offline (HF_HUB_OFFLINE is set)" in err


def test_quantization_none_means_not_quantized_in_every_command(
    capsys, tiny_model_dir: Path, photo_paths: list[Path]
) -> None:
    assert quantization("none") is None and quantization(None) is None and quantization("8bit") == "8bit"
    code, out, _ = _run(
        capsys, "score", photo_paths[0], "--model", tiny_model_dir, "--quantization", "none",
        "--max-reasoning-tokens", 2, "--device", "cpu", "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)[0]["model"] == str(tiny_model_dir)


def test_measured_model(capsys, photo_paths: list[Path]) -> None:
    pytest.importorskip("red_aes.scoring.measured")
    code, out, _ = _run(capsys, "compare", photo_paths[0], photo_paths[1], "--model", "measured", "--json")
    assert code == 0
    record = json.loads(out)
    assert record["valid"] and -9 <= record["delta"] <= 9


def test_make_tiny_checkpoints(capsys, tmp_path: Path) -> None:
    from transformers import AutoConfig

    code, out, _ = _run(capsys, "make-tiny-model", tmp_path / "vlm", "--seed", 3)
    assert code == 0 and "untrained" in out
    assert AutoConfig.from_pretrained(tmp_path / "vlm").model_type == "qwen2_5_vl"
    code, _, _ = _run(capsys, "make-tiny-editor", tmp_path / "editor")
    assert code == 0
    assert json.loads((tmp_path / "editor" / "model_index.json").read_text())["_class_name"] == (
        "StableDiffusionInstructPix2PixPipeline"
    )


def test_console_entry_point_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jpg"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "red_aes", "score", str(missing), "--model", "measured"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"red-aes score: error: {missing}: file not found\n"


def test_the_model_flags_are_one_declaration_for_the_commands_and_the_app() -> None:
    """The same flags, spelled and typed the same, in ``score``, ``eval``, ``edit`` and app.py; the
    commands turn them into the load keywords (``--endpoint-url`` -> ``base_url``, quantization resolved)."""
    from red_aes.commands.options import SCORER_OPTIONS, model_kwargs
    from red_aes.commands.red_aes_cli import build_parser
    from red_aes.demo.config import build_arg_parser

    parser = build_parser()
    flags = ["--quantization", "8bit", "--max-reasoning-tokens", "5", "--device", "cpu"]
    parsed = [
        parser.parse_args(["score", "a.png", *flags, "--endpoint-url", "http://h/v1"]),
        parser.parse_args(["eval", "--model", "m", "--benchmark", "ava", "--out", "o", *flags]),
        build_arg_parser({}).parse_args([*flags, "--endpoint-url", "http://h/v1"]),
    ]
    for args in parsed:
        assert (args.quantization, args.max_reasoning_tokens, args.device) == ("8bit", 5, "cpu")
    assert model_kwargs(parsed[0], SCORER_OPTIONS) == {
        "model": "red-lite",
        "quantization": "8bit",
        "device": "cpu",
        "max_reasoning_tokens": 5,
        "base_url": "http://h/v1",
    }
    assert parsed[2].endpoint_url == "http://h/v1"
    edit = parser.parse_args(["edit", "a.png", "--prompt", "p", "--out", "b.png", "--quantization", "auto"])
    assert (edit.quantization, edit.device) == ("auto", None)
    assert model_kwargs(parser.parse_args(["score", "a.png"]), SCORER_OPTIONS) == {"model": "red-lite"}
