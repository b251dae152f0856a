"""``red-aes cull`` (red_aes.commands.cull): the files it writes, the plan of ``--dry-run``, sidecars kept
without ``--overwrite``, shards, and one-line errors."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from red_aes.commands import cull
from red_aes.cull import FLAGS, read_xmp_rating

REPO_PHOTOS = Path(__file__).resolve().parent.parent.parent / "examples" / "photos"


@pytest.fixture
def shoot(tmp_path: Path, photo_paths: list[Path]) -> Path:
    """Three bundled photos (each its own group), a copy of one (its duplicate) and a corrupt file."""
    folder = tmp_path / "shoot"
    (folder / "day2").mkdir(parents=True)
    for path in photo_paths[:2]:
        shutil.copy(path, folder / path.name)
    shutil.copy(photo_paths[0], folder / "day2" / f"copy-{photo_paths[0].name}")
    shutil.copy(photo_paths[2], folder / "day2" / photo_paths[2].name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    (folder / "notes.txt").write_text("not a photo")
    return folder


def test_cull_writes_csv_json_html_and_xmp(shoot: Path, tmp_path: Path, run_cli) -> None:
    out = tmp_path / "out"
    code, printed, _ = run_cli("cull", shoot, "--out", out, "--model", "measured", "--xmp", "--quiet")
    assert code == 0
    assert "unreadable: broken.jpg" in printed and "wrote 4 XMP sidecars" in printed
    for name in ("cull.csv", "cull.json", "index.html"):
        assert (out / name).is_file() and f"wrote {out / name}" in printed
    with open(out / "cull.csv", newline="") as handle:
        rows = {row["path"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {
        "broken.jpg",
        "day2/copy-astronaut.png",
        "astronaut.png",
        "camera.png",
        "day2/chelsea.png",
    }
    twins = [rows["astronaut.png"], rows["day2/copy-astronaut.png"]]
    assert twins[0]["group"] == twins[1]["group"] and sorted(t["pick"] for t in twins) == ["false", "true"]
    assert any(t["flags"] == "duplicate" for t in twins)
    assert rows["broken.jpg"]["flags"] == "unreadable" and rows["broken.jpg"]["pick"] == "false"
    assert all(flag in FLAGS for row in rows.values() for flag in row["flags"].split(";") if flag)
    assert json.loads((out / "cull.json").read_text())["groups"] == 3
    assert read_xmp_rating(shoot / "camera.png.xmp") == (4, "Green")  # a clean pick
    assert (out / "cache").is_dir()

    code, printed, _ = run_cli("cull", shoot, "--out", out, "--model", "measured", "--xmp", "--quiet")
    assert code == 0 and "0 analysed, 4 from the cache" in printed
    assert "wrote 0 XMP sidecars; 4 existing kept (--overwrite replaces them)" in printed
    code, printed, _ = run_cli(
        "cull",
        shoot,
        "--out",
        out,
        "--model",
        "measured",
        "--xmp",
        "--overwrite",
        "--quiet",
        "--formats",
        "csv",
    )
    assert code == 0 and "wrote 4 XMP sidecars" in printed and "index.html" not in printed


def test_dry_run_prints_the_plan_and_writes_nothing(shoot: Path, tmp_path: Path, run_cli) -> None:
    out = tmp_path / "out"
    code, printed, _ = run_cli("cull", shoot, "--out", out, "--model", "measured", "--xmp", "--dry-run")
    assert code == 0
    assert f"photos found under {shoot}: 5 (jpg 1, png 4)" in printed
    assert "other files, ignored: 1 (.txt 1)" in printed and "to analyse and score: 5" in printed
    assert "XMP sidecars: 5 new, 0 existing kept" in printed and "nothing was written" in printed
    assert not out.exists() and not list(shoot.rglob("*.xmp"))


def test_shards_fill_the_cache_and_a_last_run_writes(shoot: Path, tmp_path: Path, run_cli) -> None:
    out = tmp_path / "out"
    analysed = 0
    for index in range(2):
        code, printed, _ = run_cli(
            "cull", shoot, "--out", out, "--model", "measured", "--shard", f"{index}/2"
        )
        assert code == 0 and f"shard {index}/2:" in printed and "without --shard" in printed
        analysed += int(printed.split(" analysed")[0].rsplit(" ", 1)[1])
        assert not (out / "cull.csv").exists()
    assert analysed == 3  # 4 readable files, two of them with the same bytes
    code, printed, _ = run_cli("cull", shoot, "--out", out, "--model", "measured", "--quiet")
    assert code == 0 and " 0 analysed" in printed and (out / "cull.csv").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--shard", "2/2"], "--shard must be I/N"),
        (["--formats", "csv,pdf"], "--formats takes"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--shard", "0/2", "--xmp"], "--xmp is written by the final run"),
    ],
)
def test_bad_options_are_one_line_errors(
    shoot: Path, tmp_path: Path, run_cli, argv: list[str], message: str
) -> None:
    code, _, err = run_cli("cull", shoot, "--out", tmp_path / "out", "--model", "measured", *argv)
    assert code == 2 and message in err and err.count("\n") == 1


def test_a_missing_folder_is_a_one_line_error(tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli("cull", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert code == 2 and "not a folder" in err


def test_help_lists_every_flag_with_its_threshold(parser_of, capsys) -> None:
    with pytest.raises(SystemExit):
        parser_of(cull).parse_args(["cull", "--help"])
    text = capsys.readouterr().out
    for flag, rule in FLAGS.items():
        assert flag in text and rule.split(",")[0][:30] in text.replace("\n", " ")
    assert "XMP ratings" in text


def test_a_vlm_culls_too_with_its_pairwise_answers(tiny_model_dir: Path, tmp_path: Path, run_cli) -> None:
    """The tiny untrained VLM (a relative scorer): its answers are invalid (no number), which leaves the
    score empty and makes every pair a tie, and the run still decides every group."""
    folder = tmp_path / "burst"
    folder.mkdir()
    base = Image.open(REPO_PHOTOS / "chelsea.png").convert("RGB")
    for index in range(2):
        base.save(folder / f"f{index}.jpg", quality=95 - 10 * index)
    out = tmp_path / "out"
    code, printed, _ = run_cli(
        "cull", folder, "--out", out, "--model", tiny_model_dir, "--device", "cpu", "--quantization", "none",
        "--quiet",
    )  # fmt: skip
    assert code == 0, printed
    with open(out / "cull.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 and sorted(r["pick"] for r in rows) == ["false", "true"]
    assert len({r["group"] for r in rows}) == 1 and all(r["score"] == "" for r in rows)
    pairs = list((out / "cache").rglob("pairs/*/*.json"))
    assert len(pairs) == 2  # both orders of the one pair, asked once and cached
