"""``red-aes measure`` (red_aes.commands.measure): JSON and text output, missing files."""

from __future__ import annotations

import json

import pytest

from red_aes.commands import measure
from red_aes.commands.red_aes_cli import main
from red_aes.images import ImageLoadError
from red_aes.measure import METRICS


def test_measure_json_and_text(photos_dir, capsys) -> None:
    paths = [str(photos_dir / "china.jpg"), str(photos_dir / "camera.png")]
    assert main(["measure", *paths, "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in records] == paths
    assert set(METRICS) <= set(records[0])
    assert records[1]["saturation"] == 0.0  # the greyscale photo
    assert main(["measure", paths[0]]) == 0
    text = capsys.readouterr().out
    assert "exposure:" in text and "sharpness:" in text and "(640x427)" in text


def test_measure_missing_file(tmp_path, capsys) -> None:
    assert main(["measure", str(tmp_path / "nope.png")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_the_measure_command_alone_measures_and_refuses_a_broken_file(
    parser_of, photos_dir, tmp_path, capsys
) -> None:
    photo = str(photos_dir / "chelsea.png")
    args = parser_of(measure).parse_args(["measure", photo, "--json"])
    assert args.func is measure.run and measure.run(args) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["file"] == photo and set(METRICS) <= set(record)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    args = parser_of(measure).parse_args(["measure", photo, str(broken), "--json"])
    with pytest.raises(ImageLoadError, match="not a recognised image format"):
        measure.run(args)
    assert capsys.readouterr().out == ""
