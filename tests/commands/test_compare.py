"""``red-aes compare`` (red_aes.commands.compare): JSON and text output of the tiny VLM, the measured
scorer, a served model and the default RED-Lite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chat_stub import ChatStub

from red_aes.commands import compare
from red_aes.commands.red_aes_cli import main
from red_aes.parsing import parse_answer
from red_aes.prompts import format_delta


def test_compare_json_is_one_document(tiny_model_dir: Path, photo_paths: list[Path], run_cli) -> None:
    code, out, _ = run_cli(
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
    assert record["forced"] is True and "answer_mass" not in record  # 2 tokens: the budget ran out
    assert record["max_image_pixels"] == 6 * 784


def test_compare_text_output(tiny_model_dir: Path, photo_paths: list[Path], run_cli) -> None:
    code, out, _ = run_cli(
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


def test_cli_compares_with_a_served_model(
    capsys: pytest.CaptureFixture[str], photo_paths: list[Path]
) -> None:
    with ChatStub(["<think>Warmer and brighter.</think><answer>+0.8</answer>"]) as stub:
        argv = ["compare", str(photo_paths[0]), str(photo_paths[1]), "--model", "endpoint"]
        argv += ["--endpoint-url", stub.base_url, "--endpoint-model", "judge-72b", "--json"]
        assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["delta"], record["valid"], record["model"]) == (0.8, True, "endpoint:judge-72b")
    assert stub.requests[0]["model"] == "judge-72b"


def test_cli_compare_uses_red_lite_by_default(photo_paths: list[Path], run_cli) -> None:
    code, out, _ = run_cli("compare", photo_paths[0], photo_paths[1], "--json")
    assert code == 0
    result = json.loads(out)
    assert result["model"] == "red-lite" and result["valid"] and result["reasoning"].startswith("RED-Lite")


def test_the_compare_command_alone_prints_the_pair_and_its_delta(
    parser_of, photo_paths: list[Path], capsys
) -> None:
    a, b = str(photo_paths[0]), str(photo_paths[1])
    args = parser_of(compare).parse_args(
        ["compare", a, b, "--instruction", "x", "--model", "measured", "--json"]
    )
    assert args.func is compare.run and compare.run(args) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["original"], record["edited"], record["instruction"]) == (a, b, "x")
    assert record["valid"] and record["model"] == "measured" and -9 <= record["delta"] <= 9
    args = parser_of(compare).parse_args(["compare", a, b, "--model", "measured"])
    assert compare.run(args) == 0
    assert capsys.readouterr().out.startswith(f"delta: {format_delta(record['delta'])}  (")
