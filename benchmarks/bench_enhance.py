"""The acceptance benchmark of ``red-aes enhance`` (issue 25), beside a random-edit baseline.

Every curated photo (the bundled ``examples/photos``, in no RED-Lite training list; ``--photos DIR`` for
another folder) is spoilt by each known global edit of :data:`PERTURBATIONS` (exposure ±0.6 EV, contrast
±30%, saturation ±30%, a warm and a cool cast of ±2 quarter stops, a 4° tilt), made with the classical
editor's own operations. Each spoilt photo goes through the :class:`~red_aes.enhance.Enhancer` the CLI
uses (same margin, budget and time limit unless given), and each untouched original too.

**Moved back.** The colour distance of an image to the original is the mean CIE 1976 ΔE*ab of
co-located pixels (:func:`red_aes.perceptual.delta_e`) at the analysis size (512 px long side). A case
*moved back* when the distance of the enhanced photo is lower than that of the spoilt photo; "no edit
helps" on a spoilt photo leaves the distance as it is, so it counts as not moved back, as does a call
that raises (recorded as "error", shown as "failed"; the enhancer now moves on to the next suggestion
when the photo refuses the one its 512-px copy accepted, e.g. ``straighten`` at the line-confidence limit).

Geometry: the tilt and a chosen ``straighten`` rotate the frame and zoom into it (the editor crops the
largest upright rectangle and scales it back to size), so each image is compared with the original
zoomed by the same total factor (a central crop of the original scaled back to size, :func:`reference`),
not rotated: what is left is the residual rotation and the colour change. The zoom of each rotation is
the one the editor's ``rotate`` reports for that angle.

**Random baseline.** On the same cases, a policy that draws uniformly from the search's first-round
candidates (:func:`red_aes.enhance.candidates` of no edit: each control at one step, those the editor
can apply to the photo) plus "no edit", i.e. "no edit" with probability 1/(candidates + 1). It is reported
two ways: one seeded draw per case, and its exact expectation (every candidate applied, the share that
moves back divided by candidates + 1). On the originals the same policy says "no edit helps" with
probability 1/(candidates + 1).

**Margin curve.** The search does not depend on the margin; only the final answer does (the best
suggestion that is visible and applies at full size, or "no edit helps" when its predicted gain is below
the margin; which suggestions pass those two checks does not depend on the margin). So one run at margin ``m``
also gives the answer at every larger margin: the same edit where its gain reaches it, "no edit" where
not. The report lists both rates at ``m`` and the larger :data:`MARGINS`: the trade-off between moving
spoilt photos back and leaving good ones alone that the critic allows, whatever margin is chosen.

Prints a markdown table (per perturbation and overall: the moved-back rate of ``enhance``, of the
seeded random draw and the random expectation; the originals' "no edit helps" rate; seconds per
``enhance`` call; the margin curve) and writes every case to ``--out`` as JSON. No timing is asserted.

Usage: ``python benchmarks/bench_enhance.py [--model red-lite|measured] [--quick] [--photos DIR]
[--out bench_enhance.json]``; ``--quick`` takes the first two photos.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from red_aes.editing.base import UnsupportedEditError
from red_aes.editing.classical import ClassicalEditor
from red_aes.editing.operations import Operation, apply_operation
from red_aes.enhance import DEFAULT_MARGIN, Enhancer, EnhanceResult, candidates, ordered, prompt_for
from red_aes.images import load_image
from red_aes.measure import analysis_image, to_float
from red_aes.perceptual import delta_e
from red_aes.resources import example_photos

#: The known global edits each photo is spoilt by (editor operations and amounts).
PERTURBATIONS: dict[str, Operation] = {
    "exposure -0.6 EV": Operation("exposure", -0.6),
    "exposure +0.6 EV": Operation("exposure", 0.6),
    "contrast -30%": Operation("contrast", -0.3),
    "contrast +30%": Operation("contrast", 0.3),
    "saturation -30%": Operation("saturation", -0.3),
    "saturation +30%": Operation("saturation", 0.3),
    "warm cast": Operation("temperature", 2.0),
    "cool cast": Operation("temperature", -2.0),
    "tilt 4°": Operation("rotate", 4.0),
}
#: A perturbation that moves a photo by less than this (mean ΔE*ab) does not spoil it (e.g. saturation
#: on a black-and-white photo): the case is skipped.
MIN_SPOIL = 0.5
#: The issue's targets: share of spoilt photos moved back, share of originals left alone.
TARGET_MOVED_BACK, TARGET_NO_EDIT = 0.8, 0.7
#: Margins (score points) the report's margin curve is read at (those at least the run's margin).
MARGINS = (0.0, 0.15, 0.25, 0.35, 0.5, 0.75)
SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")
NO_EDIT = "no edit helps"
#: The prompt recorded when ``enhance`` raises (it now moves on to the next suggestion when the photo
#: refuses one, so this is a guard); such a call never counts as moved back nor as "no edit helps".
ERROR = "error"


@dataclass
class Edited:
    """An image made from the original by edits: its pixels and its zoom (1 when no rotation)."""

    image: Image.Image
    zoom: float = 1.0


# -- edits and the colour distance ----------------------------------------------------------------------


def rotation_zoom(size: tuple[int, int], degrees: float) -> float:
    """The zoom of the editor's rotation by ``degrees`` of an image of ``size`` (as its ``rotate``
    reports it: the inverse of the largest upright rectangle's scale)."""
    if degrees == 0:
        return 1.0
    return float(apply_operation(Image.new("RGB", size), Operation("rotate", degrees))[1]["zoom"])


