"""The scoring package's seams: the registry, the endpoint backend, the
torch-free checkpoint module and how the CLI reports the project's errors versus bugs."""

from __future__ import annotations

import base64
import importlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from chat_stub import ChatStub
from PIL import Image

from red_aes.commands.red_aes_cli import main
from red_aes.errors import InputError, RedAesError
from red_aes.registry import Registry, RegistryError, given
from red_aes.scoring import SCORERS, available_scorers, load_scorer
from red_aes.scoring.endpoint import EndpointScorer


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )


def test_checkpoints_import_without_torch() -> None:
    result = _python("import sys, red_aes.checkpoints; print('torch' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_registry_names_what_exists_and_checks_options_before_building() -> None:
    assert available_scorers() == ["endpoint", "measured", "red-lite", "stat-colorfulness", "stat-sharpness"]
    with pytest.raises(RegistryError, match="unknown options for the stat-sharpness scorer: adapter"):
        load_scorer("stat-sharpness", adapter="x")
    with pytest.raises(ValueError, match="batch_size, max_pixels"):  # what it takes, listed
        load_scorer("stat-sharpness", device="cpu")
    assert SCORERS.accepts("red-lite", "adapter") and not SCORERS.accepts("measured", "device")
    assert SCORERS.accepts("some/vlm-id", "quantization")  # any other name is the VLM
    judges = Registry("judge", {"ladder": "red_aes.data.judges:LadderJudge"})
    with pytest.raises(RegistryError, match="unknown judge 'oracle'; known: ladder"):
        judges.build("oracle")
    assert judges.build("ladder", scale=2.0).scale == 2.0
    assert given({"a": None, "b": 0, "c": False}) == {"b": 0, "c": False}


def test_scoring_imports_no_data_training_or_ui_library() -> None:
    """``import red_aes.scoring`` (a fresh interpreter) loads none of datasets, trl, gradio, diffusers."""
    heavy = ("datasets", "trl", "gradio", "diffusers")
    result = _python(f"import sys, red_aes.scoring; print([m for m in {heavy!r} if m in sys.modules])")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_listing_scorers_imports_no_backend() -> None:
    code = "import sys; from red_aes.scoring import available_scorers; available_scorers(); "
    code += "print(sorted(m for m in sys.modules if m.startswith('red_aes.scoring.')))"
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['red_aes.scoring.base']"


@pytest.mark.parametrize(
    "old",
    [
        "red_aes.scorer",
        "red_aes.scorers",
        "red_aes.decoding",
        "red_aes.measured_scorer",
        "red_aes.statistic_scorer",
        "red_aes.lite.scorer",
    ],
)
def test_the_module_names_before_0_1_0_do_not_import(old: str) -> None:
    with pytest.raises(ModuleNotFoundError, match=old):
        importlib.import_module(old)


def test_endpoint_scorer_asks_the_served_model_and_reads_its_answers(photo_paths: list[Path]) -> None:
    replies = ["<think>Darker, shadows lost.</think><answer>-1.5</answer>", "no number here"]
    with ChatStub(replies, models=("served-7b",)) as stub:
        scorer = load_scorer("endpoint", base_url=stub.base_url, concurrency=1)
        assert isinstance(scorer, EndpointScorer) and scorer.client.model == "served-7b"  # as listed
        good, bad = scorer.compare([photo_paths[0]] * 2, [photo_paths[1]] * 2, "darken it")
        assert (good.delta, good.valid, good.reasoning) == (-1.5, True, "Darker, shadows lost.")
        assert (good.model, good.decoding) == ("endpoint:served-7b", "reasoning")
        assert bad.delta is None and not bad.valid and bad.raw_text == "no number here"  # never guessed
        request = stub.requests[0]
        assert request["model"] == "served-7b" and request["temperature"] == 0.0
        sent = request["messages"][1]["content"][0]["image_url"]["url"].split(",", 1)[1]
        original = Image.open(io.BytesIO(base64.b64decode(sent)))
        assert original.size == Image.open(photo_paths[0]).size
        with pytest.raises(InputError, match="reasoning decoding only"):
            scorer.score(photo_paths[0], decoding="fast")


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


def test_cli_reports_an_unreachable_endpoint_in_one_line(
    capsys: pytest.CaptureFixture[str], photo_paths: list[Path]
) -> None:
    argv = ["score", str(photo_paths[0]), "--model", "endpoint", "--endpoint-url", "http://127.0.0.1:9/v1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot list the served models" in err


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
    bug = _python(code)
    assert bug.returncode == 1
    assert "Traceback" in bug.stderr and "KeyError: 'no such key'" in bug.stderr
    missing = _python(code.replace(repr(a), repr(a + ".missing")))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr == f"red-aes compare: error: {a}.missing: file not found\n"


def test_every_project_error_is_a_red_aes_error() -> None:
    from red_aes.chat import EndpointError
    from red_aes.checkpoints import ModelLoadError
    from red_aes.data.plans import PlanError
    from red_aes.data.rationale import RationaleError
    from red_aes.data.schema import SchemaError
    from red_aes.editing import UnsupportedEditError
    from red_aes.images import ImageLoadError
    from red_aes.lite.model import LiteLoadError
    from red_aes.parsing import ParseError

    for error in (
        EndpointError,
        ModelLoadError,
        PlanError,
        RationaleError,
        SchemaError,
        UnsupportedEditError,
        ImageLoadError,
        ParseError,
        RegistryError,
        LiteLoadError,
    ):
        assert issubclass(error, RedAesError), error
    assert issubclass(InputError, ValueError)  # callers that caught ValueError still catch bad input
