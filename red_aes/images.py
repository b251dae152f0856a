"""The one place that turns untrusted image inputs into safe RGB PIL images.

Accepts a path, raw bytes, a binary file object, a numpy array or a PIL image; applies the EXIF
orientation; converts every mode (L, LA, P, RGBA, CMYK, I;16, I, F, 1, ...) to 8-bit RGB, compositing
transparency on white; and refuses images above a pixel budget *before* decoding them, which guards
against decompression bombs. Every failure is an :class:`ImageLoadError` naming the input and the reason.

Working resolution is also decided here, once: ``load_image(..., long_side=WORKING_LONG_SIDE)`` returns
a *working copy* whose long side is at most 2048 px (area-averaged; JPEGs are decoded directly at a
reduced DCT scale), converted to RGB only after the reduction. Measuring and classical editing use it
unless the caller asks for full resolution, so a highly compressible upload (a 7.8 KB, 64-megapixel
1-bit PNG) costs one transient decode of at most ``max_pixels`` bytes per channel, not gigabytes of
float copies. :func:`load_images` adds a cap on the declared pixels of all images of one request,
checked from the file headers before anything is decoded.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from red_aes.errors import InputError

ImageInput = str | os.PathLike | bytes | bytearray | IO[bytes] | np.ndarray | Image.Image

#: Default pixel budget (width * height): 64 megapixels, above any camera photo a user would score.
DEFAULT_MAX_PIXELS = 64_000_000
#: Long side of the working copy measuring and classical editing run on (larger than any screen shows a
#: photo, and bounded: 2048 x 2048 x 3 float32 is 48 MB).
WORKING_LONG_SIDE = 2048
#: Declared pixels one multi-image request may decode in total (four full-budget photos, or e.g. 16
#: photos of 16 megapixels).
MAX_REQUEST_PIXELS = 4 * DEFAULT_MAX_PIXELS
UNSUPPORTED_INPUT = "unsupported input type (give a path, bytes, a numpy array or a PIL image)"
#: Modes PIL resamples with area averaging as they are (others are converted to RGB first).
_RESAMPLABLE = frozenset({"L", "LA", "RGB", "RGBA"})


class ImageLoadError(InputError):
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


def working_size(width: int, height: int, long_side: int | None) -> tuple[int, int]:
    """The size of a ``width`` x ``height`` image scaled (never up) so its long side is at most
    ``long_side`` (None: unchanged); each side stays at least 1 px."""
    if long_side is None or max(width, height) <= long_side:
        return width, height
    if long_side < 1:
        raise InputError(f"long_side must be a positive number of pixels, got {long_side}")
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _reduce(image: Image.Image, long_side: int | None) -> Image.Image:
    """``image`` area-averaged down to :func:`working_size` (unchanged when already small enough).
    A 1-bit image becomes 8-bit grey first (PIL resamples mode 1 by nearest neighbour only); modes PIL
    cannot area-average become RGB first."""
    size = working_size(image.width, image.height, long_side)
    if size == image.size:
        return image
    if image.mode == "1":
        image = image.convert("L")
    elif image.mode not in _RESAMPLABLE:
        image = _to_rgb(image)
    return image.resize(size, Image.Resampling.BOX)


def _bomb_reason(err: Exception, max_pixels: int | None) -> str:
    """The reason to give for Pillow's decompression-bomb check on a header: the pixel budget's own
    message when the image is over ``max_pixels`` (Pillow's check runs first, on images over about 89
    MP, so a 20000 x 20000 upload would otherwise get Pillow's wording)."""
    found = re.search(r"\((\d+) pixels\)", str(err))
    if found and max_pixels is not None and int(found.group(1)) > max_pixels:
        return (
            f"{int(found.group(1)):,} pixels exceeds the budget of {max_pixels:,} pixels "
            "(raise max_pixels if you trust this file)"
        )
    return f"{err} (Pillow's decompression-bomb limit)"


def _open_lazily(
    source: Any, name: str, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> tuple[Image.Image, IO[bytes]]:
    """Open a path/bytes/file input without decoding its pixels (the header only); ``max_pixels`` words
    the refusal of an image Pillow finds too large to open."""
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
            return Image.open(stream), stream
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        if isinstance(err, UnidentifiedImageError):
            raise ImageLoadError(name, "not a recognised image format") from err
        raise ImageLoadError(name, _bomb_reason(err, max_pixels)) from err
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise ImageLoadError(name, f"corrupt or truncated image ({err})") from err


def _open(source: Any, name: str, max_pixels: int | None, long_side: int | None) -> Image.Image:
    """Open a path/bytes/file input lazily, check its size, then decode it (a JPEG directly at the
    smallest DCT scale still at least the working size)."""
    image, _ = _open_lazily(source, name, max_pixels)
    _check_budget(image.width, image.height, max_pixels, name)
    try:
        if long_side is not None and image.format == "JPEG":
            image.draft(None, working_size(image.width, image.height, long_side))
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise ImageLoadError(name, f"corrupt or truncated image ({err})") from err
    return image


def declared_size(source: ImageInput, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """(width, height) of an input as its header declares it, without decoding any pixels. An image too
    large for Pillow to open is refused with the ``max_pixels`` budget's message."""
    name = describe(source)
    if isinstance(source, Image.Image):
        return source.size
    if isinstance(source, np.ndarray):
        if source.ndim < 2:
            raise ImageLoadError(name, "array must be HxW, HxWx1, HxWx3 or HxWx4")
        return source.shape[1], source.shape[0]
    if not (isinstance(source, (str, os.PathLike, bytes, bytearray)) or hasattr(source, "read")):
        raise ImageLoadError(name, UNSUPPORTED_INPUT)
    start = source.tell() if hasattr(source, "read") else None
    image, _ = _open_lazily(source, name, max_pixels)
    size = image.size
    if start is not None:
        source.seek(start)  # type: ignore[union-attr]
    return size


def load_image(
    source: ImageInput, *, max_pixels: int | None = DEFAULT_MAX_PIXELS, long_side: int | None = None
) -> Image.Image:
    """Return ``source`` as an 8-bit RGB PIL image with EXIF orientation applied.

    ``long_side`` (e.g. :data:`WORKING_LONG_SIDE`) returns the working copy: area-averaged so its long
    side is at most that many pixels (never upsampled); None keeps the native resolution. The pixel
    budget applies to the declared, native size. Raises :class:`ImageLoadError` for missing, corrupt,
    unsupported or over-budget inputs.
    """
    name = describe(source)
    if long_side is not None and long_side < 1:
        raise InputError(f"long_side must be a positive number of pixels, got {long_side}")
    if isinstance(source, Image.Image):
        _check_budget(source.width, source.height, max_pixels, name)
        image = source
    elif isinstance(source, np.ndarray):
        if source.ndim >= 2:
            _check_budget(source.shape[1], source.shape[0], max_pixels, name)
        image = _array_to_pil(source, name)
    elif isinstance(source, (str, os.PathLike, bytes, bytearray)) or hasattr(source, "read"):
        image = _open(source, name, max_pixels, long_side)
    else:
        raise ImageLoadError(name, UNSUPPORTED_INPUT)
    image = _reduce(image, long_side)
    try:
        image = ImageOps.exif_transpose(image)
    except Exception as err:  # malformed EXIF must not lose the image; orientation is then unknown
        warnings.warn(f"{name}: ignoring unreadable EXIF orientation ({err})", stacklevel=2)
    return _to_rgb(image)


def check_total_pixels(sizes: list[tuple[int, int]], max_total_pixels: int) -> None:
    """Refuse a request whose images' (width, height) ``sizes`` sum to more than ``max_total_pixels``
    (an :class:`ImageLoadError` naming the number of images)."""
    total = sum(width * height for width, height in sizes)
    if total > max_total_pixels:
        raise ImageLoadError(
            f"{len(sizes)} images",
            f"{total:,} pixels in total exceed the per-request budget of {max_total_pixels:,} pixels "
            "(send fewer or smaller images)",
        )


def load_images(
    sources: list[ImageInput],
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    long_side: int | None = None,
    max_total_pixels: int | None = None,
) -> list[Image.Image]:
    """``load_image`` over a list (all inputs are checked before any model work starts).

    ``max_total_pixels`` caps the declared pixels of all inputs together, read from their headers
    before any is decoded (ImageLoadError naming the request otherwise)."""
    if max_total_pixels is not None:
        check_total_pixels([declared_size(source) for source in sources], max_total_pixels)
    return [load_image(source, max_pixels=max_pixels, long_side=long_side) for source in sources]
