"""Evaluation throughput: images per second with the measured scorer, and the speed-up of a cached re-run.

Runs the edit-ladder benchmark (no labels needed) twice with the same prediction cache: the first run
renders, hashes and scores every image; the second renders and hashes them but takes every answer from
the cache. Both numbers come from this one run on this machine; only their ratio is meant to travel.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from red_aes.evaluation.benchmarks import LoadRequest, load_benchmark
from red_aes.evaluation.cache import PredictionCache
from red_aes.evaluation.metrics import BootstrapConfig
from red_aes.evaluation.runner import evaluate
from red_aes.scoring import load_scorer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attributes", nargs="+", default=["sharpness", "noise"])
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args(argv or [])

    benchmark = load_benchmark("edit-ladder", LoadRequest(attributes=tuple(args.attributes)))
    scorer = load_scorer("measured")
    timings, results = [], []
    with tempfile.TemporaryDirectory() as tmp, PredictionCache(Path(tmp) / "cache.sqlite") as cache:
        for _ in range(2):
            start = time.perf_counter()
            results.append(
                evaluate(
                    scorer,
                    benchmark,
                    model_id="measured",
                    decoding="fast",
                    cache=cache,
                    batch_size=args.batch_size,
                    boot=BootstrapConfig(n_resamples=0),
                    progress=False,
                )
            )
            timings.append(time.perf_counter() - start)
    cold, warm = results
    n = len(benchmark)
    if warm.computed != 0 or warm.cached != n:
        raise RuntimeError(f"the re-run asked the scorer {warm.computed} questions; expected none")
    print(
        f"edit-ladder ({', '.join(args.attributes)}): {n} images ({cold.computed} distinct), "
        f"batch size {args.batch_size}"
    )
    print(f"cold run (render + hash + score): {n / timings[0]:.1f} images/s")
    print(f"cached re-run (render + hash):     {n / timings[1]:.1f} images/s")
    print(f"cached re-run speed-up: {timings[0] / timings[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
