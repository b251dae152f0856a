"""The evaluation runner, cache and reports, with the real measured scorer (and the tiny VLM end to end)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from launch import accelerate_cli
from PIL import Image, ImageFilter
from scipy import stats

from red_aes.evaluation.anchored import Anchors
from red_aes.evaluation.benchmarks import LoadRequest, load_benchmark
from red_aes.evaluation.cache import PredictionCache
from red_aes.evaluation.metrics import BootstrapConfig
from red_aes.evaluation.reports import write_outputs
from red_aes.evaluation.runner import evaluate
from red_aes.images import load_image
from red_aes.prompts import format_answer, format_delta
from red_aes.scoring.measured import MeasuredScorer
from red_aes.types import NO_CHANGE_BAND, AestheticDelta, AestheticScore

BOOT = BootstrapConfig(n_resamples=50, seed=0)
REPO = Path(__file__).resolve().parent.parent


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


@pytest.fixture(scope="module")
def small_photos(photo_paths: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled photos downscaled to a 160-pixel long side (same names), to keep the tests fast."""
    folder = tmp_path_factory.mktemp("small-photos")
    for path in photo_paths:
        image = load_image(path)
        image.thumbnail((160, 160))
        image.save(folder / path.name)
    return folder


@pytest.fixture()
def labelled_photos(small_photos: Path, tmp_path: Path) -> Path:
    """A labels CSV over the photos (labels: 1..7 by name, subsets by file type)."""
    path = tmp_path / "labels.csv"
    names = sorted(p.name for p in small_photos.iterdir())
    rows = [f"{name},{i + 1},{name.rsplit('.', 1)[1]}" for i, name in enumerate(names)]
    path.write_text("file,score,subset\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


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

    from red_aes.data.schema import FEATURES

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
    with pytest.raises(ValueError, match="use mode 'direct'"):
        evaluate(scorer, bench, model_id="measured", scoring="anchored")

    n = len(photos)
    deltas = [-2.0, -1.0, -3.0, 0.0]
    columns = {
        "pair_id": [f"p{i}" for i in range(n)],
        "source_id": [p.stem for p in photos],
        "original": [load_image(p) for p in photos],
        "edited": [load_image(b) for b in blurred],
        "instruction": ["blur it"] * n,
        "attribute": ["sharpness"] * n,
        "direction": ["degrade"] * n,
        "strength": [1.0] * n,
        "editor": ["pil"] * n,
        "editor_params": ["{}"] * n,
        "delta": deltas,
        "votes": [[d] for d in deltas],
        "judges": [["human"]] * n,
        "agreement": [1.0] * n,
        "rationale": [format_answer(format_delta(d), "blurred") for d in deltas],  # the schema's format
        "prompt_version": ["v1"] * n,
    }
    red = datasets.Dataset.from_dict(columns, features=FEATURES)
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


def _run_cli(argv: list[str]) -> int:
    from red_aes.commands.red_aes_cli import main

    return main(argv)


def test_cli_eval_writes_every_output(
    small_photos: Path, labelled_photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from huggingface_hub import ModelCard

    out, card = tmp_path / "run", tmp_path / "README.md"
    argv = ["eval", "--model", "measured", "--benchmark", "ava", "--root", str(small_photos)]
    argv += [
        "--labels",
        str(labelled_photos),
        "--decoding",
        "fast",
        "--batch-size",
        "4",
        "--bootstrap",
        "200",
    ]
    argv += ["--out", str(out), "--model-card", str(card), "--no-progress"]
    assert _run_cli(argv) == 0
    assert "7 answers computed, 0 from the cache" in capsys.readouterr().out
    rows = list(csv.DictReader((out / "predictions.csv").open()))
    assert list(rows[0]) == ["file", "label", "prediction", "forced", "answer_mass", "subset"]
    assert len(rows) == 7
    result = json.loads((out / "results.json").read_text())["results"][0]
    metrics = result["metrics"]
    assert {"srcc", "krcc", "plcc", "plcc_logistic", "accuracy"} <= set(metrics)
    labels = [float(r["label"]) for r in rows]
    preds = [float(r["prediction"]) for r in rows]
    assert metrics["srcc"]["value"] == pytest.approx(stats.spearmanr(labels, preds).statistic)
    low, high = metrics["srcc"]["ci95"]
    assert low <= metrics["srcc"]["value"] <= high
    table = (out / "results.md").read_text()
    assert "| Model | Benchmark | N | SRCC | KRCC | PLCC | PLCC (logistic) | Acc. | Invalid |" in table
    with Image.open(out / "scatter.png") as png:
        assert png.format == "PNG" and png.width > 200
    parsed = ModelCard.load(card)
    entries = {r.metric_type: r for r in parsed.data.eval_results}
    assert entries["srcc"].metric_value == pytest.approx(metrics["srcc"]["value"], abs=1e-4)
    assert entries["srcc"].dataset_name == "AVA" and entries["srcc"].metric_config == "direct/fast"
    # a repeated run answers from the cache and replaces (not duplicates) the card entries
    assert _run_cli(argv) == 0
    assert "0 answers computed, 7 from the cache" in capsys.readouterr().out
    assert len(ModelCard.load(card).data.eval_results) == len(parsed.data.eval_results)


def test_cli_reports_bad_input_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "eval",
        "--model",
        "measured",
        "--benchmark",
        "ava",
        "--root",
        str(tmp_path / "nope"),
        "--out",
        str(tmp_path),
    ]
    assert _run_cli(argv) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _run_cli(
            ["eval", "--adapter", "x", "--model", "measured", "--benchmark", "ava", "--out", str(tmp_path)]
        )


def test_cli_shards_fill_one_cache(
    small_photos: Path, labelled_photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    argv = ["eval", "--model", "measured", "--benchmark", "ava", "--root", str(small_photos)]
    argv += ["--labels", str(labelled_photos), "--decoding", "fast", "--out", str(out), "--no-progress"]
    assert _run_cli([*argv, "--shard", "0/2"]) == 0
    assert "4 answers computed" in capsys.readouterr().out
    assert not (out / "predictions.csv").exists()
    assert _run_cli([*argv, "--shard", "1/2"]) == 0
    assert "3 answers computed" in capsys.readouterr().out
    assert _run_cli([*argv, "--bootstrap", "20"]) == 0
    assert "0 answers computed, 7 from the cache" in capsys.readouterr().out
    assert len(list(csv.DictReader((out / "predictions.csv").open()))) == 7
    with pytest.raises(SystemExit):
        _run_cli([*argv, "--shard", "2/2"])


@pytest.mark.slow
def test_cli_compares_measured_and_tiny_vlm(
    tiny_model_dir: Path, small_photos: Path, labelled_photos: Path, tmp_path: Path
) -> None:
    """Two real scorers in one run: one comparison table, one predictions file per model."""
    out = tmp_path / "run"
    argv = ["eval", "--model", "measured", "--model", str(tiny_model_dir), "--benchmark", "ava"]
    argv += [
        "--root",
        str(small_photos),
        "--labels",
        str(labelled_photos),
        "--limit",
        "3",
        "--decoding",
        "fast",
    ]
    argv += ["--bootstrap", "50", "--out", str(out), "--no-progress"]
    assert _run_cli(argv) == 0
    results = json.loads((out / "results.json").read_text())["results"]
    assert [r["model"] for r in results] == ["measured", str(tiny_model_dir)]
    for r in results:
        assert r["n_items"] == 3 and r["n_valid"] + r["n_invalid"] == 3
    predictions = sorted(p.name for p in out.glob("predictions-*.csv"))
    assert len(predictions) == 2 and "predictions-measured.csv" in predictions
    table = (out / "results.md").read_text()
    assert "| measured | AVA | 3 |" in table and f"| {tiny_model_dir} | AVA |" in table


@pytest.mark.slow
def test_accelerate_launch_splits_scoring_and_writes_the_single_process_outputs(
    small_photos: Path, labelled_photos: Path, tmp_path: Path
) -> None:
    """Two CPU processes under ``accelerate launch``: each image scored once, the reports unchanged."""
    argv = ["eval", "--model", "measured", "--benchmark", "ava", "--root", str(small_photos)]
    argv += ["--labels", str(labelled_photos), "--decoding", "fast", "--bootstrap", "50", "--no-progress"]
    single, launched = tmp_path / "single", tmp_path / "launched"
    assert _run_cli([*argv, "--out", str(single)]) == 0
    run = accelerate_cli([*argv, "--out", str(launched)], timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    # the two processes asked 4 + 3 questions; the main process's report pass asked none
    assert run.stdout.count("scored its share") == 2  # both processes ran, each on its own shard
    assert run.stdout.count("answers computed") == 1
    assert "measured: 7 answers computed, 0 from the cache, 0 invalid" in run.stdout
    with PredictionCache(launched / "cache.sqlite") as cache:
        assert len(cache) == 7
    for name in ("predictions.csv", "results.json", "results.md"):
        assert (launched / name).read_text() == (single / name).read_text(), name
