"""Deprecated alias of :mod:`red_aes.scoring.lite`; removed in the next release."""

import warnings

from red_aes.scoring.lite import *  # noqa: F403

warnings.warn(
    "red_aes.lite.scorer is deprecated; import from red_aes.scoring.lite instead",
    FutureWarning,
    stacklevel=2,
)
