"""The one place that turns untrusted image inputs into safe RGB PIL images.

Accepts a path, raw bytes, a binary file object, a numpy array or a PIL image; applies the EXIF
orientation; converts every mode (L, LA, P, RGBA, CMYK, I;16, I, F, 1, ...) to 8-bit RGB, compositing
transparency on white; reads HEIC/HEIF (what phones save) when the ``heif`` extra (pillow-heif) is
installed, and says so when it is not; and refuses images above an input limit (``max_input_pixels``) *before*
decoding them, which guards against decompression bombs. A valid PNG whose text or ICC metadata exceeds
Pillow's limits loads without that metadata (Pillow's process-wide limits are left alone). Every failure
is an :class:`ImageLoadError` naming the input and the reason.

Working resolution is also decided here, once: ``load_image(..., long_side=WORKING_LONG_SIDE)`` returns
a *working copy* whose long side is at most 2048 px (area-averaged; JPEGs, MPO included, are decoded
directly at a reduced DCT scale when it is at least that size), converted to RGB only after the
reduction. Measuring and classical editing use it unless the caller asks for full resolution, so a highly
compressible upload (a 7.8 KB, 64-megapixel 1-bit PNG) costs one transient decode of at most
``max_input_pixels`` bytes per channel, not gigabytes of float copies. :func:`load_images` adds a cap on
the declared pixels of all images of one request, checked from the file headers before anything is
decoded.
"""

from __future__ import annotations

import functools
import io
import os
import re
import struct
import warnings
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin, UnidentifiedImageError

from red_aes.errors import InputError

ImageInput = str | os.PathLike | bytes | bytearray | IO[bytes] | np.ndarray | Image.Image

#: Default input limit (width * height): 64 megapixels, above any camera photo a user would score. A
#: larger image is refused, never resized; not to be confused with a Qwen-VL processor's ``max_pixels``
#: (the VLM's resize budget, ``max_image_pixels`` here, :mod:`red_aes.scoring.budget`).
DEFAULT_MAX_INPUT_PIXELS = 64_000_000
#: Long side of the working copy measuring and classical editing run on (larger than any screen shows a
#: photo, and bounded: 2048 x 2048 x 3 float32 is 48 MB).
WORKING_LONG_SIDE = 2048
#: Declared pixels one multi-image request may decode in total (four photos at the input limit, or e.g. 16
#: photos of 16 megapixels).
MAX_REQUEST_PIXELS = 4 * DEFAULT_MAX_INPUT_PIXELS
UNSUPPORTED_INPUT = "unsupported input type (give a path, bytes, a numpy array or a PIL image)"
#: Modes PIL resamples with area averaging as they are (others are converted to RGB first).
_RESAMPLABLE = frozenset({"L", "LA", "RGB", "RGBA"})
#: What Pillow raises for a file it cannot parse or decode.
_UNREADABLE = (OSError, SyntaxError, ValueError, EOFError)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: PNG chunks holding text or an ICC profile: metadata Pillow refuses past its text limits.
_PNG_METADATA = frozenset({b"tEXt", b"zTXt", b"iTXt", b"iCCP"})


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


