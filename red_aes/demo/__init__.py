"""The library side of the Gradio Space (``app.py``): nothing here imports Gradio, so every piece is
testable (and reusable) without the UI; ``app.py`` only wires it to components.

:mod:`.config` (flags, environment, backends with the offline fallback), :mod:`.actions` (the actions:
edit and assess, compare, score, cull) and :mod:`.views` (what they show: view models, HTML, tables,
credits).
"""

from red_aes.demo.actions import MAX_PROMPT_CHARS, MAX_SCORE_IMAGES, DemoActions
from red_aes.demo.config import (
    DEFAULT_EDITOR,
    DEFAULT_MODEL,
    OPTIONS,
    Backends,
    DemoConfig,
    load_backends,
    load_config,
    resolve_quantization,
    return_freed_memory,
)
from red_aes.demo.views import (
    ATTRIBUTE_COLUMNS,
    CULL_COLUMNS,
    RANKING_COLUMNS,
    SCALE_NOTE,
    CullView,
    PairView,
    RankingView,
    credits_markdown,
    delta_html,
    pending_html,
    photo_credits,
)

__all__ = [
    "ATTRIBUTE_COLUMNS",
    "CULL_COLUMNS",
    "DEFAULT_EDITOR",
    "DEFAULT_MODEL",
    "MAX_PROMPT_CHARS",
    "MAX_SCORE_IMAGES",
    "OPTIONS",
    "RANKING_COLUMNS",
    "SCALE_NOTE",
    "Backends",
    "CullView",
    "DemoActions",
    "DemoConfig",
    "PairView",
    "RankingView",
    "credits_markdown",
    "delta_html",
    "load_backends",
    "load_config",
    "pending_html",
    "photo_credits",
    "resolve_quantization",
    "return_freed_memory",
]
