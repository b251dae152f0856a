"""The image intake: every PIL mode and array becomes RGB; bad inputs fail with the input and a reason."""

from __future__ import annotations

import functools
import io
import struct
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps, PngImagePlugin

from red_aes.images import (
    DEFAULT_MAX_INPUT_PIXELS,
    MAX_REQUEST_PIXELS,
    WORKING_LONG_SIDE,
    ImageLoadError,
    declared_size,
    heif_available,
    load_image,
    load_images,
    working_size,
)


def _png_bytes(image: Image.Image, **save: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **save)
    return buffer.getvalue()


def _pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    return list(image.getdata())


# -- PIL modes -----------------------------------------------------------------------------------
def _palette_with_transparency() -> bytes:
    image = Image.new("P", (2, 1))
    image.putpalette([255, 0, 0, 0, 255, 0] + [0] * (256 * 3 - 6))
    image.putpixel((0, 0), 0)
    image.putpixel((1, 0), 1)
    return _png_bytes(image, transparency=0)  # palette entry 0 (red) is transparent


MODES = [
    # name, image, expected RGB pixels
    ("L", Image.new("L", (2, 1), 77), [(77, 77, 77)] * 2),
    ("LA transparent", Image.new("LA", (2, 1), (0, 0)), [(255, 255, 255)] * 2),
    ("LA opaque", Image.new("LA", (2, 1), (40, 255)), [(40, 40, 40)] * 2),
    ("RGBA opaque", Image.new("RGBA", (2, 1), (10, 20, 30, 255)), [(10, 20, 30)] * 2),
    ("RGBA transparent", Image.new("RGBA", (2, 1), (10, 20, 30, 0)), [(255, 255, 255)] * 2),
    ("CMYK white", Image.new("CMYK", (2, 1), (0, 0, 0, 0)), [(255, 255, 255)] * 2),
    ("CMYK cyan", Image.new("CMYK", (2, 1), (255, 0, 0, 0)), [(0, 255, 255)] * 2),
    ("I;16", Image.fromarray(np.array([[0, 65535]], dtype=np.uint16)), [(0, 0, 0), (255, 255, 255)]),
    ("I 8-bit range", Image.fromarray(np.array([[0, 200]], dtype=np.int32)), [(0, 0, 0), (200, 200, 200)]),
    ("I 16-bit range", Image.fromarray(np.array([[0, 65535]], dtype=np.int32)), [(0, 0, 0), (255, 255, 255)]),
    ("F", Image.fromarray(np.array([[0.0, 1.0]], dtype=np.float32)), [(0, 0, 0), (255, 255, 255)]),
    ("1", Image.new("1", (2, 1), 1), [(255, 255, 255)] * 2),
    (
        "P with transparency",
        Image.open(io.BytesIO(_palette_with_transparency())),
        [(255, 255, 255), (0, 255, 0)],
    ),
]


@pytest.mark.parametrize(("name", "image", "expected"), MODES, ids=[m[0] for m in MODES])
def test_every_mode_becomes_rgb(name: str, image: Image.Image, expected: list[tuple[int, int, int]]) -> None:
    rgb = load_image(image)
    assert rgb.mode == "RGB"
    assert rgb.size == image.size
    assert _pixels(rgb) == expected


def test_mode_of_the_source_image_is_preserved() -> None:
    source = Image.new("RGBA", (2, 1), (1, 2, 3, 0))
    load_image(source)
    assert source.mode == "RGBA" and source.getpixel((0, 0)) == (1, 2, 3, 0)


