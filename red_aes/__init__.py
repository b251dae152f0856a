"""RED-Aes: relative (edit-induced difference) image aesthetic assessment.

Scale and sign: scores are in [1, 10]; ``delta = score(edited) - score(original)`` in [-9, 9], positive
when the edit improved the photo.

``import red_aes`` has no side effects beyond importing: it installs no import hook and does not import
transformers. The ``"red-aes"`` pipeline task is registered by ``import red_aes.pipeline`` (or the first
use of ``red_aes.RedAesPipeline``); see :mod:`red_aes.pipeline`.
"""

from red_aes._lazy import lazy_getattr
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

#: Heavy public classes, imported on first access so that ``import red_aes`` stays light (importing
#: ``RedAesPipeline`` registers the pipeline task).
__getattr__ = lazy_getattr(
    __name__, {"RedAesScorer": "red_aes.scoring.vlm", "RedAesPipeline": "red_aes.pipeline"}
)


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
