"""The ``red-aes`` entry point (red_aes.commands.red_aes_cli): project errors and missing files are
one line with exit code 2, a bug shows its traceback; flags are taken only as spelled."""

from __future__ import annotations

from pathlib import Path

import pytest
from launch import run_python

from red_aes.commands.red_aes_cli import main


def test_project_errors_are_one_line_but_a_bug_shows_its_traceback(photo_paths: list[Path]) -> None:
    """A KeyError raised inside a scorer is a bug: the CLI must not dress it up as bad input."""
    a, b = (str(p) for p in photo_paths[:2])
    code = (
        "import sys\n"
        "from red_aes.commands.red_aes_cli import main\n"
        "from red_aes.scoring.measured import MeasuredScorer\n"
        "def broken(self, *args, **kwargs):\n"
        "    return {}['no such key']\n"
        "MeasuredScorer._compare_batch = broken\n"
        f"sys.exit(main(['compare', {a!r}, {b!r}, '--model', 'measured']))\n"
    )
    bug = run_python(code)
    assert bug.returncode == 1
    assert "Traceback" in bug.stderr and "KeyError: 'no such key'" in bug.stderr
    missing = run_python(code.replace(repr(a), repr(a + ".missing")))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr == f"red-aes compare: error: {a}.missing: file not found\n"


@pytest.mark.parametrize("command", ["compare", "score"])
def test_the_old_mode_flag_is_refused(capsys, command: str, photo_paths: list[Path]) -> None:
    """``--mode`` is gone, and it is not read as an abbreviation of ``--model`` either."""
    images = [str(p) for p in photo_paths[: 2 if command == "compare" else 1]]
    with pytest.raises(SystemExit) as exit_info:
        main([command, *images, "--model", "measured", "--mode", "fast"])
    assert exit_info.value.code == 2 and "unrecognized arguments: --mode fast" in capsys.readouterr().err


def test_bad_image_fails_before_the_model_is_loaded(tmp_path: Path, photo_paths: list[Path], run_cli) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"definitely not a jpeg")
    # the model does not exist either: the image error must come first
    code, out, err = run_cli("compare", broken, photo_paths[0], "--model", tmp_path / "no-model")
    assert code == 2 and out == ""
    assert err.strip() == f"red-aes compare: error: {broken}: not a recognised image format"


def test_bad_model_is_a_one_line_error(tmp_path: Path, photo_paths: list[Path], run_cli) -> None:
    code, _, err = run_cli("score", photo_paths[0], "--model", tmp_path / "missing-model")
    assert code == 2
    assert err.count("\n") == 1 and "missing-model: directory not found" in err


def test_unknown_quantization_is_a_one_line_error(
    tiny_model_dir: Path, photo_paths: list[Path], run_cli
) -> None:
    code, _, err = run_cli("score", photo_paths[0], "--model", tiny_model_dir, "--quantization", "2bit")
    assert code == 2 and "quantization must be one of" in err and err.count("\n") == 1


def test_typo_in_the_model_name_fails_offline_at_once_with_a_suggestion(
    monkeypatch: pytest.MonkeyPatch, photo_paths: list[Path], run_cli
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, _, err = run_cli("score", photo_paths[0], "--model", "redlite")
    assert code == 2 and err.count("\n") == 1
    assert "not a registered scorer" in err and "did you mean `red-lite`?" in err
    code, _, err = run_cli("score", photo_paths[0], "--model", "nobody/redlite")  # a Hub id, offline
    assert code == 2 and "the Hub is offline (HF_HUB_OFFLINE is set)" in err
