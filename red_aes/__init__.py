"""RED-Aes: relative (edit-induced difference) image aesthetic assessment.

Scale and sign: scores are in [1, 10]; ``delta = score(edited) - score(original)`` in [-9, 9], positive
when the edit improved the photo.
"""

import importlib
import importlib.abc
import importlib.util
import sys
from typing import Any

from red_aes._version import __version__
from red_aes.errors import RedAesError
from red_aes.images import ImageLoadError, load_image
from red_aes.parsing import ParseError, parse_answer
from red_aes.prompts import PROMPT_VERSION
from red_aes.scoring import BaseScorer, available_scorers, load_scorer
from red_aes.types import (
    ATTRIBUTES,
    DELTA_MAX,
    DELTA_MIN,
    SCORE_MAX,
    SCORE_MIN,
    AestheticDelta,
    AestheticScore,
    Attribute,
    EditPlan,
    EditResult,
    Verdict,
)

#: Heavy public classes, imported on first access so that ``import red_aes`` stays light.
_LAZY = {"RedAesScorer": "red_aes.scoring.vlm", "RedAesPipeline": "red_aes.pipeline"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'red_aes' has no attribute {name!r}")


def _import_pipeline() -> None:
    """Import ``red_aes.pipeline``, which registers the ``"red-aes"`` task when it finishes loading."""
    importlib.import_module("red_aes.pipeline")


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs a callback right after a module is first imported.

    Registers the ``"red-aes"`` task as soon as ``transformers.pipelines`` is loaded, so that
    ``import red_aes`` does not pay for importing it (several seconds) and works in either import order.
    """

    def __init__(self, module: str, callback: Any) -> None:
        self.module, self.callback = module, callback

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.module:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_callback(module: Any) -> None:
            exec_module(module)
            self.callback()

        spec.loader.exec_module = exec_then_callback  # type: ignore[method-assign]
        return spec


if "transformers.pipelines" in sys.modules:
    _import_pipeline()
else:
    sys.meta_path.insert(0, _AfterImport("transformers.pipelines", _import_pipeline))

__all__ = [
    "ATTRIBUTES",
    "DELTA_MAX",
    "DELTA_MIN",
    "PROMPT_VERSION",
    "SCORE_MAX",
    "SCORE_MIN",
    "AestheticDelta",
    "AestheticScore",
    "Attribute",
    "BaseScorer",
    "EditPlan",
    "EditResult",
    "ImageLoadError",
    "ParseError",
    "RedAesError",
    "RedAesPipeline",
    "RedAesScorer",
    "Verdict",
    "__version__",
    "available_scorers",
    "load_image",
    "load_scorer",
    "parse_answer",
]
