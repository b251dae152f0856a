"""RED-Lite speed on CPU, measured in one run with the shipped weights.

Prints (target in brackets):

(a) images per second at a 512-px and a 1024-px long side (the backbone always reads 512 px; larger
    inputs cost decoding-free resizing and measuring);
(b) seconds per pair at 1024 px with ``compare`` in reasoning mode (<= 1 s on 2 cores);
(c) a list of 8 images vs the same 8 one call at a time (the list API processes images one by one, so
    the ratio shows the front end's overhead, not batching gains);
(d) the training time of the shipped weights, as recorded by ``red-aes lite train`` in their
    ``red_aes.json`` (feature extraction and total);
(e) one original against 8 edits of it in one list vs 8 single calls (what ``enhance`` asks: a batch
    prepares and embeds the shared original once).

Usage: ``python benchmarks/bench_lite.py``. Uses ``torch.get_num_threads()`` threads (print shown).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import torch
from PIL import Image

from red_aes.editing.classical import ClassicalEditor
from red_aes.editing.operations import Operation
from red_aes.lite.model import DEFAULT_WEIGHTS, METADATA_NAME
from red_aes.scoring import load_scorer

PHOTOS = Path(__file__).resolve().parent.parent / "examples" / "photos"


def _best_of(fn: Callable[[], object], repeats: int = 3) -> float:
    """Fastest of ``repeats`` timed runs after one warm-up run."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _resized(long_side: int) -> list[Image.Image]:
    images = []
    for path in sorted(PHOTOS.glob("*.*")):
        if path.suffix.lower() not in (".jpg", ".png"):
            continue
        image = Image.open(path).convert("RGB")
        scale = long_side / max(image.size)
        images.append(image.resize((round(image.width * scale), round(image.height * scale))))
    return (images * 2)[:8]


def main() -> None:
    scorer = load_scorer("red-lite")
    print(f"RED-Lite on CPU, {torch.get_num_threads()} threads")
    for side in (512, 1024):
        images = _resized(side)
        seconds = _best_of(lambda images=images: scorer.score(images, decoding="fast"), repeats=2)
        print(f"(a) {side:>4} px: {len(images) / seconds:.2f} images/s ({seconds / len(images):.3f} s each)")
    big = _resized(1024)
    pair = _best_of(lambda: scorer.compare(big[0], big[1], decoding="reasoning"))
    print(f"(b) one pair at 1024 px, reasoning: {pair:.3f} s (target <= 1 s)")
    as_list = _best_of(lambda: scorer.score(big, decoding="fast"), repeats=2)
    one_by_one = _best_of(lambda: [scorer.score(image, decoding="fast") for image in big], repeats=2)
    print(f"(c) list of 8 vs 8 single calls: {as_list / one_by_one:.2f}x the time")
    meta_file = DEFAULT_WEIGHTS / METADATA_NAME
    if meta_file.is_file():
        training = json.loads(meta_file.read_text())["training"]
        print(
            f"(d) shipped weights: features {training['feature_seconds']} s, training total "
            f"{training['total_seconds']} s for {training['images']} images "
            f"({training.get('features_from_cache', 0)} feature vectors from the cache)"
        )
    original = big[0]
    edits = [
        ClassicalEditor().apply(original, [Operation("exposure", 0.1 * (i + 1))]).image for i in range(8)
    ]
    shared = _best_of(lambda: scorer.compare([original] * 8, edits, decoding="fast"), repeats=2)
    single = _best_of(lambda: [scorer.compare(original, edit, decoding="fast") for edit in edits], repeats=2)
    print(f"(e) one original against 8 edits, one list vs 8 single calls: {shared / single:.2f}x the time")


if __name__ == "__main__":
    main()
