"""``pipeline("red-aes")`` on CPU with RED-Lite, measured in one run (the tests assert behaviour only).

Prints, each in a fresh interpreter with the Hub switched off (``HF_HUB_OFFLINE=1``; nothing is fetched):

(a) seconds to import ``red_aes.pipeline`` (transformers' pipelines and torch; the issue's budget for
    construction is 5 s and this is paid once per process, before it);
(b) seconds to construct ``pipeline("red-aes", model="red-lite")`` after the import (the issue's target:
    within 5 s);
(c) 8 pairs through the pipeline with ``batch_size=8`` vs the scorer's own ``compare`` on the same lists
    (the ratio is the pipeline's overhead over its scorer).

Usage: ``python benchmarks/bench_pipeline.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PHOTOS = Path(__file__).resolve().parent.parent / "examples" / "photos"

PROBE = """
import json, time
start = time.perf_counter()
from red_aes.pipeline import pipeline
imported = time.perf_counter()
pipe = pipeline("red-aes", model="red-lite")
built = time.perf_counter()
a, b = {a!r}, {b!r}
pairs = [{{"original": a, "edited": b}}, {{"original": b, "edited": a}}] * 4
pipe(pairs[:1])  # warm-up: the backbone is built on first use
t0 = time.perf_counter()
pipe(pairs, batch_size=8)
t1 = time.perf_counter()
pipe.scorer.compare([p["original"] for p in pairs], [p["edited"] for p in pairs], batch_size=8)
t2 = time.perf_counter()
print(json.dumps({{"import": imported - start, "construct": built - imported, "pipeline": t1 - t0,
                   "scorer": t2 - t1}}))
"""


def main(argv: list[str] | None = None) -> int:
    del argv
    code = PROBE.format(a=str(PHOTOS / "chelsea.png"), b=str(PHOTOS / "coffee.png"))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    times = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"(a) import red_aes.pipeline: {times['import']:.2f} s")
    print(
        f"(b) pipeline('red-aes', model='red-lite') after the import: {times['construct']:.2f} s "
        "(target <= 5 s)"
    )
    ratio = times["pipeline"] / times["scorer"]
    print(
        f"(c) 8 pairs, batch_size=8: pipeline {times['pipeline']:.2f} s vs scorer {times['scorer']:.2f} s "
        f"(ratio {ratio:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
