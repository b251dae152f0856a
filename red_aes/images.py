"""The one place that turns untrusted image inputs into safe RGB PIL images.

Accepts a path, raw bytes, a binary file object, a numpy array or a PIL image; applies the EXIF
orientation; converts every mode (L, LA, P, RGBA, CMYK, I;16, I, F, 1, ...) to 8-bit RGB, compositing
transparency on white; and refuses images above a pixel budget *before* decoding them, which guards
against decompression bombs. Every failure is an :class:`ImageLoadError` naming the input and the reason.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

ImageInput = str | os.PathLike | bytes | bytearray | IO[bytes] | np.ndarray | Image.Image

#: Default pixel budget (width * height): 64 megapixels, above any camera photo a user would score.
DEFAULT_MAX_PIXELS = 64_000_000


class ImageLoadError(ValueError):
    """An input could not be turned into an image; ``str()`` names the input and the reason."""

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason
        super().__init__(f"{name}: {reason}")


def describe(source: Any) -> str:
    """A short human name for an input, used in error messages."""
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    if isinstance(source, (bytes, bytearray)):
        return f"<{len(source)} bytes>"
    if isinstance(source, np.ndarray):
        return f"<array shape={source.shape} dtype={source.dtype}>"
    if isinstance(source, Image.Image):
        return f"<PIL image {source.mode} {source.width}x{source.height}>"
    return f"<{type(source).__name__}>"


def _check_budget(width: int, height: int, max_pixels: int | None, name: str) -> None:
    if width <= 0 or height <= 0:
        raise ImageLoadError(name, f"empty image ({width}x{height})")
    if max_pixels is not None and width * height > max_pixels:
        raise ImageLoadError(
            name,
            f"{width}x{height} = {width * height:,} pixels exceeds the budget of {max_pixels:,} pixels "
            "(raise max_pixels if you trust this file)",
        )


def _array_to_pil(array: np.ndarray, name: str) -> Image.Image:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageLoadError(name, "array must be HxW, HxWx1, HxWx3 or HxWx4")
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise ImageLoadError(name, "float array contains NaN or infinity")
        if array.min() < 0.0 or array.max() > 1.0:
            raise ImageLoadError(name, "float arrays must hold values in [0, 1]")
        array = np.round(array * 255.0).astype(np.uint8)
    elif array.dtype == np.uint16:
        array = (array.astype(np.uint32) * 255 // 65535).astype(np.uint8)
    elif array.dtype != np.uint8:
        raise ImageLoadError(
            name, f"unsupported array dtype {array.dtype} (use uint8, uint16, bool or float)"
        )
    return Image.fromarray(np.ascontiguousarray(array))


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB; transparency is composited on white."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        if image.mode == "F":
            scale = 1.0 if array.max(initial=0.0) <= 1.0 else 255.0
        else:
            scale = 65535.0 if image.mode.startswith("I;16") or array.max(initial=0) > 255 else 255.0
        gray = np.clip(np.round(array / scale * 255.0), 0, 255).astype(np.uint8)
        return Image.fromarray(gray).convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _open(source: Any, name: str, max_pixels: int | None) -> Image.Image:
    """Open a path/bytes/file input lazily, check its size, then decode it."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise ImageLoadError(name, "file not found")
        if path.is_dir():
            raise ImageLoadError(name, "is a directory, not an image file")
        stream: IO[bytes] = io.BytesIO(path.read_bytes())
    elif isinstance(source, (bytes, bytearray)):
        if not source:
            raise ImageLoadError(name, "empty bytes")
        stream = io.BytesIO(bytes(source))
    else:
        stream = source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream)
            _check_budget(image.width, image.height, max_pixels, name)
            image.load()
    except ImageLoadError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        reason = "not a recognised image format" if isinstance(err, UnidentifiedImageError) else str(err)
        raise ImageLoadError(name, reason) from err
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise ImageLoadError(name, f"corrupt or truncated image ({err})") from err
    return image


def load_image(source: ImageInput, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Return ``source`` as an 8-bit RGB PIL image with EXIF orientation applied.

    Raises :class:`ImageLoadError` for missing, corrupt, unsupported or over-budget inputs.
    """
    name = describe(source)
    if isinstance(source, Image.Image):
        _check_budget(source.width, source.height, max_pixels, name)
        image = source
    elif isinstance(source, np.ndarray):
        if source.ndim >= 2:
            _check_budget(source.shape[1], source.shape[0], max_pixels, name)
        image = _array_to_pil(source, name)
    elif isinstance(source, (str, os.PathLike, bytes, bytearray)) or hasattr(source, "read"):
        image = _open(source, name, max_pixels)
    else:
        raise ImageLoadError(
            name, "unsupported input type (give a path, bytes, a numpy array or a PIL image)"
        )
    try:
        image = ImageOps.exif_transpose(image)
    except Exception as err:  # malformed EXIF must not lose the image; orientation is then unknown
        warnings.warn(f"{name}: ignoring unreadable EXIF orientation ({err})", stacklevel=2)
    return _to_rgb(image)


def load_images(
    sources: list[ImageInput], *, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> list[Image.Image]:
    """``load_image`` over a list (all inputs are checked before any model work starts)."""
    return [load_image(source, max_pixels=max_pixels) for source in sources]
