"""Files of the repository root that the package reads: the card templates (``dataset_card/``,
``model_card/``) and the examples (``examples/photos``, ``examples/configs``).

Their one home is the repository root, where they are edited. A wheel carries a copy of each folder of
:data:`SHIPPED` inside the package, under ``red_aes/_shipped/`` (``setup.py`` reads :data:`SHIPPED`
and :data:`PACKAGED` from this file to map them), so an installed package finds them without a
checkout. :data:`ROOT` is that packaged copy when it exists (an installed wheel), else the checkout
(a source checkout or an editable install, where the copy is never made).

This module imports nothing but the standard library: ``setup.py`` runs it before any dependency is
installed.
"""

from __future__ import annotations

from pathlib import Path

#: The repository-root folders a wheel carries (paths relative to the repository root).
SHIPPED: tuple[str, ...] = ("dataset_card", "model_card", "examples/photos", "examples/configs")
#: Where inside the package a wheel carries them.
PACKAGED = "_shipped"
PACKAGE = Path(__file__).resolve().parent


def shipped_root(package: Path = PACKAGE) -> Path:
    """The folder that holds the :data:`SHIPPED` folders: ``package/_shipped`` in an installed wheel,
    else the checkout around ``package``."""
    packaged = package / PACKAGED
    return packaged if packaged.is_dir() else package.parent


#: The folder that holds the :data:`SHIPPED` folders in this installation.
ROOT = shipped_root()


def shipped_path(relative: str, root: Path | None = None) -> Path:
    """``relative`` (a path under one of the :data:`SHIPPED` folders, e.g. ``"model_card/template.md"``)
    in this installation; a FileNotFoundError naming it when it is missing."""
    root = ROOT if root is None else root
    path = root / relative
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: RED-Aes ships {relative} (the repository's {relative}, carried in the "
            "wheel); reinstall red-aes or run from a complete checkout"
        )
    return path


def dataset_card_template() -> Path:
    """The dataset card template, ``dataset_card/template.md``."""
    return shipped_path("dataset_card/template.md")


def model_card_template(name: str = "template.md") -> Path:
    """A model card template of ``model_card/``: ``template.md`` (VLM adapters) or ``red-lite.md``."""
    return shipped_path(f"model_card/{name}")


def example_photos() -> Path:
    """The bundled example photos, ``examples/photos`` (with their ``LICENSES.csv``)."""
    return shipped_path("examples/photos")


def example_config(name: str) -> Path:
    """An example build config of ``examples/configs``, e.g. ``"data_laptop.yaml"``."""
    return shipped_path(f"examples/configs/{name}")
