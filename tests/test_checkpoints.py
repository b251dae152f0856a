"""The torch-free checkpoint module (red_aes.checkpoints): red_aes.json metadata, imported without torch."""

from __future__ import annotations

from pathlib import Path

import pytest
from launch import run_python

from red_aes.checkpoints import METADATA_FILE, read_metadata, write_metadata


def test_metadata_files(tmp_path: Path) -> None:
    assert read_metadata(tmp_path) == {}
    path = write_metadata(
        tmp_path, base_model="Qwen/Qwen2.5-VL-7B-Instruct", stage="grpo-pair", dataset="a/b"
    )
    assert path == tmp_path / METADATA_FILE
    fields = read_metadata(tmp_path)
    assert fields["stage"] == "grpo-pair" and fields["dataset"] == "a/b" and "red_aes_version" in fields
    with pytest.raises(ValueError, match=r"unknown red_aes\.json keys"):
        write_metadata(tmp_path, learning_rate=1e-4)
    (tmp_path / METADATA_FILE).write_text("[1, 2]")
    with pytest.raises(ValueError, match="expected a JSON object"):
        read_metadata(tmp_path)


def test_checkpoints_import_without_torch() -> None:
    result = run_python("import sys, red_aes.checkpoints; print('torch' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
