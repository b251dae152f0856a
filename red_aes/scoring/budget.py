"""The visual-token budget of a Qwen-VL style processor: how many pixels each image is resized to.

This budget (``max_image_pixels``; Qwen's processor calls it ``max_pixels``, and the VLM scorer takes
that name too) resizes every accepted image before the model sees it. Not to be confused with the input
limit ``max_input_pixels`` of :func:`red_aes.images.load_image` and every scorer: images larger than
that are refused, never resized. Training saves it in the processor and ``red_aes.json``; the scorer,
the pipeline, judges, the app and evaluation read it back through :func:`resolve_image_budget`.
"""

from __future__ import annotations

from typing import Any

from red_aes.checkpoints import METADATA_FILE, ModelLoadError
from red_aes.errors import InputError

#: Pixels of one visual token of Qwen2.5-VL: 14-pixel patches merged 2 x 2, i.e. 28 x 28 pixels.
PIXELS_PER_VISUAL_TOKEN = 28 * 28
#: The visual-token budget per image used by training, the scorer, the pipeline, judges, app and eval.
DEFAULT_IMAGE_TOKENS = 512
#: :data:`DEFAULT_IMAGE_TOKENS` in pixels: 401,408 (e.g. 728 x 532 for a 4:3 photo, 494 tokens).
DEFAULT_MAX_IMAGE_PIXELS = DEFAULT_IMAGE_TOKENS * PIXELS_PER_VISUAL_TOKEN


def _pixel_size(processor: Any) -> dict[str, Any] | None:
    """The image processor's Qwen-VL style ``size`` (``shortest_edge``/``longest_edge`` in pixels)."""
    image_processor = getattr(processor, "image_processor", processor)
    size = getattr(image_processor, "size", None)
    if size is None:
        return None
    size = {k: v for k, v in dict(size).items() if v is not None}
    return size if "longest_edge" in size else None


def image_pixel_limits(processor: Any) -> tuple[int | None, int | None]:
    """(min, max) pixels per image of a Qwen-VL style processor; (None, None) for other processors."""
    size = _pixel_size(processor)
    if size is None:
        return None, None
    return size.get("shortest_edge"), int(size["longest_edge"])


def set_image_pixel_limits(
    processor: Any, max_image_pixels: int, min_image_pixels: int | None = None
) -> None:
    """Make the processor resize every image to at most ``max_image_pixels`` pixels (and at least
    ``min_image_pixels``).

    Raises :class:`ModelLoadError` for processors without a Qwen-VL style pixel budget. The lower bound
    is lowered to ``max_image_pixels`` when it would exceed it.
    """
    size = _pixel_size(processor)
    if size is None:
        image_processor = getattr(processor, "image_processor", processor)
        raise ModelLoadError(
            f"{type(image_processor).__name__} has no pixel budget (size.longest_edge); "
            "max_image_pixels needs a Qwen-VL style processor"
        )
    if max_image_pixels < 1:
        raise InputError(f"max_image_pixels must be positive, got {max_image_pixels}")
    size["longest_edge"] = int(max_image_pixels)
    if min_image_pixels is not None:
        size["shortest_edge"] = int(min_image_pixels)
    if "shortest_edge" in size:
        size["shortest_edge"] = min(int(size["shortest_edge"]), int(max_image_pixels))
    getattr(processor, "image_processor", processor).size = size


def resolve_image_budget(
    explicit: int | None, metadata: dict[str, Any], processor: Any
) -> tuple[int | None, str]:
    """(max pixels per image, where it came from) for a scorer.

    Precedence: ``explicit`` (``"argument"``) > the ``max_image_pixels`` that training or
    ``save_pretrained`` recorded in ``red_aes.json`` (``"red_aes.json"``) > the processor's own limit
    when it is tighter than the default (``"processor"``, e.g. the tiny test checkpoints) >
    :data:`DEFAULT_MAX_IMAGE_PIXELS` (``"default"``). Processors without a pixel budget give
    ``(None, "processor")``.
    """
    if explicit is not None:
        if explicit < 1:
            raise InputError(f"max_image_pixels must be positive, got {explicit}")
        return int(explicit), "argument"
    _, own = image_pixel_limits(processor)
    if own is None:
        return None, "processor"
    if metadata.get("max_image_pixels"):
        return int(metadata["max_image_pixels"]), METADATA_FILE
    if own < DEFAULT_MAX_IMAGE_PIXELS:
        return own, "processor"
    return DEFAULT_MAX_IMAGE_PIXELS, "default"
