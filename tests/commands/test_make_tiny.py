"""``red-aes make-tiny-model`` and ``make-tiny-editor`` (red_aes.commands.make_tiny)."""

from __future__ import annotations

import json
from pathlib import Path

from red_aes import testing
from red_aes.commands import make_tiny


def test_make_tiny_checkpoints(tmp_path: Path, run_cli) -> None:
    from transformers import AutoConfig

    code, out, _ = run_cli("make-tiny-model", tmp_path / "vlm", "--seed", 3)
    assert code == 0 and "untrained" in out
    assert AutoConfig.from_pretrained(tmp_path / "vlm").model_type == "qwen2_5_vl"
    code, _, _ = run_cli("make-tiny-editor", tmp_path / "editor")
    assert code == 0
    assert json.loads((tmp_path / "editor" / "model_index.json").read_text())["_class_name"] == (
        "StableDiffusionInstructPix2PixPipeline"
    )


def test_each_command_names_a_builder_of_red_aes_testing(parser_of) -> None:
    parser = parser_of(make_tiny)
    for command, (builder, _) in make_tiny.TINY.items():
        args = parser.parse_args([command, "out"])
        assert args.func is make_tiny.run and args.builder == builder and args.seed == 0
        assert callable(getattr(testing, builder))
    assert parser.parse_args(["make-tiny-model", "out", "--seed", "7"]).seed == 7
