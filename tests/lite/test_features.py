"""The RED-Lite feature vector (red_aes.lite.features): its size, its named groups and its measured part."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from red_aes.images import load_image
from red_aes.lite.features import DECREASING, MEASURED, FeatureConfig, FeatureExtractor, measured_vector
from red_aes.measure import measure_image

MEASURED_NAMES = list(MEASURED)


def test_the_vector_has_its_declared_size_and_every_index_is_in_one_group(photo_paths: list[Path]) -> None:
    extractor = FeatureExtractor(FeatureConfig(long_side=128))
    image = load_image(photo_paths[0])
    vector, measured = extractor.extract(image)
    assert vector.dtype == np.float32 and vector.shape == (extractor.dim,) and np.isfinite(vector).all()
    assert np.array_equal(extractor(image), vector)  # deterministic
    assert np.array_equal(vector[-len(MEASURED) :], measured_vector(measured))  # the measured part is last
    groups = extractor.groups()
    indices = np.concatenate(list(groups.values()))
    assert sorted(indices.tolist()) == list(range(extractor.dim))  # a partition of the vector
    assert set(groups) == {"overall look", *(group for group, _ in MEASURED.values())}
    assert len(groups["overall look"]) == extractor.dim - len(MEASURED)  # every deep statistic
    assert [MEASURED_NAMES[i - (extractor.dim - len(MEASURED))] for i in extractor.decreasing()] == list(
        DECREASING
    )


def test_the_measured_part_is_transformed_statistics_of_the_image() -> None:
    grey = Image.new("RGB", (64, 64), (118, 118, 118))
    vector = measured_vector(measure_image(grey, max_input_pixels=None))
    assert vector.dtype == np.float32 and vector.shape == (len(MEASURED),)
    assert (
        vector[MEASURED_NAMES.index("saturation")] == 0.0
        and vector[MEASURED_NAMES.index("colorfulness")] == 0.0
    )


def test_the_feature_cache_key_follows_the_measured_statistics(monkeypatch) -> None:
    """A cache written before a measured statistic was added, its transform changed or its estimator
    revised (``MEASURED_REVISION``) is not reused."""
    from red_aes.lite import features
    from red_aes.train.lite.synthetic import LadderConfig

    config = FeatureConfig()
    before = LadderConfig().key(config.cache_identity())
    assert before == LadderConfig().key(FeatureConfig().cache_identity())  # deterministic
    monkeypatch.setattr(features, "MEASURED_REVISION", features.MEASURED_REVISION + 1)
    revised = LadderConfig().key(config.cache_identity())
    assert revised != before  # a statistic computed differently under the same name
    monkeypatch.setitem(features.MEASURED, "detail_energy", ("detail", "identity"))
    assert LadderConfig().key(config.cache_identity()) not in (before, revised)


def test_the_cached_block_input_gives_back_the_vector_through_the_same_blocks(
    photo_paths: list[Path],
) -> None:
    """What fine-tuning caches (the input of block 10, float16) and runs (the blocks from it, then the
    pooling) gives the vector :meth:`FeatureExtractor.embed` gives, within float16 rounding."""
    import torch

    extractor = FeatureExtractor(FeatureConfig(long_side=256))
    prepared = extractor.prepare(load_image(photo_paths[0]))
    vector, block_input = extractor.embed_with_input(prepared, 10)
    assert np.array_equal(vector, extractor.embed(prepared))
    deep = extractor.dim - len(MEASURED)
    with torch.no_grad():
        again = extractor.deep_features(block_input.to(torch.float16).float(), 10)[0].numpy()
    np.testing.assert_allclose(again, vector[:deep], rtol=0.02, atol=0.02)
    with torch.no_grad():
        earlier = extractor.deep_features(extractor.embed_with_input(prepared, 8)[1], 8)[0].numpy()
    np.testing.assert_allclose(earlier, vector[:deep], rtol=1e-5, atol=1e-5)
