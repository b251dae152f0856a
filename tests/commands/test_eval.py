"""``red-aes eval`` (red_aes.commands.eval): every output file, shards, several models, accelerate
launch, one-line errors, and the flags of scoring modes and models."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from launch import accelerate_cli
from PIL import Image, ImageFilter
from scipy import stats

import red_aes.commands.eval as eval_command
from red_aes.commands.red_aes_cli import main
from red_aes.evaluation.cache import PredictionCache
from red_aes.images import load_image

#: ``red-aes eval`` of the measured scorer on an AVA-layout folder: the start of most runs here.
MEASURED_AVA = ["eval", "--model", "measured", "--benchmark", "ava"]


def test_cli_eval_writes_every_output(
    small_photos: Path, labelled_photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from huggingface_hub import ModelCard

    out, card = tmp_path / "run", tmp_path / "README.md"
    argv = [*MEASURED_AVA, "--root", str(small_photos)]
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
    assert main(argv) == 0
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
    assert main(argv) == 0
    assert "0 answers computed, 7 from the cache" in capsys.readouterr().out
    assert len(ModelCard.load(card).data.eval_results) == len(parsed.data.eval_results)


def test_cli_reports_bad_input_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*MEASURED_AVA, "--root", str(tmp_path / "nope"), "--out", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err
    with pytest.raises(SystemExit):
        main(["eval", "--adapter", "x", "--model", "measured", "--benchmark", "ava", "--out", str(tmp_path)])


def test_cli_shards_fill_one_cache(
    small_photos: Path, labelled_photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    argv = [*MEASURED_AVA, "--root", str(small_photos)]
    argv += ["--labels", str(labelled_photos), "--decoding", "fast", "--out", str(out), "--no-progress"]
    assert main([*argv, "--shard", "0/2"]) == 0
    assert "4 answers computed" in capsys.readouterr().out
    assert not (out / "predictions.csv").exists()
    assert main([*argv, "--shard", "1/2"]) == 0
    assert "3 answers computed" in capsys.readouterr().out
    assert main([*argv, "--bootstrap", "20"]) == 0
    assert "0 answers computed, 7 from the cache" in capsys.readouterr().out
    assert len(list(csv.DictReader((out / "predictions.csv").open()))) == 7
    with pytest.raises(SystemExit):
        main([*argv, "--shard", "2/2"])


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
    assert main(argv) == 0
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
    argv = [*MEASURED_AVA, "--root", str(small_photos)]
    argv += ["--labels", str(labelled_photos), "--decoding", "fast", "--bootstrap", "50", "--no-progress"]
    single, launched = tmp_path / "single", tmp_path / "launched"
    assert main([*argv, "--out", str(single)]) == 0
    run = accelerate_cli([*argv, "--out", str(launched)], timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    # the two processes asked 4 + 3 questions; the main process's report pass asked none
    assert run.stdout.count("scored its share") == 2  # both processes ran, each on its own shard
    assert run.stdout.count("answers computed") == 1
    assert "measured: 7 answers computed, 0 from the cache, 0 invalid" in run.stdout
    with PredictionCache(launched / "cache.sqlite") as cache:
        assert len(cache) == 7
    for name in ("predictions.csv", "results.json", "results.md"):
        assert (launched / name).read_text() == (single / name).read_text(), name


def test_cli_scoring_flag(labelled_thumbnails: Path, tmp_path: Path) -> None:
    train = tmp_path / "train"
    train.mkdir()
    for i, path in enumerate(sorted(labelled_thumbnails.glob("*.png"))[:3]):
        load_image(path).filter(ImageFilter.GaussianBlur(2)).save(train / f"t{i}.png")
    (train / "labels.csv").write_text("file,score\nt0.png,3\nt1.png,5\nt2.png,7\n", encoding="utf-8")
    argv = [*MEASURED_AVA, "--root", str(labelled_thumbnails), "--limit", "3"]
    argv += ["--decoding", "fast", "--anchors", str(train / "labels.csv"), "--num-anchors", "2"]
    argv += ["--bootstrap", "0", "--no-progress"]
    assert main([*argv, "--scoring", "anchored", "--out", str(tmp_path / "new")]) == 0
    result = json.loads((tmp_path / "new" / "results.json").read_text())["results"][0]
    assert result["scoring"] == "anchored" and result["anchor_order"] == "both"


def test_each_adapter_belongs_to_the_model_before_it_and_shards_are_k_of_n(parser_of, capsys) -> None:
    parser = parser_of(eval_command)
    base = ["eval", "--benchmark", "ava", "--out", "o"]
    args = parser.parse_args([*base, "--model", "a", "--adapter", "x", "--model", "b", "--shard", "1/2"])
    assert args.func is eval_command.run
    assert args.models == [{"model": "a", "adapter": "x"}, {"model": "b", "adapter": None}]
    assert args.shard == (1, 2)
    for wrong, message in (
        (["--adapter", "x", "--model", "a"], "--adapter must follow the --model it belongs to"),
        (["--model", "a", "--adapter", "x", "--adapter", "y"], "model 'a' already has an adapter"),
        (["--model", "a", "--shard", "2/2"], "expected K/N with 0 <= K < N, got '2/2'"),
    ):
        with pytest.raises(SystemExit):
            parser.parse_args([*base, *wrong])
        assert message in capsys.readouterr().err
