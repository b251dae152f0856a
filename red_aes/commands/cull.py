"""``red-aes cull``: a shoot in, a decision per photo out (:mod:`red_aes.cull`, ``docs/cull.md``).

Examples::

    red-aes cull ~/Pictures/shoot --out cull-out
    red-aes cull ~/Pictures/shoot --out cull-out --xmp --workers 2
    red-aes cull ~/Pictures/shoot --out cull-out --dry-run
    red-aes cull /archive --out /shared/cull --shard 3/100   # one shard; a last run without --shard writes

Writes ``OUT/cull.csv``, ``OUT/cull.json`` and ``OUT/index.html`` (``--formats`` picks), and with ``--xmp``
a sidecar ``photo.jpg.xmp`` beside each photo (an existing one is kept without ``--overwrite``). The cache
(``OUT/cache`` unless ``--cache``) makes a rerun, or a run resumed after Ctrl-C, analyse only new or
changed photos. Exit code 0 (unreadable files are rows with their reason), 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    from red_aes.commands.options import SCORER_OPTIONS, add_model_options
    from red_aes.cull import FLAGS, FORMATS, RATINGS
    from red_aes.scoring import DECODINGS

    flags = "\n".join(f"  {name:<13} {rule}" for name, rule in FLAGS.items())
    ratings = "; ".join(
        f"{'pick' if pick else 'other frame'}{', flagged' if flagged else ''}: "
        + (f"{stars} star{'s' if stars != 1 else ''}")
        + (f" and {label}" if label else "")
        for (pick, flagged), (stars, label) in RATINGS.items()
    )
    p = subparsers.add_parser(
        "cull",
        help="group the bursts of a folder, pick the best frame of each and flag defects",
        description=(
            "Group a folder's photos by capture time and perceptual hash, rank each group with the\n"
            "scorer's pairwise deltas (Copeland), pick its best frame with a reason, and flag defects from\n"
            "measured statistics. Writes cull.csv, cull.json and index.html (an offline contact sheet)\n"
            "into --out; see docs/cull.md."
        ),
        epilog=f"flags (measured statistic and threshold):\n{flags}\n\nXMP ratings: {ratings}.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("folder", metavar="FOLDER", help="the folder of photos (read recursively)")
    p.add_argument("--out", required=True, metavar="DIR", help="where cull.csv, cull.json, index.html go")
    add_model_options(p, SCORER_OPTIONS)
    p.add_argument(
        "--decoding", choices=DECODINGS, default="fast", help="a VLM's decoding (default fast: no reasoning)"
    )
    p.add_argument("--workers", type=int, default=1, help="processes analysing photos (default 1)")
    p.add_argument(
        "--shard",
        metavar="I/N",
        help="analyse only shard I of N (by content fingerprint) into the cache; a run without it writes",
    )
    p.add_argument("--cache", metavar="DIR", help="the cache folder (default OUT/cache); shards share one")
    p.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help=f"comma-separated outputs among {', '.join(FORMATS)} (default all)",
    )
    p.add_argument(
        "--xmp", action="store_true", help="write an XMP sidecar (rating, label) beside each photo"
    )
    p.add_argument("--overwrite", action="store_true", help="replace XMP sidecars that already exist")
    p.add_argument("--dry-run", action="store_true", help="print the plan; decode, score and write nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from red_aes.commands.options import SCORER_OPTIONS, model_kwargs
    from red_aes.cull import FORMATS, Culler, parse_shard
    from red_aes.errors import InputError

    folder, out = Path(args.folder), Path(args.out)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder")
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    shard = parse_shard(args.shard) if args.shard else None
    if shard and args.xmp:
        raise InputError("--xmp is written by the final run without --shard")
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise InputError(
            f"--formats takes a comma-separated list of {', '.join(FORMATS)}, got {args.formats!r}"
        )
    cache = Path(args.cache) if args.cache else out / "cache"
    options = model_kwargs(args, SCORER_OPTIONS)
    model = options.pop("model")
    culler = Culler(
        model,
        options=options,
        decoding=args.decoding,
        cache=cache,
        workers=args.workers,
        progress=not args.quiet,
    )
    exclude = (out, cache)
    if args.dry_run:
        plan = culler.plan(folder, shard=shard, exclude=exclude)
        print("\n".join(plan.lines()))
        if shard:
            print(
                "would write: the cache entries of this shard only (outputs come from a run without --shard)"
            )
            return 0
        print(f"would write: {', '.join(str(out / name) for name in _names(formats))}")
        if args.xmp:
            existing = sum(1 for path in plan.photos if Path(f"{path}.xmp").exists())
            kept = "replaced (--overwrite)" if args.overwrite else "kept (--overwrite replaces them)"
            print(f"XMP sidecars: {len(plan.photos) - existing} new, {existing} existing {kept}")
        print("nothing was written (--dry-run)")
        return 0
    try:
        result = culler.run(folder, shard=shard, exclude=exclude)
    except KeyboardInterrupt:
        print(f"red-aes cull: finished photos are in the cache {cache}; rerun to resume", file=sys.stderr)
        raise
    print(result.summary())
    for photo in result.unreadable:
        print(f"  unreadable: {photo.path}: {photo.error}")
    if shard:
        print(f"cache: {cache}; run again without --shard to write the outputs")
        return 0
    for path in result.write(out, formats):
        print(f"wrote {path}")
    if args.xmp:
        written, kept = result.write_xmp(overwrite=args.overwrite)
        note = f"; {len(kept)} existing kept (--overwrite replaces them)" if kept else ""
        print(f"wrote {len(written)} XMP sidecars{note}")
    return 0


def _names(formats: list[str]) -> list[str]:
    from red_aes.cull import CSV_NAME, FORMATS, HTML_NAME, JSON_NAME

    names = dict(zip(FORMATS, (CSV_NAME, JSON_NAME, HTML_NAME), strict=True))
    return [names[f] for f in FORMATS if f in formats]
