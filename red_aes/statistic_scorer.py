"""Deprecated alias of :mod:`red_aes.scoring.statistics`; removed in the next release."""

import warnings

from red_aes.scoring.statistics import *  # noqa: F403

warnings.warn(
    "red_aes.statistic_scorer is deprecated; import from red_aes.scoring.statistics instead",
    FutureWarning,
    stacklevel=2,
)
