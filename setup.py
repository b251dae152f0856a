"""What the wheel carries besides the ``red_aes`` code: the RED-Lite weights and the repository-root
folders the package reads (card templates, example photos and configs).

The metadata is in ``pyproject.toml``; this file only maps each folder of
``red_aes.resources.SHIPPED`` (kept at the repository root, their one home) into the package as
``red_aes/_shipped/<folder>``, which ``pyproject.toml`` cannot express next to package discovery.
``red_aes/resources.py`` finds the packaged copy in an installed wheel and the root folders in a checkout.
"""

import runpy
from pathlib import Path

from setuptools import find_packages, setup

# resources.py imports only the standard library, so it runs before any dependency is installed
resources = runpy.run_path(str(Path(__file__).resolve().parent / "red_aes" / "resources.py"))
packaged = f"red_aes.{resources['PACKAGED']}"
shipped = {f"{packaged}.{folder.replace('/', '.')}": folder for folder in resources["SHIPPED"]}

setup(
    packages=[*find_packages(include=["red_aes*"]), "red_aes.assets", *shipped],
    package_dir=shipped,
    package_data={"red_aes.assets": ["red-lite/*"], **{name: ["*"] for name in shipped}},
)
