"""The evaluation runner (red_aes.evaluation.runner) with the real measured scorer and the tiny VLM: the
cache, resuming, invalid, forced and low-mass answers, anchored scoring, pair benchmarks, absolute
scorers on pairs, and anchors that overlap the benchmark."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter
from scipy import stats

from red_aes.evaluation.anchored import Anchors
from red_aes.evaluation.benchmarks import LoadRequest, load_benchmark
from red_aes.evaluation.cache import PredictionCache
from red_aes.evaluation.metrics import BootstrapConfig
from red_aes.evaluation.reports import write_outputs
from red_aes.evaluation.runner import evaluate
from red_aes.images import load_image
from red_aes.scoring.measured import MeasuredScorer
from red_aes.types import NO_CHANGE_BAND, AestheticDelta, AestheticScore
from tests.evaluation.conftest import red_pairs

BOOT = BootstrapConfig(n_resamples=50, seed=0)
#: For the runs whose intervals no test reads.
QUICK_BOOT = BootstrapConfig(n_resamples=20, seed=0)


class CountingScorer(MeasuredScorer):
    """The real measured scorer, counting the images and pairs its backend is asked about."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.scored = 0
        self.compared = 0
        self.fail_after: int | None = None

    def _score_batch(self, images, mode):
        if self.fail_after is not None and self.scored >= self.fail_after:
            raise KeyboardInterrupt("simulated interruption")
        self.scored += len(images)
        return super()._score_batch(images, mode)

    def _compare_batch(self, originals, edited, instructions, mode):
        self.compared += len(originals)
        return super()._compare_batch(originals, edited, instructions, mode)


def _gray(image: Image.Image) -> bool:
    rgb = np.asarray(image, dtype=np.int16)
    return bool(np.abs(rgb[..., 0] - rgb[..., 1]).max() == 0)


class GrayBlindScorer(MeasuredScorer):
    """The measured scorer, except that it gives no readable answer when a grey image is scored or
    is the second image of a pair."""

    def _score_batch(self, images, mode):
        results = super()._score_batch(images, mode)
        for i, image in enumerate(images):
            if _gray(image):
                results[i] = AestheticScore(None, False, raw_text="???", error="no <answer> block")
        return results

    def _compare_batch(self, originals, edited, instructions, mode):
        results = super()._compare_batch(originals, edited, instructions, mode)
        for i, image in enumerate(edited):
            if _gray(image):
                results[i] = AestheticDelta(None, False, raw_text="???", error="no <answer> block")
        return results


def _photos_benchmark(root: Path, labels: Path):
    return load_benchmark("ava", LoadRequest(root=root, labels=labels))


def test_cache_means_a_repeated_run_scores_nothing(
    small_photos: Path, labelled_photos: Path, tmp_path: Path
) -> None:
    bench = _photos_benchmark(small_photos, labelled_photos)
    with PredictionCache(tmp_path / "cache.sqlite") as cache:
        first_scorer = CountingScorer()
        first = evaluate(
            first_scorer, bench, model_id="measured", decoding="fast", cache=cache, batch_size=3, boot=BOOT
        )
        assert first_scorer.scored == len(bench) == first.computed == 7
        second_scorer = CountingScorer()
        second = evaluate(
            second_scorer, bench, model_id="measured", decoding="fast", cache=cache, batch_size=3, boot=BOOT
        )
        assert second_scorer.scored == 0 and second.cached == 7
        assert [p.value for p in second.predictions] == [p.value for p in first.predictions]
        # another decoding mode is another question: asked again
        third_scorer = CountingScorer()
        evaluate(
            third_scorer,
            bench,
            model_id="measured",
            decoding="reasoning",
            cache=cache,
            batch_size=3,
            boot=BOOT,
        )
        assert third_scorer.scored == 7
    direct = [s.score for s in MeasuredScorer().score([it.image for it in bench.items], decoding="fast")]
    assert [p.value for p in first.predictions] == pytest.approx(direct)


def test_interrupted_run_resumes_where_it_stopped(
    small_photos: Path, labelled_photos: Path, tmp_path: Path
) -> None:
    bench = _photos_benchmark(small_photos, labelled_photos)
    interrupted = CountingScorer()
    interrupted.fail_after = 4
    with PredictionCache(tmp_path / "cache.sqlite") as cache:
        with pytest.raises(KeyboardInterrupt):
            evaluate(
                interrupted, bench, model_id="measured", cache=cache, batch_size=2, boot=BOOT, progress=False
            )
        assert len(cache) == 4
    resumed = CountingScorer()
    with PredictionCache(tmp_path / "cache.sqlite") as cache:
        result = evaluate(
            resumed, bench, model_id="measured", cache=cache, batch_size=2, boot=BOOT, progress=False
        )
    assert resumed.scored == 3
    assert (result.computed, result.cached) == (3, 4)


