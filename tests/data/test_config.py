"""The build config (red_aes.data.config): example configs, unknown keys and bad values, fingerprint, YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from red_aes.data.config import BuildConfig
from tests.conftest import REPO

CONFIGS = REPO / "examples" / "configs"


@pytest.mark.parametrize("name", ["data_laptop.yaml", "data_cluster.yaml"])
def test_example_configs_load_and_validate(name: str) -> None:
    config = BuildConfig.from_yaml(CONFIGS / name).validate()
    assert config.judges and all("name" in spec for spec in config.judges)


def test_config_unknown_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("source: x\nout: y\npairs_per_sorce: 3\n")
    with pytest.raises(ValueError, match="pairs_per_sorce"):
        BuildConfig.from_yaml(path)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"attributes": ["sparkle"]}, "sparkle"),
        ({"strengths": [0.0]}, "strengths"),
        ({"split_fractions": {"train": 0.5, "test": 0.2}}, "sum to 1"),
        ({"judges": [{"model": "x"}]}, "name"),
        ({"min_valid_votes": 2}, "min_valid_votes"),
        ({"directions": ["sideways"]}, "sideways"),
    ],
)
def test_config_rejects_bad_values(override: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BuildConfig(source="s", out="o").replace(**override).validate()


def test_fingerprint_ignores_where_and_how_fast_but_not_content() -> None:
    base = BuildConfig(source="s", out="a")
    assert (
        base.fingerprint()
        == base.replace(out="b", shard_size=3, progress=False, pretty_name="x").fingerprint()
    )
    assert base.fingerprint() != base.replace(seed=1).fingerprint()
    assert base.fingerprint() != base.replace(min_ssim=0.5).fingerprint()


def test_config_yaml_round_trip(tmp_path: Path) -> None:
    config = BuildConfig(
        source="s", out="o", judges=["measured", {"name": "endpoint", "base_url": "http://h", "model": "m"}]
    )
    config.save(tmp_path / "c.yaml")
    assert BuildConfig.from_yaml(tmp_path / "c.yaml") == config


def test_a_relative_source_is_read_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "configs").mkdir()
    path = tmp_path / "configs" / "c.yaml"
    path.write_text("source: ../photos\nout: runs/o\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the current folder plays no part
    photos = str((tmp_path / "photos").resolve())
    config = BuildConfig.from_yaml(path)
    assert config.source == photos
    assert config.out == "runs/o"  # outputs stay relative to the current folder
    assert BuildConfig.from_yaml(Path("..") / "configs" / "c.yaml").source == photos


def test_the_laptop_config_finds_the_bundled_photos_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    laptop = BuildConfig.from_yaml(CONFIGS / "data_laptop.yaml")
    assert laptop.source == str((REPO / "examples" / "photos").resolve())


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("your-org/your-photos", True),  # names nothing here and is spelled like a Hub id: a Hub id
        ("mnist", True),
        ("../nowhere", False),  # a path that is not there: the path it names, so the error shows where
        ("./photos", False),
        ("a/b/c", False),
    ],
)
def test_a_source_that_names_nothing_here_stays_a_hub_id_only_when_it_looks_like_one(
    tmp_path: Path, written: str, kept: bool
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"source: {written}\nout: o\n")
    source = BuildConfig.from_yaml(path).source
    assert source == (written if kept else str((tmp_path / written).resolve()))


def test_an_absolute_or_hub_source_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("source: ../photos\nsource_type: hub\nout: o\n")
    assert BuildConfig.from_yaml(path).source == "../photos"
    path.write_text(f"source: {tmp_path / 'x'}\nout: o\n")
    assert BuildConfig.from_yaml(path).source == str(tmp_path / "x")
