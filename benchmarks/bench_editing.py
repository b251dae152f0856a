"""Classical editing and attribute measurement throughput at 512 px and 2048 px (long side).

Prints images/s for each and the 2048/512 cost ratio measured in this run. Editing works on native
pixels, so its cost grows about with the pixel count (16x); spatial operations grow faster because their
radius is given in reference pixels and so scales with the image (a 2048 px blur has a 4x wider kernel).
Measurement works at a fixed analysis resolution, so its ratio stays near 1 (only the area-downsampling
and the native-pixel JPEG-blockiness crop grow with the input).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from red_aes.editing import ClassicalEditor
from red_aes.images import load_image
from red_aes.measure import measure_image

PHOTOS = Path(__file__).resolve().parent.parent / "examples" / "photos"
PROMPTS = (
    "make it a bit brighter and warmer",
    "add grain",
    "blur 2 px",
    "rotate 3 degrees",
    "jpeg quality 40",
)


def _resized(long_side: int) -> list[Image.Image]:
    images = []
    for path in sorted(PHOTOS.glob("*.[jp][pn]g")):
        image = load_image(path)
        scale = long_side / max(image.size)
        size = (round(image.width * scale), round(image.height * scale))
        images.append(image.resize(size, Image.Resampling.LANCZOS))
    return images


def _rate(work: Callable[[Image.Image], object], images: list[Image.Image], repeats: int = 1) -> float:
    """Images per second of ``work`` over ``images`` (after one warm-up call)."""
    work(images[0])
    start = time.perf_counter()
    for _ in range(repeats):
        for image in images:
            work(image)
    return repeats * len(images) / (time.perf_counter() - start)


def main() -> None:
    editor = ClassicalEditor()
    rates: dict[tuple[str, int], float] = {}
    for size in (512, 2048):
        images = _resized(size)
        for prompt in PROMPTS:
            rates[(prompt, size)] = _rate(lambda image, p=prompt: editor.edit(image, p), images)
        rates[("measure", size)] = _rate(measure_image, images)
    print(f"{'task':40s} {'512 px img/s':>13s} {'2048 px img/s':>14s} {'2048/512 cost':>14s}")
    for task in (*PROMPTS, "measure"):
        small, large = rates[(task, 512)], rates[(task, 2048)]
        print(f"{task:40s} {small:13.2f} {large:14.2f} {small / large:13.1f}x")


if __name__ == "__main__":
    main()
