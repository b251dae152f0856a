"""The ladder judge, ladder-mode builds with cross-photo pairs, and a tiny end-to-end RED-Lite training."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from red_aes.data import load_red_dataset
from red_aes.data.builder import build_dataset
from red_aes.data.config import BuildConfig
from red_aes.data.judges import InvalidVote, LadderJudge, PairToJudge, load_judge
from red_aes.types import Verdict

KINDS = ["gaussian_blur", "grain", "underexposure", "jpeg"]


@pytest.fixture(scope="module")
def ladder_dataset(tmp_path_factory: pytest.TempPathFactory, photo_paths: list[Path]) -> Path:
    """Ladders of 4 kinds × 2 strengths on the 7 bundled photos, judged by the ladder judge."""
    root = tmp_path_factory.mktemp("ladder")
    for path in photo_paths:
        shutil.copy(path, root / path.name)
    (root / "sources.csv").write_text("file,license\n" + "".join(f"{p.name},test\n" for p in photo_paths))
    config = BuildConfig(
        source=str(root),
        out=str(root / "out"),
        max_side=160,
        ladder_kinds=KINDS,
        strengths=[0.5, 1.0],
        directions=["degrade"],
        cross_photo_pairs=2,
        judges=[{"name": "ladder"}],
        split_fractions={"train": 0.5, "validation": 0.5},
        progress=False,
    )
    return build_dataset(config)


def test_ladder_judge_votes_by_construction() -> None:
    image = Image.new("RGB", (8, 8))
    judge = load_judge({"name": "ladder", "scale": 4.0})
    weak, strong, improve = judge.judge(
        [
            PairToJudge(image, image, "blur", attribute="sharpness", direction="degrade", strength=0.25),
            PairToJudge(image, image, "blur", attribute="sharpness", direction="degrade", strength=1.0),
            PairToJudge(image, image, "sharpen", attribute="sharpness", direction="improve", strength=1.0),
        ]
    )
    assert (
        isinstance(weak, Verdict)
        and weak.delta == -1.0
        and isinstance(strong, Verdict)
        and strong.delta == -4.0
    )
    assert isinstance(improve, InvalidVote) and "improve" in improve.error
    with pytest.raises(ValueError, match="scale"):
        LadderJudge(scale=0.0)


def test_ladder_build_orders_every_edit_and_adds_cross_photo_pairs(ladder_dataset: Path) -> None:
    dataset = load_red_dataset(ladder_dataset)
    rows = [row for split in dataset.values() for row in split.remove_columns(["original", "edited"])]
    plain = [r for r in rows if "-x-" not in r["pair_id"]]
    cross = [r for r in rows if "-x-" in r["pair_id"]]
    kinds = {json.loads(r["editor_params"])["params"]["kind"] for r in plain}
    assert kinds == set(KINDS)
    for row in plain:  # Δ = −4 · strength, voted by the ladder judge alone
        assert row["judges"] == ["ladder"] and row["delta"] == pytest.approx(-4.0 * row["strength"])
    assert cross, "ladder mode with cross_photo_pairs must emit cross-photo pairs"
    split_of = {r["source_id"]: name for name, split in dataset.items() for r in split}
    source_of_pair = {r["pair_id"]: r["source_id"] for r in plain}
    for row in cross:
        other = json.loads(row["editor_params"])["cross_photo"]["edited_pair_id"]
        assert source_of_pair[other] != row["source_id"]  # the edit is of another photo ...
        assert split_of[source_of_pair[other]] == split_of[row["source_id"]]  # ... of the same split
        assert row["strength"] == 1.0 and row["delta"] < 0 and "two different photos" in row["rationale"]
    card = (ladder_dataset / "README.md").read_text()
    assert "**Assumption:**" in card and "curated original" in card and "cross-photo" in card
    assert "Share-alike licences" in card  # the build kept the photo list, and the card explains it


def test_tiny_training_beats_its_untrained_start(ladder_dataset: Path, tmp_path: Path) -> None:
    from red_aes.lite.model import RedLiteModel
    from red_aes.train.lite.trainer import LiteTrainConfig, train

    out = train(
        LiteTrainConfig(
            dataset=str(ladder_dataset),
            output_dir=str(tmp_path / "model"),
            long_side=96,
            max_epochs=150,
            patience=50,
            progress=False,
        )
    )
    meta = json.loads((out / "red_aes.json").read_text())
    training = meta["training"]
    assert training["best_val_order_accuracy"] > training["untrained_val_order_accuracy"]
    assert meta["validation"]["validation"]["order_accuracy"] == pytest.approx(
        training["best_val_order_accuracy"]
    )
    assert training["n_kinds"] == len(KINDS) and training["n_photos"] == 7
    model = RedLiteModel.from_pretrained(out)  # the saved folder loads back to the same scores
    image = Image.open(next(ladder_dataset.parent.glob("*.png"))).convert("RGB")
    vector = model.extractor(image)
    assert np.array_equal(
        model.score_features(vector), RedLiteModel.from_pretrained(out).score_features(vector)
    )
    assert (out / "model.safetensors").stat().st_size < 5 * 2**20


def test_training_config_refuses_a_missing_dataset_and_unknown_keys(tmp_path: Path) -> None:
    from red_aes.train.lite.trainer import LiteTrainConfig

    with pytest.raises(ValueError, match="dataset"):
        LiteTrainConfig().validate()
    with pytest.raises(ValueError, match="unknown RED-Lite training keys"):
        (tmp_path / "c.yaml").write_text("dataset: x\nlearning_rat: 0.1\n")
        LiteTrainConfig.from_yaml(tmp_path / "c.yaml")


def test_a_ladder_build_pushes_its_photo_licences_and_no_local_path(
    ladder_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub_stub import HubStub

    from red_aes.commands.red_aes_cli import main

    assert (ladder_dataset / "sources.csv").is_file()  # the builder keeps the photo list with the data
    with HubStub() as hub, hub.online(monkeypatch):
        assert main(["data", "push", str(ladder_dataset), "me/ladder", "--endpoint", hub.endpoint]) == 0
    files = hub.files("me/ladder", repo_type="dataset")
    assert files["sources.csv"] == (ladder_dataset / "sources.csv").read_bytes()
    for name in ("build_config.yaml", "build_stats.json", "README.md"):
        assert str(ladder_dataset.parent) not in files[name].decode()
