"""``benchmarks/gpu_scale.py`` in its CPU mode (``SCALE=small``): the same code as the 7B-shaped GPU run."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "benchmarks" / "gpu_scale.py"


@pytest.fixture(scope="module")
def gpu_scale() -> Iterator:  # the benchmark module
    spec = importlib.util.spec_from_file_location("gpu_scale", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_small_scale_runs_every_measurement(
    gpu_scale, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCALE", "small")
    gpu_scale.main()
    out = capsys.readouterr().out
    for number in range(1, 8):
        assert f"[{number}]" in out, out
    # the default budget: a 12 MP pair costs what a 1 MP pair costs, at most 512 tokens per image
    tokens, one_mp = map(int, re.search(r"\[4\].*: (\d+) visual tokens.*a 1 MP pair: (\d+)\)", out).groups())
    assert tokens == one_mp <= 2 * 512
    # float32 on the CPU: a pair alone and inside the batch give the same reasoning text
    assert re.search(r"\[6\] float32 batch of 4 vs alone: reasoning texts differ for 0 of 4 pairs", out)
    assert "[7] 4-bit footprint skipped" in out or re.search(r"\[7\] .*4-bit .* \(0\.\d+x\)", out)


def test_unknown_scale_is_refused(gpu_scale, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCALE", "huge")
    with pytest.raises(SystemExit, match="SCALE must be one of"):
        gpu_scale.main()


def test_7b_config_has_the_real_sizes(gpu_scale) -> None:
    """The 7B-shaped config as Qwen2.5-VL-7B-Instruct's, checked by parameter count without weights."""
    import torch
    from transformers import AutoModelForImageTextToText

    from red_aes.testing import make_tiny_processor

    tokenizer = make_tiny_processor().tokenizer
    config = gpu_scale.model_config(tokenizer, gpu_scale.SCALES["7b"], 152064)
    with torch.device("meta"):
        model = AutoModelForImageTextToText.from_config(config)
    parameters = sum(p.numel() for p in model.parameters())
    assert 8.2e9 < parameters < 8.35e9  # Qwen2.5-VL-7B-Instruct: 8.29B
    assert model.get_output_embeddings().weight.shape[0] == 152064
