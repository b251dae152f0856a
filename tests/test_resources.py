"""The repository-root files the package reads (red_aes.resources): found in a checkout, preferred in their
packaged copy (what an installed wheel has), and a clear error when one is missing. That the wheel carries
them, and that the commands work from it outside the checkout, is tests/test_wheel.py's."""

from __future__ import annotations

from pathlib import Path

import pytest

from red_aes import resources
from tests.conftest import REPO


def test_a_checkout_reads_the_folders_at_the_repository_root() -> None:
    assert resources.ROOT == REPO  # no packaged copy in a checkout: the sources are read in place
    for folder in resources.SHIPPED:
        assert (REPO / folder).is_dir(), folder
    assert resources.dataset_card_template() == REPO / "dataset_card" / "template.md"
    assert resources.model_card_template() == REPO / "model_card" / "template.md"
    assert resources.model_card_template("red-lite.md") == REPO / "model_card" / "red-lite.md"
    assert (resources.example_photos() / "LICENSES.csv").is_file()
    assert resources.example_config("data_laptop.yaml").parent == REPO / "examples" / "configs"


def test_an_installed_package_reads_its_packaged_copy(tmp_path: Path) -> None:
    package = tmp_path / "site-packages" / "red_aes"
    package.mkdir(parents=True)
    assert resources.shipped_root(package) == package.parent  # no copy: the folder around the package
    (package / resources.PACKAGED).mkdir()
    assert resources.shipped_root(package) == package / resources.PACKAGED


def test_a_missing_file_is_named_with_what_ships_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FileNotFoundError, match=r"RED-Aes ships model_card/nope\.md"):
        resources.model_card_template("nope.md")
    monkeypatch.setattr(resources, "ROOT", tmp_path)  # an installation that lost its copy
    with pytest.raises(FileNotFoundError, match=rf"{tmp_path}/dataset_card/template\.md not found"):
        resources.dataset_card_template()


def test_setup_py_maps_every_shipped_folder_into_the_package() -> None:
    """setup.py reads the folder list from resources.py (one declaration) before anything is installed."""
    import runpy

    seen: dict = {}
    setuptools = pytest.importorskip("setuptools")
    monkey = pytest.MonkeyPatch()
    monkey.setattr(setuptools, "setup", lambda **options: seen.update(options))
    try:
        runpy.run_path(str(REPO / "setup.py"), run_name="setup")
    finally:
        monkey.undo()
    expected = {f"red_aes._shipped.{folder.replace('/', '.')}": folder for folder in resources.SHIPPED}
    assert seen["package_dir"] == expected
    assert set(expected) <= set(seen["packages"]) and "red_aes.scoring" in seen["packages"]
    assert seen["package_data"]["red_aes.assets"] == ["red-lite/*"]
