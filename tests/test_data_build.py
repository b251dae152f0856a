"""End-to-end RED dataset builds on real photos: classical editor + measured judge, offline, on CPU.

One reference build (through the CLI) serves most tests; the resume test kills a real build process
after its second shard and checks that resuming gives exactly the reference dataset.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from datasets import Dataset, DatasetDict, load_from_disk
from datasets import Image as ImageFeature
from huggingface_hub import DatasetCard
from launch import accelerate_cli

from red_aes.commands.red_aes_cli import main
from red_aes.data import BuildConfig, SchemaError, build_dataset, load_red_dataset
from red_aes.data.card import BUILD_STATS
from red_aes.data.schema import SPLITS
from red_aes.data.sources import DatasetSource, FolderSource
from red_aes.data.splits import assign_split
from red_aes.images import load_image
from red_aes.parsing import parse_answer

REPO = Path(__file__).resolve().parent.parent
PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg")
CONFIG = {
    "editors": ["classical"],
    "pairs_per_source": 3,
    "attributes": ["exposure", "contrast", "color", "sharpness", "noise", "composition"],
    "max_side": 160,
    "judges": ["measured"],
    "rationale": "offline",
    "split_fractions": {"train": 0.5, "validation": 0.25, "test": 0.25},
    "shard_size": 1,
    "seed": 3,
    "progress": False,
    "license": "cc-by-2.0",
    "pretty_name": "RED-Aes test pairs",
}


def _write_config(path: Path, **values: Any) -> Path:
    path.write_text(yaml.safe_dump({**CONFIG, **values}))
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory, photos_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("photos")
    for name in PHOTOS:
        shutil.copy(photos_dir / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, photos: Path) -> Path:
    """An uninterrupted build through ``red-aes data build``; flags override the YAML's seed and out."""
    root = tmp_path_factory.mktemp("reference")
    config = _write_config(root / "config.yaml", seed=99, source=str(photos), out=str(root / "ignored"))
    out = root / "out"
    assert main(["data", "build", "--config", str(config), "--out", str(out), "--seed", "3"]) == 0
    return out


