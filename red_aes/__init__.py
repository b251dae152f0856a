"""RED-Aes: relative (edit-induced difference) image aesthetic assessment.

Scale and sign: scores are in [1, 10]; ``delta = score(edited) - score(original)`` in [-9, 9], positive
when the edit improved the photo.
"""

from red_aes.images import ImageLoadError, load_image
from red_aes.parsing import ParseError, parse_answer
from red_aes.prompts import PROMPT_VERSION
from red_aes.scorers import BaseScorer, load_scorer
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

__version__ = "0.1.0"

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
    "Verdict",
    "load_image",
    "load_scorer",
    "parse_answer",
]
