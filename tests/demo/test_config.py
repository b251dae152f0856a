"""The demo's configuration (red_aes.demo.config): flags over environment variables, every option's
variable, the backends and their description, quantization by device."""

from __future__ import annotations

from pathlib import Path

import pytest

from red_aes.demo.config import (
    DEFAULT_MODEL,
    OPTIONS,
    DemoConfig,
    build_arg_parser,
    load_backends,
    load_config,
    resolve_quantization,
)
from red_aes.scoring import SCORERS
from red_aes.scoring.options import MODEL_OPTIONS


def test_a_typo_in_the_model_name_fails_fast_with_a_suggestion() -> None:
    backends = load_backends(DemoConfig(model="redlite"))  # no Hub call: not a folder nor owner/name
    assert backends.scorer_name == DEFAULT_MODEL
    assert "did you mean `red-lite`?" in backends.status_markdown()


def test_default_configuration_has_no_notice() -> None:
    backends = load_backends(DemoConfig())
    assert backends.notices == [] and backends.scorer_name == DEFAULT_MODEL
    assert "⚠" not in backends.status_markdown()


def test_flags_override_environment_variables() -> None:
    env = {
        "RED_AES_MODEL": "env/model",
        "RED_AES_EDITOR": "env/editor",
        "RED_AES_QUANTIZATION": "8bit",
        "RED_AES_MAX_INPUT_PIXELS": "1000",
        "RED_AES_CONCURRENCY": "3",
        "RED_AES_ADAPTER": "env/adapter",
    }
    from_env = load_config((), env)
    assert (from_env.model, from_env.editor, from_env.quantization) == ("env/model", "env/editor", "8bit")
    assert (from_env.max_input_pixels, from_env.concurrency, from_env.adapter) == (1000, 3, "env/adapter")
    flagged = load_config(
        ["--model", "flag/model", "--quantization", "none", "--server-port", "7999", "--share"], env
    )
    assert (flagged.model, flagged.quantization, flagged.editor) == ("flag/model", "none", "env/editor")
    assert flagged.server_port == 7999 and flagged.share is True
    assert load_config((), {}) == DemoConfig()


def test_every_option_is_read_from_its_environment_variable_and_flags_are_taken_only_as_spelled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each option of the app (the model options it shares with ``red-aes`` and its own) reaches its
    DemoConfig field, typed, from its RED_AES_* variable; a prefix of a flag is refused."""
    values = {"int": "7", "float": "2.5", "quantization": "8bit"}
    env = {o.env: values.get(o.dest, values.get(o.type.__name__, f"v-{o.dest}")) for o in OPTIONS}
    config = load_config((), env)
    for option in OPTIONS:
        assert getattr(config, option.dest) == option.type(env[option.env]), option.flag
    assert {o.flag for o in OPTIONS} >= {o.flag for o in MODEL_OPTIONS if o.env} >= {"--endpoint-url"}
    assert "RED_AES_ENDPOINT_MODEL" in build_arg_parser({}).format_help()
    with pytest.raises(SystemExit):
        load_config(["--mode", "x/y"], {})  # not read as --model
    assert "unrecognized arguments: --mode" in capsys.readouterr().err


def test_the_page_describes_the_scorer_as_the_registry_does(tiny_model_dir: Path) -> None:
    offline = load_backends(DemoConfig()).status_markdown()
    assert f"scorer `{DEFAULT_MODEL}` ({SCORERS[DEFAULT_MODEL].description});" in offline
    measured = load_backends(DemoConfig(model="measured")).status_markdown()
    assert f"scorer `measured` ({SCORERS['measured'].description});" in measured
    vlm = load_backends(
        DemoConfig(model=str(tiny_model_dir), device="cpu", max_reasoning_tokens=3), cuda_available=False
    )
    assert vlm.notices == [] and vlm.scorer.max_reasoning_tokens == 3  # the VLM's options reach it
    assert f"({SCORERS.entry(str(tiny_model_dir)).description}; not quantized)" in vlm.status_markdown()


def test_bad_configuration_values_exit_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit, match="quantization must be one of"):
        load_config((), {"RED_AES_QUANTIZATION": "3bit"})
    with pytest.raises(SystemExit):
        load_config(["--quantization", "3bit"], {})
    assert "invalid choice: '3bit'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("setting", "cuda", "expected"),
    [("auto", True, "4bit"), ("auto", False, None), ("none", True, None), ("8bit", False, "8bit")],
)
def test_quantization_is_4bit_on_cuda_and_none_on_cpu_by_default(
    setting: str, cuda: bool, expected: str | None
) -> None:
    assert resolve_quantization(setting, cuda) == expected
