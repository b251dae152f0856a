"""The scoring package (red_aes/scoring/__init__.py): the scorer registry and what each entry says, what
importing and listing scorers loads, and that the module names before 0.1.0 are gone."""

from __future__ import annotations

import importlib
import json

import pytest
from launch import run_python

from red_aes.registry import RegistryError
from red_aes.scoring import SCORERS, ScorerEntry, available_scorers, load_scorer
from red_aes.scoring.base import BaseScorer


def test_registry_names_what_exists_and_checks_options_before_building() -> None:
    assert available_scorers() == ["endpoint", "measured", "red-lite", "stat-colorfulness", "stat-sharpness"]
    with pytest.raises(RegistryError, match="unknown options for the stat-sharpness scorer: adapter"):
        load_scorer("stat-sharpness", adapter="x")
    with pytest.raises(ValueError, match="batch_size, max_pixels"):  # what it takes, listed
        load_scorer("stat-sharpness", device="cpu")
    assert SCORERS.accepts("red-lite", "adapter") and not SCORERS.accepts("measured", "device")
    assert SCORERS.accepts("some/vlm-id", "quantization")  # any other name is the VLM


def test_scoring_imports_no_data_training_or_ui_library() -> None:
    """``import red_aes.scoring`` (a fresh interpreter) loads none of datasets, trl, gradio, diffusers."""
    heavy = ("datasets", "trl", "gradio", "diffusers")
    result = run_python(f"import sys, red_aes.scoring; print([m for m in {heavy!r} if m in sys.modules])")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_listing_scorers_and_reading_their_metadata_import_no_backend() -> None:
    code = (
        "import json, sys\n"
        "from red_aes.scoring import SCORERS, available_scorers\n"
        "available_scorers()\n"
        "kinds = {n: SCORERS.entry(n).description for n in [*SCORERS, 'owner/any-vlm']}\n"
        "print(json.dumps([kinds, sorted(m for m in sys.modules if m.startswith('red_aes.scoring.'))]))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    kinds, modules = json.loads(result.stdout)
    assert modules == ["red_aes.scoring.base"]
    assert "vision-language model" in kinds["owner/any-vlm"] and "RED-Lite" in kinds["red-lite"]


@pytest.mark.parametrize(
    "old",
    [
        "red_aes.scorer",
        "red_aes.scorers",
        "red_aes.decoding",
        "red_aes.measured_scorer",
        "red_aes.statistic_scorer",
        "red_aes.lite.scorer",
    ],
)
def test_the_module_names_before_0_1_0_do_not_import(old: str) -> None:
    with pytest.raises(ModuleNotFoundError, match=old):
        importlib.import_module(old)


def test_every_scorer_entry_says_what_its_class_says() -> None:
    """Relative or absolute, score range and direction: the registry (read without importing a backend)
    agrees with each backend class, the VLM fallback included."""
    from red_aes.scoring.vlm import RedAesScorer

    entries = {name: SCORERS[name] for name in SCORERS} | {"some/vlm": SCORERS.entry("some/vlm")}
    for name, entry in entries.items():
        assert isinstance(entry, ScorerEntry) and entry.description, name
        cls = SCORERS.target(name).__self__  # the targets are the classes' from_pretrained
        assert issubclass(cls, BaseScorer)
        assert (entry.relative, entry.score_range, entry.higher_is_better) == (
            cls.relative,
            cls.score_range,
            cls.higher_is_better,
        ), name
    assert SCORERS.target("some/vlm").__self__ is RedAesScorer
    assert [n for n in SCORERS if not SCORERS[n].relative] == [
        "measured",
        "red-lite",
        "stat-colorfulness",
        "stat-sharpness",
    ]