# -- numpy arrays --------------------------------------------------------------------------------
ARRAYS = [
    ("uint8 HxW", np.full((3, 2), 9, np.uint8), (9, 9, 9)),
    ("uint8 HxWx1", np.full((3, 2, 1), 9, np.uint8), (9, 9, 9)),
    ("uint8 HxWx3", np.tile(np.array([1, 2, 3], np.uint8), (3, 2, 1)), (1, 2, 3)),
    ("uint8 HxWx4 opaque", np.tile(np.array([1, 2, 3, 255], np.uint8), (3, 2, 1)), (1, 2, 3)),
    ("uint8 HxWx4 transparent", np.tile(np.array([1, 2, 3, 0], np.uint8), (3, 2, 1)), (255, 255, 255)),
    ("uint16", np.full((3, 2), 65535, np.uint16), (255, 255, 255)),
    ("bool", np.ones((3, 2), np.bool_), (255, 255, 255)),
    ("float32", np.full((3, 2, 3), 1.0, np.float32), (255, 255, 255)),
    ("float64", np.zeros((3, 2), np.float64), (0, 0, 0)),
]


@pytest.mark.parametrize(("name", "array", "pixel"), ARRAYS, ids=[a[0] for a in ARRAYS])
def test_supported_arrays(name: str, array: np.ndarray, pixel: tuple[int, int, int]) -> None:
    image = load_image(array)
    assert image.mode == "RGB"
    assert image.size == (2, 3)  # (width, height) from an HxW array
    assert set(_pixels(image)) == {pixel}


BAD_ARRAYS = [
    ("float out of range", np.full((2, 2), 2.0, np.float32), "[0, 1]"),
    ("float NaN", np.full((2, 2), np.nan, np.float32), "NaN"),
    ("int64", np.zeros((2, 2), np.int64), "unsupported array dtype int64"),
    ("two channels", np.zeros((2, 2, 2), np.uint8), "HxW, HxWx1, HxWx3 or HxWx4"),
    ("1-D", np.zeros(4, np.uint8), "HxW, HxWx1, HxWx3 or HxWx4"),
]


@pytest.mark.parametrize(("name", "array", "reason"), BAD_ARRAYS, ids=[a[0] for a in BAD_ARRAYS])
def test_bad_arrays_name_the_input_and_reason(name: str, array: np.ndarray, reason: str) -> None:
    with pytest.raises(ImageLoadError) as info:
        load_image(array)
    assert str(info.value).startswith(f"<array shape={array.shape} dtype={array.dtype}>")
    assert reason in str(info.value)


# -- paths, bytes, file objects ------------------------------------------------------------------
def test_path_bytes_and_file_object_give_the_same_image(photo_paths: list[Path]) -> None:
    path = photo_paths[0]
    data = path.read_bytes()
    images = [load_image(path), load_image(str(path)), load_image(data), load_image(io.BytesIO(data))]
    expected = np.asarray(Image.open(path).convert("RGB"))
    for image in images:
        assert image.mode == "RGB"
        assert np.array_equal(np.asarray(image), expected)


def test_grayscale_photo_file_becomes_rgb(photos_dir: Path) -> None:
    image = load_image(photos_dir / "camera.png")  # an L-mode PNG
    array = np.asarray(image)
    assert image.mode == "RGB" and array.shape == (512, 512, 3)
    assert np.array_equal(array[..., 0], array[..., 2])


def test_exif_orientation_is_applied() -> None:
    stored = Image.new("RGB", (32, 16), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 16, 16))  # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", exif=exif.tobytes(), quality=95)
    image = load_image(buffer.getvalue())
    assert image.size == (16, 32)
    top, bottom = image.getpixel((8, 8)), image.getpixel((8, 24))
    assert top[0] > 200 and top[2] < 60  # the left (red) half is now on top
    assert bottom[2] > 200 and bottom[0] < 60