def test_invalid_answers_are_counted_and_reported(
    small_photos: Path, labelled_photos: Path, tmp_path: Path
) -> None:
    bench = _photos_benchmark(small_photos, labelled_photos)
    result = evaluate(GrayBlindScorer(), bench, model_id="gray-blind", boot=BOOT, progress=False)
    assert result.n_invalid == 1 and result.report.n == 6
    camera = next(p for p in result.predictions if p.id == "camera.png")
    assert camera.value is None and camera.error == "no <answer> block"
    valid = [p for p in result.predictions if p.valid]
    expected = stats.spearmanr([p.label for p in valid], [p.value for p in valid]).statistic
    assert result.report.metrics["srcc"].value == pytest.approx(expected)
    write_outputs([result], tmp_path / "out")
    rows = list(csv.reader((tmp_path / "out" / "predictions.csv").open()))
    assert rows[0] == ["file", "label", "prediction", "forced", "answer_mass", "subset"]
    camera_row = next(r for r in rows if r[0] == "camera.png")
    assert camera_row[2] == "" and camera_row[3:5] == ["false", ""]  # measured: never forced, no mass
    data = json.loads((tmp_path / "out" / "results.json").read_text())["results"][0]
    assert (data["n_invalid"], data["n_valid"]) == (1, 6)
    assert data["invalid_examples"] == [{"file": "camera.png", "error": "no <answer> block"}]
    assert "| gray-blind | AVA | 6 |" in (tmp_path / "out" / "results.md").read_text()
    # anchored: the grey photo has no valid comparison with any anchor, so it has no score either
    anchors = Anchors.from_benchmark(_blurred_train_split(small_photos, labelled_photos, tmp_path), 2)
    anchored = evaluate(
        GrayBlindScorer(),
        bench,
        model_id="gray-blind",
        scoring="anchored",
        anchors=anchors,
        boot=BOOT,
        progress=False,
    )
    camera = next(p for p in anchored.predictions if p.id == "camera.png")
    assert not camera.valid and camera.error == "no valid comparison with any of the 2 anchors in both orders"
    assert anchored.n_invalid == 1 and anchored.report.n == 6


def _blurred_train_split(small_photos: Path, labels: Path, tmp_path: Path):
    """A training split apart from the benchmark: blurred copies of the photos, same labels CSV."""
    folder = tmp_path / "train"
    folder.mkdir()
    for path in small_photos.iterdir():
        load_image(path).filter(ImageFilter.GaussianBlur(1)).save(folder / f"{path.stem}.png")
    rows = [line.split(",") for line in labels.read_text(encoding="utf-8").splitlines()[1:]]
    train = folder / "labels.csv"
    train.write_text(
        "file,score\n" + "".join(f"{Path(r[0]).stem}.png,{r[1]}\n" for r in rows), encoding="utf-8"
    )
    return load_benchmark("ava", LoadRequest(root=folder, labels=train))


def test_anchored_scores_follow_direct_scores(small_photos: Path, tmp_path: Path) -> None:
    """Anchors labelled with the scorer's own direct scores: anchored scores must reproduce the order."""
    photos = sorted(small_photos.iterdir())
    scorer = CountingScorer()
    train_dir = tmp_path / "train"
    train_dir.mkdir()
    train_photos = []
    for p in photos:  # a separate training split: the photos blurred
        train_photos.append(train_dir / f"{p.stem}.png")
        load_image(p).filter(ImageFilter.GaussianBlur(1.5)).save(train_photos[-1])
    train = train_dir / "train.csv"
    train_scores = [s.score for s in scorer.score(train_photos, decoding="fast")]
    rows = "".join(f"{p.name},{s}\n" for p, s in zip(train_photos, train_scores, strict=True))
    train.write_text("file,score\n" + rows, encoding="utf-8")
    anchors = Anchors.from_benchmark(load_benchmark("ava", LoadRequest(root=train_dir, labels=train)), 3)
    direct = [s.score for s in scorer.score(photos, decoding="fast")]
    labels = tmp_path / "test.csv"
    rows = "".join(f"{p.name},{s}\n" for p, s in zip(photos, direct, strict=True))
    labels.write_text("file,score\n" + rows, encoding="utf-8")
    bench = load_benchmark("ava", LoadRequest(root=small_photos, labels=labels))
    scorer.compared = 0
    result = evaluate(
        scorer, bench, model_id="measured", scoring="anchored", decoding="fast", anchors=anchors, boot=BOOT
    )
    # each (anchor, image) pair in both orders, each distinct question once
    assert scorer.compared == 2 * 3 * len(bench)
    assert result.anchors == list(anchors.ids)
    anchored = [p.value for p in result.predictions]
    assert stats.spearmanr(anchored, direct).statistic > 0.9
    with pytest.raises(ValueError, match="needs anchor images"):
        evaluate(scorer, bench, model_id="measured", scoring="anchored")


