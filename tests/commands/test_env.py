"""``red-aes env`` (red_aes.commands.env): the versions a bug report needs."""

from __future__ import annotations

import json
from importlib import metadata

from red_aes._version import __version__
from red_aes.commands import env
from red_aes.commands.red_aes_cli import main


def test_env_prints_the_installed_versions_and_marks_absent_extras(capsys, monkeypatch) -> None:
    assert main(["env", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["red-aes"] == __version__ and set(env.LIBRARIES) <= set(info)
    assert info["transformers"] == metadata.version("transformers")
    assert info["cuda available"] in ("True", "False")
    monkeypatch.setattr(env, "LIBRARIES", (*env.LIBRARIES, "red-aes-extra-that-does-not-exist"))
    assert main(["env"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["-", "red-aes", __version__]
    assert ["-", "red-aes-extra-that-does-not-exist", "not", "installed"] in [line.split() for line in lines]
