"""The VLM path at real scale: a Qwen2.5-VL-7B-shaped model with random weights through RedAesScorer.

Builds the model from the real Qwen2.5-VL-7B-Instruct sizes (28 layers of width 3584, a 32-block vision
tower, 152,064 output rows) with random weights on CUDA in bfloat16, paired with the tiny offline
tokenizer; the output rows beyond the tokenizer (the padded vocabulary) are set to 0. The processor keeps
the released Qwen limits (up to 12.8 MP per image), so the scorer's default visual-token budget is what
bounds the images. Prints, from one run:

1. scorer overhead vs a hand-written ``processor`` + ``generate`` loop producing the same tokens, after
   warm-up, at 32 and 128 reasoning tokens (8 pairs);
2. per-pair throughput of batch 8 vs batch 1 at both budgets;
3. fast vs reasoning speed;
4. tokens, time and peak GPU memory of one 12 MP pair under the default budget;
5. peak GPU memory per pair of fast mode at batch 8;
6. bfloat16 batch-vs-alone differences (reasoning texts; fast-mode expected values and answer masses);
7. 4-bit vs bfloat16 memory footprint (skipped, with the reason, when bitsandbytes cannot quantize).

The model is random: its answers are meaningless (it never closes ``</think>``, so every reasoning answer
is forced, and fast mode's answer mass is far below the threshold); only costs and invariance are
measured. About 4 minutes on one H100/H200. ``SCALE=small`` runs the same code on the CPU with a
few-layer model of the same family in float32 (the test suite does this). Usage::

    python benchmarks/gpu_scale.py            # SCALE=7b (default): needs CUDA
    SCALE=small python benchmarks/gpu_scale.py
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from red_aes.images import load_image
from red_aes.prompts import THINK_OPEN, build_messages
from red_aes.scoring.budget import DEFAULT_IMAGE_TOKENS, DEFAULT_MAX_IMAGE_PIXELS
from red_aes.scoring.decoding import expected_answer
from red_aes.scoring.vlm import RedAesScorer
from red_aes.testing import QWEN_MAX_PIXELS, QWEN_MIN_PIXELS, QWEN_SPECIAL_TOKENS, make_tiny_processor

PHOTOS = Path(__file__).resolve().parent.parent / "examples" / "photos"


@dataclass(frozen=True)
class Scale:
    """Model sizes and run settings of one scale."""

    device: str
    dtype: torch.dtype
    text: dict[str, Any]
    vision: dict[str, Any]
    output_rows: int | None  # None: the tokenizer's length plus 2 x hidden size
    budgets: tuple[int, int]
    pairs: int  # the batch
    photo_side: int | None  # long side the bundled photos are shrunk to (None: as they are)
    repeats: int  # timed runs per measurement, after one warm-up run


SCALES: dict[str, Scale] = {
    # Qwen2.5-VL-7B-Instruct's config.json sizes
    "7b": Scale(
        device="cuda",
        dtype=torch.bfloat16,
        text={
            "hidden_size": 3584,
            "intermediate_size": 18944,
            "num_hidden_layers": 28,
            "num_attention_heads": 28,
            "num_key_value_heads": 4,
            "mrope_section": [16, 24, 24],
            "rope_theta": 1000000.0,
        },
        vision={
            "depth": 32,
            "hidden_size": 1280,
            "intermediate_size": 3420,
            "num_heads": 16,
            "window_size": 112,
            "fullatt_block_indexes": [7, 15, 23, 31],
        },
        output_rows=152064,
        budgets=(32, 128),
        pairs=8,
        photo_side=None,
        repeats=2,
    ),
    "small": Scale(
        device="cpu",
        dtype=torch.float32,
        text={
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "mrope_section": [4, 2, 2],
            "rope_theta": 10000.0,
        },
        vision={
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "window_size": 56,
            "fullatt_block_indexes": [1],
        },
        output_rows=None,
        budgets=(2, 4),
        pairs=4,
        photo_side=112,
        repeats=1,
    ),
}


def model_config(tokenizer: Any, scale: Scale, output_rows: int) -> Any:
    """A Qwen2.5-VL config with the scale's sizes and the tokenizer's special-token ids."""
    from transformers import Qwen2_5_VLConfig

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIAL_TOKENS}
    text = dict(scale.text)
    mrope, theta = text.pop("mrope_section"), text.pop("rope_theta")
    return Qwen2_5_VLConfig(
        text_config={
            **text,
            "vocab_size": output_rows,
            "max_position_embeddings": 128000,
            "rope_parameters": {"rope_type": "default", "rope_theta": theta, "mrope_section": mrope},
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
        },
        vision_config={
            **scale.vision,
            "out_hidden_size": scale.text["hidden_size"],
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )


def build_scorer(scale: Scale) -> RedAesScorer:
    """The random model of ``scale`` on its device, as a scorer with the default pixel budget."""
    from transformers import AutoModelForImageTextToText, GenerationConfig

    processor = make_tiny_processor(min_pixels=QWEN_MIN_PIXELS, max_pixels=QWEN_MAX_PIXELS)
    tokenizer = processor.tokenizer
    rows = scale.output_rows or len(tokenizer) + 2 * scale.text["hidden_size"]
    config = model_config(tokenizer, scale, rows)
    torch.manual_seed(0)
    with torch.device(scale.device):
        model = AutoModelForImageTextToText.from_config(config, dtype=scale.dtype, attn_implementation="sdpa")
    with torch.no_grad():
        model.get_output_embeddings().weight[len(tokenizer) :] = 0  # padded rows: logit 0, never a token
    model.generation_config = GenerationConfig(
        eos_token_id=config.text_config.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    return RedAesScorer(model.eval(), processor, model_name="random-qwen2.5-vl", batch_size=scale.pairs)


# -- measuring -------------------------------------------------------------------------------------
def _photos() -> list[Path]:
    return sorted(p for p in PHOTOS.iterdir() if p.suffix.lower() in {".jpg", ".png"})


def twelve_megapixels(seed: int) -> Image.Image:
    """A 4000 x 3000 photo-sized image (a bundled photo upscaled, plus noise so it is not flat)."""
    base = np.asarray(load_image(_photos()[seed % len(_photos())]).resize((4000, 3000)), dtype=np.int16)
    noise = np.random.default_rng(seed).integers(-8, 9, base.shape, dtype=np.int16)
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))


def _gib(value: float | None) -> str:
    return "n/a on the CPU" if value is None else f"{value:.2f} GiB"


def _bytes(value: float) -> str:
    return f"{value / 2**30:.2f} GiB" if value >= 2**30 else f"{value / 2**20:.1f} MiB"


@dataclass
class Bench:
    """One scorer, its scale and the photo pairs every measurement uses."""

    scorer: RedAesScorer
    scale: Scale
    originals: list[Image.Image] = field(default_factory=list)
    edited: list[Image.Image] = field(default_factory=list)

    def __post_init__(self) -> None:
        images = [load_image(p) for p in _photos()]
        if self.scale.photo_side is not None:
            for image in images:
                image.thumbnail((self.scale.photo_side, self.scale.photo_side))
        n = self.scale.pairs
        self.originals = [images[i % len(images)] for i in range(n)]
        self.edited = [images[(i + 1) % len(images)] for i in range(n)]

    @property
    def device(self) -> torch.device:
        return self.scorer.device

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def timed(self, fn: Callable[[], Any]) -> tuple[float, Any]:
        """Wall time of ``fn()`` (device synchronised) and its result."""
        self.sync()
        start = time.perf_counter()
        result = fn()
        self.sync()
        return time.perf_counter() - start, result

    def best_of(self, *fns: Callable[[], Any]) -> list[float]:
        """Fastest of ``scale.repeats`` interleaved runs of each function, after one warm-up run of each
        (a busy machine slows every contender alike)."""
        for fn in fns:
            fn()
        spent: list[list[float]] = [[] for _ in fns]
        for _ in range(self.scale.repeats):
            for fn, times in zip(fns, spent, strict=True):
                times.append(self.timed(fn)[0])
        return [min(times) for times in spent]

    def peak_memory(self, fn: Callable[[], Any]) -> tuple[float | None, Any]:
        """(peak GPU memory above what was allocated before, in GiB; None on the CPU) and ``fn()``."""
        if self.device.type != "cuda":
            return None, fn()
        self.sync()
        torch.cuda.reset_peak_memory_stats(self.device)
        before = torch.cuda.memory_allocated(self.device)
        result = fn()
        self.sync()
        return (torch.cuda.max_memory_allocated(self.device) - before) / 2**30, result

    def compare(self, **options: Any) -> Any:
        """The scorer on all pairs in one batch."""
        return self.scorer.compare(self.originals, self.edited, **options)

    def visual_tokens(self, pair: list[Image.Image]) -> tuple[int, int]:
        """(visual tokens, prompt tokens) of one pair's fast-mode prompt."""
        inputs = self.scorer._inputs("pair", [pair], [None], self.scorer.fast_prefix("delta"))
        pad = self.scorer.tokenizer.convert_tokens_to_ids("<|image_pad|>")
        return int((inputs["input_ids"] == pad).sum()), int(inputs["input_ids"].shape[1])

    def fast_values(self, pairs: list[list[Image.Image]]) -> tuple[list[float], list[float]]:
        """Fast mode's expected values and answer masses of ``pairs`` in one batch (valid or not)."""
        inputs = self.scorer._inputs("pair", pairs, [None] * len(pairs), self.scorer.fast_prefix("delta"))
        values, masses = expected_answer(self.scorer.model, inputs, self.scorer.table, "delta")
        return values.tolist(), masses.tolist()

    def hand_written(self, new_tokens: int) -> None:
        """What a user would write without the scorer: processor, greedy ``generate``, decode."""
        scorer = self.scorer
        text = scorer.processor.apply_chat_template(
            build_messages("pair"), add_generation_prompt=True, tokenize=False
        )
        inputs = scorer.processor(
            text=[text + THINK_OPEN] * len(self.originals),
            images=[[o, e] for o, e in zip(self.originals, self.edited, strict=True)],
            padding=True,
            return_tensors="pt",
        ).to(device=self.device, dtype=scorer.dtype)
        with torch.inference_mode():
            out = scorer.model.generate(
                **inputs,
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                pad_token_id=scorer.tokenizer.pad_token_id,
            )
        scorer.tokenizer.batch_decode(out[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)


def overhead_and_throughput(bench: Bench) -> list[str]:
    """Measures 1-3; returns the texts of the pairs scored alone at the first budget (for 6)."""
    n, alone_texts = bench.scale.pairs, []
    for budget in bench.scale.budgets:
        calls: list[int] = []  # one forward call of the whole model per generated token
        hook = bench.scorer.model.register_forward_hook(lambda *_, calls=calls: calls.append(1))
        bench.compare(max_reasoning_tokens=budget)
        hook.remove()
        new_tokens = len(calls)
        batch_time, hand_time = bench.best_of(
            lambda budget=budget: bench.compare(max_reasoning_tokens=budget),
            lambda new_tokens=new_tokens: bench.hand_written(new_tokens),
        )
        print(
            f"[1] reasoning budget {budget}: scorer vs hand-written processor+generate ({n} pairs, "
            f"{new_tokens} new tokens): {batch_time / hand_time:.2f}x "
            f"({batch_time:.2f}s vs {hand_time:.2f}s)",
            flush=True,
        )
        pairs = list(zip(bench.originals, bench.edited, strict=True))
        single_time, alone = bench.timed(
            lambda budget=budget, pairs=pairs: [
                bench.scorer.compare(o, e, max_reasoning_tokens=budget) for o, e in pairs
            ]
        )
        print(
            f"[2] reasoning budget {budget}: per-pair throughput batch {n} vs batch 1: "
            f"{single_time / batch_time:.1f}x ({n / batch_time:.2f} vs {n / single_time:.2f} pairs/s)",
            flush=True,
        )
        if not alone_texts:
            alone_texts = [d.raw_text for d in alone]
    first = bench.scale.budgets[0]
    fast_time, reasoning_time = bench.best_of(
        lambda: bench.compare(decoding="fast"), lambda: bench.compare(max_reasoning_tokens=first)
    )
    print(
        f"[3] fast vs reasoning (budget {first}, {n} pairs): fast is {reasoning_time / fast_time:.1f}x "
        f"faster ({fast_time:.2f}s vs {reasoning_time:.2f}s)",
        flush=True,
    )
    return alone_texts


def large_pair(bench: Bench) -> None:
    """Measure 4: one 12 MP pair under the default budget, in fast and reasoning mode."""
    pair = [twelve_megapixels(0), twelve_megapixels(1)]
    tokens, prompt = bench.visual_tokens(pair)
    small = bench.visual_tokens([image.resize((1152, 864)) for image in pair])[0]
    print(
        f"[4] 12 MP pair under the default budget ({DEFAULT_MAX_IMAGE_PIXELS:,} px = {DEFAULT_IMAGE_TOKENS} "
        f"tokens per image): {tokens} visual tokens, {prompt} prompt tokens (a 1 MP pair: {small})",
        flush=True,
    )
    budget = bench.scale.budgets[0]
    for mode in ("fast", "reasoning"):

        def run(mode: str = mode) -> Any:
            return bench.scorer.compare(*pair, decoding=mode, max_reasoning_tokens=budget)

        if bench.device.type == "cuda":
            run()  # warm-up (kernels for these shapes)
        memory, (seconds, _) = bench.peak_memory(lambda run=run: bench.timed(run))
        label = "fast" if mode == "fast" else f"reasoning (budget {budget})"
        print(f"    {label}: {seconds:.2f}s, peak memory above the weights {_gib(memory)}", flush=True)


def fast_memory_per_pair(bench: Bench) -> None:
    """Measure 5: peak memory of fast mode on the whole batch, per pair."""
    memory, _ = bench.peak_memory(lambda: bench.compare(decoding="fast"))
    n = bench.scale.pairs
    per_pair = None if memory is None else memory / n
    print(f"[5] fast mode, batch {n}: peak memory above the weights {_gib(per_pair)} per pair", flush=True)


def batch_invariance(bench: Bench, alone_texts: list[str]) -> None:
    """Measure 6: a pair alone vs inside the batch, in the scorer's dtype."""
    n, budget = bench.scale.pairs, bench.scale.budgets[0]
    batch = bench.compare(max_reasoning_tokens=budget)
    differing = sum(b.raw_text != a for b, a in zip(batch, alone_texts, strict=True))
    pairs = [[o, e] for o, e in zip(bench.originals, bench.edited, strict=True)]
    values, masses = bench.fast_values(pairs)
    alone = [bench.fast_values([pair]) for pair in pairs]
    gap = max(abs(v - a[0][0]) for v, a in zip(values, alone, strict=True))
    mass_gap = max(abs(m - a[1][0]) / max(a[1][0], 1e-300) for m, a in zip(masses, alone, strict=True))
    dtype = str(bench.scorer.dtype).removeprefix("torch.")
    print(
        f"[6] {dtype} batch of {n} vs alone: reasoning texts differ for {differing} of {n} pairs "
        f"(budget {budget}); fast-mode expected values differ by up to {gap:.3g}, answer masses by up "
        f"to {mass_gap:.2%} (relative)",
        flush=True,
    )


def _count(parameters: int) -> str:
    return f"{parameters / 1e9:.2f}B" if parameters >= 1e9 else f"{parameters / 1e6:.1f}M"


def quantized_footprint(bench: Bench) -> None:
    """Measure 7: the same weights loaded in 4-bit through ``RedAesScorer.from_pretrained``."""
    try:
        import bitsandbytes  # noqa: F401
    except ImportError as err:
        print(f"[7] 4-bit footprint skipped: bitsandbytes is not importable ({err})", flush=True)
        return
    model = bench.scorer.model
    full, parameters = model.get_memory_footprint(), sum(p.numel() for p in model.parameters())
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        bench.scorer.processor.save_pretrained(tmp)
        try:
            quantized = RedAesScorer.from_pretrained(tmp, device=bench.device, quantization="4bit")
        except (RuntimeError, ValueError, OSError) as err:
            print(f"[7] 4-bit footprint skipped: bitsandbytes cannot quantize here ({err})", flush=True)
            return
        four = quantized.model.get_memory_footprint()
        del quantized
    dtype = str(bench.scorer.dtype).removeprefix("torch.")
    print(
        f"[7] {_count(parameters)} parameters: 4-bit {_bytes(four)} vs {dtype} {_bytes(full)} "
        f"({four / full:.2f}x)",
        flush=True,
    )


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    name = os.environ.get("SCALE", "7b")
    if name not in SCALES:
        raise SystemExit(f"SCALE must be one of {sorted(SCALES)}, got {name!r}")
    scale = SCALES[name]
    if scale.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("SCALE=7b needs CUDA; SCALE=small runs on the CPU")
    hardware = torch.cuda.get_device_name(0) if scale.device == "cuda" else "CPU"
    print(f"gpu_scale SCALE={name} on {hardware}, {time.strftime('%Y-%m-%d %H:%M %Z')}", flush=True)
    start = time.perf_counter()
    bench = Bench(build_scorer(scale), scale)
    scorer = bench.scorer
    print(
        f"    {_count(sum(p.numel() for p in scorer.model.parameters()))}-parameter random model in "
        f"{str(scorer.dtype).removeprefix('torch.')}, {scorer.model.get_output_embeddings().weight.shape[0]} "
        f"output rows for {len(scorer.tokenizer)} tokens, pixel budget {scorer.max_image_pixels:,} "
        f"({scorer.metadata['max_image_pixels_source']}); built in {time.perf_counter() - start:.0f}s",
        flush=True,
    )
    alone_texts = overhead_and_throughput(bench)
    large_pair(bench)
    fast_memory_per_pair(bench)
    batch_invariance(bench, alone_texts)
    quantized_footprint(bench)
    print(f"gpu_scale done in {time.perf_counter() - start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
