"""Evaluation bookkeeping: what the cache key holds, forced and low-mass answers, absolute scorers on
pair benchmarks, anchors that overlap the benchmark, and the eval CLI's flag names."""

from __future__ import annotations

import csv
import itertools
import json
import sqlite3
from pathlib import Path

import pytest
from PIL import ImageFilter

from red_aes.evaluation.anchored import Anchors
from red_aes.evaluation.benchmarks import LoadRequest, load_benchmark
from red_aes.evaluation.cache import Answer, PredictionCache
from red_aes.evaluation.metrics import BootstrapConfig
from red_aes.evaluation.reports import write_outputs
from red_aes.evaluation.runner import evaluate
from red_aes.images import load_image
from red_aes.scoring.measured import MeasuredScorer

BOOT = BootstrapConfig(n_resamples=20, seed=0)


class Counting(MeasuredScorer):
    """The real measured scorer, counting the images and pairs its backend is asked about; declared
    relative (the interface's default), so a harness must ask it every pair."""

    relative = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.scored = self.compared = 0

    def _score_batch(self, images, decoding):
        self.scored += len(images)
        return super()._score_batch(images, decoding)

    def _compare_batch(self, originals, edited, instructions, decoding):
        self.compared += len(originals)
        return super()._compare_batch(originals, edited, instructions, decoding)


class AbsoluteCounting(Counting):
    """Declared absolute (``relative = False``), as the measured scorer's own class is."""

    relative = False