def _rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of a saved build, images as their encoded bytes."""
    dataset = load_from_disk(str(path))
    return {
        name: split.cast_column("original", ImageFeature(decode=False))
        .cast_column("edited", ImageFeature(decode=False))
        .to_list()
        for name, split in dataset.items()
    }


def test_build_end_to_end(reference: Path, photos: Path) -> None:
    dataset = load_red_dataset(reference)
    stats = json.loads((reference / BUILD_STATS).read_text())
    config = BuildConfig.from_yaml(reference / "build_config.yaml")
    assert config.seed == 3 and config.out == str(reference)  # flags won over the YAML
    rows = [row for split in dataset.values() for row in split]
    assert len(rows) == stats["kept"] > 0
    assert stats["sources"] == len(PHOTOS) and stats["planned"] == len(PHOTOS) * CONFIG["pairs_per_source"]
    filter_reasons = ("broken_nonfinite", "broken_constant", "wrong_size", "no_change", "content_changed")
    rejected = stats["rejected"]
    assert stats["planned"] == stats["edited"] + rejected.get("edit_unsupported", 0) + rejected.get(
        "plan_invalid", 0
    )
    assert stats["edited"] == stats["filtered"] + sum(rejected.get(r, 0) for r in filter_reasons)
    assert stats["filtered"] == stats["kept"] + sum(
        rejected.get(r, 0) for r in ("too_few_valid_votes", "judges_disagree", "rationale_inconsistent")
    )
    source = FolderSource(photos)
    by_id = {hashlib.sha256(p.read_bytes()).hexdigest()[:20]: i for i, p in enumerate(source.files)}
    for row in rows:
        assert row["editor"] == "classical" and row["judges"] == ["measured"]
        assert row["votes"] == [pytest.approx(row["delta"])] and row["agreement"] == 1.0
        assert row["attribute"] in CONFIG["attributes"]
        parsed = parse_answer(row["rationale"], strict=True)
        assert parsed.value == round(row["delta"], 1) and parsed.reasoning
        assert row["instruction"] in parsed.reasoning  # the offline rationale quotes the instruction
        original = np.asarray(row["original"])
        expected = np.asarray(source.load(by_id[row["source_id"]], max_side=160, max_pixels=None))
        assert np.array_equal(original, expected)  # stored original = what was edited and judged
        assert max(row["original"].size) == 160
        params = json.loads(row["editor_params"])
        assert params["plan"]["instruction"] == row["instruction"] and params["params"]["operations"]
    assert len({row["pair_id"] for row in rows}) == len(rows)


def test_splits_are_disjoint_by_photo(reference: Path) -> None:
    dataset = load_red_dataset(reference)
    ids = {name: set(split["source_id"]) for name, split in dataset.items()}
    for a in ids:
        for b in ids:
            assert a == b or not ids[a] & ids[b]
    for name, members in ids.items():
        assert {assign_split(sid, CONFIG["split_fractions"]) for sid in members} == {name}


def test_card_metadata_parses_back(reference: Path) -> None:
    card = DatasetCard.load(reference / "README.md")
    dataset = load_from_disk(str(reference))
    header = yaml.safe_load((reference / "README.md").read_text().split("---")[1])
    assert header["license"] == card.data.license == "cc-by-2.0"
    assert card.data.pretty_name == "RED-Aes test pairs"
    assert card.data.task_categories == ["image-text-to-text"] and card.data.size_categories == ["n<1K"]
    assert "red-aes" in card.data.tags
    assert card.data.configs == [
        {"config_name": "default", "data_files": [{"split": s, "path": f"data/{s}-*"} for s in dataset]}
    ]
    info = card.data.dataset_info
    assert [f["name"] for f in info["features"]][:4] == ["pair_id", "source_id", "original", "edited"]
    assert {s["name"]: s["num_examples"] for s in info["splits"]} == {n: len(d) for n, d in dataset.items()}
    stats = json.loads((reference / BUILD_STATS).read_text())
    for reason, count in stats["rejected"].items():
        assert f"| {reason} | {count} |" in card.text
    assert "median of the valid votes" in card.text and "score(edited) − score(original)" in card.text


def test_card_command_re_renders_the_same_card(reference: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(reference, copy, ignore=shutil.ignore_patterns("shards"))
    before = (copy / "README.md").read_text()
    (copy / "README.md").unlink()
    assert main(["data", "card", str(copy)]) == 0
    assert (copy / "README.md").read_text() == before


@pytest.mark.slow
def test_resume_after_killing_the_build_gives_the_same_dataset(
    reference: Path, photos: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    config = _write_config(tmp_path / "config.yaml", source=str(photos), out=str(out))
    script = textwrap.dedent(
        """
        import os, signal, sys
        from red_aes.data import BuildConfig, build_dataset

        def stop(index):
            if index == 1:  # SIGKILL: no cleanup, no finally blocks, like a preempted job
                os.kill(os.getpid(), signal.SIGKILL)

        build_dataset(BuildConfig.from_yaml(sys.argv[1]), after_shard=stop)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(config)], cwd=REPO, capture_output=True, timeout=600
    )
    assert run.returncode == -signal.SIGKILL, run.stderr.decode()[-2000:]
    shards = out / "shards"
    assert sorted(p.name for p in shards.glob("shard-*.json")) == ["shard-00000.json", "shard-00001.json"]
    assert not (out / "dataset_dict.json").exists()
    stored = {p.name: p.stat().st_mtime_ns for p in shards.glob("shard-*")}
    build_dataset(BuildConfig.from_yaml(config))
    assert {name: (shards / name).stat().st_mtime_ns for name in stored} == stored  # done shards not redone
    assert _rows(out) == _rows(reference)
    stats = json.loads((out / BUILD_STATS).read_text())
    assert stats == json.loads((reference / BUILD_STATS).read_text())


