#!/usr/bin/env bash
# GPU smoke check of the scorer (no network; the repository with its .venv copied to the GPU machine).
# Builds the tiny offline model, then on CUDA: bfloat16 and float32 loading, batch invariance of both
# decoding modes, 4-bit (bitsandbytes) loading; prints one PASS/FAIL line per check. Under 5 minutes.
# Batch invariance is checked exactly in float32; in bfloat16 it is not guaranteed (kernels differ with
# the batch shape), so the bfloat16 differences are printed as INFO lines, not checked.
# Usage: bash benchmarks/gpu_check.sh   (exit code 1 if any check fails)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

"$PYTHON" - <<'EOF'
import sys
import tempfile
import time
from pathlib import Path

import torch

from red_aes.decoding import expected_answer
from red_aes.images import load_image
from red_aes.scorer import RedAesScorer
from red_aes.testing import make_tiny_model

failures = 0


def check(name: str, ok: bool, detail: str = "", info_only: bool = False) -> None:
    global failures
    failures += not ok and not info_only
    status = "INFO" if info_only else "PASS" if ok else "FAIL"
    print(f"{status} {name}{': ' + detail if detail else ''}", flush=True)


def fast(scorer, pairs, instructions):
    """Fast mode's expected values and answer masses (the untrained model's results are invalid)."""
    inputs = scorer._inputs("pair", pairs, instructions, scorer.fast_prefix("delta"))
    values, masses = expected_answer(scorer.model, inputs, scorer.table, "delta")
    return values.tolist(), masses.tolist()


if not torch.cuda.is_available():
    print("FAIL cuda: torch.cuda.is_available() is False")
    sys.exit(1)
print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}", flush=True)

photos = sorted(p for p in Path("examples/photos").iterdir() if p.suffix in {".jpg", ".png"})
images = [load_image(p) for p in photos]
originals, edited = images[:4], images[1:5]
instructions = ["brighten", None, "more contrast please", None]

with tempfile.TemporaryDirectory() as tmp:
    model_dir = make_tiny_model(Path(tmp) / "tiny")
    for dtype in (torch.float32, torch.bfloat16):
        start = time.perf_counter()
        scorer = RedAesScorer.from_pretrained(model_dir, device="cuda", dtype=dtype, max_reasoning_tokens=16)
        name = str(dtype).replace("torch.", "")
        check(f"{name} loads on cuda", scorer.device.type == "cuda" and scorer.dtype == dtype, str(scorer.device))
        batch = scorer.compare(originals, edited, instructions)
        single = [scorer.compare(o, e, i) for o, e, i in zip(originals, edited, instructions)]
        same = [b.raw_text == s.raw_text for b, s in zip(batch, single)]
        exact = dtype == torch.float32
        check(f"{name} reasoning valid", all(b.valid for b in batch), str([b.delta for b in batch]))
        check(f"{name} reasoning batch == single (exact text)", all(same), str(same), info_only=not exact)
        pairs = [[o, e] for o, e in zip(originals, edited)]
        values, masses = fast(scorer, pairs, instructions)
        alone = [fast(scorer, [p], [i]) for p, i in zip(pairs, instructions)]
        gap = max(abs(v - a[0][0]) for v, a in zip(values, alone))
        mass_gap = max(abs(m - a[1][0]) / a[1][0] for m, a in zip(masses, alone))
        check(
            f"{name} fast batch == single (expected value |diff| <= 1e-4)",
            gap <= 1e-4,
            f"max |diff| = {gap:.2e}, answer mass relative diff {mass_gap:.2e}",
            info_only=not exact,
        )
        invalid = scorer.compare(originals[0], edited[0], decoding="fast")
        check(
            f"{name} fast: the untrained model's answer is invalid and gives its mass",
            not invalid.valid and invalid.answer_mass is not None,
            str(invalid.error),
        )
        print(f"     {name}: {time.perf_counter() - start:.1f}s", flush=True)
        del scorer
        torch.cuda.empty_cache()

    from bitsandbytes.nn import Linear4bit

    quantized = RedAesScorer.from_pretrained(model_dir, device="cuda", quantization="4bit", max_reasoning_tokens=8)
    layers = sum(isinstance(m, Linear4bit) for m in quantized.model.modules())
    check("4bit loads Linear4bit layers on cuda", layers > 0, f"{layers} layers")
    reasoning = quantized.compare(originals[0], edited[0])
    fast_result = quantized.compare(originals[0], edited[0], decoding="fast")
    check(
        "4bit answers in both modes",
        reasoning.valid and fast_result.answer_mass is not None,
        f"reasoning {reasoning.delta}, fast answer mass {fast_result.answer_mass}",
    )

print("ALL PASS" if failures == 0 else f"{failures} FAILED", flush=True)
sys.exit(1 if failures else 0)
EOF
