"""``python -m red_aes`` (red_aes/__main__.py): the ``red-aes`` command line as a module."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pytest
from launch import run_python

import red_aes.__main__
from red_aes.commands.red_aes_cli import main


def test_the_module_runs_the_command_line_only_as_main(
    photo_paths: list[Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Imported, it runs nothing; run as ``__main__``, it exits with the command's code and output."""
    assert red_aes.__main__.main is main
    imported = run_python("import red_aes.__main__")
    assert (imported.returncode, imported.stdout, imported.stderr) == (0, "", "")
    monkeypatch.setattr(sys, "argv", ["red-aes", "measure", str(photo_paths[0]), "--json"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(red_aes.__main__.__file__, run_name="__main__")
    assert exited.value.code == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["file"] == str(photo_paths[0])


def test_console_entry_point_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jpg"
    argv = ["red-aes", "score", str(missing), "--model", "measured"]
    code = f"import runpy, sys\nsys.argv = {argv!r}\nrunpy.run_module('red_aes', run_name='__main__')\n"
    result = run_python(code, env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"red-aes score: error: {missing}: file not found\n"
