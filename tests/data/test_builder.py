"""End-to-end RED dataset builds on real photos (red_aes.data.builder): classical editor + measured judge,
offline, on CPU.

One reference build through the CLI (``reference_build``, tests/conftest.py) serves most tests; the
resume test kills a real build process after its second shard and checks that resuming gives exactly
the reference dataset.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datasets import Image as ImageFeature
from datasets import load_from_disk
from launch import accelerate_cli

from red_aes.data import BuildConfig, build_dataset, load_red_dataset
from red_aes.data.card import BUILD_STATS
from red_aes.data.filters import REJECTION_REASONS
from red_aes.data.sources import FolderSource, source_id
from red_aes.data.splits import assign_split
from red_aes.parsing import parse_answer
from tests.conftest import BUILD_CONFIG, BUILD_PHOTOS, REPO, write_build_config


def _rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of a saved build, images as their encoded bytes."""
    dataset = load_from_disk(str(path))
    return {
        name: split.cast_column("original", ImageFeature(decode=False))
        .cast_column("edited", ImageFeature(decode=False))
        .to_list()
        for name, split in dataset.items()
    }


def test_build_end_to_end(reference_build: Path, build_photos: Path) -> None:
    dataset = load_red_dataset(reference_build)
    stats = json.loads((reference_build / BUILD_STATS).read_text())
    config = BuildConfig.from_yaml(reference_build / "build_config.yaml")
    assert config.seed == 3 and config.out == str(reference_build)  # flags won over the YAML
    rows = [row for split in dataset.values() for row in split]
    assert len(rows) == stats["kept"] > 0
    assert (
        stats["sources"] == len(BUILD_PHOTOS)
        and stats["planned"] == len(BUILD_PHOTOS) * BUILD_CONFIG["pairs_per_source"]
    )
    rejected = stats["rejected"]
    assert stats["planned"] == stats["edited"] + rejected.get("edit_unsupported", 0) + rejected.get(
        "plan_invalid", 0
    )
    assert stats["edited"] == stats["filtered"] + sum(rejected.get(r, 0) for r in REJECTION_REASONS)
    assert stats["filtered"] == stats["kept"] + sum(
        rejected.get(r, 0) for r in ("too_few_valid_votes", "judges_disagree", "rationale_inconsistent")
    )
    source = FolderSource(build_photos)
    by_id = {source_id(p.read_bytes()): i for i, p in enumerate(source.files)}
    for row in rows:
        assert row["editor"] == "classical" and row["judges"] == ["measured"]
        assert row["votes"] == [pytest.approx(row["delta"])] and row["agreement"] == 1.0
        assert row["attribute"] in BUILD_CONFIG["attributes"]
        parsed = parse_answer(row["rationale"], strict=True)
        assert parsed.value == round(row["delta"], 1) and parsed.reasoning
        assert row["instruction"] in parsed.reasoning  # the offline rationale quotes the instruction
        original = np.asarray(row["original"])
        expected = np.asarray(source.load(by_id[row["source_id"]], max_side=160, max_input_pixels=None))
        assert np.array_equal(original, expected)  # stored original = what was edited and judged
        assert max(row["original"].size) == 160
        params = json.loads(row["editor_params"])
        assert params["plan"]["instruction"] == row["instruction"] and params["params"]["operations"]
    assert len({row["pair_id"] for row in rows}) == len(rows)


def test_splits_are_disjoint_by_photo(reference_build: Path) -> None:
    dataset = load_red_dataset(reference_build)
    ids = {name: set(split["source_id"]) for name, split in dataset.items()}
    for a in ids:
        for b in ids:
            assert a == b or not ids[a] & ids[b]
    for name, members in ids.items():
        assert {assign_split(sid, BUILD_CONFIG["split_fractions"]) for sid in members} == {name}


@pytest.mark.slow
def test_resume_after_killing_the_build_gives_the_same_dataset(
    reference_build: Path, build_photos: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    config = write_build_config(tmp_path / "config.yaml", source=str(build_photos), out=str(out))
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
    assert _rows(out) == _rows(reference_build)
    stats = json.loads((out / BUILD_STATS).read_text())
    assert stats == json.loads((reference_build / BUILD_STATS).read_text())


def test_resume_refuses_shards_of_another_config(reference_build: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(reference_build, copy)
    config = BuildConfig.from_yaml(copy / "build_config.yaml").replace(out=str(copy), seed=4)
    with pytest.raises(ValueError, match="another config"):
        build_dataset(config)
    resumed = BuildConfig.from_yaml(copy / "build_config.yaml").replace(out=str(copy))
    build_dataset(resumed)  # every shard is done: only the merge runs
    assert _rows(copy) == _rows(reference_build)


@pytest.mark.slow
def test_build_mixing_the_classical_and_a_tiny_diffusion_editor(
    build_photos: Path, tiny_editor_dir: Path, tmp_path: Path
) -> None:
    """One photo, three plans: two for the classical editor, one for an (untrained) diffusion pipeline."""
    from red_aes.data.builder import editor_capabilities
    from red_aes.data.plans import plan_grid, plan_source
    from red_aes.editing import ClassicalEditor

    diffusion = str(tiny_editor_dir)
    capabilities = {"classical": editor_capabilities(ClassicalEditor()), diffusion: None}
    grid = plan_grid(capabilities, BUILD_CONFIG["attributes"], ["improve", "degrade"], [0.3, 0.6, 0.9])
    first = FolderSource(build_photos).scan(limit=1)[0][0].source_id
    seed = next(
        s
        for s in range(100)
        if [c[1] for c in plan_source(first, grid, pairs_per_source=3, seed=s)].count(diffusion) == 1
    )
    config = BuildConfig(
        **{**BUILD_CONFIG, "source": str(build_photos), "out": str(tmp_path / "out")}
    ).replace(
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
    assert stats["edited"] == stats["filtered"] + sum(stats["rejected"].get(r, 0) for r in REJECTION_REASONS)
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
    reference_build: Path, build_photos: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    config = write_build_config(
        tmp_path / "config.yaml", source=str(build_photos), out=str(out), keep_shards=True
    )
    run = accelerate_cli(["data", "build", "--config", str(config)], timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    workers = {json.loads(m.read_text())["pid"] for m in (out / "shards").glob("shard-*.json")}
    assert len(workers) == 2  # both processes built shards
    assert _rows(out) == _rows(reference_build)
    assert json.loads((out / BUILD_STATS).read_text()) == json.loads(
        (reference_build / BUILD_STATS).read_text()
    )