def test_resume_refuses_shards_of_another_config(reference: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(reference, copy)
    config = BuildConfig.from_yaml(copy / "build_config.yaml").replace(out=str(copy), seed=4)
    with pytest.raises(ValueError, match="another config"):
        build_dataset(config)
    resumed = BuildConfig.from_yaml(copy / "build_config.yaml").replace(out=str(copy))
    build_dataset(resumed)  # every shard is done: only the merge runs
    assert _rows(copy) == _rows(reference)


def test_dataset_source_ids_match_folder_ids(photos: Path, tmp_path: Path) -> None:
    """A ``datasets`` source (here a local Parquet dataset standing in for a Hub id) hashes the same bytes."""
    files = sorted(photos.iterdir())
    images = [{"bytes": p.read_bytes(), "path": None} for p in [*files, files[0]]]  # one duplicate
    data = tmp_path / "hub-like"
    data.mkdir()
    Dataset.from_dict({"photo": images}).cast_column("photo", ImageFeature()).to_parquet(
        str(data / "train.parquet")
    )
    source = DatasetSource(str(data), image_column="photo", split="train")
    entries, duplicates = source.scan()
    folder_entries, _ = FolderSource(photos).scan()
    assert [e.source_id for e in entries] == [e.source_id for e in folder_entries] and duplicates == 1
    assert np.array_equal(
        np.asarray(source.load(1, max_side=None, max_pixels=None)), np.asarray(load_image(files[1]))
    )
    with pytest.raises(ValueError, match="no image column 'image'"):
        DatasetSource(str(data), image_column="image", split="train")


def test_load_red_dataset_rejects_broken_datasets(reference: Path, tmp_path: Path) -> None:
    dataset = load_from_disk(str(reference))
    name = next(iter(dataset))
    split = dataset[name]
    cases = {
        "missing": (
            DatasetDict({name: split.remove_columns("rationale")}),
            "missing RED columns \\['rationale'\\]",
        ),
        "unknown split": (DatasetDict({"dev": split}), "unknown splits \\['dev'\\]"),
        "two splits": (DatasetDict({"train": split, "test": split}), "is in both train and test"),
        "attribute": (DatasetDict({name: split.map(lambda r: {"attribute": "sparkle"})}), "sparkle"),
        "rationale": (DatasetDict({name: split.map(lambda r: {"rationale": "better"})}), "answer format"),
    }
    for case, (broken, message) in cases.items():
        path = tmp_path / case.replace(" ", "-")
        broken.save_to_disk(str(path))
        with pytest.raises(SchemaError, match=message):
            load_red_dataset(path)
    with pytest.raises(SchemaError, match=r"dataset_dict\.json"):
        load_red_dataset(tmp_path)
    assert set(load_red_dataset(reference)) <= set(SPLITS)


def test_cli_reports_bad_config_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _write_config(tmp_path / "c.yaml", source=str(tmp_path / "nowhere"), out=str(tmp_path / "o"))
    assert main(["data", "build", "--config", str(config), "--attributes", "sparkle"]) == 2
    assert "sparkle" in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["c.yaml"]  # nothing was written


def test_push_uploads_card_build_files_and_parquet_data_to_a_hub_stub(
    reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checks exactly which files a push would upload, against a local stub of the Hub API (not the Hub)."""
    import io

    import pyarrow.parquet as pq
    from hub_stub import HubStub

    dataset = load_from_disk(str(reference))
    with HubStub() as hub, hub.online(monkeypatch):
        argv = ["data", "push", str(reference), "me/red-pairs", "--private", "--endpoint", hub.endpoint]
        assert main(argv) == 0
    repo = hub.repo("me/red-pairs", repo_type="dataset")
    data_files = {f"data/{name}-00000-of-00001.parquet" for name in dataset}
    assert set(repo.files) == {"README.md", "build_config.yaml", "build_stats.json"} | data_files
    assert repo.private
    assert [c["summary"] for c in repo.commits] == [
        "Add RED-Aes dataset card and build files",
        "Upload RED-Aes pairs",
    ]
    from red_aes.data.card import local_paths, without_local_paths
    from red_aes.data.config import BuildConfig

    paths = local_paths(BuildConfig.from_yaml(reference / "build_config.yaml").to_dict())
    assert str(reference) in paths  # the build's own output folder is a local path ...
    for name in ("build_config.yaml", "build_stats.json"):
        pushed = repo.files[name].decode()
        assert pushed == without_local_paths((reference / name).read_text(), paths)
        assert not any(path in pushed for path in paths if len(path) > 1)  # ... and never reaches the Hub
    for name, split in dataset.items():
        table = pq.read_table(io.BytesIO(repo.files[f"data/{name}-00000-of-00001.parquet"]))
        assert table.column("pair_id").to_pylist() == split["pair_id"]
        local = split.cast_column("edited", ImageFeature(decode=False))["edited"]
        assert [cell["bytes"] for cell in table.column("edited").to_pylist()] == [
            cell["bytes"] for cell in local
        ]
    card = DatasetCard(repo.files["README.md"].decode())
    assert card.data.license == "cc-by-2.0" and card.data.pretty_name == "RED-Aes test pairs"
    assert {s["name"]: s["num_examples"] for s in card.data.dataset_info["splits"]} == {
        n: len(d) for n, d in dataset.items()
    }
    assert "## Scale and sign of Δ" in card.text  # datasets refreshed the metadata and kept our text


@pytest.mark.slow
def test_build_mixing_the_classical_and_a_tiny_diffusion_editor(
    photos: Path, tiny_editor_dir: Path, tmp_path: Path
) -> None:
    """One photo, three plans: two for the classical editor, one for an (untrained) diffusion pipeline."""
    from red_aes.data.builder import editor_capabilities
    from red_aes.data.plans import plan_grid, plan_source
    from red_aes.editing import ClassicalEditor

    diffusion = str(tiny_editor_dir)
    capabilities = {"classical": editor_capabilities(ClassicalEditor()), diffusion: None}
    grid = plan_grid(capabilities, CONFIG["attributes"], ["improve", "degrade"], [0.3, 0.6, 0.9])
    first = FolderSource(photos).scan(limit=1)[0][0].source_id
    seed = next(
        s
        for s in range(100)
        if [c[1] for c in plan_source(first, grid, pairs_per_source=3, seed=s)].count(diffusion) == 1
    )
    config = BuildConfig(**{**CONFIG, "source": str(photos), "out": str(tmp_path / "out")}).replace(
        editors=["classical", diffusion],
        editor_options={diffusion: {"num_inference_steps": 2}},
        max_sources=1,
        max_side=64,
        split_fractions={"train": 1.0},
        seed=seed,
    )
    build_dataset(config)
    stats = json.loads((tmp_path / "out" / BUILD_STATS).read_text())
    assert stats["edited_by_editor"] == {"classical": 2, diffusion: 1}
    assert stats["edited"] == stats["filtered"] + sum(
        stats["rejected"].get(r, 0)
        for r in ("broken_nonfinite", "broken_constant", "wrong_size", "no_change", "content_changed")
    )
    rows = load_red_dataset(tmp_path / "out")["train"]
    assert len(rows) == stats["kept"] == sum(stats["kept_by_editor"].values())
    for row in rows:
        params = json.loads(row["editor_params"])
        if row["editor"] == diffusion:
            assert params["params"]["pipeline"] == "StableDiffusionInstructPix2PixPipeline"
            assert params["params"]["num_inference_steps"] == 2 and params["seed"] == params["params"]["seed"]
        else:
            assert row["editor"] == "classical" and params["params"]["operations"]


@pytest.mark.slow
def test_accelerate_launch_with_two_processes_builds_the_same_dataset(
    reference: Path, photos: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    config = _write_config(tmp_path / "config.yaml", source=str(photos), out=str(out), keep_shards=True)
    run = accelerate_cli(["data", "build", "--config", str(config)], timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    workers = {json.loads(m.read_text())["pid"] for m in (out / "shards").glob("shard-*.json")}
    assert len(workers) == 2  # both processes built shards
    assert _rows(out) == _rows(reference)
    assert json.loads((out / BUILD_STATS).read_text()) == json.loads((reference / BUILD_STATS).read_text())
