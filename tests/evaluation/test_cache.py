"""The prediction cache (red_aes.evaluation.cache): what its key holds, the quantization included."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from red_aes.commands.red_aes_cli import main
from red_aes.evaluation.cache import Answer, PredictionCache


def _answers(out: Path) -> tuple[int, int]:
    result = json.loads((out / "results.json").read_text())["results"][0]
    return result["answers_computed"], result["answers_from_cache"]


@pytest.mark.slow
def test_cache_key_follows_the_vlm_settings(
    tiny_model_dir: Path, labelled_thumbnails: Path, tmp_path: Path
) -> None:
    """Another reasoning budget, pixel budget, dtype or quantization asks the tiny VLM again; the same
    run reuses everything. (bitsandbytes quantizes on the CPU too.)"""
    out = tmp_path / "run"
    base = ["eval", "--model", str(tiny_model_dir), "--benchmark", "ava", "--root", str(labelled_thumbnails)]
    base += ["--limit", "1", "--device", "cpu", "--bootstrap", "0", "--no-progress", "--out", str(out)]
    base += ["--max-reasoning-tokens", "2"]
    assert main(base) == 0
    assert _answers(out) == (1, 0)
    assert main(base) == 0
    assert _answers(out) == (0, 1)  # an identical re-run reuses everything
    assert main([*base, "--quantization", "none"]) == 0  # the app's word for "not quantized" is accepted
    assert _answers(out) == (0, 1)  # ... and means the same load as no flag
    for change in (
        ["--max-reasoning-tokens", "3"],
        ["--max-image-pixels", str(28 * 28 * 4)],
        ["--dtype", "bfloat16"],
        ["--quantization", "8bit"],
    ):
        assert main([*base, *change]) == 0, change  # the last flag given wins
        assert _answers(out) == (1, 0), change
    with PredictionCache(out / "cache.sqlite") as cache:
        assert len(cache) == 5
    # the scorer's own identity is in every key: its prompt version (not the library's) and budgets
    with sqlite3.connect(out / "cache.sqlite") as db:
        fields = [json.loads(row[0]) for row in db.execute("SELECT fields FROM answers")]
    identities = [f["scorer"] for f in fields]
    assert all(i["prompt_version"] == "v1" and i["name"] == "red-aes" for i in identities)
    assert {i["max_reasoning_tokens"] for i in identities} == {2, 3}
    assert len({i["dtype"] for i in identities}) == 2  # float32 and bfloat16
    assert len({i["max_image_pixels"] for i in identities}) == 2
    assert {f["load"].get("quantization") for f in fields} == {None, "8bit"}


def test_evaluate_without_load_options_keys_a_4bit_and_a_full_precision_run_apart(
    tiny_model_dir: Path, labelled_thumbnails: Path, tmp_path: Path
) -> None:
    """The scorer reports the quantization of its own weights (read from the model), so a 4-bit and a
    full-precision run of the same model and dtype never share answers, even when ``evaluate`` is not told
    how the scorer was loaded. (bitsandbytes quantizes the tiny VLM on the CPU too.)"""
    from red_aes.evaluation.benchmarks import LoadRequest, load_benchmark
    from red_aes.evaluation.metrics import BootstrapConfig
    from red_aes.evaluation.runner import evaluate
    from red_aes.scoring.vlm import RedAesScorer

    bench = load_benchmark("ava", LoadRequest(root=labelled_thumbnails)).head(1)
    full = RedAesScorer.from_pretrained(tiny_model_dir, device="cpu", max_reasoning_tokens=2)
    four = RedAesScorer.from_pretrained(
        tiny_model_dir, device="cpu", quantization="4bit", max_reasoning_tokens=2
    )
    assert (full.quantization, four.quantization) == (None, "4bit")
    assert str(full.dtype) == str(four.dtype)  # the dtype alone cannot tell them apart

    def run(scorer: RedAesScorer, cache: PredictionCache) -> tuple[int, int]:
        result = evaluate(
            scorer,
            bench,
            model_id="tiny",
            decoding="fast",
            cache=cache,
            boot=BootstrapConfig(0),
            progress=False,
        )
        return result.computed, result.cached

    with PredictionCache(tmp_path / "cache.sqlite") as cache:
        assert run(full, cache) == (1, 0)
        assert run(four, cache) == (1, 0)  # asked again: not the full-precision answer
        assert run(four, cache) == (0, 1)  # its own answer is reused
    with sqlite3.connect(tmp_path / "cache.sqlite") as db:
        fields = [json.loads(row[0]) for row in db.execute("SELECT fields FROM answers")]
    assert sorted(str(f["scorer"]["quantization"]) for f in fields) == ["4bit", "None"]
    assert all(f["load"] == {} for f in fields)  # evaluate() was given no load options


def test_a_new_cache_file_holds_every_column(tmp_path: Path) -> None:
    with PredictionCache(tmp_path / "cache.sqlite") as cache:
        cache.put_many([("key", {"op": "score"}, Answer(2.0, True, None, True, 0.75))])
        assert cache.get_many(["key"]) == {"key": Answer(2.0, True, None, True, 0.75)}
    with sqlite3.connect(tmp_path / "cache.sqlite") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(answers)")]
    assert columns == ["key", "value", "valid", "error", "fields", "forced", "answer_mass"]
