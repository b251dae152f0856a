"""The prediction cache (red_aes.evaluation.cache): what its key holds, and old cache files."""

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


def test_old_cache_files_gain_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    with sqlite3.connect(path) as db:  # the table as the first release wrote it
        db.execute(
            "CREATE TABLE answers (key TEXT PRIMARY KEY, value REAL, valid INTEGER NOT NULL, error TEXT, "
            "fields TEXT NOT NULL)"
        )
        db.execute("INSERT INTO answers VALUES ('old', 6.5, 1, NULL, '{}')")
    with PredictionCache(path) as cache:
        cache.put_many([("new", {}, Answer(2.0, True, None, True, 0.75))])
        found = cache.get_many(["old", "new"])
    assert found["old"] == Answer(6.5, True, None, False, None)
    assert found["new"] == Answer(2.0, True, None, True, 0.75)