@pytest.fixture(scope="module")
def photos(photo_paths: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled photos at a 128-pixel long side (PNG), with ``labels.csv`` (labels 1..N by name)."""
    folder = tmp_path_factory.mktemp("photos")
    for path in photo_paths:
        image = load_image(path)
        image.thumbnail((128, 128))
        image.save(folder / f"{path.stem}.png")
    names = sorted(p.name for p in folder.iterdir())
    rows = "".join(f"{name},{i + 1}\n" for i, name in enumerate(names))
    (folder / "labels.csv").write_text("file,score\n" + rows, encoding="utf-8")
    return folder


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == ".png")


def _cli(argv: list[str]) -> int:
    from red_aes.commands.red_aes_cli import main

    return main(argv)


def _answers(out: Path) -> tuple[int, int]:
    result = json.loads((out / "results.json").read_text())["results"][0]
    return result["answers_computed"], result["answers_from_cache"]


@pytest.mark.slow
def test_cache_key_follows_the_vlm_settings(tiny_model_dir: Path, photos: Path, tmp_path: Path) -> None:
    """Another reasoning budget, pixel budget, dtype or quantization asks the tiny VLM again; the same
    run reuses everything. (bitsandbytes quantizes on the CPU too.)"""
    out = tmp_path / "run"
    base = ["eval", "--model", str(tiny_model_dir), "--benchmark", "ava", "--root", str(photos)]
    base += ["--limit", "1", "--device", "cpu", "--bootstrap", "0", "--no-progress", "--out", str(out)]
    base += ["--max-reasoning-tokens", "2"]
    assert _cli(base) == 0
    assert _answers(out) == (1, 0)
    assert _cli(base) == 0
    assert _answers(out) == (0, 1)  # an identical re-run reuses everything
    assert _cli([*base, "--quantization", "none"]) == 0  # the app's word for "not quantized" is accepted
    assert _answers(out) == (0, 1)  # ... and means the same load as no flag
    for change in (
        ["--max-reasoning-tokens", "3"],
        ["--max-image-pixels", str(28 * 28 * 4)],
        ["--dtype", "bfloat16"],
        ["--quantization", "8bit"],
    ):
        assert _cli([*base, *change]) == 0, change  # the last flag given wins
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


@pytest.mark.slow
def test_forced_and_low_mass_answers_are_stored_counted_and_excludable(
    tiny_model_dir: Path, photos: Path, tmp_path: Path
) -> None:
    """The untrained tiny VLM: a 2-token reasoning budget forces its answers; in fast mode it puts
    almost no probability on well-formed answers, so they are invalid with their mass."""
    from red_aes.scoring.vlm import RedAesScorer

    bench = load_benchmark("ava", LoadRequest(root=photos)).head(4)
    scorer = RedAesScorer.from_pretrained(str(tiny_model_dir), device="cpu", max_reasoning_tokens=2)
    with PredictionCache(tmp_path / "cache.sqlite") as cache:
        run = evaluate(scorer, bench, model_id="tiny", cache=cache, boot=BOOT, progress=False)
        forced = [p for p in run.predictions if p.valid and p.forced]
        assert forced and run.report.counts["forced"] == len(forced)
        assert run.report.n == sum(p.valid for p in run.predictions)  # counted, still measured
        excluded = evaluate(
            scorer, bench, model_id="tiny", cache=cache, boot=BOOT, progress=False, exclude_forced=True
        )
        assert excluded.computed == 0  # the forced flags came back from the cache
        assert [p.forced for p in excluded.predictions] == [p.forced for p in run.predictions]
        assert excluded.report.counts["excluded_forced"] == len(forced)
        assert excluded.report.n == run.report.n - len(forced)
        fast = evaluate(
            scorer, bench, model_id="tiny", decoding="fast", cache=cache, boot=BOOT, progress=False
        )
        # anchored: a score solved from forced comparisons is forced too
        train = tmp_path / "train"
        train.mkdir()
        for i, path in enumerate(_images(photos)[:2]):
            load_image(path).filter(ImageFilter.GaussianBlur(2)).save(train / f"t{i}.png")
        (train / "labels.csv").write_text("file,score\nt0.png,3\nt1.png,7\n", encoding="utf-8")
        anchors = Anchors.from_benchmark(load_benchmark("ava", LoadRequest(root=train)), 2)
        anchored = evaluate(
            scorer, bench, model_id="tiny", scoring="anchored", anchors=anchors, cache=cache, boot=BOOT
        )
        assert all(p.forced for p in anchored.predictions if p.valid)
        assert anchored.report.counts["forced"] == sum(p.valid for p in anchored.predictions) > 0
    low = [p for p in fast.predictions if not p.valid and p.answer_mass is not None]
    assert low and fast.report.counts["invalid_low_mass"] == len(low)
    assert all(p.answer_mass < 0.5 and f"{p.answer_mass:.2e}" in p.error for p in low)
    write_outputs([run], tmp_path / "out")
    rows = list(csv.DictReader((tmp_path / "out" / "predictions.csv").open()))
    assert [r["forced"] == "true" for r in rows] == [p.forced for p in run.predictions]
    data = json.loads((tmp_path / "out" / "results.json").read_text())["results"][0]
    assert data["counts"]["forced"] == len(forced) and data["exclude_forced"] is False
    write_outputs([excluded], tmp_path / "excluded")
    table = (tmp_path / "excluded" / "results.md").read_text()
    assert "forced answers excluded" in table and f"excluded_forced = {len(forced)}" in table


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


def _all_pairs(photos: Path, tmp_path: Path) -> Path:
    """Every pair of the photos, preferring the second of each pair."""
    rows = [f"{a.name},{b.name},b\n" for a, b in itertools.combinations(_images(photos), 2)]
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("file_a,file_b,preferred\n" + "".join(rows), encoding="utf-8")
    return pairs


def test_absolute_scorers_score_each_pair_image_once(photos: Path, tmp_path: Path) -> None:
    images = _images(photos)
    bench = load_benchmark("pairwise", LoadRequest(root=photos, labels=_all_pairs(photos, tmp_path)))
    assert len(bench) == len(images) * (len(images) - 1) // 2
    scorer = AbsoluteCounting()
    with PredictionCache(tmp_path / "cache.sqlite") as cache:
        result = evaluate(
            scorer, bench, model_id="measured", decoding="fast", cache=cache, batch_size=4, boot=BOOT
        )
        assert (scorer.scored, scorer.compared) == (len(images), 0)
        assert (result.computed, result.cached) == (len(images), 0)
        again = evaluate(scorer, bench, model_id="measured", decoding="fast", cache=cache, boot=BOOT)
        assert (again.computed, again.cached, scorer.scored) == (0, len(images), len(images))
    # the same deltas as asking the measured scorer each pair
    items = list(bench.items)
    asked = MeasuredScorer().compare([it.first for it in items], [it.second for it in items], decoding="fast")
    assert [p.value for p in result.predictions] == pytest.approx([d.delta for d in asked], abs=1e-9)
    # a relative scorer (the class default) is still asked every pair
    relative = Counting()
    evaluate(relative, bench.head(5), model_id="measured", decoding="fast", boot=BOOT, progress=False)
    assert (relative.scored, relative.compared) == (0, 5)


def test_anchors_overlapping_the_benchmark_are_refused(photos: Path, tmp_path: Path) -> None:
    bench = load_benchmark("ava", LoadRequest(root=photos))
    scorer = Counting()
    same_files = Anchors.from_benchmark(bench, 2)
    with pytest.raises(ValueError, match=r"has the same file bytes as the anchor .*must not overlap"):
        evaluate(scorer, bench, model_id="measured", scoring="anchored", anchors=same_files)
    assert scorer.compared == 0  # refused before any question
    # the same pixels in another file: refused by the pixel hash as the items load
    copies = tmp_path / "train"
    copies.mkdir()
    train_rows = []
    for i, path in enumerate(_images(photos)[:3]):
        image = load_image(path)
        image.save(copies / f"copy-{i}.png", compress_level=1)  # other bytes, same pixels
        train_rows.append(f"copy-{i}.png,{i + 2}\n")
    (copies / "labels.csv").write_text("file,score\n" + "".join(train_rows), encoding="utf-8")
    pixel_twins = Anchors.from_benchmark(load_benchmark("ava", LoadRequest(root=copies)), 2)
    with pytest.raises(ValueError, match=r"has the same pixels as the anchor 'copy-"):
        evaluate(scorer, bench, model_id="measured", scoring="anchored", anchors=pixel_twins)
    # anchors apart from the benchmark (blurred copies) are accepted
    for i, path in enumerate(_images(photos)[:3]):
        load_image(path).filter(ImageFilter.GaussianBlur(2)).save(copies / f"copy-{i}.png")
    apart = Anchors.from_benchmark(load_benchmark("ava", LoadRequest(root=copies)), 2)
    result = evaluate(scorer, bench, model_id="measured", scoring="anchored", anchors=apart, boot=BOOT)
    assert result.n_invalid == 0 and result.anchors == list(apart.ids)


def test_cli_scoring_flag_and_no_mode_flag(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = tmp_path / "train"
    train.mkdir()
    for i, path in enumerate(_images(photos)[:3]):
        load_image(path).filter(ImageFilter.GaussianBlur(2)).save(train / f"t{i}.png")
    (train / "labels.csv").write_text("file,score\nt0.png,3\nt1.png,5\nt2.png,7\n", encoding="utf-8")
    argv = ["eval", "--model", "measured", "--benchmark", "ava", "--root", str(photos), "--limit", "3"]
    argv += ["--decoding", "fast", "--anchors", str(train / "labels.csv"), "--num-anchors", "2"]
    argv += ["--bootstrap", "0", "--no-progress"]
    assert _cli([*argv, "--scoring", "anchored", "--out", str(tmp_path / "new")]) == 0
    result = json.loads((tmp_path / "new" / "results.json").read_text())["results"][0]
    assert result["scoring"] == "anchored" and result["anchor_order"] == "both"
    assert "mode" not in result  # one key per meaning: scoring
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:  # the old spelling of --scoring is refused
        _cli([*argv, "--mode", "anchored", "--out", str(tmp_path / "old")])
    assert exit_info.value.code == 2 and "unrecognized arguments: --mode anchored" in capsys.readouterr().err
    assert not (tmp_path / "old").exists()
