"""Scorer performance, measured in one run on random Qwen2.5-VL checkpoints built offline.

Prints four ratios (targets in brackets):

(a) scorer overhead: ``RedAesScorer.compare`` on 8 pairs vs a hand-written ``processor`` +
    ``model.generate`` call producing the same number of tokens (<= 1.15x);
(b) per-pair throughput of batch 8 vs batch 1 in reasoning mode (>= 2x);
(c) fast mode vs reasoning mode speed on the same pairs (informative);
(d) memory footprint of a ~100M-parameter model in 4-bit vs bfloat16 and float32 (<= 0.35x of bf16).

The models are random (their answers are meaningless); only speed and memory are measured. Runs on CPU
in a few minutes; uses CUDA when available. Usage: ``python benchmarks/bench_scorer.py``.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from red_aes.images import load_image
from red_aes.prompts import THINK_OPEN, build_messages
from red_aes.scoring.vlm import RedAesScorer
from red_aes.testing import make_tiny_model

PHOTOS = Path(__file__).resolve().parent.parent / "examples" / "photos"
PAIRS = 8
BUDGET = 24


def _best_of(*fns: Callable[[], object], repeats: int = 2) -> list[float]:
    """Fastest of ``repeats`` timed runs of each function, after one warm-up run; runs are interleaved
    so that a busy machine slows every contender alike."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, spent in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - start)
    return [min(spent) for spent in times]


def _pairs() -> tuple[list, list]:
    photos = sorted(p for p in PHOTOS.iterdir() if p.suffix in {".jpg", ".png"})
    images = [load_image(p) for p in photos]
    originals = [images[i % len(images)] for i in range(PAIRS)]
    edited = [images[(i + 1) % len(images)] for i in range(PAIRS)]
    return originals, edited


def overhead_and_batching(model_dir: Path, device: str) -> None:
    """(a), (b) and (c) on a small random model (a few million parameters)."""
    scorer = RedAesScorer.from_pretrained(
        model_dir, device=device, max_reasoning_tokens=BUDGET, batch_size=PAIRS
    )
    originals, edited = _pairs()
    steps = []  # one forward call of the whole model per generated token
    hook = scorer.model.register_forward_hook(lambda *_: steps.append(1))
    scorer.compare(originals, edited)
    hook.remove()
    generated = len(steps)

    def hand_written() -> None:
        text = scorer.processor.apply_chat_template(
            build_messages("pair"), add_generation_prompt=True, tokenize=False
        )
        inputs = scorer.processor(
            text=[text + THINK_OPEN] * PAIRS,
            images=[[o, e] for o, e in zip(originals, edited, strict=True)],
            padding=True,
            return_tensors="pt",
        ).to(scorer.device)
        with torch.inference_mode():
            out = scorer.model.generate(
                **inputs, max_new_tokens=generated, min_new_tokens=generated, do_sample=False
            )
        scorer.tokenizer.batch_decode(out[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)

    scorer_time, hand_time = _best_of(lambda: scorer.compare(originals, edited), hand_written, repeats=5)
    print(
        f"(a) scorer overhead vs hand-written generate ({PAIRS} pairs, {generated} new tokens): "
        f"{scorer_time / hand_time:.2f}x  [target <= 1.15x]  ({scorer_time:.2f}s vs {hand_time:.2f}s)"
    )
    (batch1,) = _best_of(lambda: scorer.compare(originals, edited, batch_size=1), repeats=2)
    print(
        f"(b) per-pair throughput, batch {PAIRS} vs batch 1: {batch1 / scorer_time:.2f}x  [target >= 2x]  "
        f"({PAIRS / scorer_time:.2f} vs {PAIRS / batch1:.2f} pairs/s)"
    )
    (fast,) = _best_of(lambda: scorer.compare(originals, edited, decoding="fast"))
    print(
        f"(c) fast vs reasoning ({BUDGET}-token budget): fast is {scorer_time / fast:.1f}x faster "
        f"({fast:.2f}s vs {scorer_time:.2f}s for {PAIRS} pairs)"
    )


def memory(model_dir: Path, device: str) -> None:
    """(d) 4-bit vs full-precision footprint of the same ~100M-parameter checkpoint."""
    footprints = {}
    for label, options in (
        ("float32", {"dtype": torch.float32}),
        ("bfloat16", {"dtype": torch.bfloat16}),
        ("4bit", {"quantization": "4bit", "dtype": torch.bfloat16}),
    ):
        scorer = RedAesScorer.from_pretrained(model_dir, device=device, **options)
        footprints[label] = scorer.model.get_memory_footprint()
        parameters = sum(p.numel() for p in scorer.model.parameters()) if label == "float32" else None
        if parameters:
            print(f"    ~{parameters / 1e6:.0f}M-parameter model")
        del scorer
    mb = {k: v / 2**20 for k, v in footprints.items()}
    print(
        f"(d) 4-bit memory footprint: {footprints['4bit'] / footprints['bfloat16']:.2f}x of bfloat16  "
        f"[target <= 0.35x], {footprints['4bit'] / footprints['float32']:.2f}x of float32  "
        f"({mb['4bit']:.0f} MiB vs {mb['bfloat16']:.0f} / {mb['float32']:.0f} MiB)"
    )


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one CPU thread: timings of small models stay stable on a shared machine
    print(f"bench_scorer on {device} (1 CPU thread)")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            small = make_tiny_model(Path(tmp) / "small", hidden_size=256, num_layers=4, vision_hidden_size=64)
            overhead_and_batching(small, device)
            large = make_tiny_model(
                Path(tmp) / "large", hidden_size=768, num_layers=18, vision_hidden_size=256, vision_depth=4
            )
            memory(large, device)
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    main()
