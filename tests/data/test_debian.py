"""Photo lists of Debian packages (red_aes.data.debian): checked rows, and photos already fetched are
listed with their content ids without downloading anything."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from red_aes.data.debian import (
    ALLOWED_KINDS,
    COLUMNS,
    SOURCES_FILE,
    cached_photo_folder,
    fetch_debian_photos,
    read_photo_list,
)
from red_aes.data.sources import source_id
from red_aes.errors import InputError

ROW = {
    "package": "desktop-base",
    "version": "1.0",
    "path": "/usr/share/backgrounds/lake.jpg",
    "license": "CC0-1.0",
    "credit": "Someone",
    "kind": "permissive",
}


def _photo_list(path: Path, *rows: dict[str, str]) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_every_row_names_its_package_file_licence_and_an_allowed_kind(tmp_path: Path) -> None:
    good = _photo_list(tmp_path / "good.csv", ROW, {**ROW, "path": "/usr/share/b.png", "kind": "share-alike"})
    assert [row["kind"] for row in read_photo_list(good)] == ["permissive", "share-alike"]
    no_credit = _photo_list(tmp_path / "credit.csv", ROW, {**ROW, "credit": ""})
    with pytest.raises(InputError, match=f"{no_credit}:3: missing credit"):
        read_photo_list(no_credit)
    non_commercial = _photo_list(tmp_path / "nc.csv", {**ROW, "kind": "non-commercial"})
    with pytest.raises(
        InputError, match=re.escape(f"licence kind 'non-commercial' is not one of {ALLOWED_KINDS}")
    ):
        read_photo_list(non_commercial)


def test_the_shipped_photo_list_is_valid(repo: Path) -> None:
    rows = read_photo_list(repo / "training_recipes" / "red-lite" / "sources.csv")
    assert rows and {row["kind"] for row in rows} <= set(ALLOWED_KINDS)


def test_fetched_photos_are_listed_with_their_content_ids_and_nothing_is_downloaded(
    tmp_path: Path, photo_paths: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    photo_list = _photo_list(tmp_path / "photos.csv", ROW)
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))  # apt-get would fail: it must not be needed
    monkeypatch.setenv("RED_AES_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "photos"
    out.mkdir()
    shutil.copy(photo_paths[0], out / "desktop-base__backgrounds_lake.jpg")  # <package>__<path below share>
    assert fetch_debian_photos(photo_list, out, progress=False) == out
    with open(out / SOURCES_FILE, newline="") as handle:
        (listed,) = list(csv.DictReader(handle))
    assert listed == {
        **ROW,
        "file": "desktop-base__backgrounds_lake.jpg",
        "source_id": source_id(photo_paths[0].read_bytes()),
    }
    with pytest.raises(RuntimeError, match="apt-get not found"):  # a photo not fetched yet needs apt-get
        cached_photo_folder(photo_list)
    (cached,) = (tmp_path / "cache" / "debian-photos").iterdir()
    assert not list(cached.iterdir())  # nothing half-written
