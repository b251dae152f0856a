"""Shared fixtures. The suite is offline and CPU-only: nothing is downloaded from any hub."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

REPO = Path(__file__).resolve().parent.parent
PHOTOS_DIR = REPO / "examples" / "photos"


@pytest.fixture(scope="session")
def photos_dir() -> Path:
    """Real, permissively licensed photos bundled with the project (see examples/photos/LICENSES.csv)."""
    return PHOTOS_DIR


@pytest.fixture(scope="session")
def photo_paths() -> list[Path]:
    return sorted(p for p in PHOTOS_DIR.iterdir() if p.suffix.lower() in {".jpg", ".png"})


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny, untrained Qwen2.5-VL checkpoint built offline (config, tokenizer, processor, weights)."""
    from red_aes.testing import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny-vlm"))


@pytest.fixture(scope="session")
def tiny_editor_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny, untrained InstructPix2Pix diffusers pipeline built offline."""
    from red_aes.testing import make_tiny_editor

    return make_tiny_editor(tmp_path_factory.mktemp("tiny-editor"))


@pytest.fixture(scope="session")
def tiny_red_dir(tmp_path_factory: pytest.TempPathFactory, photos_dir: Path) -> Path:
    """The tiny RED dataset of ``training_recipes/tiny/build_tiny_red.py`` (RED schema, split by source)."""
    script = REPO / "training_recipes" / "tiny" / "build_tiny_red.py"
    spec = importlib.util.spec_from_file_location("build_tiny_red", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_tiny_red(tmp_path_factory.mktemp("tiny-red") / "red", photos_dir)
