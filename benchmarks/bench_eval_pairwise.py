"""Pairwise benchmark with an absolute scorer: every pair of N images (100 -> 4,950 pairs).

An absolute scorer (``relative=False`` on its registry entry, e.g. ``measured``) is asked each distinct
image once and a pair's delta is the difference of the two scores; a relative scorer is asked every pair.
This prints the wall time of ``red-aes eval --model measured --benchmark pairwise`` on the generated
pairs (the CLI as a user runs it, imports included) when the measured scorer declares itself absolute,
else the same run through :func:`red_aes.evaluation.runner.evaluate` with the measured scorer declared
absolute; and the per-pair cost of asking every pair instead, from a sample of pairs. Numbers come
from one run on this machine; only the ratio is meant to travel.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import ImageEnhance

from red_aes.evaluation.benchmarks import LoadRequest, load_benchmark
from red_aes.evaluation.metrics import BootstrapConfig
from red_aes.evaluation.runner import evaluate, is_relative
from red_aes.images import load_image
from red_aes.scoring.measured import MeasuredScorer

PHOTOS = Path(__file__).resolve().parent.parent / "examples" / "photos"


class AbsoluteMeasured(MeasuredScorer):
    """The measured scorer declared absolute (what its class says once it carries the flag)."""

    relative = False


class RelativeMeasured(MeasuredScorer):
    """The measured scorer asked pair by pair (the path before absolute scorers were recognised)."""

    relative = True


def make_pairs(folder: Path, n_images: int, seed: int = 0) -> Path:
    """``n_images`` distinct photos (bundled photos cropped and re-exposed) and every pair of them."""
    rng = random.Random(seed)
    photos = sorted(p for p in PHOTOS.iterdir() if p.suffix.lower() in {".png", ".jpg"})
    names = []
    for i in range(n_images):
        image = load_image(photos[i % len(photos)])
        w, h = image.size
        dx, dy = rng.randrange(0, w // 5), rng.randrange(0, h // 5)
        image = image.crop((dx, dy, dx + w * 4 // 5, dy + h * 4 // 5))
        image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.5, 1.5))
        names.append(f"img{i:03d}.png")
        image.save(folder / names[-1])
    rows = [f"{a},{b},{rng.choice('ab')}\n" for a, b in itertools.combinations(names, 2)]
    labels = folder / "labels.csv"
    labels.write_text("file_a,file_b,preferred\n" + "".join(rows), encoding="utf-8")
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--sample-pairs", type=int, default=60, help="pairs asked one by one for the ratio")
    args = parser.parse_args(argv or [])

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "images"
        root.mkdir()
        labels = make_pairs(root, args.images)
        n_pairs = args.images * (args.images - 1) // 2
        if not is_relative(MeasuredScorer()):
            command = [sys.executable, "-m", "red_aes", "eval", "--model", "measured"]
            command += ["--benchmark", "pairwise", "--root", str(root), "--out", str(Path(tmp) / "out")]
            start = time.perf_counter()
            subprocess.run([*command, "--no-progress"], check=True, stdout=subprocess.DEVNULL)
            whole = time.perf_counter() - start
            result = json.loads((Path(tmp) / "out" / "results.json").read_text())["results"][0]
            asked, how = result["answers_computed"], "red-aes eval --model measured (CLI, imports included)"
        else:
            bench = load_benchmark("pairwise", LoadRequest(root=root, labels=labels))
            start = time.perf_counter()
            result = evaluate(AbsoluteMeasured(), bench, model_id="measured", progress=False)
            whole = time.perf_counter() - start
            asked, how = result.computed, "evaluate() with the measured scorer declared absolute"
        print(f"{args.images} images, {n_pairs} pairs, reasoning decoding, 1000 bootstrap resamples")
        print(f"absolute path ({how}): {whole:.1f} s, {asked} images scored")
        sample = load_benchmark("pairwise", LoadRequest(root=root, labels=labels)).head(args.sample_pairs)
        start = time.perf_counter()
        evaluate(RelativeMeasured(), sample, model_id="measured", progress=False, boot=BootstrapConfig(0))
        per_pair = (time.perf_counter() - start) / len(sample)
        print(f"asking every pair instead: {per_pair * 1000:.0f} ms per pair -> ~{per_pair * n_pairs:.0f} s")
        print(f"speed-up of scoring each image once: ~{per_pair * n_pairs / whole:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
