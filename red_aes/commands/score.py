"""``red-aes score``: absolute aesthetic scores of single images, or of every photo of a folder.

Examples::

    red-aes score a.jpg b.jpg --model measured --json
    red-aes score photo.jpg --model Qwen/Qwen2.5-VL-7B-Instruct --adapter ./adapter --decoding fast
    red-aes score ~/Pictures/shoot --csv scores.csv

Every image given as a file is loaded (and rejected with a reason) before the model is loaded. A folder
is read recursively (the photo types of ``red-aes cull``: JPEG, PNG, TIFF, HEIC/HEIF with pillow-heif)
and streamed one photo at a time, so its size does not matter; a photo of a folder that cannot be read is
a record with its reason, and the run goes on. ``--json`` prints exactly one JSON list with one object per
image (its ``file`` and the result's fields, as for ``compare``); ``--csv FILE`` writes one row per image
(``file``, ``score``, ``valid``, ``error``, ``warning``, ``model``, ``decoding``). The exit code is 1 when
some image got no valid score (an unreadable photo of a folder included), 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from red_aes.commands.options import (
    add_scorer_options,
    load_scorer_from,
    scorer_settings,
    validity_note,
    value_text,
)
from red_aes.types import SCORE_MAX, SCORE_MIN


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "score",
        help="score single images",
        description=f"Absolute aesthetic scores in [{SCORE_MIN:.0f}, {SCORE_MAX:.0f}], higher is better.",
    )
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files or folders (read recursively)")
    add_scorer_options(p)
    p.add_argument("--csv", metavar="FILE", help="also write one row per image to this CSV file")
    p.set_defaults(func=run)


def _inputs(paths: list[str]) -> tuple[list[str], list[str]]:
    """The files given, and the photos of the folders given (recursively, in name order)."""
    from red_aes.cull import find_photos

    files, found = [], []
    for path in paths:
        if Path(path).is_dir():
            found += [str(photo) for photo in find_photos(path)[0]]
        else:
            files.append(path)
    return files, found


def _stream(scorer: Any, paths: list[str], decoding: str, progress: bool) -> Iterator[tuple[str, Any]]:
    """(path, score) of each photo of a folder, one decoded at a time; an unreadable one gets an invalid
    score with the reason."""
    from tqdm.auto import tqdm

    from red_aes.cull import HEIF_MISSING, HEIF_SUFFIXES, heif_available
    from red_aes.images import ImageLoadError, load_image
    from red_aes.types import AestheticScore

    heif = heif_available()
    for path in tqdm(paths, desc="score", unit="photo", disable=not progress):
        try:
            if Path(path).suffix.lower() in HEIF_SUFFIXES and not heif:
                raise ImageLoadError(path, HEIF_MISSING)
            image = load_image(path)
        except ImageLoadError as err:
            yield path, AestheticScore(None, False, error=f"unreadable: {err.reason}", model=scorer.name)
            continue
        yield path, scorer.score(image, decoding=decoding)


def run(args: argparse.Namespace) -> int:
    from red_aes.cull import heif_available
    from red_aes.errors import InputError
    from red_aes.images import load_image

    heif_available()  # registers the HEIC/HEIF opener when pillow-heif is installed
    files, found = _inputs(args.images)
    if not files and not found:
        raise InputError(f"no photos found in {', '.join(args.images)}")
    images = [load_image(path) for path in files]
    decoding = args.decoding
    scorer = load_scorer_from(args)
    results = list(zip(files, scorer.score(images, decoding=decoding, progress=False), strict=True))
    del images
    results += _stream(scorer, found, decoding, progress=not args.json and len(found) > 1)
    if args.csv:
        _write_csv(args.csv, results)
    if args.json:
        settings = scorer_settings(scorer)
        print(json.dumps([{"file": path, **s.to_dict(), **settings} for path, s in results]))
    else:
        print(f"scores in [{SCORE_MIN:.0f}, {SCORE_MAX:.0f}], higher is better")
        for path, s in results:
            valid = f"{path}: {value_text(s.score, decoding, 'score')}{validity_note(s)}" if s.valid else ""
            print(valid or f"{path}: no valid answer ({s.error})")
            if s.reasoning:
                print(f"  reasoning: {s.reasoning}")
        if args.csv:
            print(f"wrote {args.csv}")
    return 0 if all(s.valid for _, s in results) else 1


def _write_csv(path: str, results: list[tuple[str, Any]]) -> None:
    from red_aes.scoring import score_csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        handle.write(score_csv(results))
