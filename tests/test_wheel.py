"""The installed wheel works outside the checkout: ``scripts/wheel_check.sh`` builds it, installs it into a
new environment (red_aes from the wheel only, on this environment's locked dependencies) and runs the
first commands a user runs, from an empty folder outside the checkout, offline: compare, score, edit,
data build (the packaged laptop config), data card, lite train (tiny), eval --benchmark edit-ladder (the
packaged photos), demo --help and ``pipeline("red-aes")``. Each must exit 0 without a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_the_installed_wheel_works_outside_the_checkout() -> None:
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "wheel_check.sh"), sys.executable],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout[-6000:]}\n{done.stderr[-4000:]}"
    assert "== the installed wheel works outside the checkout" in done.stdout
