"""Pushing a built RED dataset (red_aes.data.publish): what reaches a local Hub stub (card, build files
without local paths, photo licences, Parquet data) and how the build files are staged."""

from __future__ import annotations

from pathlib import Path

import pytest
from datasets import Image as ImageFeature
from datasets import load_from_disk
from huggingface_hub import DatasetCard

from red_aes.commands.red_aes_cli import main
from red_aes.data.card import local_paths, without_local_paths
from red_aes.data.config import BuildConfig
from red_aes.data.publish import PUSHED_FILES, stage_build_files


def test_push_uploads_card_build_files_and_parquet_data_to_a_hub_stub(
    reference_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checks exactly which files a push would upload, against a local stub of the Hub API (not the Hub)."""
    import io

    import pyarrow.parquet as pq
    from hub_stub import HubStub

    dataset = load_from_disk(str(reference_build))
    with HubStub() as hub, hub.online(monkeypatch):
        argv = ["data", "push", str(reference_build), "me/red-pairs", "--private", "--endpoint", hub.endpoint]
        assert main(argv) == 0
    repo = hub.repo("me/red-pairs", repo_type="dataset")
    data_files = {f"data/{name}-00000-of-00001.parquet" for name in dataset}
    assert set(repo.files) == {"README.md", "build_config.yaml", "build_stats.json"} | data_files
    assert repo.private
    assert [c["summary"] for c in repo.commits] == [
        "Add RED-Aes dataset card and build files",
        "Upload RED-Aes pairs",
    ]
    paths = local_paths(BuildConfig.from_yaml(reference_build / "build_config.yaml").to_dict())
    assert str(reference_build) in paths  # the build's own output folder is a local path ...
    for name in ("build_config.yaml", "build_stats.json"):
        pushed = repo.files[name].decode()
        assert pushed == without_local_paths((reference_build / name).read_text(), paths)
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


def test_a_ladder_build_pushes_its_photo_licences_and_no_local_path(
    ladder_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub_stub import HubStub

    assert (ladder_dataset / "sources.csv").is_file()  # the builder keeps the photo list with the data
    with HubStub() as hub, hub.online(monkeypatch):
        assert main(["data", "push", str(ladder_dataset), "me/ladder", "--endpoint", hub.endpoint]) == 0
    files = hub.files("me/ladder", repo_type="dataset")
    assert files["sources.csv"] == (ladder_dataset / "sources.csv").read_bytes()
    for name in ("build_config.yaml", "build_stats.json", "README.md"):
        assert str(ladder_dataset.parent) not in files[name].decode()


def test_staged_build_files_carry_no_local_path_and_the_licences_only_when_written(
    reference_build: Path, ladder_dataset: Path, tmp_path: Path
) -> None:
    staging = tmp_path / "reference"
    staging.mkdir()
    assert stage_build_files(reference_build, staging) == list(PUSHED_FILES)  # a folder without a photo list
    paths = local_paths(BuildConfig.from_yaml(reference_build / "build_config.yaml").to_dict())
    for name in ("build_config.yaml", "build_stats.json"):
        staged = (staging / name).read_text()
        assert staged == without_local_paths((reference_build / name).read_text(), paths)
        assert str(reference_build) not in staged
    assert (staging / "README.md").read_bytes() == (reference_build / "README.md").read_bytes()
    ladder = tmp_path / "ladder"
    ladder.mkdir()
    assert stage_build_files(ladder_dataset, ladder) == [*PUSHED_FILES, "sources.csv"]
    assert (ladder / "sources.csv").read_bytes() == (ladder_dataset / "sources.csv").read_bytes()
