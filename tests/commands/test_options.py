"""Flags shared by several commands (red_aes.commands.options): the model options, declared once."""

from __future__ import annotations

import argparse

import pytest

from red_aes.commands import options
from red_aes.errors import InputError


def test_the_model_flags_are_one_declaration_for_the_commands_and_the_app() -> None:
    """The same flags, spelled and typed the same, in ``score``, ``eval``, ``edit`` and app.py; the
    commands turn them into the load keywords (``--endpoint-url`` -> ``base_url``, quantization resolved)."""
    from red_aes.commands.options import SCORER_OPTIONS, model_kwargs
    from red_aes.commands.red_aes_cli import build_parser
    from red_aes.demo.config import build_arg_parser

    parser = build_parser()
    flags = ["--quantization", "8bit", "--max-reasoning-tokens", "5", "--device", "cpu"]
    parsed = [
        parser.parse_args(["score", "a.png", *flags, "--endpoint-url", "http://h/v1"]),
        parser.parse_args(["eval", "--model", "m", "--benchmark", "ava", "--out", "o", *flags]),
        build_arg_parser({}).parse_args([*flags, "--endpoint-url", "http://h/v1"]),
    ]
    for args in parsed:
        assert (args.quantization, args.max_reasoning_tokens, args.device) == ("8bit", 5, "cpu")
    assert model_kwargs(parsed[0], SCORER_OPTIONS) == {
        "model": "red-lite",
        "quantization": "8bit",
        "device": "cpu",
        "max_reasoning_tokens": 5,
        "base_url": "http://h/v1",
    }
    assert parsed[2].endpoint_url == "http://h/v1"
    edit = parser.parse_args(["edit", "a.png", "--prompt", "p", "--out", "b.png", "--quantization", "auto"])
    assert (edit.quantization, edit.device) == ("auto", None)
    assert model_kwargs(parser.parse_args(["score", "a.png"]), SCORER_OPTIONS) == {"model": "red-lite"}


@pytest.mark.parametrize(
    ("value", "expected"), [("none", None), (None, None), ("4bit", "4bit"), ("8bit", "8bit")]
)
def test_quantization_none_means_full_precision(value: str | None, expected: str | None) -> None:
    """``--quantization`` becomes the load keyword, left out when it means full precision."""
    args = argparse.Namespace(model="m", quantization=value)
    kwargs = options.model_kwargs(args, options.model_options("model", "quantization"))
    assert kwargs.get("quantization") == expected


def test_an_unknown_quantization_is_refused() -> None:
    args = argparse.Namespace(model="m", quantization="3bit")
    with pytest.raises(InputError, match="quantization must be one of"):
        options.model_kwargs(args, options.model_options("model", "quantization"))


def test_push_flags_become_the_push_keywords() -> None:
    parser = argparse.ArgumentParser()
    options.add_push_options(parser)
    pushed = options.push_options(parser.parse_args(["--private", "--endpoint", "http://hub"]))
    assert pushed == {"private": True, "token": None, "endpoint": "http://hub"}  # token: the user's login
