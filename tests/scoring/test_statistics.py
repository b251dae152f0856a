"""The single-statistic baselines (red_aes.scoring.statistics): the score keeps the statistic's order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from red_aes.editing.classical import ClassicalEditor
from red_aes.editing.operations import Operation
from red_aes.errors import InputError
from red_aes.images import load_image
from red_aes.scoring import load_scorer
from red_aes.scoring.statistics import STATISTICS, StatisticScorer, colorfulness, log_laplacian_variance


def test_statistic_baselines_keep_the_statistic_order(photo_paths: list[Path]) -> None:
    sharp = load_scorer("stat-sharpness")
    colour = load_scorer("stat-colorfulness")
    photo = load_image(photo_paths[3])
    blurred = ClassicalEditor().apply(photo, [Operation("blur", 4.0)]).image
    grey = photo.convert("L").convert("RGB")
    assert sharp.compare(photo, blurred).delta < 0
    assert colour.compare(photo, grey).delta < 0
    assert 1.0 < sharp.score(photo).score < 10.0


def test_scores_rank_images_exactly_as_their_statistic_does(photo_paths: list[Path]) -> None:
    """A photo and its copies blurred more and more: the scores fall in the order of the statistic."""
    photo = load_image(photo_paths[0])
    copies = [photo, *(photo.filter(ImageFilter.GaussianBlur(r)) for r in (0.5, 1.5, 4.0))]
    for name, statistic in (("stat-sharpness", log_laplacian_variance), ("stat-colorfulness", colorfulness)):
        scorer = StatisticScorer(name)
        values = [statistic(image) for image in copies]
        scores = [s.score for s in scorer.score(copies, decoding="fast")]
        assert np.argsort(scores).tolist() == np.argsort(values).tolist(), name
    values = [log_laplacian_variance(image) for image in copies]
    assert values == sorted(values, reverse=True)  # each blur removes detail


def test_flat_grey_has_no_detail_and_no_colour() -> None:
    grey = Image.new("RGB", (64, 64), (128, 128, 128))
    assert log_laplacian_variance(grey) == 0.0 and colorfulness(grey) == 0.0
    red = Image.new("RGB", (64, 64), (200, 20, 20))
    assert colorfulness(red) > 50.0  # 0.3 * |mean (rg, yb)| of a saturated red


def test_reasoning_names_the_statistic_and_unknown_names_are_refused() -> None:
    image = Image.new("RGB", (32, 32), (90, 140, 200))
    scorer = StatisticScorer.from_pretrained("stat-colorfulness")
    value = colorfulness(image)
    reasoned = scorer.score(image)
    assert reasoned.reasoning == f"{STATISTICS['stat-colorfulness'].description} {value:.3f}."
    assert scorer.score(image, decoding="fast").reasoning is None
    assert scorer.compare(image, image).delta == 0.0
    with pytest.raises(InputError, match="unknown statistic scorer 'stat-noise'; known: stat-sharpness"):
        StatisticScorer("stat-noise")
