"""Shared types (red_aes.types): the one quantization resolver every loader uses."""

from __future__ import annotations

import pytest
from launch import run_python

from red_aes import types
from red_aes.errors import InputError
from red_aes.types import QUANTIZATION_CHOICES, check_quantization, resolve_quantization


@pytest.mark.parametrize(
    ("setting", "cuda", "bitsandbytes", "expected"),
    [
        ("auto", True, True, "4bit"),  # a GPU with bitsandbytes: 4-bit
        ("auto", True, False, None),  # a GPU without bitsandbytes: full precision, no import error
        ("auto", False, True, None),  # the CPU: full precision
        ("none", True, True, None),
        (None, True, True, None),
        ("4bit", False, False, "4bit"),  # an explicit choice is kept (the loader says what is missing)
        ("8bit", True, True, "8bit"),
    ],
)
def test_auto_is_4bit_on_cuda_with_bitsandbytes_else_none(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, cuda: bool, bitsandbytes: bool, expected: str | None
) -> None:
    monkeypatch.setattr(types, "_has_bitsandbytes", lambda: bitsandbytes)
    assert resolve_quantization(setting, cuda) == expected


def test_auto_asks_torch_when_the_device_is_not_said(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(types, "_has_bitsandbytes", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_quantization("auto") == "4bit"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_quantization("auto") is None


def test_one_vocabulary_is_checked_in_one_place() -> None:
    assert QUANTIZATION_CHOICES == ("auto", "none", "4bit", "8bit")
    assert [check_quantization(choice) for choice in QUANTIZATION_CHOICES] == list(QUANTIZATION_CHOICES)
    for bad in ("3bit", "4-bit", "", "AUTO"):
        with pytest.raises(
            InputError, match=r"quantization must be one of \('auto', 'none', '4bit', '8bit'\)"
        ):
            check_quantization(bad)
        with pytest.raises(InputError, match="quantization must be one of"):
            resolve_quantization(bad, cuda_available=False)


def test_resolving_auto_imports_no_bitsandbytes() -> None:
    """bitsandbytes is looked up, not imported (importing it is slow and loads CUDA kernels)."""
    code = (
        "import sys\nfrom red_aes.types import resolve_quantization\n"
        "resolve_quantization('auto', True)\nprint('bitsandbytes' in sys.modules)"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