# -- rejected inputs -----------------------------------------------------------------------------
def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (the pixel data is not there)."""
    data = bytearray(_png_bytes(Image.new("L", (1, 1))))
    ihdr = bytearray(data[12:29])  # chunk type + 13 data bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)))
    return bytes(data)


def test_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = _png_claiming(9000, 8000)  # 72 megapixels: above our budget, below PIL's own warning
    with pytest.raises(ImageLoadError) as info:
        load_image(bomb)
    message = str(info.value)
    assert message.startswith(f"<{len(bomb)} bytes>: ")
    # the budget check fired, not the decoder (the pixel data would be reported corrupt)
    assert f"9000x8000 = 72,000,000 pixels exceeds the budget of {DEFAULT_MAX_INPUT_PIXELS:,}" in message


def test_pil_decompression_bomb_limit_is_an_image_error() -> None:
    with pytest.raises(ImageLoadError, match="decompression bomb"):
        load_image(_png_claiming(100_000, 100_000), max_input_pixels=None)


def test_pixel_budget_applies_to_files_arrays_and_pil(photo_paths: list[Path]) -> None:
    for source in (photo_paths[0], np.zeros((20, 20), np.uint8), Image.new("RGB", (20, 20))):
        with pytest.raises(ImageLoadError, match="exceeds the budget of 100 pixels"):
            load_image(source, max_input_pixels=100)


def test_truncated_file(tmp_path: Path, photos_dir: Path) -> None:
    data = (photos_dir / "china.jpg").read_bytes()
    path = tmp_path / "truncated.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    assert str(info.value).startswith(f"{path}: corrupt or truncated image")


@pytest.mark.parametrize(
    ("source", "name", "reason"),
    [
        (b"", "<0 bytes>", "empty bytes"),
        (b"not an image at all", "<19 bytes>", "not a recognised image format"),
        (12345, "<int>", "unsupported input type"),
    ],
)
def test_bad_in_memory_inputs(source: object, name: str, reason: str) -> None:
    with pytest.raises(ImageLoadError) as info:
        load_image(source)  # type: ignore[arg-type]
    assert str(info.value) == f"{name}: {info.value.reason}"
    assert reason in info.value.reason


def test_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageLoadError, match="is a directory"):
        load_image(tmp_path)
    missing = tmp_path / "nope.jpg"
    with pytest.raises(ImageLoadError) as info:
        load_image(missing)
    assert str(info.value) == f"{missing}: file not found"


def test_image_load_error_is_a_value_error() -> None:
    assert issubclass(ImageLoadError, ValueError)  # the CLI maps ValueError to exit code 2


# -- oversized metadata ----------------------------------------------------------------------------
def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _before_iend(png: bytes, *chunks: bytes) -> bytes:
    """``png`` with ``chunks`` after its pixel data (just before the closing IEND chunk)."""
    return png[:-12] + b"".join(chunks) + png[-12:]


def _noise(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (48, 64, 3), dtype=np.uint8)


def _assert_pillow_refuses(data: bytes) -> None:
    """The input really is one Pillow cannot read by itself (over its text limits)."""
    with pytest.raises(ValueError, match="MAX_TEXT"):
        Image.open(io.BytesIO(data)).load()


@functools.cache
def _srgb_profile() -> bytes:
    """One sRGB profile per run: lcms stamps each new profile with the time it was made."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _large_itxt_before_pixels(pixels: np.ndarray) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", "<x/>" * 500_000, zip=True)  # 2 MB inflated, 2 KB stored
    info.add_text("Title", "kept")
    return _png_bytes(Image.fromarray(pixels), pnginfo=info, icc_profile=_srgb_profile())


def _large_ztxt_after_pixels(pixels: np.ndarray) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", "kept")
    png = _png_bytes(Image.fromarray(pixels), pnginfo=info, icc_profile=_srgb_profile())
    return _before_iend(png, _chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"x" * 2_000_000)))


@pytest.mark.parametrize("build", [_large_itxt_before_pixels, _large_ztxt_after_pixels])
def test_png_with_an_oversized_text_chunk_loads_without_it(build: Callable[[np.ndarray], bytes]) -> None:
    pixels = _noise()
    data = build(pixels)
    _assert_pillow_refuses(data)
    image = load_image(data)
    assert np.array_equal(np.asarray(image), pixels)
    assert image.info["Title"] == "kept" and image.info["icc_profile"] == _srgb_profile()
    assert "XML:com.adobe.xmp" not in image.info and "Comment" not in image.info
    assert declared_size(data) == (64, 48)


