"""Deprecated alias of :mod:`red_aes.scoring`; removed in the next release."""

import warnings

from red_aes.scoring import DECODINGS, MODES, SCORERS, BaseScorer, available_scorers, load_scorer  # noqa: F401

warnings.warn(
    "red_aes.scorers is deprecated; import from red_aes.scoring instead",
    FutureWarning,
    stacklevel=2,
)