class RelativeCounting(CountingScorer):
    """The counting measured scorer declared relative: pair benchmarks ask it each pair."""

    relative = True


def test_pairwise_and_red_benchmarks_use_compare_for_relative_scorers(
    small_photos: Path, tmp_path: Path
) -> None:
    import datasets

    photos = sorted(small_photos.iterdir())[:4]
    blurred = []
    for p in photos:
        (tmp_path / p.name).write_bytes(p.read_bytes())
        path = tmp_path / f"blurred-{p.stem}.png"
        load_image(p).filter(ImageFilter.GaussianBlur(3)).save(path)
        blurred.append(path)
    pairs = tmp_path / "pairs.csv"
    rows = "".join(f"{p.name},{b.name},a\n" for p, b in zip(photos, blurred, strict=True))
    pairs.write_text("file_a,file_b,preferred\n" + rows, encoding="utf-8")
    scorer = RelativeCounting()
    bench = load_benchmark("pairwise", LoadRequest(root=tmp_path, labels=pairs))
    result = evaluate(scorer, bench, model_id="measured", decoding="fast", boot=BOOT, progress=False)
    assert scorer.compared == 4 and scorer.scored == 0
    assert result.report.metrics["pairwise_accuracy"].value == 1.0
    with pytest.raises(ValueError, match="use scoring 'direct'"):
        evaluate(scorer, bench, model_id="measured", scoring="anchored")

    red = red_pairs(
        [p.stem for p in photos], [load_image(p) for p in photos], [load_image(b) for b in blurred],
        [-2.0, -1.0, -3.0, 0.0], word="blurred",
        instruction="blur it", attribute="sharpness", strength=1.0, editor="pil", judges=["human"],
    )  # fmt: skip
    datasets.DatasetDict({"test": red}).save_to_disk(str(tmp_path / "red"))
    red_bench = load_benchmark("red", LoadRequest(root=tmp_path / "red"))
    red_result = evaluate(scorer, red_bench, model_id="measured", decoding="fast", boot=BOOT, progress=False)
    assert scorer.compared == 4 + 4  # the RED pairs are the same images: still asked (no cache given)
    predicted = [p.value for p in red_result.predictions]
    assert all(v <= -NO_CHANGE_BAND for v in predicted)  # a clear loss for every blurred photo
    # so the pair judged "no change" (0.0) is the one whose direction the scorer gets wrong
    assert red_result.report.metrics["direction_accuracy"].value == 0.75
    assert red_result.report.counts["no_change_labels"] == 1
    assert set(red_result.report.breakdown) == {"sharpness"}


