"""The scatter plot of an evaluation (red_aes.evaluation.plots)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from red_aes.evaluation.plots import plot_scatter
from red_aes.evaluation.runner import EvalResult


def test_the_scatter_is_a_png_and_its_figure_is_closed(measured_result: EvalResult, tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    path = plot_scatter(measured_result, tmp_path / "scatter.png")
    assert path == tmp_path / "scatter.png" and plt.get_fignums() == before
    with Image.open(path) as png:
        assert png.format == "PNG" and png.size == (660, 600)  # 5.5 x 5 inches at 120 dpi
        pixels = png.convert("RGB")
    assert len(set(pixels.getdata())) > 10  # points, axes and a title were drawn
