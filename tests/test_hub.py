"""Hub helpers shared by the dataset and model pushes (red_aes.hub), and the local Hub stub itself driven
by the real ``huggingface_hub`` client: it keeps what the client sends (paths and bytes), reports missing
repos the way the client expects, and refuses a card whose YAML does not parse. None of this says
anything about the real Hub."""

from __future__ import annotations

from pathlib import Path

import pytest
from hub_stub import HubStub
from huggingface_hub import HfApi
from huggingface_hub.errors import RepositoryNotFoundError

from red_aes.commands.red_aes_cli import main
from red_aes.hub import push_folder, token_from_env


def test_token_comes_from_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RED_AES_TEST_TOKEN", "hf_secret")
    assert token_from_env("RED_AES_TEST_TOKEN") == "hf_secret"
    assert token_from_env(None) is None  # huggingface_hub's own login
    monkeypatch.delenv("RED_AES_TEST_TOKEN")
    with pytest.raises(ValueError, match=r"RED_AES_TEST_TOKEN .* is not set"):
        token_from_env("RED_AES_TEST_TOKEN")


@pytest.mark.parametrize("command", [["train", "push"], ["data", "push"]])
def test_push_commands_refuse_an_unset_token_variable(command, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("RED_AES_MISSING_TOKEN", raising=False)
    code = main([*command, str(tmp_path), "me/repo", "--token-env", "RED_AES_MISSING_TOKEN"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "RED_AES_MISSING_TOKEN (the Hub token) is not set" in err


def test_model_folder_upload_keeps_paths_and_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "model"
    (folder / "nested").mkdir(parents=True)
    weights = bytes(range(256)) * 64  # binary: goes through the LFS transfer
    (folder / "adapter_model.safetensors").write_bytes(weights)
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n# Adapter\n")
    (folder / "nested" / "config.json").write_text('{"r": 4}')
    with HubStub() as hub, hub.online(monkeypatch):
        push_folder(folder, "org/adapter", repo_type="model", endpoint=hub.endpoint, commit_message="first")
        push_folder(
            folder, "org/adapter", repo_type="model", endpoint=hub.endpoint, ignore_patterns=["nested/*"]
        )
        api = HfApi(endpoint=hub.endpoint)
        listed = sorted(api.list_repo_files("org/adapter"))
        with pytest.raises(RepositoryNotFoundError):
            api.repo_info("org/missing", repo_type="dataset")
    assert hub.files("org/adapter") == {
        "adapter_model.safetensors": weights,
        "README.md": (folder / "README.md").read_bytes(),
        "nested/config.json": b'{"r": 4}',
    }
    assert listed == ["README.md", "adapter_model.safetensors", "nested/config.json"]
    first, second = hub.repo("org/adapter").commits
    assert first["summary"] == "first"
    assert sorted(first["added"]) == ["README.md", "adapter_model.safetensors", "nested/config.json"]
    assert sorted(second["added"]) == ["README.md", "adapter_model.safetensors"]  # ignore_patterns honoured
    assert [u.content for u in hub.uploads if u.path == "adapter_model.safetensors"] == [weights, weights]
    assert weights in hub.lfs_objects.values()


def test_card_with_broken_yaml_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "README.md").write_text("---\nlicense: [unclosed\n---\ntext\n")
    with HubStub() as hub, hub.online(monkeypatch), pytest.raises(ValueError, match="Invalid metadata"):
        push_folder(folder, "org/broken", repo_type="dataset", endpoint=hub.endpoint)
    assert hub.files("org/broken", repo_type="dataset") == {}
