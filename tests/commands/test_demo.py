"""``red-aes demo`` (red_aes.commands.demo): the app's flags, read when the command runs, and one-line errors.
Serving itself is exercised by tests/benchmarks/test_bench_app_load.py, whose server is ``app.py``, which
runs this command; the app's behaviour is tests/test_app.py's."""

from __future__ import annotations

import pytest
from launch import run_python

from red_aes.commands import demo
from red_aes.commands.red_aes_cli import main


def test_demo_help_lists_the_app_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["demo", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: red-aes demo")
    for flag in ("--model", "--adapter", "--editor", "--concurrency", "--server-port", "--share"):
        assert flag in text, flag
    assert "RED_AES_MODEL" in text


def test_the_demo_is_listed_and_its_flags_are_taken_as_spelled(
    capsys: pytest.CaptureFixture[str], parser_of
) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "demo" in capsys.readouterr().out
    args = parser_of(demo).parse_args(["demo", "--model", "measured", "--share"])
    assert args.demo_argv == ["--model", "measured", "--share"]  # kept as written, read when it runs
    with pytest.raises(SystemExit) as refused:
        main(["demo", "--mode", "x"])  # not a prefix of --model
    assert refused.value.code == 2 and "unrecognized arguments: --mode" in capsys.readouterr().err


def test_a_bad_value_is_one_line_before_anything_loads(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--concurrency", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "red-aes demo: error: concurrency must be >= 1, got 0"


def test_building_the_cli_does_not_import_the_demo_or_heavy_libraries() -> None:
    """The demo's flags are declared with the demo, whose import costs about a second: ``red-aes --help``
    and every other command never pay it. Nor do they pay for torch, or for scipy's signal and stats
    modules (half a second each), which only blurring and the metrics use."""
    heavy = ("red_aes.demo", "gradio", "torch", "scipy.signal", "scipy.stats")
    done = run_python(
        "import sys\n"
        "from red_aes.commands.red_aes_cli import build_parser\n"
        "build_parser().parse_args(['demo', '--help'])\n"
        f"assert not [m for m in sys.modules if m.startswith({heavy!r})], sys.modules\n"
    )
    assert done.returncode == 0, done.stderr
