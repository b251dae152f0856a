"""``red-aes data`` (red_aes.commands.data): every config key is a flag, one-line errors, the card
command."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from red_aes.commands.red_aes_cli import main
from red_aes.data import BuildConfig
from tests.conftest import write_build_config


def test_card_command_re_renders_the_same_card(reference_build: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(reference_build, copy, ignore=shutil.ignore_patterns("shards"))
    before = (copy / "README.md").read_text()
    (copy / "README.md").unlink()
    assert main(["data", "card", str(copy)]) == 0
    assert (copy / "README.md").read_text() == before


def test_cli_reports_bad_config_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_build_config(
        tmp_path / "c.yaml", source=str(tmp_path / "nowhere"), out=str(tmp_path / "o")
    )
    assert main(["data", "build", "--config", str(config), "--attributes", "sparkle"]) == 2
    assert "sparkle" in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["c.yaml"]  # nothing was written


def test_every_config_key_is_a_flag_overriding_the_yaml(tmp_path: Path) -> None:
    from red_aes.commands.data import config_from_args
    from red_aes.commands.red_aes_cli import build_parser

    config = tmp_path / "c.yaml"
    config.write_text("source: photos\nout: a\nseed: 1\nmax_sources: 5\njudges: [measured]\n")
    args = build_parser().parse_args(
        [
            "data",
            "build",
            "--config",
            str(config),
            "--out",
            "b",
            "--seed",
            "2",
            "--max-sources",
            "none",
            "--strengths",
            "0.5",
            "1",
            "--judges",
            "measured",
            "{name: endpoint, base_url: 'http://h:8000/v1', model: m}",
            "--split-fractions",
            "{train: 0.9, test: 0.1}",
            "--no-keep-shards",
        ]
    )
    built = config_from_args(args)
    assert (built.source, built.out, built.seed, built.max_sources) == ("photos", "b", 2, None)
    assert built.strengths == [0.5, 1.0] and built.keep_shards is False
    assert built.judges == [
        {"name": "measured"},
        {"name": "endpoint", "base_url": "http://h:8000/v1", "model": "m"},
    ]
    assert built.split_fractions == {"train": 0.9, "test": 0.1}
    untouched = config_from_args(build_parser().parse_args(["data", "build", "--config", str(config)]))
    assert (untouched.out, untouched.seed, untouched.max_sources) == ("a", 1, 5)


def test_build_help_lists_a_flag_for_every_config_key(capsys: pytest.CaptureFixture[str]) -> None:
    from red_aes.commands.red_aes_cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["data", "build", "--help"])
    text = capsys.readouterr().out
    missing = [name for name in BuildConfig.__dataclass_fields__ if "--" + name.replace("_", "-") not in text]
    assert not missing


def test_a_missing_source_folder_fails_at_once_in_one_line(tmp_path: Path, run_cli) -> None:
    """A path that names no folder (here relative to the config) is not taken for a Hub dataset id."""
    config = write_build_config(tmp_path / "c.yaml", source="../nowhere", out=str(tmp_path / "o"))
    code, _, err = run_cli("data", "build", "--config", config)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert (
        f"{(tmp_path.parent / 'nowhere').resolve()}: no such folder of photos, and not a Hub dataset id"
        in err
    )


def test_a_hub_id_that_cannot_be_loaded_is_one_line_naming_both_readings(tmp_path: Path, run_cli) -> None:
    config = write_build_config(tmp_path / "c.yaml", source="no-one/no-photos", out=str(tmp_path / "o"))
    code, _, err = run_cli("data", "build", "--config", config)  # the suite runs with HF_HUB_OFFLINE=1
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "no-one/no-photos: no such local folder, and loading it as a dataset failed" in err


def test_build_and_card_check_the_card_template_before_any_work(
    tmp_path: Path, build_photos: Path, reference_build: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from red_aes import resources

    monkeypatch.setattr(resources, "ROOT", tmp_path / "lost")  # an installation without its templates
    out = tmp_path / "o"
    config = write_build_config(tmp_path / "c.yaml", source=str(build_photos), out=str(out))
    code, _, err = run_cli("data", "build", "--config", config)
    assert code == 2 and "dataset_card/template.md not found" in err
    assert not out.exists()  # nothing was built
    copy = tmp_path / "copy"
    shutil.copytree(reference_build, copy, ignore=shutil.ignore_patterns("shards"))
    code, _, err = run_cli("data", "card", copy)
    assert code == 2 and "dataset_card/template.md not found" in err
