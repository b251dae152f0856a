"""The data package (red_aes/data/__init__.py): its public names are the objects of their modules."""

from __future__ import annotations

import pytest

import red_aes.data
from red_aes.data.builder import build_dataset
from red_aes.data.config import BuildConfig
from red_aes.data.loading import load_red_dataset
from red_aes.data.publish import push_dataset
from red_aes.data.schema import DIRECTIONS, FEATURES, SPLITS, SchemaError


def test_every_public_name_is_the_object_of_its_module() -> None:
    expected = {
        "build_dataset": build_dataset,
        "BuildConfig": BuildConfig,
        "load_red_dataset": load_red_dataset,
        "push_dataset": push_dataset,
        "DIRECTIONS": DIRECTIONS,
        "FEATURES": FEATURES,
        "SPLITS": SPLITS,
        "SchemaError": SchemaError,
    }
    assert sorted(red_aes.data.__all__) == sorted(expected)
    for name, value in expected.items():
        assert getattr(red_aes.data, name) is value, name
    with pytest.raises(AttributeError, match=r"module 'red_aes\.data' has no attribute 'build'"):
        red_aes.data.build  # noqa: B018
