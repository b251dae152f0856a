"""Deprecated alias of :mod:`red_aes.scoring.decoding`; removed in the next release."""

import warnings

from red_aes.scoring.decoding import *  # noqa: F403

warnings.warn(
    "red_aes.decoding is deprecated; import from red_aes.scoring.decoding instead",
    FutureWarning,
    stacklevel=2,
)
