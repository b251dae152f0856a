"""``pipeline("red-aes")``: registration, the base class's batching, checkpoints, adapters and the
trust_remote_code path of saved checkpoints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import red_aes
import red_aes.pipeline  # registers the "red-aes" task
from red_aes.scoring.vlm import RedAesScorer

BUDGET = 6


@pytest.fixture(scope="module")
def pipe(tiny_model_dir: Path):  # -> RedAesPipeline
    from transformers import pipeline

    return pipeline("red-aes", model=str(tiny_model_dir), device="cpu")


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from red_aes.testing import make_tiny_adapter

    return make_tiny_adapter(tiny_model_dir, tmp_path_factory.mktemp("adapter"), seed=1)


def _pair(photo_paths: list[Path], instruction: str | None = "warmer") -> dict:
    return {"original": photo_paths[0], "edited": photo_paths[1], "instruction": instruction}


def test_task_is_registered_by_importing_red_aes_pipeline() -> None:
    from transformers.pipelines import PIPELINE_REGISTRY

    assert "red-aes" in PIPELINE_REGISTRY.get_supported_tasks()
    assert PIPELINE_REGISTRY.supported_tasks["red-aes"]["impl"] is red_aes.RedAesPipeline


def test_import_red_aes_has_no_import_time_magic() -> None:
    """``import red_aes`` adds no import hook and wraps no loader; the task appears with red_aes.pipeline."""
    code = (
        "import sys\n"
        "hooks = list(sys.meta_path)\n"
        "import red_aes\n"
        "assert sys.meta_path == hooks, sys.meta_path\n"
        "assert 'transformers' not in sys.modules\n"
        "from transformers.pipelines import PIPELINE_REGISTRY\n"
        "assert 'red-aes' not in PIPELINE_REGISTRY.get_supported_tasks()\n"
        "import red_aes.pipeline\n"
        "assert 'red-aes' in PIPELINE_REGISTRY.get_supported_tasks()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr


def test_the_pipeline_uses_the_base_class_call() -> None:
    from transformers import Pipeline

    assert red_aes.RedAesPipeline.__call__ is Pipeline.__call__
    for step in ("_sanitize_parameters", "preprocess", "_forward", "postprocess"):
        assert step in vars(red_aes.RedAesPipeline), step


def test_pair_and_image_results_match_the_scorer(pipe, tiny_model_dir: Path, photo_paths: list[Path]) -> None:
    scorer = RedAesScorer.from_pretrained(tiny_model_dir, max_reasoning_tokens=BUDGET)
    pair = pipe(_pair(photo_paths), max_reasoning_tokens=BUDGET)
    expected = scorer.compare(photo_paths[0], photo_paths[1], "warmer")
    assert pair == expected.to_dict()
    assert set(pair) >= {"delta", "reasoning", "valid", "error", "raw_text", "decoding", "prompt_version"}
    assert "mode" not in pair  # the legacy key of "decoding" is gone
    image = pipe(photo_paths[2], max_reasoning_tokens=BUDGET)
    assert image == scorer.score(photo_paths[2]).to_dict()
    assert image["valid"] and 1.0 <= image["score"] <= 10.0


def test_lists_batch_and_keep_order(pipe, photo_paths: list[Path]) -> None:
    inputs = [_pair(photo_paths), photo_paths[2], _pair(photo_paths, None), photo_paths[3]]
    batch = pipe(inputs, decoding="fast")
    single = [pipe(x, decoding="fast") for x in inputs]
    assert [("delta" in r, "score" in r) for r in batch] == [(True, False), (False, True)] * 2
    for got, want in zip(batch, single, strict=True):
        # the untrained model's fast answers are invalid; their answer masses still identify the item
        assert got["answer_mass"] == pytest.approx(want["answer_mass"], rel=1e-3)
        assert got["decoding"] == "fast" and got["reasoning"] is None and not got["valid"]
    assert len({round(r["answer_mass"], 20) for r in batch}) == len(batch)
    # batch_size > 1: the base class collates mixed pairs and images into one _forward call
    batched = pipe(inputs, decoding="fast", batch_size=3)
    assert [("delta" in r, "score" in r) for r in batched] == [(True, False), (False, True)] * 2
    for got, want in zip(batched, single, strict=True):
        assert got["answer_mass"] == pytest.approx(want["answer_mass"], rel=1e-3)
    assert list(pipe((x for x in inputs[:2]), decoding="fast")) == batch[:2]  # a generator streams


def test_pipeline_uses_the_scorer_budget(tiny_model_dir: Path, pipe) -> None:
    from transformers import pipeline

    assert pipe.scorer.max_image_pixels == RedAesScorer.from_pretrained(tiny_model_dir).max_image_pixels
    wide = pipeline("red-aes", model=str(tiny_model_dir), device="cpu", max_image_pixels=20 * 784)
    assert wide.scorer.max_image_pixels == 20 * 784
    assert wide.scorer.metadata["max_image_pixels_source"] == "argument"


def test_bad_pair_input_is_a_clear_error(pipe, photo_paths: list[Path]) -> None:
    with pytest.raises(ValueError, match=r"missing \['edited'\]"):
        pipe({"original": photo_paths[0]})
    with pytest.raises(ValueError, match="unknown keys"):
        pipe({"original": photo_paths[0], "edited": photo_paths[1], "prompt": "x"})


def test_adapter_directory(adapter_dir: Path, photo_paths: list[Path]) -> None:
    from transformers import pipeline

    adapted = pipeline("red-aes", model=str(adapter_dir), device="cpu")
    expected = RedAesScorer.from_pretrained(adapter_dir, max_reasoning_tokens=BUDGET)
    got = adapted(_pair(photo_paths), max_reasoning_tokens=BUDGET)
    assert got["raw_text"] == expected.compare(photo_paths[0], photo_paths[1], "warmer").raw_text


def test_saved_checkpoint_loads_with_trust_remote_code(
    adapter_dir: Path, tmp_path: Path, photo_paths: list[Path]
) -> None:
    from transformers import pipeline

    scorer = RedAesScorer.from_pretrained(adapter_dir, max_reasoning_tokens=BUDGET)
    saved = scorer.save_pretrained(tmp_path / "merged")
    remote = pipeline(model=str(saved), trust_remote_code=True, device="cpu")
    assert type(remote).__name__ == "RedAesPipeline"
    assert type(remote).__module__.endswith("red_aes_pipeline")  # the copy shipped with the checkpoint
    got = remote(_pair(photo_paths), max_reasoning_tokens=BUDGET)
    assert got["raw_text"] == scorer.compare(photo_paths[0], photo_paths[1], "warmer").raw_text
    with pytest.raises(ValueError, match="trust_remote_code=True"):
        pipeline(model=str(saved), device="cpu")
