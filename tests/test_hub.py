"""Hub helpers shared by the dataset and model pushes."""

from __future__ import annotations

import pytest

from red_aes.commands.red_aes_cli import main
from red_aes.hub import token_from_env


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
