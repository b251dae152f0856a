"""``red-aes lite`` (red_aes.commands.lite): training flags and the push of a RED-Lite folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from red_aes.commands import lite


def test_lite_push_command_uploads_the_folder_with_its_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from hub_stub import HubStub

    from red_aes.commands.red_aes_cli import main
    from red_aes.lite.model import DEFAULT_WEIGHTS

    folder = tmp_path / "red-lite"
    shutil.copytree(DEFAULT_WEIGHTS, folder)
    with HubStub() as hub, hub.online(monkeypatch):
        assert main(["lite", "push", str(folder), "stub-user/my-lite", "--endpoint", hub.endpoint]) == 0
        files = hub.files("stub-user/my-lite")
    assert files["model.safetensors"] == (DEFAULT_WEIGHTS / "model.safetensors").read_bytes()
    assert 'load_scorer("red-lite", adapter="stub-user/my-lite")' in files["README.md"].decode()


def test_lite_train_flags_override_the_yaml_and_a_missing_source_is_refused(
    parser_of, tmp_path: Path
) -> None:
    parser = parser_of(lite)
    model = tmp_path / "model"
    argv = ["lite", "train", "--max-epochs", "3", "--long-side", "96", "--no-progress"]
    args = parser.parse_args([*argv, "--output-dir", str(model)])
    assert (args.lite_command, args.max_epochs, args.long_side, args.photos) == ("train", 3, 96, None)
    assert args.output_dir == str(model)
    with pytest.raises(ValueError, match="dataset"):  # neither --photos nor --dataset: nothing to train on
        args.func(args)
    assert not model.exists()  # refused before anything is written
    with pytest.raises(SystemExit):
        parser.parse_args(["lite", "train", "--backbone", "resnet50"])