def test_png_with_a_large_icc_profile_loads_without_it() -> None:
    pixels = _noise(1)
    profile = _srgb_profile() + bytes(2_000_000)  # an sRGB profile with 2 MB of tables appended
    data = _png_bytes(Image.fromarray(pixels), icc_profile=profile)
    _assert_pillow_refuses(data)
    image = load_image(data)
    assert np.array_equal(np.asarray(image), pixels) and "icc_profile" not in image.info


def test_png_with_more_text_than_pillow_holds_in_all_keeps_what_fits() -> None:
    pixels = _noise(2)
    value = zlib.compress(b"y" * 1_000_000)  # each chunk under Pillow's 1 MiB limit; 68 MB together
    chunks = [_chunk(b"zTXt", b"note%d\0\0" % i + value) for i in range(68)]
    data = _before_iend(_png_bytes(Image.fromarray(pixels)), *chunks)
    _assert_pillow_refuses(data)
    image = load_image(data)
    assert np.array_equal(np.asarray(image), pixels)
    kept = [key for key in image.info if key.startswith("note")]
    assert len(kept) == PngImagePlugin.MAX_TEXT_MEMORY // 1_000_000  # 67: the text Pillow allows in all


def test_compressed_metadata_bomb_is_dropped_in_bounded_memory() -> None:
    """A zTXt chunk that inflates to 128 MiB from 0.6 MB: dropped after inflating at most Pillow's
    per-chunk limit (1 MiB), never the whole value."""
    packer = zlib.compressobj(1)
    block = bytes(1 << 20)
    bomb = b"".join(packer.compress(block) for _ in range(128)) + packer.flush()
    pixels = _noise(3)
    data = _png_bytes(Image.fromarray(pixels))
    data = data[:33] + _chunk(b"zTXt", b"Comment\0\0" + bomb) + data[33:]  # right after the header
    tracemalloc.start()
    try:
        image = load_image(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.array_equal(np.asarray(image), pixels)
    assert peak < 16 * 2**20, f"loading allocated {peak / 2**20:.0f} MiB at peak"


def test_png_unreadable_after_dropping_its_metadata_gets_our_message() -> None:
    data = bytearray(_large_itxt_before_pixels(_noise()))
    pixels_at = data.index(b"IDAT") + 4
    data[pixels_at : pixels_at + 16] = bytes(16)  # the compressed pixel data is broken
    with pytest.raises(ImageLoadError) as info:
        load_image(bytes(data))
    assert info.value.reason.startswith("corrupt or truncated image")
    assert "MAX_TEXT" not in str(info.value)


# -- working copy and per-request budget -----------------------------------------------------------
def _one_bit_bomb(side: int = 7990) -> bytes:
    """A highly compressible 1-bit PNG: ``side`` x ``side`` pixels in a few kilobytes."""
    return _png_bytes(Image.new("1", (side, side), 0), optimize=True)


def test_working_copy_bounds_the_long_side_and_keeps_the_aspect_ratio() -> None:
    wide = Image.new("RGB", (3000, 1000), (10, 200, 30))
    working = load_image(_png_bytes(wide), long_side=WORKING_LONG_SIDE)
    assert working.size == (2048, 683) and working.getpixel((5, 5)) == (10, 200, 30)
    small = Image.new("RGB", (300, 100), (1, 2, 3))
    assert load_image(small, long_side=WORKING_LONG_SIDE).size == (300, 100)  # never upsampled
    assert load_image(_png_bytes(wide)).size == (3000, 1000)  # None: full resolution
    with pytest.raises(ValueError, match="long_side must be a positive"):
        load_image(small, long_side=0)


def test_large_jpeg_working_copy_matches_the_full_decode_reduced() -> None:
    gradient = np.linspace(0, 255, 4096, dtype=np.float32)
    red, green = np.tile(gradient, (3072, 1)), np.tile(gradient[:3072, None], (1, 4096))
    array = np.stack([red, green, np.full_like(red, 90.0)], axis=-1)
    buffer = io.BytesIO()
    Image.fromarray(array.astype(np.uint8)).save(buffer, "JPEG", quality=95)
    working = load_image(buffer.getvalue(), long_side=1024)  # decoded at 1/4 DCT scale
    reference = load_image(buffer.getvalue()).resize((1024, 768), Image.Resampling.BOX)
    assert working.size == (1024, 768)
    assert np.abs(np.asarray(working, np.float32) - np.asarray(reference, np.float32)).mean() < 1.5


@pytest.fixture(scope="module")
def photo_4000(photos_dir: Path) -> Image.Image:
    """A real photo (china.jpg, the most detailed of the examples) upscaled to 4000 x 2669 px."""
    with Image.open(photos_dir / "china.jpg") as photo:
        return photo.convert("RGB").resize((4000, 2669), Image.Resampling.BICUBIC)


def _encoded(image: Image.Image, fmt: str = "JPEG", **save: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, quality=90, **save)
    return buffer.getvalue()


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).mean())


