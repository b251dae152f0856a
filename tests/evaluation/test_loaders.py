"""The loaders behind the benchmark registry (red_aes.evaluation.loaders): every problem with a labels
file, a number or an image is reported before any scoring, naming where it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from red_aes.errors import InputError
from red_aes.evaluation.loaders import check_root, parse_number, read_labels_csv, resolve_images


def test_a_labels_csv_is_read_with_its_header_trimmed_and_its_problems_named(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("\ufefffile , score\na.png, 5 \n", encoding="utf-8")  # a BOM and stray spaces
    assert read_labels_csv(path, ("file", "score")) == [{"file": "a.png", "score": "5"}]
    with pytest.raises(InputError, match=r"missing column\(s\) \['subset'\]; found \['file', 'score'\]"):
        read_labels_csv(path, ("file", "subset"))
    path.write_text("file,score\n", encoding="utf-8")
    with pytest.raises(InputError, match="no rows under the header"):
        read_labels_csv(path, ("file", "score"))
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty labels CSV"):
        read_labels_csv(path, ("file", "score"))
    with pytest.raises(FileNotFoundError, match=r"labels CSV .* not found"):
        read_labels_csv(tmp_path / "missing.csv", ("file",))


def test_numbers_roots_and_images_are_checked_before_scoring(tmp_path: Path) -> None:
    assert parse_number(" 6.5", "labels.csv:2") == 6.5
    with pytest.raises(InputError, match=r"labels\.csv:3: 'six' is not a number"):
        parse_number("six", "labels.csv:3")
    with pytest.raises(InputError, match="'nan' is not a finite number"):
        parse_number("nan", "labels.csv:4")
    assert check_root(tmp_path) == tmp_path
    with pytest.raises(FileNotFoundError, match="does not exist"):
        check_root(tmp_path / "nope")
    (tmp_path / "a.png").write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        check_root(tmp_path / "a.png")
    assert resolve_images(tmp_path, [("row 2", "a.png")], "labels.csv") == [tmp_path / "a.png"]
    with pytest.raises(FileNotFoundError, match=r"labels.csv: 2 image\(s\) not found under .*row 3: 'b.png'"):
        resolve_images(tmp_path, [("row 2", "a.png"), ("row 3", "b.png"), ("row 4", "c.png")], "labels.csv")
    with pytest.raises(InputError, match="row 5: empty file name"):
        resolve_images(tmp_path, [("row 5", "")], "labels.csv")
