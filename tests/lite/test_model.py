"""The RED-Lite model (red_aes.lite.model): saving and loading, the Hub round trip, refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from red_aes.images import load_image
from red_aes.lite.model import DEFAULT_WEIGHTS, LiteLoadError, RedLiteModel
from red_aes.scoring import load_scorer


def test_hub_push_and_load_round_trip(
    photo_paths: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub_stub import HubStub

    from red_aes.train.lite.card import write_card

    lite = load_scorer("red-lite")
    photos = [load_image(p) for p in photo_paths[1:3]]
    model = lite.model
    folder = tmp_path / "red-lite"
    model.save_pretrained(folder)
    write_card(folder, model, repo_id="stub-user/red-lite")
    with HubStub() as hub, hub.online(monkeypatch):
        # the loader uses the default endpoint, as a user's HF_ENDPOINT would set it
        hub.as_default_endpoint(monkeypatch, tmp_path / "cache")
        model.push_to_hub("stub-user/red-lite", folder=folder, endpoint=hub.endpoint)
        files = hub.files("stub-user/red-lite")
        assert set(files) == {"model.safetensors", "config.json", "red_aes.json", "README.md"}
        assert files["model.safetensors"] == (folder / "model.safetensors").read_bytes()
        assert b"small CNN trained on synthetic edit pairs" in files["README.md"]
        pushed = load_scorer("red-lite", "stub-user/red-lite")
    assert pushed.compare(photos[0], photos[1]).to_dict() == lite.compare(photos[0], photos[1]).to_dict()


def test_a_saved_model_loads_back_to_the_same_scores(photo_paths: list[Path], tmp_path: Path) -> None:
    shipped = RedLiteModel.from_pretrained()
    assert (
        DEFAULT_WEIGHTS.is_dir()
        and shipped.metadata.to_dict() == RedLiteModel.from_pretrained(DEFAULT_WEIGHTS).metadata.to_dict()
    )
    folder = shipped.save_pretrained(tmp_path / "copy")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors", "red_aes.json"]
    vector = shipped.extractor(load_image(photo_paths[0]))
    assert np.array_equal(
        RedLiteModel.from_pretrained(folder).score_features(vector), shipped.score_features(vector)
    )
    assert shipped.score_features(np.stack([vector, vector])).shape == (2,)


def test_what_is_not_a_red_lite_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        LiteLoadError, match=r"not a RED-Lite folder \(missing model\.safetensors, config\.json\)"
    ):
        RedLiteModel.from_pretrained(tmp_path)
    (tmp_path / "file.bin").write_bytes(b"")
    with pytest.raises(LiteLoadError, match="a RED-Lite model is a folder, not a file"):
        RedLiteModel.from_pretrained(tmp_path / "file.bin")
    other = RedLiteModel.from_pretrained().save_pretrained(tmp_path / "other")
    (other / "red_aes.json").write_text('{"backend": "red-aes"}')
    with pytest.raises(LiteLoadError, match="names backend 'red-aes', not red-lite"):
        RedLiteModel.from_pretrained(other)


def test_a_head_made_for_other_measured_statistics_says_to_retrain(tmp_path: Path) -> None:
    """A folder whose head reads one statistic fewer (a version before ``colour_clip``) loads its
    weights but refuses to score, naming the cause and the fix rather than failing inside the MLP."""
    import json

    from red_aes.lite.model import HeadConfig, LiteHead

    shipped = RedLiteModel.from_pretrained()
    config = shipped.head.config
    older = LiteHead(HeadConfig(**{**config.to_dict(), "dim": config.dim - 1}))
    folder = RedLiteModel(shipped.feature_config, older, shipped.metadata).save_pretrained(tmp_path / "old")
    assert json.loads((folder / "config.json").read_text())["head"]["dim"] == config.dim - 1
    model = RedLiteModel.from_pretrained(folder)
    with pytest.raises(LiteLoadError, match=r"trained with another set of measured statistics; retrain"):
        model.extractor(Image.new("RGB", (64, 64), (90, 120, 60)))


def test_a_fine_tuned_block_is_saved_beside_the_head_and_never_changes_the_shared_backbone(
    photo_paths: list[Path], tmp_path: Path
) -> None:
    """A model's own copy of block 10 round-trips through ``model.safetensors`` and is used for its
    features; a model without one keeps the frozen backbone's (the backbone is shared per process)."""
    import copy
    import json

    import torch

    from red_aes.lite.backbone import load_backbone

    base = RedLiteModel.from_pretrained()
    block = copy.deepcopy(load_backbone(base.feature_config.backbone)._blocks[10])
    with torch.no_grad():
        for parameter in block.parameters():
            parameter.mul_(1.05)
    tuned = RedLiteModel(base.feature_config, base.head, base.metadata, {10: block})
    image = load_image(photo_paths[0])
    frozen_before = RedLiteModel(base.feature_config, base.head).extractor(image)
    vector = tuned.extractor(image)
    assert not np.allclose(vector, frozen_before)
    assert np.array_equal(RedLiteModel(base.feature_config, base.head).extractor(image), frozen_before)
    folder = tuned.save_pretrained(tmp_path / "tuned")
    assert json.loads((folder / "config.json").read_text())["tuned_blocks"] == [10]
    loaded = RedLiteModel.from_pretrained(folder)
    assert list(loaded.blocks) == [10] and np.array_equal(loaded.extractor(image), vector)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "tuned_blocks": [9]}))
    with pytest.raises(LiteLoadError, match="no weights for the fine-tuned block 9"):
        RedLiteModel.from_pretrained(folder)
