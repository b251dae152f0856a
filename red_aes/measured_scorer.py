"""Deprecated alias of :mod:`red_aes.scoring.measured`; removed in the next release."""

import warnings

from red_aes.scoring.measured import *  # noqa: F403

warnings.warn(
    "red_aes.measured_scorer is deprecated; import from red_aes.scoring.measured instead",
    FutureWarning,
    stacklevel=2,
)