def _check_budget(width: int, height: int, max_input_pixels: int | None, name: str) -> None:
    if width <= 0 or height <= 0:
        raise ImageLoadError(name, f"empty image ({width}x{height})")
    if max_input_pixels is not None and width * height > max_input_pixels:
        raise ImageLoadError(
            name,
            f"{width}x{height} = {width * height:,} pixels exceeds the budget of {max_input_pixels:,} pixels "
            "(raise max_input_pixels if you trust this file)",
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


def _reduce(
    image: Image.Image, size: tuple[int, int], box: tuple[float, float, float, float] | None = None
) -> Image.Image:
    """``image`` (its ``box`` region when given) area-averaged down to ``size``; unchanged when already
    that size. A 1-bit image becomes 8-bit grey first (PIL resamples mode 1 by nearest neighbour only);
    modes PIL cannot area-average become RGB first."""
    if size == image.size:
        return image
    if image.mode == "1":
        image = image.convert("L")
    elif image.mode not in _RESAMPLABLE:
        image = _to_rgb(image)
    return image.resize(size, Image.Resampling.BOX, box=box)


def _bomb_reason(err: Exception, max_input_pixels: int | None) -> str:
    """The reason to give for Pillow's decompression-bomb check on a header: the input limit's own
    message when the image is over ``max_input_pixels`` (Pillow's check runs first, on images over about
    89 MP, so a 20000 x 20000 upload would otherwise get Pillow's wording)."""
    found = re.search(r"\((\d+) pixels\)", str(err))
    if found and max_input_pixels is not None and int(found.group(1)) > max_input_pixels:
        return (
            f"{int(found.group(1)):,} pixels exceeds the budget of {max_input_pixels:,} pixels "
            "(raise max_input_pixels if you trust this file)"
        )
    return f"{err} (Pillow's decompression-bomb limit)"


def _metadata_size(data: bytes, kind: bytes, start: int, end: int, limit: int) -> int:
    """Bytes in the value of the PNG text or ICC chunk ``kind`` whose data is ``data[start:end]``. A
    compressed value is inflated to at most ``limit + 1`` bytes, so a zlib bomb costs no more; a value
    Pillow skips (no separator, unknown compression, undecodable data) counts 0."""
    value = data.find(b"\0", start, end) + 1  # after the keyword (or profile name) and its separator
    if value == 0:
        return 0
    if kind == b"tEXt" or (kind == b"iTXt" and data[value : value + 1] == b"\0"):  # stored uncompressed
        return end - value
    if kind == b"iTXt":  # compression flag and method, language, 0, translated keyword, 0, text
        language_end = data.find(b"\0", value + 2, end)
        keyword_end = data.find(b"\0", language_end + 1, end) if language_end >= 0 else -1
        if keyword_end < 0 or data[value + 1 : value + 2] != b"\0":
            return 0
        value = keyword_end + 1
    else:  # zTXt, iCCP: the compression method byte, then the zlib stream
        value += 1
    try:
        return len(zlib.decompressobj().decompress(memoryview(data)[value:end], limit + 1))
    except zlib.error:
        return 0


def _png_without_oversized_metadata(data: bytes) -> bytes | None:
    """``data`` (a PNG) without the text and ICC chunks Pillow refuses: each whose value is over
    ``PngImagePlugin.MAX_TEXT_CHUNK`` bytes, and the text past ``MAX_TEXT_MEMORY`` bytes in all; every
    other chunk is kept byte for byte. None when there is no such chunk, or ``data`` is not a PNG.

    Pillow's limits stay as they are (process-wide settings, and a guard against decompression bombs):
    this costs one copy of the file plus at most ``MAX_TEXT_CHUNK + 1`` inflated bytes at a time."""
    if not data.startswith(_PNG_SIGNATURE):
        return None
    chunk_limit, text_limit = PngImagePlugin.MAX_TEXT_CHUNK, PngImagePlugin.MAX_TEXT_MEMORY
    view, kept, kept_from, text = memoryview(data), [], 0, 0
    position = len(_PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 12 + length  # length and type, data, CRC
        if kind in _PNG_METADATA:
            size = _metadata_size(data, kind, position + 8, min(end - 4, len(data)), chunk_limit)
            is_text = kind != b"iCCP"
            if size > chunk_limit or (is_text and text + size > text_limit):
                kept.append(view[kept_from:position])
                kept_from = end
            elif is_text:
                text += size
        position = end
    if not kept:
        return None
    kept.append(view[kept_from:])
    return b"".join(kept)


def _lean_png(stream: IO[bytes]) -> IO[bytes] | None:
    """The PNG in ``stream`` without its oversized text and ICC chunks, as a new stream; None when it has
    none or is not a PNG (see :func:`_png_without_oversized_metadata`)."""
    stream.seek(0)
    lean = _png_without_oversized_metadata(stream.read())
    return None if lean is None else io.BytesIO(lean)


#: Why a HEIC/HEIF file cannot be read here.
HEIF_MISSING = "HEIC/HEIF needs pillow-heif (the heif extra: pip install pillow-heif), which is not installed"
#: ISO-BMFF brands of HEIF still images (bytes 8-12 of the file, after ``ftyp``).
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")


@functools.cache
def heif_available() -> bool:
    """Whether HEIC/HEIF files can be read: ``pillow_heif`` is importable. Registers its Pillow opener
    (once, on first call: importing it costs ~70 ms, so only a file Pillow cannot identify pays it)."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def _looks_like_heif(stream: IO[bytes]) -> bool:
    stream.seek(0)
    head = stream.read(12)
    stream.seek(0)
    return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS


def _pil_open(stream: IO[bytes]) -> Image.Image:
    """``Image.open`` (the header only) with Pillow's decompression-bomb warning raised as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return Image.open(stream)


def _open_lazily(
    source: Any, name: str, max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS
) -> tuple[Image.Image, IO[bytes]]:
    """Open a path/bytes/file input without decoding its pixels (the header only) and return it with the
    stream it reads; ``max_input_pixels`` words the refusal of an image Pillow finds too large to open. A PNG
    whose text or ICC chunks before the pixel data exceed Pillow's limits is opened without them."""
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
        try:
            return _pil_open(stream), stream
        except ValueError:
            lean = _lean_png(stream)
            if lean is None:
                raise
            return _pil_open(lean), lean
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        if isinstance(err, UnidentifiedImageError):
            if _looks_like_heif(stream):
                if not heif_available():
                    raise ImageLoadError(name, HEIF_MISSING) from err
                return _open_heif(stream, name), stream
            raise ImageLoadError(name, "not a recognised image format") from err
        raise ImageLoadError(name, _bomb_reason(err, max_input_pixels)) from err
    except _UNREADABLE as err:
        raise ImageLoadError(name, f"corrupt or truncated image ({err})") from err


def _load(image: Image.Image, size: tuple[int, int]) -> tuple[float, float, float, float] | None:
    """Decode ``image``'s pixels for a copy of ``size``. A JPEG (MPO included: phones' multi-picture
    JPEGs) is decoded at the smallest DCT scale (1/2, 1/4 or 1/8) still at least ``size``, which costs
    about what that size costs; its EXIF stays. Returns the region of the decoded pixels its native
    pixels cover (a scaled decode pads a partial last block), None for all of them."""
    box = None
    if size != image.size and isinstance(image, JpegImagePlugin.JpegImageFile):
        drafted = image.draft(None, size)
        if drafted is not None:
            box = drafted[1]
    image.load()
    return box


def _open_heif(stream: IO[bytes], name: str) -> Image.Image:
    """``Image.open`` of a HEIF stream once its opener is registered (:func:`heif_available`)."""
    stream.seek(0)
    try:
        return _pil_open(stream)
    except (UnidentifiedImageError, ValueError, OSError) as err:  # its text names a stream object
        raise ImageLoadError(name, "corrupt or truncated HEIC/HEIF image") from err


def _open(source: Any, name: str, max_input_pixels: int | None, long_side: int | None) -> Image.Image:
    """Open a path/bytes/file input lazily, check its declared size against the limit, then decode its
    working copy (:func:`working_size` of the native size), area-averaging what the decode leaves over
    the region the native pixels cover, so a JPEG's copy matches its full decode reduced. A PNG whose text
    or ICC chunks after the pixel data exceed Pillow's limits is decoded again without them."""
    image, stream = _open_lazily(source, name, max_input_pixels)
    _check_budget(image.width, image.height, max_input_pixels, name)
    size = working_size(image.width, image.height, long_side)
    try:
        try:
            box = _load(image, size)
        except ValueError:
            lean = _lean_png(stream)
            if lean is None:
                raise
            image = _pil_open(lean)
            box = _load(image, size)
    except _UNREADABLE as err:
        raise ImageLoadError(name, f"corrupt or truncated image ({err})") from err
    return _reduce(image, size, box)


def declared_size(
    source: ImageInput, max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS
) -> tuple[int, int]:
    """(width, height) of an input as its header declares it, without decoding any pixels. An image too
    large for Pillow to open is refused with the input limit's (``max_input_pixels``) message."""
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
    image, _ = _open_lazily(source, name, max_input_pixels)
    size = image.size
    if start is not None:
        source.seek(start)  # type: ignore[union-attr]
    return size


def load_image(
    source: ImageInput,
    *,
    max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS,
    long_side: int | None = None,
) -> Image.Image:
    """Return ``source`` as an 8-bit RGB PIL image with EXIF orientation applied.

    ``long_side`` (e.g. :data:`WORKING_LONG_SIDE`) returns the working copy: area-averaged so its long
    side is at most that many pixels (never upsampled); None keeps the native resolution.
    ``max_input_pixels`` is the input limit: an image whose declared, native size has more pixels is
    refused (None: no limit); it never resizes. Raises :class:`ImageLoadError` for missing, corrupt,
    unsupported or over-limit inputs.
    """
    name = describe(source)
    if long_side is not None and long_side < 1:
        raise InputError(f"long_side must be a positive number of pixels, got {long_side}")
    if isinstance(source, Image.Image):
        _check_budget(source.width, source.height, max_input_pixels, name)
        image = source
    elif isinstance(source, np.ndarray):
        if source.ndim >= 2:
            _check_budget(source.shape[1], source.shape[0], max_input_pixels, name)
        image = _array_to_pil(source, name)
    elif isinstance(source, (str, os.PathLike, bytes, bytearray)) or hasattr(source, "read"):
        image = _open(source, name, max_input_pixels, long_side)
    else:
        raise ImageLoadError(name, UNSUPPORTED_INPUT)
    image = _reduce(image, working_size(image.width, image.height, long_side))
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
    max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS,
    long_side: int | None = None,
    max_total_pixels: int | None = None,
) -> list[Image.Image]:
    """``load_image`` over a list (all inputs are checked before any model work starts).

    ``max_total_pixels`` caps the declared pixels of all inputs together, read from their headers
    before any is decoded (ImageLoadError naming the request otherwise)."""
    if max_total_pixels is not None:
        check_total_pixels([declared_size(source) for source in sources], max_total_pixels)
    return [load_image(source, max_input_pixels=max_input_pixels, long_side=long_side) for source in sources]