def apply_edit(editor: ClassicalEditor, image: Image.Image, operations: list[Operation]) -> Edited | None:
    """``operations`` applied by the editor as ``enhance`` applies them (seed 0, its work bound), with the
    zoom of any rotation or straightening among them; None when the editor cannot apply them (e.g.
    straightening a photo without straight lines)."""
    try:
        result = editor.apply(image, operations, seed=0, max_work=editor.max_work)
    except UnsupportedEditError:
        return None
    zoom = 1.0
    for op, params in zip(operations, result.params["operations"], strict=True):
        if op.op == "rotate":
            zoom *= float(params["zoom"])
        elif op.op == "straighten":
            zoom *= rotation_zoom(image.size, float(params["angle"]))
    return Edited(result.image, zoom)


def reference(original: Image.Image, zoom: float) -> Image.Image:
    """``original`` zoomed into by ``zoom`` about its centre and scaled back to its size, unrotated: the
    frame a perfectly straightened image covers."""
    if zoom == 1.0:
        return original
    w, h = original.size
    s = 1.0 / zoom
    box = ((w - s * w) / 2, (h - s * h) / 2, (w + s * w) / 2, (h + s * h) / 2)
    return original.resize((w, h), Image.Resampling.LANCZOS, box=box)


def colour_distance(edited: Edited, original: Image.Image) -> float:
    """Mean CIE 1976 ΔE*ab between ``edited`` and the original at the same zoom, at the analysis size."""
    if edited.image.size != original.size:
        raise ValueError(f"sizes differ: {edited.image.size} and {original.size}")
    a = to_float(analysis_image(edited.image.convert("RGB")))
    b = to_float(analysis_image(reference(original, edited.zoom)))
    return delta_e(b, a)


def random_candidates() -> list[list[Operation]]:
    """The search's first-round candidates (:func:`red_aes.enhance.candidates` of no edit), as
    operations."""
    return [ordered(edit) for edit in candidates({})]


def applicable(editor: ClassicalEditor, image: Image.Image) -> list[tuple[list[Operation], Edited]]:
    """Every first-round candidate the editor can apply to ``image``, with its result."""
    done = ((ops, apply_edit(editor, image, ops)) for ops in random_candidates())
    return [(ops, edited) for ops, edited in done if edited is not None]


# -- the runs -------------------------------------------------------------------------------------------


def load_photos(
    folder: str | os.PathLike | None = None, limit: int | None = None
) -> list[tuple[str, Image.Image]]:
    """The photos of ``folder`` (default: the bundled curated photos), name-sorted, at the editor's
    working size."""
    root = Path(folder) if folder else example_photos()
    paths = sorted(p for p in root.iterdir() if p.suffix.lower() in SUFFIXES)[:limit]
    if not paths:
        raise SystemExit(f"no photos in {root}")
    return [(p.name, load_image(p, long_side=ClassicalEditor().long_side)) for p in paths]


