"""``red-aes train`` (red_aes.commands.train): running a recipe and pushing a stage's output."""

from __future__ import annotations

from pathlib import Path

import pytest
from launch import free_port

from red_aes.commands import train
from red_aes.commands.red_aes_cli import main as cli
from red_aes.errors import InputError


def test_train_command_reports_bad_recipes_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stage: rlhf\n")
    assert cli(["train", "run", "--config", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("red-aes train: error:") and "stage must be one of" in err and "\n" not in err


def test_train_push_refuses_a_folder_that_is_not_a_training_output(tmp_path: Path, capsys) -> None:
    (tmp_path / "README.md").write_text("hello")
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assert cli(["train", "push", str(tmp_path), "stub-user/x", "--endpoint", endpoint]) == 2
    assert "not a RED-Aes training output, missing ['adapter_config.json'" in capsys.readouterr().err


def test_train_run_keeps_the_overrides_after_the_separator_and_reads_the_stage_first(
    parser_of, tmp_path: Path
) -> None:
    parser = parser_of(train)
    args = parser.parse_args(["train", "run", "--config", "r.yaml", "--", "--max_steps", "5"])
    assert (args.train_command, args.config, args.overrides) == ("run", "r.yaml", ["--", "--max_steps", "5"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("stage: rlhf\n")
    args = parser.parse_args(["train", "run", "--config", str(bad)])
    with pytest.raises(InputError, match=r"stage must be one of \['group', 'pair', 'sft'\], got 'rlhf'"):
        args.func(args)
    push = parser.parse_args(["train", "push", "out", "me/model", "--private"])
    assert (push.folder, push.repo_id, push.private) == ("out", "me/model", True)