@pytest.mark.parametrize(
    ("fmt", "long_side"),
    [("JPEG", 2000), ("JPEG", 1000), ("JPEG", 500), ("MPO", 1000)],
    ids=["jpeg-1/2", "jpeg-1/4", "jpeg-1/8", "mpo-1/4"],
)
def test_photo_working_copy_from_a_reduced_dct_scale_matches_the_full_decode(
    photo_4000: Image.Image, fmt: str, long_side: int
) -> None:
    data = _encoded(photo_4000, fmt)
    full = load_image(data)
    size = working_size(full.width, full.height, long_side)
    working = load_image(data, long_side=long_side)
    assert working.size == size
    assert _mean_difference(working, full.resize(size, Image.Resampling.BOX)) < 3.0  # 8-bit levels


@pytest.mark.parametrize("fmt", ["JPEG", "MPO"])
def test_jpeg_working_copy_is_decoded_at_a_reduced_scale(photo_4000: Image.Image, fmt: str) -> None:
    """The 4000 x 2669 photo's working copy at 1000 px is decoded at 1/4 scale (3 MB of pixels): peak RSS,
    measured in a fresh process, grows by well under the ~30 MB a full-size decode adds."""
    script = (
        "import resource, sys\n"
        "from PIL import Image\n"
        "from red_aes.images import load_image\n"
        "Image.init()\n"  # every format plugin is imported before the measurement
        "data = sys.stdin.buffer.read()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "image = load_image(data, long_side=1000)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(image.size[0], image.size[1], (after - before) // 1024)\n"
    )
    data = _encoded(photo_4000, fmt)
    done = subprocess.run([sys.executable, "-c", script], input=data, capture_output=True, check=True)
    width, height, peak_mb = (int(v) for v in done.stdout.split())
    assert (width, height) == (1000, 667)
    assert peak_mb < 12, f"decoding the working copy raised peak RSS by {peak_mb} MB"


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_applies_to_a_jpeg_decoded_at_a_reduced_scale(orientation: int) -> None:
    stored = Image.new("RGB", (4000, 2000), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 1000, 1000))  # a red top-left corner on blue
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encoded(stored, exif=exif.tobytes())
    working = load_image(data, long_side=500)  # decoded at 1/8 scale
    with Image.open(io.BytesIO(data)) as full:
        expected = ImageOps.exif_transpose(full).convert("RGB")  # Pillow's own, at full resolution
    assert working.size == ((500, 250) if orientation == 3 else (250, 500))
    assert _mean_difference(working, expected.resize(working.size, Image.Resampling.BOX)) < 2.0