def _enhance(enhancer: Enhancer, image: Image.Image) -> tuple[EnhanceResult, float, str | None]:
    """``enhance`` on ``image``, its wall time and its error: an edit the search chose that the editor
    then refuses on the photo itself is recorded as a failed call (the photo left as it is), not raised."""
    start = time.perf_counter()
    try:
        result = enhancer.enhance(image)
    except UnsupportedEditError as err:
        wall = time.perf_counter() - start
        return EnhanceResult(None, 0.0, str(err), [], None, 0, wall, "error"), wall, f"{err}"
    return result, time.perf_counter() - start, None


def run_case(
    enhancer: Enhancer,
    name: str,
    original: Image.Image,
    kind: str,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """One spoilt photo: its distance, what ``enhance`` chose and whether that moved it back, the
    seeded random draw and the random expectation."""
    editor = enhancer.editor
    perturbation = PERTURBATIONS[kind]
    spoilt = apply_edit(editor, original, [perturbation])
    assert spoilt is not None, f"the editor refused the perturbation {kind}"
    before = colour_distance(spoilt, original)
    case: dict[str, Any] = {"photo": name, "kind": kind, "perturbation": perturbation.to_dict()}
    case["distance_before"] = round(before, 3)
    if before < MIN_SPOIL:
        case["skipped"] = f"the perturbation moves this photo by {before:.2f} ΔE only"
        return case
    result, wall, error = _enhance(enhancer, spoilt.image)
    if result.prompt is None:
        after = before
    else:
        operations = [Operation(**op) for op in result.details["operations"]]
        geometry = any(op.op in ("rotate", "straighten") for op in operations)
        zoom = apply_edit(editor, spoilt.image, operations).zoom if geometry else 1.0
        after = colour_distance(Edited(result.image, spoilt.zoom * zoom), original)
    case["enhance"] = {
        "prompt": result.prompt or (ERROR if error else NO_EDIT),
        "delta": round(result.delta, 3),
        "search_delta": result.details.get("search_delta", 0.0),  # unrounded: compared with margins
        "evaluations": result.evaluations,
        "stopped": result.stopped,
        "seconds": round(wall, 2),
        "distance_after": round(after, 3),
        "moved_back": after < before,
    }
    if error:
        case["enhance"]["error"] = error
    options = applicable(editor, spoilt.image)
    outcomes = [colour_distance(Edited(e.image, spoilt.zoom * e.zoom), original) for _, e in options]
    draw = int(rng.integers(len(options) + 1))  # len(options): no edit
    drawn = outcomes[draw] if draw < len(options) else before
    case["random"] = {
        "prompt": prompt_for(options[draw][0]) if draw < len(options) else NO_EDIT,
        "distance_after": round(drawn, 3),
        "moved_back": drawn < before,
        "expected_moved_back": round(sum(d < before for d in outcomes) / (len(options) + 1), 4),
        "candidates": len(options),
    }
    return case


def run_original(
    enhancer: Enhancer, name: str, original: Image.Image, rng: np.random.Generator
) -> dict[str, Any]:
    """One untouched original: whether ``enhance`` says "no edit helps", and the random draw."""
    result, wall, error = _enhance(enhancer, original)
    candidates = len(applicable(enhancer.editor, original))
    draw = int(rng.integers(candidates + 1))
    return {
        "photo": name,
        "prompt": result.prompt or (ERROR if error else NO_EDIT),
        "no_edit": result.prompt is None and not error,
        **({"error": error} if error else {}),
        "delta": round(result.delta, 3),
        "search_delta": result.details.get("search_delta", 0.0),  # unrounded: compared with margins
        "evaluations": result.evaluations,
        "stopped": result.stopped,
        "seconds": round(wall, 2),
        "random_no_edit": draw == candidates,
        "random_expected_no_edit": round(1 / (candidates + 1), 4),
    }


def _rate(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _row(cases: list[dict[str, Any]]) -> dict[str, Any]:
    done = [c for c in cases if "enhance" in c]
    return {
        "cases": len(done),
        "skipped": len(cases) - len(done),
        "enhance_moved_back": _rate([c["enhance"]["moved_back"] for c in done]),
        "enhance_no_edit": _rate([c["enhance"]["prompt"] == NO_EDIT for c in done]),
        "enhance_errors": sum(c["enhance"]["prompt"] == ERROR for c in done),
        "random_moved_back": _rate([c["random"]["moved_back"] for c in done]),
        "random_expected_moved_back": (
            round(statistics.fmean(c["random"]["expected_moved_back"] for c in done), 3) if done else None
        ),
        "mean_distance_before": (
            round(statistics.fmean(c["distance_before"] for c in done), 2) if done else None
        ),
        "mean_distance_after": (
            round(statistics.fmean(c["enhance"]["distance_after"] for c in done), 2) if done else None
        ),
    }


def margin_curve(
    cases: list[dict[str, Any]], originals: list[dict[str, Any]], run_margin: float
) -> list[dict[str, float | None]]:
    """The moved-back and "no edit helps" rates at the run's margin and each larger one of
    :data:`MARGINS`: a suggestion stands where its predicted gain (``search_delta``) reaches the margin,
    else no edit."""
    done = [c["enhance"] for c in cases if "enhance" in c]

    def kept(answer: dict[str, Any], margin: float) -> bool:
        return answer["prompt"] not in (NO_EDIT, ERROR) and answer["search_delta"] >= margin

    return [
        {
            "margin": margin,
            "moved_back": _rate([a["moved_back"] and kept(a, margin) for a in done]),
            "originals_no_edit": _rate([not kept(o, margin) and o["prompt"] != ERROR for o in originals]),
        }
        for margin in sorted({run_margin, *(m for m in MARGINS if m > run_margin)})
    ]


def summarise(
    cases: list[dict[str, Any]], originals: list[dict[str, Any]], run_margin: float = DEFAULT_MARGIN
) -> dict[str, Any]:
    """Per perturbation and overall: moved-back rates of ``enhance``, the random draw and the random
    expectation; the originals' "no edit helps" rates; seconds per ``enhance`` call; the margin curve."""
    kinds = list(dict.fromkeys(c["kind"] for c in cases))
    seconds = [c["enhance"]["seconds"] for c in cases if "enhance" in c] + [o["seconds"] for o in originals]
    return {
        "per_kind": {kind: _row([c for c in cases if c["kind"] == kind]) for kind in kinds},
        "overall": _row(cases),
        "originals": {
            "photos": len(originals),
            "enhance_no_edit": _rate([o["no_edit"] for o in originals]),
            "enhance_errors": sum(o["prompt"] == ERROR for o in originals),
            "random_no_edit": _rate([o["random_no_edit"] for o in originals]),
            "random_expected_no_edit": (
                round(statistics.fmean(o["random_expected_no_edit"] for o in originals), 3)
                if originals
                else None
            ),
        },
        "margin_curve": margin_curve(cases, originals, run_margin),
        "enhance_calls": len(seconds),
        "mean_seconds_per_enhance": round(statistics.fmean(seconds), 2) if seconds else None,
        "targets": {"moved_back": TARGET_MOVED_BACK, "originals_no_edit": TARGET_NO_EDIT},
    }


def run(
    photos: list[tuple[str, Image.Image]],
    enhancer: Enhancer,
    kinds: list[str] | None = None,
    *,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, Any]:
    """Every photo spoilt by every perturbation of ``kinds`` (default: all), then every original, through
    ``enhancer`` and the random baseline; the report ``--out`` holds."""
    kinds = list(PERTURBATIONS) if kinds is None else kinds
    rng = np.random.default_rng(seed)
    plan = [(name, image, kind) for name, image in photos for kind in kinds]
    cases = [
        run_case(enhancer, name, image, kind, rng)
        for name, image, kind in tqdm(plan, desc="spoilt photos", disable=not progress)
    ]
    originals = [
        run_original(enhancer, name, image, rng)
        for name, image in tqdm(photos, desc="originals", disable=not progress)
    ]
    return {
        "model": getattr(enhancer.scorer, "model_id", type(enhancer.scorer).__name__),
        "settings": {
            "margin": enhancer.margin,
            "max_evaluations": enhancer.max_evaluations,
            "time_limit": enhancer.time_limit,
            "max_rounds": enhancer.max_rounds,
            "seed": seed,
            "threads": os.environ.get("OMP_NUM_THREADS"),
            "cpus": os.cpu_count(),
        },
        "distance": "mean CIE 1976 dE*ab at 512 px against the original at the same zoom, unrotated",
        "random_policy": "uniform over the applicable first-round candidates plus 'no edit'",
        "photos": [name for name, _ in photos],
        "perturbations": {kind: PERTURBATIONS[kind].to_dict() for kind in kinds},
        "summary": summarise(cases, originals, enhancer.margin),
        "cases": cases,
        "originals": originals,
    }


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def markdown(report: dict[str, Any]) -> str:
    """The summary as a markdown table (and one line for the originals and the timing)."""
    summary = report["summary"]
    lines = [
        f"`enhance` with {report['model']} (margin {report['settings']['margin']}, budget "
        f"{report['settings']['max_evaluations']}, time limit {report['settings']['time_limit']} s), "
        f"{len(report['photos'])} photos",
        "",
        "| perturbation | cases | enhance moved back | enhance 'no edit' | random draw | random expected "
        "| mean ΔE before → after |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = [*summary["per_kind"].items(), ("**overall**", summary["overall"])]
    for kind, row in rows:
        distances = (
            f"{row['mean_distance_before']:.1f} → {row['mean_distance_after']:.1f}" if row["cases"] else "–"
        )
        notes = [f"+{row['skipped']} skipped"] * bool(row["skipped"])
        notes += [f"{row['enhance_errors']} failed"] * bool(row["enhance_errors"])
        skipped = f" ({', '.join(notes)})" if notes else ""
        lines.append(
            f"| {kind} | {row['cases']}{skipped} "
            f"| {_pct(row['enhance_moved_back'])} | {_pct(row['enhance_no_edit'])} "
            f"| {_pct(row['random_moved_back'])} | {_pct(row['random_expected_moved_back'])} | {distances} |"
        )
    originals = summary["originals"]
    failed = f", {originals['enhance_errors']} failed" if originals["enhance_errors"] else ""
    lines += [
        "",
        f"originals: 'no edit helps' {_pct(originals['enhance_no_edit'])} of {originals['photos']} "
        f"(target ≥ {_pct(TARGET_NO_EDIT)}{failed}); random draw {_pct(originals['random_no_edit'])}, random "
        f"expected {_pct(originals['random_expected_no_edit'])}. Moved back: target ≥ "
        f"{_pct(TARGET_MOVED_BACK)}.",
        f"{summary['enhance_calls']} enhance calls, {summary['mean_seconds_per_enhance']} s each on average "
        f"({report['settings']['cpus']} CPUs, OMP_NUM_THREADS={report['settings']['threads']}).",
        "",
        "| margin | moved back | originals 'no edit helps' |",
        "|---|---|---|",
        *(
            f"| {point['margin']:.2f} | {_pct(point['moved_back'])} | {_pct(point['originals_no_edit'])} |"
            for point in summary["margin_curve"]
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from red_aes.scoring import load_scorer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="red-lite", help="scorer (default red-lite; e.g. measured)")
    parser.add_argument("--adapter", default=None, help="the scorer's adapter or RED-Lite folder")
    parser.add_argument("--photos", help="a folder of photos (default: the bundled curated photos)")
    parser.add_argument("--quick", action="store_true", help="the first two photos only")
    parser.add_argument("--kinds", nargs="+", choices=list(PERTURBATIONS), help="perturbations (default all)")
    parser.add_argument("--margin", type=float, default=DEFAULT_MARGIN, help="enhance --margin")
    parser.add_argument("--budget", type=int, default=60, help="enhance --budget (default 60, as the CLI)")
    parser.add_argument(
        "--time-limit", type=float, default=None, help="seconds per search (Enhancer default)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random baseline")
    parser.add_argument("--out", help="write the report here as JSON")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv if argv is not None else [])
    photos = load_photos(args.photos, 2 if args.quick else None)
    options = {} if args.time_limit is None else {"time_limit": args.time_limit}
    enhancer = Enhancer(
        load_scorer(args.model, args.adapter), margin=args.margin, max_evaluations=args.budget, **options
    )
    report = run(photos, enhancer, args.kinds, seed=args.seed, progress=not args.no_progress)
    report["model"] = args.model
    print(markdown(report))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {args.out}")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
