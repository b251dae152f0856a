"""The benchmark registry and its loaders: local folders + CSV, datasets (saved or loaded), pairs, RED."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest

from red_aes.data.schema import SchemaError
from red_aes.evaluation.benchmarks import BENCHMARKS, LoadRequest, get_spec, load_benchmark, open_image
from red_aes.images import load_image
from red_aes.registry import RegistryError, resolve
from tests.evaluation.conftest import red_pairs

IAA = ("ava", "tad66k", "aadb", "para", "flickr-aes", "koniq-10k", "spaq", "eva")
SCALES = {
    "ava": (1, 10),
    "tad66k": (1, 10),
    "aadb": (0, 1),
    "para": (1, 5),
    "flickr-aes": (1, 5),
    "koniq-10k": (1, 5),
    "spaq": (0, 100),
    "eva": (0, 10),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_registry_describes_every_benchmark_once() -> None:
    assert set(IAA) | {"imagefolder", "pairwise", "red", "edit-ladder"} == set(BENCHMARKS)
    for name, spec in BENCHMARKS.items():
        assert spec.name == name and get_spec(name) is spec
        assert BENCHMARKS.target(name) is resolve(spec.target)  # the loader, through the registry
        assert list(inspect.signature(BENCHMARKS.target(name)).parameters) == ["spec", "request"]
        assert spec.description and spec.labels
    for name in IAA:
        spec = BENCHMARKS[name]
        assert spec.kind == "score"
        assert spec.scale == SCALES[name]
        assert spec.test_split and spec.citation and spec.url.startswith("https://")
    assert get_spec(" KonIQ-10k ").name == "koniq-10k"
    with pytest.raises(RegistryError, match=r"unknown benchmark 'nope'.*ava"):
        get_spec("nope")
    with pytest.raises(RegistryError, match="did you mean `koniq-10k`"):
        load_benchmark("koniq10k")


def test_imagefolder_from_folder_and_csv(photos_dir: Path, tmp_path: Path) -> None:
    labels = _write(tmp_path / "test.csv", "file,score,subset\nchina.jpg,6.5,city\nflower.jpg,7.25,nature\n")
    bench = load_benchmark("imagefolder", LoadRequest(root=photos_dir, labels=labels))
    assert bench.kind == "score" and len(bench) == 2
    assert [(it.id, it.label, it.subset) for it in bench.items] == [
        ("china.jpg", 6.5, "city"),
        ("flower.jpg", 7.25, "nature"),
    ]
    assert bench.scale is None and bench.label_threshold is None
    image = open_image(bench.items[0].image)
    assert np.array_equal(np.asarray(image), np.asarray(load_image(photos_dir / "china.jpg")))
    assert len(bench.head(1)) == 1


def test_named_benchmark_checks_its_native_scale(photos_dir: Path, tmp_path: Path) -> None:
    labels = _write(tmp_path / "aadb.csv", "file,score\nchina.jpg,0.4\nrocket.jpg,7.0\n")
    with pytest.raises(ValueError, match=r"row 3: label 7 is outside the native scale \[0, 1\]"):
        load_benchmark("aadb", LoadRequest(root=photos_dir, labels=labels))
    bench = load_benchmark("aadb", LoadRequest(root=photos_dir, labels=labels, scale=(0.0, 10.0)))
    assert bench.scale == (0.0, 10.0)
    koniq = _write(tmp_path / "koniq.csv", "image_name,MOS\nchina.jpg,3.2\n")
    bench = load_benchmark(
        "koniq-10k", LoadRequest(root=photos_dir, labels=koniq, file_column="image_name", score_column="MOS")
    )
    assert bench.items[0].label == 3.2 and bench.scale == (1.0, 5.0)


def test_clear_errors_for_bad_local_input(photos_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"benchmark root .*missing does not exist"):
        load_benchmark("ava", LoadRequest(root=tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match=r"labels\.csv not found"):
        load_benchmark("ava", LoadRequest(root=photos_dir))
    bad_columns = _write(tmp_path / "cols.csv", "image,mos\nchina.jpg,5\n")
    with pytest.raises(
        ValueError, match=r"missing column\(s\) \['file', 'score'\]; found \['image', 'mos'\]"
    ):
        load_benchmark("ava", LoadRequest(root=photos_dir, labels=bad_columns))
    not_number = _write(tmp_path / "nan.csv", "file,score\nchina.jpg,good\n")
    with pytest.raises(ValueError, match="row 2: 'good' is not a number"):
        load_benchmark("ava", LoadRequest(root=photos_dir, labels=not_number))
    missing = _write(tmp_path / "missing.csv", "file,score\nchina.jpg,5\nnope.jpg,4\ngone.png,3\n")
    with pytest.raises(
        FileNotFoundError, match=r"2 image\(s\) not found .*row 3: 'nope.jpg'; .*row 4: 'gone.png'"
    ):
        load_benchmark("ava", LoadRequest(root=photos_dir, labels=missing))
    with pytest.raises(ValueError, match="does not use: labels"):
        load_benchmark("red", LoadRequest(root=tmp_path, labels=missing))
    with pytest.raises(ValueError, match="either a Hub dataset id or a root"):
        load_benchmark("ava", LoadRequest(root=photos_dir, hub_dataset="someone/ava"))


def _small(path: Path, side: int = 48):
    image = load_image(path)
    image.thumbnail((side, side))
    return image


def _score_dataset(photo_paths: list[Path]):
    import datasets

    features = datasets.Features(
        {"image": datasets.Image(), "score": datasets.Value("float32"), "file": datasets.Value("string")}
    )
    rows = {
        "image": [_small(p) for p in photo_paths[:3]],
        "score": [2.5, 7.0, 5.5],
        "file": [p.name for p in photo_paths[:3]],
    }
    return datasets.Dataset.from_dict(rows, features=features)


def test_dataset_saved_to_disk(photo_paths: list[Path], tmp_path: Path) -> None:
    import datasets

    dataset = _score_dataset(photo_paths)
    datasets.DatasetDict({"test": dataset}).save_to_disk(str(tmp_path / "saved"))
    bench = load_benchmark("ava", LoadRequest(hub_dataset=str(tmp_path / "saved")))
    assert [it.label for it in bench.items] == [2.5, 7.0, 5.5]
    assert [it.id for it in bench.items] == [p.name for p in photo_paths[:3]]
    assert np.array_equal(np.asarray(open_image(bench.items[1].image)), np.asarray(_small(photo_paths[1])))
    with pytest.raises(ValueError, match="no split 'validation'"):
        load_benchmark("ava", LoadRequest(hub_dataset=str(tmp_path / "saved"), split="validation"))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['mos'\]"):
        load_benchmark("ava", LoadRequest(hub_dataset=str(tmp_path / "saved"), score_column="mos"))


def test_dataset_through_load_dataset(photo_paths: list[Path], tmp_path: Path) -> None:
    """The Hub code path (datasets.load_dataset) on a local data folder: no network involved."""
    folder = tmp_path / "hub-like"
    folder.mkdir()
    _score_dataset(photo_paths).rename_column("score", "mean_score").to_parquet(str(folder / "test.parquet"))
    bench = load_benchmark("ava", LoadRequest(hub_dataset=str(folder), score_column="mean_score"))
    assert [it.label for it in bench.items] == [2.5, 7.0, 5.5]
    assert open_image(bench.items[2].image).size == _small(photo_paths[2]).size
    out_of_scale = load_benchmark(
        "aadb", LoadRequest(hub_dataset=str(folder), score_column="mean_score", scale=(0, 10))
    )
    assert out_of_scale.scale == (0, 10)
    with pytest.raises(ValueError, match=r"row 0: label 2.5 is outside the native scale \[0, 1\]"):
        load_benchmark("aadb", LoadRequest(hub_dataset=str(folder), score_column="mean_score"))


def test_pairwise_votes_and_preferred(photos_dir: Path, tmp_path: Path) -> None:
    votes = _write(
        tmp_path / "votes.csv",
        "file_a,file_b,votes_a,votes_b\nchina.jpg,flower.jpg,3,9\nrocket.jpg,coffee.png,4,4\n",
    )
    bench = load_benchmark("pairwise", LoadRequest(root=photos_dir, labels=votes))
    assert bench.kind == "pairwise"
    assert [(it.id, it.label) for it in bench.items] == [
        ("china.jpg|flower.jpg", 1.0),
        ("rocket.jpg|coffee.png", 0.0),
    ]
    preferred = _write(
        tmp_path / "pref.csv", "file_a,file_b,preferred\nchina.jpg,flower.jpg,A\nchina.jpg,rocket.jpg,tie\n"
    )
    labels = [
        it.label for it in load_benchmark("pairwise", LoadRequest(root=photos_dir, labels=preferred)).items
    ]
    assert labels == [-1.0, 0.0]
    both = _write(
        tmp_path / "both.csv", "file_a,file_b,votes_a,votes_b,preferred\nchina.jpg,flower.jpg,1,2,a\n"
    )
    with pytest.raises(ValueError, match="exactly one"):
        load_benchmark("pairwise", LoadRequest(root=photos_dir, labels=both))
    bad = _write(tmp_path / "bad.csv", "file_a,file_b,preferred\nchina.jpg,flower.jpg,left\n")
    with pytest.raises(ValueError, match="row 2: preferred must be one of a, b, tie; got 'left'"):
        load_benchmark("pairwise", LoadRequest(root=photos_dir, labels=bad))


def _red_dataset(photo_paths: list[Path], first: int = 0):
    """Three RED rows (schema-valid: answer-format rationales) of photos ``first`` .. ``first + 2``."""
    photos = photo_paths[first : first + 3]
    originals = [_small(p) for p in photos]
    edited = [im.point(lambda v: v // 2) for im in originals]
    return red_pairs(
        [p.stem for p in photos], originals, edited, [-1.5, -2.0, 0.0], word="darker", first=first,
        instruction="make it darker", attribute="exposure", strength=0.5, editor="classical",
        judges=["measured"],
    )  # fmt: skip


def test_red_test_split(photo_paths: list[Path], tmp_path: Path) -> None:
    import datasets

    test = _red_dataset(photo_paths)
    train = _red_dataset(photo_paths, first=3).select([0])
    datasets.DatasetDict({"train": train, "test": test}).save_to_disk(str(tmp_path / "red"))
    bench = load_benchmark("red", LoadRequest(root=tmp_path / "red"))
    assert bench.kind == "delta" and len(bench) == 3
    first = bench.items[0]
    assert (first.id, first.label, first.instruction, first.subset, first.group) == (
        "p0",
        -1.5,
        "make it darker",
        "exposure",
        photo_paths[0].stem,
    )
    assert np.asarray(open_image(first.second)).mean() < np.asarray(open_image(first.first)).mean()
    assert [
        it.id for it in load_benchmark("red", LoadRequest(root=tmp_path / "red", split="train")).items
    ] == ["p3"]
    with pytest.raises(KeyError, match=r"has no split 'validation'; it has \['test', 'train'\]"):
        load_benchmark("red", LoadRequest(root=tmp_path / "red", split="validation"))


def test_red_benchmark_checks_the_whole_dataset_against_the_schema(
    photo_paths: list[Path], tmp_path: Path
) -> None:
    """The red benchmark reads through the one RED loader: a dataset that is not a RED dataset is refused
    before any scoring, even for faults outside the test split."""
    import datasets

    test = _red_dataset(photo_paths)
    datasets.DatasetDict({"test": test.remove_columns("delta")}).save_to_disk(str(tmp_path / "no-delta"))
    with pytest.raises(SchemaError, match=r"missing RED columns \['delta'\]"):
        load_benchmark("red", LoadRequest(root=tmp_path / "no-delta"))
    unparsed = test.map(lambda row: {"rationale": "darker"})
    datasets.DatasetDict({"test": unparsed}).save_to_disk(str(tmp_path / "unparsed"))
    with pytest.raises(SchemaError, match=r"row 0 \(p0\): rationale is not in the answer format"):
        load_benchmark("red", LoadRequest(root=tmp_path / "unparsed"))
    leak = datasets.DatasetDict({"train": test.select([1]), "test": test})  # a test photo in train
    leak.save_to_disk(str(tmp_path / "leak"))
    with pytest.raises(SchemaError, match=f"photo {photo_paths[1].stem} is in both"):
        load_benchmark("red", LoadRequest(root=tmp_path / "leak"))
    with pytest.raises(ValueError, match="exactly one of"):
        load_benchmark("red", LoadRequest())
