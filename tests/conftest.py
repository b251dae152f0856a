"""Shared fixtures. The suite is offline and CPU-only: nothing is downloaded from any hub.

Tests mirror the package: ``tests/<subpackage>/test_<module>.py`` tests ``red_aes/<subpackage>/<module>.py``
(``test_init.py`` its ``__init__.py``) and ``tests/test_<module>.py`` a top-level module; the rule is
checked by ``tests/test_structure.py``. Fixtures used by several folders live here; those of one folder
live in that folder's ``conftest.py``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import struct
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from PIL import Image

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Under `pytest -n N` (pytest-xdist) each worker, and each process it starts, gets its share of the cores,
# set before torch is imported: two torch processes with a thread per core each run several times slower
# than with one thread each on a two-core machine.
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    _cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    _threads = str(max(1, _cores // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))
    for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, _threads)

REPO = Path(__file__).resolve().parent.parent
PHOTOS_DIR = REPO / "examples" / "photos"


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root (the source checkout the tests run from)."""
    return REPO


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


def load_script(path: Path) -> ModuleType:
    """A script that is not a package module (benchmarks/, training_recipes/), imported by path and
    registered in ``sys.modules`` (dataclasses resolve their module by name)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def tiny_red_dir(tmp_path_factory: pytest.TempPathFactory, photos_dir: Path) -> Path:
    """The tiny RED dataset of ``training_recipes/tiny/build_tiny_red.py`` (RED schema, split by source)."""
    module = load_script(REPO / "training_recipes" / "tiny" / "build_tiny_red.py")
    return module.build_tiny_red(tmp_path_factory.mktemp("tiny-red") / "red", photos_dir)


# -- the reference RED build (data/test_builder.py, and the card, loading, publish and `data` tests) -----

#: The photos of the reference build.
BUILD_PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg")
#: The reference build's config (classical editor + measured judge; one photo per shard).
BUILD_CONFIG: dict[str, Any] = {
    "editors": ["classical"],
    "pairs_per_source": 3,
    "attributes": ["exposure", "contrast", "color", "sharpness", "noise", "composition"],
    "max_side": 160,
    "judges": ["measured"],
    "rationale": "offline",
    "split_fractions": {"train": 0.5, "validation": 0.25, "test": 0.25},
    "shard_size": 1,
    "seed": 3,
    "progress": False,
    "license": "cc-by-2.0",
    "pretty_name": "RED-Aes test pairs",
}


def write_build_config(path: Path, **values: Any) -> Path:
    """:data:`BUILD_CONFIG` with ``values`` over it, as a YAML file at ``path``."""
    path.write_text(yaml.safe_dump({**BUILD_CONFIG, **values}))
    return path


@pytest.fixture(scope="session")
def build_photos(tmp_path_factory: pytest.TempPathFactory, photos_dir: Path) -> Path:
    """A folder of the reference build's photos."""
    folder = tmp_path_factory.mktemp("photos")
    for name in BUILD_PHOTOS:
        shutil.copy(photos_dir / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def reference_build(tmp_path_factory: pytest.TempPathFactory, build_photos: Path) -> Path:
    """An uninterrupted build through ``red-aes data build``; flags override the YAML's seed and out."""
    from red_aes.commands.red_aes_cli import main

    root = tmp_path_factory.mktemp("reference")
    config = write_build_config(
        root / "config.yaml", seed=99, source=str(build_photos), out=str(root / "ignored")
    )
    out = root / "out"
    assert main(["data", "build", "--config", str(config), "--out", str(out), "--seed", "3"]) == 0
    return out


#: The degradation kinds of the ladder build.
LADDER_BUILD_KINDS = ["gaussian_blur", "grain", "underexposure", "jpeg"]


@pytest.fixture(scope="session")
def ladder_dataset(tmp_path_factory: pytest.TempPathFactory, photo_paths: list[Path]) -> Path:
    """Ladders of 4 kinds × 2 strengths on the 7 bundled photos, judged by the ladder judge."""
    from red_aes.data.builder import build_dataset
    from red_aes.data.config import BuildConfig

    root = tmp_path_factory.mktemp("ladder")
    for path in photo_paths:
        shutil.copy(path, root / path.name)
    (root / "sources.csv").write_text("file,license\n" + "".join(f"{p.name},test\n" for p in photo_paths))
    config = BuildConfig(
        source=str(root),
        out=str(root / "out"),
        max_side=160,
        ladder_kinds=LADDER_BUILD_KINDS,
        strengths=[0.5, 1.0],
        directions=["degrade"],
        cross_photo_pairs=2,
        judges=[{"name": "ladder"}],
        split_fractions={"train": 0.5, "validation": 0.5},
        progress=False,
    )
    return build_dataset(config)


# -- benchmark folders (evaluation/ and commands/test_eval.py) ----------------------------------------------


@pytest.fixture(scope="session")
def small_photos(photo_paths: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled photos downscaled to a 160-pixel long side (same names), to keep the tests fast."""
    from red_aes.images import load_image

    folder = tmp_path_factory.mktemp("small-photos")
    for path in photo_paths:
        image = load_image(path)
        image.thumbnail((160, 160))
        image.save(folder / path.name)
    return folder


@pytest.fixture(scope="session")
def labelled_photos(small_photos: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A labels CSV over the photos (labels: 1..7 by name, subsets by file type)."""
    path = tmp_path_factory.mktemp("labels") / "labels.csv"
    names = sorted(p.name for p in small_photos.iterdir())
    rows = [f"{name},{i + 1},{name.rsplit('.', 1)[1]}" for i, name in enumerate(names)]
    path.write_text("file,score,subset\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def labelled_thumbnails(photo_paths: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled photos at a 128-pixel long side (PNG), with ``labels.csv`` (labels 1..N by name)."""
    from red_aes.images import load_image

    folder = tmp_path_factory.mktemp("photos")
    for path in photo_paths:
        image = load_image(path)
        image.thumbnail((128, 128))
        image.save(folder / f"{path.stem}.png")
    names = sorted(p.name for p in folder.iterdir())
    rows = "".join(f"{name},{i + 1}\n" for i, name in enumerate(names))
    (folder / "labels.csv").write_text("file,score\n" + rows, encoding="utf-8")
    return folder


# -- stubs and crafted files -------------------------------------------------------------------------------


@pytest.fixture
def stub_factory() -> Iterator[Callable[[list[str | int]], Any]]:
    """Makes started :class:`chat_stub.ChatStub` servers (scripted replies); all are stopped afterwards."""
    from chat_stub import ChatStub

    stubs: list[ChatStub] = []

    def make(replies: list[str | int]) -> ChatStub:
        stub = ChatStub(replies).__enter__()
        stubs.append(stub)
        return stub

    yield make
    for stub in stubs:
        stub.__exit__()


def _png_claiming(path: Path, width: int, height: int) -> Path:
    """A 1x1 PNG whose header claims ``width`` x ``height`` (decoding it would fail)."""
    Image.new("L", (1, 1)).save(path)
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="session")
def png_claiming() -> Callable[[Path, int, int], Path]:
    """``png_claiming(path, width, height)``: a 1x1 PNG at ``path`` whose header claims a larger size."""
    return _png_claiming
