"""Deprecated alias of :mod:`red_aes.scoring.vlm` (with the names that moved to
:mod:`red_aes.checkpoints` and :mod:`red_aes.scoring.budget`); removed in the next release."""

import warnings

from red_aes.checkpoints import *  # noqa: F403
from red_aes.scoring.budget import *  # noqa: F403
from red_aes.scoring.vlm import *  # noqa: F403

warnings.warn(
    "red_aes.scorer is deprecated; import RedAesScorer from red_aes.scoring.vlm (or red_aes), "
    "metadata helpers from red_aes.checkpoints",
    FutureWarning,
    stacklevel=2,
)