@pytest.mark.slow
def test_forced_and_low_mass_answers_are_stored_counted_and_excludable(
    tiny_model_dir: Path, labelled_thumbnails: Path, tmp_path: Path
) -> None:
    """The untrained tiny VLM: a 2-token reasoning budget forces its answers; in fast mode it puts
    almost no probability on well-formed answers, so they are invalid with their mass."""
    from red_aes.scoring.vlm import RedAesScorer

    bench = load_benchmark("ava", LoadRequest(root=labelled_thumbnails)).head(4)
    scorer = RedAesScorer.from_pretrained(str(tiny_model_dir), device="cpu", max_reasoning_tokens=2)
    with PredictionCache(tmp_path / "cache.sqlite") as cache:
        run = evaluate(scorer, bench, model_id="tiny", cache=cache, boot=QUICK_BOOT, progress=False)
        forced = [p for p in run.predictions if p.valid and p.forced]
        assert forced and run.report.counts["forced"] == len(forced)
        assert run.report.n == sum(p.valid for p in run.predictions)  # counted, still measured
        excluded = evaluate(
            scorer, bench, model_id="tiny", cache=cache, boot=QUICK_BOOT, progress=False, exclude_forced=True
        )
        assert excluded.computed == 0  # the forced flags came back from the cache
        assert [p.forced for p in excluded.predictions] == [p.forced for p in run.predictions]
        assert excluded.report.counts["excluded_forced"] == len(forced)
        assert excluded.report.n == run.report.n - len(forced)
        fast = evaluate(
            scorer, bench, model_id="tiny", decoding="fast", cache=cache, boot=QUICK_BOOT, progress=False
        )
        # anchored: a score solved from forced comparisons is forced too
        train = tmp_path / "train"
        train.mkdir()
        for i, path in enumerate(_images(labelled_thumbnails)[:2]):
            load_image(path).filter(ImageFilter.GaussianBlur(2)).save(train / f"t{i}.png")
        (train / "labels.csv").write_text("file,score\nt0.png,3\nt1.png,7\n", encoding="utf-8")
        anchors = Anchors.from_benchmark(load_benchmark("ava", LoadRequest(root=train)), 2)
        anchored = evaluate(
            scorer, bench, model_id="tiny", scoring="anchored", anchors=anchors, cache=cache, boot=QUICK_BOOT
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


def _all_pairs(photos: Path, tmp_path: Path) -> Path:
    """Every pair of the photos, preferring the second of each pair."""
    rows = [f"{a.name},{b.name},b\n" for a, b in itertools.combinations(_images(photos), 2)]
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("file_a,file_b,preferred\n" + "".join(rows), encoding="utf-8")
    return pairs


def test_absolute_scorers_score_each_pair_image_once(labelled_thumbnails: Path, tmp_path: Path) -> None:
    images = _images(labelled_thumbnails)
    bench = load_benchmark(
        "pairwise", LoadRequest(root=labelled_thumbnails, labels=_all_pairs(labelled_thumbnails, tmp_path))
    )
    assert len(bench) == len(images) * (len(images) - 1) // 2
    scorer = CountingScorer()  # the measured scorer's own class is absolute (relative = False)
    with PredictionCache(tmp_path / "cache.sqlite") as cache:
        result = evaluate(
            scorer, bench, model_id="measured", decoding="fast", cache=cache, batch_size=4, boot=QUICK_BOOT
        )
        assert (scorer.scored, scorer.compared) == (len(images), 0)
        assert (result.computed, result.cached) == (len(images), 0)
        again = evaluate(scorer, bench, model_id="measured", decoding="fast", cache=cache, boot=QUICK_BOOT)
        assert (again.computed, again.cached, scorer.scored) == (0, len(images), len(images))
    # the same deltas as asking the measured scorer each pair
    items = list(bench.items)
    asked = MeasuredScorer().compare([it.first for it in items], [it.second for it in items], decoding="fast")
    assert [p.value for p in result.predictions] == pytest.approx([d.delta for d in asked], abs=1e-9)
    # a relative scorer (the interface's default) is still asked every pair
    relative = RelativeCounting()
    evaluate(relative, bench.head(5), model_id="measured", decoding="fast", boot=QUICK_BOOT, progress=False)
    assert (relative.scored, relative.compared) == (0, 5)


def test_anchors_overlapping_the_benchmark_are_refused(labelled_thumbnails: Path, tmp_path: Path) -> None:
    bench = load_benchmark("ava", LoadRequest(root=labelled_thumbnails))
    scorer = RelativeCounting()
    same_files = Anchors.from_benchmark(bench, 2)
    with pytest.raises(ValueError, match=r"has the same file bytes as the anchor .*must not overlap"):
        evaluate(scorer, bench, model_id="measured", scoring="anchored", anchors=same_files)
    assert scorer.compared == 0  # refused before any question
    # the same pixels in another file: refused by the pixel hash as the items load
    copies = tmp_path / "train"
    copies.mkdir()
    train_rows = []
    for i, path in enumerate(_images(labelled_thumbnails)[:3]):
        image = load_image(path)
        image.save(copies / f"copy-{i}.png", compress_level=1)  # other bytes, same pixels
        train_rows.append(f"copy-{i}.png,{i + 2}\n")
    (copies / "labels.csv").write_text("file,score\n" + "".join(train_rows), encoding="utf-8")
    pixel_twins = Anchors.from_benchmark(load_benchmark("ava", LoadRequest(root=copies)), 2)
    with pytest.raises(ValueError, match=r"has the same pixels as the anchor 'copy-"):
        evaluate(scorer, bench, model_id="measured", scoring="anchored", anchors=pixel_twins)
    # anchors apart from the benchmark (blurred copies) are accepted
    for i, path in enumerate(_images(labelled_thumbnails)[:3]):
        load_image(path).filter(ImageFilter.GaussianBlur(2)).save(copies / f"copy-{i}.png")
    apart = Anchors.from_benchmark(load_benchmark("ava", LoadRequest(root=copies)), 2)
    result = evaluate(scorer, bench, model_id="measured", scoring="anchored", anchors=apart, boot=QUICK_BOOT)
    assert result.n_invalid == 0 and result.anchors == list(apart.ids)


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == ".png")