def test_pixel_budget_applies_to_the_native_size_of_a_jpeg_decoded_at_a_reduced_scale(
    photo_4000: Image.Image,
) -> None:
    data = _encoded(photo_4000)  # 4000 x 2669: its 1/8 decode (500 x 334) would fit any budget
    with pytest.raises(
        ImageLoadError, match="4000x2669 = 10,676,000 pixels exceeds the budget of 10,000,000"
    ):
        load_image(data, max_input_pixels=10_000_000, long_side=500)


def test_exif_orientation_applies_to_the_working_copy() -> None:
    stored = Image.new("RGB", (3200, 1600), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 1600, 1600))  # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", exif=exif.tobytes(), quality=95)
    image = load_image(buffer.getvalue(), long_side=WORKING_LONG_SIDE)
    assert image.size == (1024, 2048)
    assert image.getpixel((512, 400))[0] > 200 and image.getpixel((512, 1600))[2] > 200


def test_one_bit_bomb_gives_a_small_working_copy_in_bounded_memory() -> None:
    """A 7.8 KB, 64-megapixel 1-bit PNG: the working copy is decoded with a peak of well under the
    full-resolution RGB copy (255 MB) the old intake made; measured in a fresh process."""
    bomb = _one_bit_bomb()
    assert len(bomb) < 16_000
    script = (
        "import resource, sys\n"
        "from red_aes.images import load_image, WORKING_LONG_SIDE\n"
        "data = sys.stdin.buffer.read()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "image = load_image(data, long_side=WORKING_LONG_SIDE)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(image.size[0], image.size[1], (after - before) // 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], input=bomb, capture_output=True, check=True)
    width, height, peak_mb = (int(v) for v in done.stdout.split())
    assert (width, height) == (2048, 2048)
    assert peak_mb < 160, f"decoding the working copy raised peak RSS by {peak_mb} MB"


def test_declared_size_reads_only_the_header(tmp_path: Path) -> None:
    claimed = _png_claiming(9000, 8000)  # no pixel data at all: decoding would fail
    assert declared_size(claimed) == (9000, 8000)
    stream = io.BytesIO(claimed)
    assert declared_size(stream) == (9000, 8000) and stream.tell() == 0
    assert declared_size(np.zeros((5, 7, 3), np.uint8)) == (7, 5)


def test_request_pixel_budget_is_checked_before_decoding() -> None:
    claimed = [_png_claiming(7990, 7990)] * 16  # headers only: any decode would fail as corrupt
    with pytest.raises(ImageLoadError) as info:
        load_images(claimed, max_total_pixels=MAX_REQUEST_PIXELS)
    assert str(info.value).startswith("16 images: 1,021,441,600 pixels in total exceed the per-request")
    small = [_png_bytes(Image.new("RGB", (10, 10)))] * 3
    assert [im.size for im in load_images(small, max_total_pixels=300)] == [(10, 10)] * 3
    with pytest.raises(ImageLoadError, match="per-request budget of 299 pixels"):
        load_images(small, max_total_pixels=299)


def test_a_heic_photo_loads_in_a_fresh_interpreter(tmp_path: Path, photo_paths: list[Path]) -> None:
    """Nothing registers the HEIF opener beforehand there: load_image does, when Pillow cannot identify
    a HEIF file (pillow-heif comes with the heif extra, which the tests' lock has)."""
    assert heif_available()  # registers the opener in this process, to write the file
    source = load_image(photo_paths[0])
    path = tmp_path / "IMG_0001.heic"
    source.save(path, quality=95)
    script = (
        "import sys, numpy as np; from red_aes.images import load_image; "
        f"image = load_image({str(path)!r}); print(*image.size, np.asarray(image, np.float32).mean())"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    width, height, mean = out.stdout.split()
    assert (int(width), int(height)) == source.size
    assert abs(float(mean) - np.asarray(source, np.float32).mean()) < 3


def test_a_file_with_a_heic_header_and_no_image_names_heic(tmp_path: Path) -> None:
    path = tmp_path / "phone.heic"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x00" * 64)
    with pytest.raises(ImageLoadError, match="HEIC/HEIF"):
        load_image(path)
