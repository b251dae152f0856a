"""The package's public API (red_aes/__init__.py): every name of ``__all__`` is there, the heavy classes
are the ones of their modules, loaded on first use."""

from __future__ import annotations

import pytest

import red_aes
from red_aes.errors import RedAesError
from red_aes.scoring import load_scorer


def test_every_public_name_resolves_to_the_object_of_its_module() -> None:
    from red_aes.pipeline import RedAesPipeline
    from red_aes.scoring.vlm import RedAesScorer

    assert all(hasattr(red_aes, name) for name in red_aes.__all__)
    assert red_aes.RedAesScorer is RedAesScorer and red_aes.RedAesPipeline is RedAesPipeline
    assert red_aes.load_scorer is load_scorer and red_aes.RedAesError is RedAesError
    with pytest.raises(AttributeError, match="module 'red_aes' has no attribute 'RedAesModel'"):
        red_aes.RedAesModel  # noqa: B018
