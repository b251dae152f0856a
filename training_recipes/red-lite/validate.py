"""Validate RED-Lite beside the simple baselines: the edit ladder, then the one validation table.

    python training_recipes/red-lite/validate.py --heldout DIR [--weights DIR ...] [--dev ROOT]
        [--noise ROOT] [--out DIR] [--no-card]

Every row puts RED-Lite next to ``measured``, ``stat-sharpness`` and ``stat-colorfulness`` on the same
images; nothing here trains or calibrates anything:

* **edit ladder** (``red-aes eval --benchmark edit-ladder``) on the bundled photos (examples/photos, in no
  training list): each photo degraded (and improved, where the editor has one) per attribute at four
  strengths; pairwise accuracy of the order the editor implies;
* **two-sided aesthetic edits** of the held-out photos (``--heldout``: curated photos in no training
  list, e.g. ``heldout.csv`` fetched with ``red-aes lite fetch-photos``): eleven edits a photographer
  calls worse (:data:`AESTHETIC_CHECKS`), the share with Δ < 0, overall and per kind;
* **strong defects** on the same photos: strong blur, grain σ 30, −2 EV, JPEG quality 4, and grain on a
  blurred copy against that copy: the share with Δ < 0;
* **JPEG**: the mean score change of a quality-90 save of the lossless pixels, and the share of photos a
  quality-10 save lowers;
* with ``--dev``, a human-rated folder (``labels.csv``: ``file,score``), e.g. clive-dev: SRCC on all
  images and on each format (JPEG, PNG), and the mean score change of a quality-90 JPEG save of each
  lossless (PNG) image; a development set is for validation and model selection only;
* with ``--noise``, clean/noisy capture pairs (``pairs.csv``: ``better,worse``), e.g. real-noise-dev: the
  share of pairs where the clean capture scores higher;
* the **synthetic validation** recorded by training (order accuracy of the validation photos' ladders
  and aesthetic edits, and the mean score gap of their JPEG re-saves).

Writes ``EVALUATION.md`` into the first ``--weights`` folder (the shipped weights by default) and
re-renders its model card, unless ``--no-card``; several ``--weights`` compare heads (their features are
extracted once per configuration). Evaluation outputs go to ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.stats import spearmanr
from tqdm.auto import tqdm

from red_aes.editing.degradations import jpeg
from red_aes.editing.operations import Operation, apply_operation, jpeg_amount
from red_aes.images import load_image
from red_aes.lite.model import DEFAULT_WEIGHTS, RedLiteModel
from red_aes.measure import to_float, to_image
from red_aes.scoring import load_scorer

BASELINES = ("measured", "stat-sharpness", "stat-colorfulness")
REPO = Path(__file__).resolve().parents[2]
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")


def _eval(weights: Path, benchmark: list[str], out: Path) -> dict:
    models = ["--model", "red-lite", "--adapter", str(weights)]
    for name in BASELINES:
        models += ["--model", name]
    command = [sys.executable, "-m", "red_aes", "eval", *models, *benchmark, "--decoding", "fast"]
    subprocess.run([*command, "--out", str(out), "--no-progress"], check=True, cwd=REPO)
    return json.loads((out / "results.json").read_text())


def _ladder_table(results: dict) -> list[str]:
    """One row per model: pairwise accuracy overall, then on each subset."""
    subsets = sorted({s for r in results["results"] for s in r.get("breakdown", {})})
    lines = ["| model | all | " + " | ".join(subsets) + " |", "|---" * (len(subsets) + 2) + "|"]

    def cell(metrics: dict) -> str:
        value = metrics.get("pairwise_accuracy", {}).get("value")
        return "–" if value is None else f"{value:.3f}"

    for r in results["results"]:
        row = [cell(r["metrics"])] + [
            cell(r.get("breakdown", {}).get(s, {}).get("metrics", {})) for s in subsets
        ]
        lines.append(f"| {r['model']} | " + " | ".join(row) + " |")
    return lines


#: The two-sided aesthetic edits of the check: name -> editor operation (clearly visible amounts).
AESTHETIC_CHECKS: dict[str, Operation] = {
    "more saturated": Operation("saturation", 1.0),
    "less saturated": Operation("saturation", -0.6),
    "warm cast": Operation("temperature", 3.0),
    "cool cast": Operation("temperature", -3.0),
    "magenta tint": Operation("tint", 2.5),
    "harsher contrast": Operation("contrast", 1.0),
    "flatter contrast": Operation("contrast", -0.5),
    "over-exposed": Operation("exposure", 1.5),
    "under-exposed": Operation("exposure", -1.5),
    "tilted 6°": Operation("rotate", 6.0),
    "corner crop": Operation("crop_box"),  # the box is set per photo: its top-left 55%
}
#: Strong capture defects (edit of the photo, or of its blurred copy for the last).
DEFECTS: dict[str, Operation] = {
    "strong blur": Operation("blur", 4.0),
    "grain σ 30": Operation("grain", 30.0),
    "−2 EV": Operation("exposure", -2.0),
    "JPEG q4": Operation("jpeg", jpeg_amount(4)),
}


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    """One JPEG save of ``image`` at ``quality`` (the editor's round trip, 4:2:0)."""
    return to_image(jpeg(to_float(image), quality))


def _edit(image: Image.Image, op: Operation) -> Image.Image:
    if op.op == "crop_box":
        op = Operation("crop_box", box=(0, 0, round(0.55 * image.width), round(0.55 * image.height)))
    return apply_operation(image, op, seed=0)[0]


class Scorers:
    """Scores of images by name: RED-Lite heads share one feature extraction per image."""

    def __init__(self, weights: list[Path], baselines: tuple[str, ...]) -> None:
        self.heads = {
            ("red-lite" if w == DEFAULT_WEIGHTS else f"red-lite ({w})"): RedLiteModel.from_pretrained(w)
            for w in weights
        }
        self.baselines = {name: load_scorer(name) for name in baselines}

    @property
    def names(self) -> list[str]:
        return [*self.heads, *self.baselines]

    def __call__(self, image: Image.Image) -> dict[str, float]:
        scores: dict[str, float] = {}
        vectors: dict[object, np.ndarray] = {}
        for name, model in self.heads.items():
            key = tuple(sorted(model.feature_config.to_dict().items()))
            if key not in vectors:
                vectors[key] = model.extractor(image)
            scores[name] = float(model.score_features(vectors[key])[0])
        for name, scorer in self.baselines.items():
            scores[name] = float(scorer.score(image).score)
        return scores


def _share(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def held_out_rows(scorers: Scorers, folder: Path) -> dict[str, dict[str, float]]:
    """Aesthetic edits, strong defects and the JPEG rows on the held-out photos."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    per_kind: dict[str, dict[str, list[float]]] = {n: {} for n in scorers.names}
    defects: dict[str, list[float]] = {n: [] for n in scorers.names}
    q90: dict[str, list[float]] = {n: [] for n in scorers.names}
    q10: dict[str, list[float]] = {n: [] for n in scorers.names}
    for path in tqdm(files, desc="held-out photos", unit="photo"):
        photo = load_image(path.read_bytes())
        base = scorers(photo)

        def lower(image: Image.Image, against: dict[str, float], into: Callable[[str, float], None]) -> None:
            for name, value in scorers(image).items():
                into(name, value - against[name])

        for kind, op in AESTHETIC_CHECKS.items():
            lower(_edit(photo, op), base, lambda n, d, k=kind: per_kind[n].setdefault(k, []).append(d < 0))
        for op in DEFECTS.values():
            lower(_edit(photo, op), base, lambda n, d: defects[n].append(d < 0))
        blurred = _edit(photo, DEFECTS["strong blur"])
        lower(_edit(blurred, DEFECTS["grain σ 30"]), scorers(blurred), lambda n, d: defects[n].append(d < 0))
        lower(_jpeg(photo, 90), base, lambda n, d: q90[n].append(d))
        lower(_jpeg(photo, 10), base, lambda n, d: q10[n].append(d < 0))
    rows: dict[str, dict[str, float]] = {}
    for name in scorers.names:
        kinds = {k: _share(v) for k, v in per_kind[name].items()}
        worst = min(kinds, key=kinds.get)
        rows[name] = {
            "aesthetic Δ<0": _share([x for v in per_kind[name].values() for x in v]),
            "worst kind": f"{worst} {kinds[worst]:.2f}",
            "strong defects Δ<0": _share(defects[name]),
            "JPEG q90 mean Δ": float(np.mean(q90[name])),
            "JPEG q10 lowers": _share(q10[name]),
        }
        rows[name]["kinds"] = kinds
    return rows


def rated_rows(scorers: Scorers, root: Path) -> dict[str, dict[str, float]]:
    """SRCC with the ratings of ``root/labels.csv`` on all images, the JPEGs and the PNGs; and the mean
    score change when each lossless (PNG) image is saved as a quality-90 JPEG (labels unused)."""
    with open(root / "labels.csv", newline="") as handle:
        labels = list(csv.DictReader(handle))
    scores = {n: [] for n in scorers.names}
    q90: dict[str, list[float]] = {n: [] for n in scorers.names}
    for row in tqdm(labels, desc=root.name, unit="image"):
        image = load_image((root / row["file"]).read_bytes())
        base = scorers(image)
        for name, value in base.items():
            scores[name].append(value)
        if row["file"].lower().endswith(".png"):
            for name, value in scorers(_jpeg(image, 90)).items():
                q90[name].append(value - base[name])
    mos = np.array([float(r["score"]) for r in labels])
    jpeg = np.array([r["file"].lower().endswith((".jpg", ".jpeg")) for r in labels])
    result = {}
    for name, values in scores.items():
        x = np.array(values)
        result[name] = {
            "SRCC all": float(spearmanr(x, mos)[0]),
            "SRCC JPEG": float(spearmanr(x[jpeg], mos[jpeg])[0]),
            "SRCC PNG": float(spearmanr(x[~jpeg], mos[~jpeg])[0]),
            "PNG→q90 mean Δ": float(np.mean(q90[name])) if q90[name] else float("nan"),
        }
    return result


def pair_rows(scorers: Scorers, root: Path) -> dict[str, dict[str, float]]:
    """The share of ``root/pairs.csv`` pairs where the better (clean) capture scores higher."""
    with open(root / "pairs.csv", newline="") as handle:
        pairs = list(csv.DictReader(handle))
    wins = {n: [] for n in scorers.names}
    for row in tqdm(pairs, desc=root.name, unit="pair"):
        better = scorers(load_image((root / row["better"]).read_bytes()))
        worse = scorers(load_image((root / row["worse"]).read_bytes()))
        for name in scorers.names:
            wins[name].append(better[name] > worse[name])
    return {n: {"clean > noisy": _share(v)} for n, v in wins.items()}


def _markdown(rows: dict[str, dict[str, object]], columns: list[str]) -> list[str]:
    lines = ["| scorer | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, row in rows.items():
        cells = [f"{row[c]:.3f}" if isinstance(row.get(c), float) else str(row.get(c, "–")) for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _ladder_section(weights: Path, out: Path) -> list[str]:
    """The edit-ladder eval of ``weights`` beside the baselines, as a titled Markdown table."""
    ladder = _eval(weights, ["--benchmark", "edit-ladder", "--root", "examples/photos"], out / "ladder")
    return [
        "**Edit ladder on the 7 bundled photos** (editor degradations at strengths 0.25–1, improvements",
        "where the editor has one; `measured`'s constants were hand-calibrated on these photos). Pairwise",
        "accuracy:",
        "",
        *_ladder_table(ladder),
        "",
    ]


def synthetic_rows(weights: Path) -> list[str]:
    """The synthetic validation training recorded for ``weights`` (its ``red_aes.json``)."""
    validation = (
        json.loads((weights / "red_aes.json").read_text()).get("validation", {}).get("validation", {})
    )
    if not validation:
        return []
    cells = {
        "ladder order accuracy": validation.get("order_accuracy"),
        "aesthetic-edit accuracy": validation.get("aesthetic_accuracy"),
        "JPEG re-save mean |gap|": validation.get("tie_gap"),
    }
    shown = {k: f"{v:.3f}" for k, v in cells.items() if v is not None}
    return [
        "| " + " | ".join(shown) + " |",
        "|---" * len(shown) + "|",
        "| " + " | ".join(shown.values()) + " |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--weights", type=Path, action="append", default=[], help="RED-Lite folder (repeatable)"
    )
    parser.add_argument("--heldout", type=Path, required=True, help="held-out curated photos")
    parser.add_argument("--dev", type=Path, help="human-rated folder with labels.csv (development set)")
    parser.add_argument("--noise", type=Path, help="clean/noisy capture pairs with pairs.csv")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "red-lite-eval")
    parser.add_argument("--no-card", action="store_true", help="print the tables only")
    parser.add_argument("--no-baselines", action="store_true", help="RED-Lite heads only (quick comparisons)")
    parser.add_argument("--no-ladder", action="store_true", help="skip the edit-ladder eval")
    args = parser.parse_args()
    weights = [w.resolve() for w in args.weights] or [DEFAULT_WEIGHTS]
    if not args.no_card and (args.no_baselines or args.no_ladder):
        parser.error("the card reports every row: --no-baselines and --no-ladder need --no-card")
    scorers = Scorers(weights, () if args.no_baselines else BASELINES)
    rows: dict[str, dict[str, object]] = {name: {} for name in scorers.names}
    for name, row in held_out_rows(scorers, args.heldout).items():
        rows[name].update(row)
    columns = ["aesthetic Δ<0", "worst kind", "strong defects Δ<0", "JPEG q90 mean Δ", "JPEG q10 lowers"]
    if args.dev:
        for name, row in rated_rows(scorers, args.dev).items():
            rows[name].update(row)
        columns += ["SRCC all", "SRCC JPEG", "SRCC PNG", "PNG→q90 mean Δ"]
    if args.noise:
        for name, row in pair_rows(scorers, args.noise).items():
            rows[name].update(row)
        columns.append("clean > noisy")
    kinds = list(AESTHETIC_CHECKS)
    n_photos = len([p for p in args.heldout.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES])
    dev = (
        f"`{args.dev.name}` SRCC with its MOS (a development set: validation and model selection only)"
        if args.dev
        else ""
    )
    noise = f"`{args.noise.name}` clean > noisy" if args.noise else ""
    lines = [
        "### Validation (`training_recipes/red-lite/validate.py`)",
        "",
        f"**The one validation table.** Held-out photos: {n_photos} curated photos in no training",
        "list (`training_recipes/red-lite/heldout.csv`), each edited eleven ways a photographer calls",
        "worse and five ways that are defects; JPEG saves of their lossless pixels"
        + (f"; {dev}" if dev else "")
        + (f"; {noise}" if noise else "")
        + ". Every scorer on the same images.",
        "",
        *_markdown(rows, columns),
        "",
        "Two-sided aesthetic edits, share with Δ < 0 per kind:",
        "",
        *_markdown({n: {k: r["kinds"][k] for k in kinds} for n, r in rows.items()}, kinds),
        "",
        "**Synthetic validation** (from training: the validation photos' ladders, aesthetic edits and",
        "JPEG re-saves):",
        "",
        *synthetic_rows(weights[0]),
        "",
        *([] if args.no_ladder else _ladder_section(weights[0], args.out)),
        "No human-rated data was used for training.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_card:
        from red_aes.train.lite.card import write_card

        (weights[0] / "EVALUATION.md").write_text(text)
        print(write_card(weights[0], RedLiteModel.from_pretrained(weights[0])))


if __name__ == "__main__":
    main()
