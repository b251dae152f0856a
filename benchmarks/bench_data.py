"""Dataset-building throughput (pairs per second) and the resume speed-up, measured in one run.

Builds the laptop recipe (bundled photos, classical editor, measured judge, offline rationales) three
times in temporary folders:

1. a full build from scratch, which gives pairs per second (and planned edits per second);
2. the same build interrupted after half of its shards (the interruption is an exception raised from
   the ``after_shard`` hook, so the stored shards are exactly those a killed job would leave), then
   resumed: the resume speed-up is full-build time / resume time, and the resumed dataset is checked to
   equal the full one;
3. a re-run of the finished build, which only merges the stored shards.

Only the ratios are meant to travel between machines.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from pathlib import Path

from datasets import Image, load_from_disk

from red_aes.data import BuildConfig, build_dataset
from red_aes.data.card import BUILD_STATS

REPO = Path(__file__).resolve().parent.parent
LAPTOP = REPO / "examples" / "configs" / "data_laptop.yaml"


class _Interrupted(Exception):
    """Raised from the after-shard hook to stop a build at a known shard."""


def _rows(out: Path) -> dict[str, list[dict]]:
    dataset = load_from_disk(str(out))
    return {
        name: split.cast_column("original", Image(decode=False))
        .cast_column("edited", Image(decode=False))
        .to_list()
        for name, split in dataset.items()
    }


def _timed_build(config: BuildConfig) -> float:
    start = time.perf_counter()
    build_dataset(config)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-side", type=int, default=256, help="long side of the photos (pixels)")
    parser.add_argument("--pairs-per-source", type=int, default=3)
    args = parser.parse_args(argv or [])

    base = BuildConfig.from_yaml(LAPTOP).replace(
        source=str(REPO / "examples" / "photos"),
        max_side=args.max_side,
        pairs_per_source=args.pairs_per_source,
        shard_size=1,
        progress=False,
    )
    with tempfile.TemporaryDirectory() as tmp:
        warm = base.replace(out=f"{tmp}/warm", max_sources=1)
        _timed_build(warm)  # imports and first-call costs out of the way

        full = base.replace(out=f"{tmp}/full")
        full_s = _timed_build(full)
        stats = json.loads((Path(full.out) / BUILD_STATS).read_text())
        half = stats["shards"] // 2

        resumed = base.replace(out=f"{tmp}/resumed")

        def stop(index: int) -> None:
            if index == half - 1:
                raise _Interrupted

        with contextlib.suppress(_Interrupted):
            build_dataset(resumed, after_shard=stop)
        resume_s = _timed_build(resumed)
        merge_s = _timed_build(full)
        same = _rows(Path(resumed.out)) == _rows(Path(full.out))

    print(f"photos: {stats['sources']}, planned edits: {stats['planned']}, kept pairs: {stats['kept']}")
    pairs_per_s, edits_per_s = stats["kept"] / full_s, stats["planned"] / full_s
    print(f"full build: {full_s:.1f}s = {pairs_per_s:.2f} pairs/s, {edits_per_s:.2f} edits/s")
    print(f"resume after {half} of {stats['shards']} shards: {resume_s:.1f}s")
    print(f"resume speed-up vs a full build: {full_s / resume_s:.2f}x")
    print(
        f"re-run of a finished build (merge only): {merge_s:.1f}s; speed-up vs full: {full_s / merge_s:.2f}x"
    )
    print(f"resumed dataset identical to the uninterrupted one: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
