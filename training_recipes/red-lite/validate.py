"""Validate RED-Lite against the measured scorer and single-statistic baselines, with `red-aes eval`.

    python training_recipes/red-lite/validate.py [--weights DIR] [--dev ROOT ...] [--out DIR]

Benchmarks, none seen by training:

* ``edit-ladder`` on the bundled photos (examples/photos, never in RED-Lite's training data): each photo
  degraded (and, where the editor has one, improved) per attribute at four strengths; per-group SRCC and
  pairwise accuracy of the order the editor implies;
* with ``--dev ROOT``, each human-rated image folder (``imagefolder``: ``ROOT/labels.csv`` with
  ``file,score``), e.g. a development set you may only validate on: SRCC and PLCC with the ratings,
  beside the baselines on the same images. Nothing is fitted to these labels.

Writes ``EVALUATION.md`` into the weights folder and re-renders its model card, so the card reports
exactly these runs. Evaluation outputs (predictions, plots) go to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

BASELINES = ("measured", "stat-sharpness", "stat-colorfulness")
REPO = Path(__file__).resolve().parents[2]


def _eval(weights: Path, benchmark: list[str], out: Path) -> dict:
    models = ["--model", "red-lite", "--adapter", str(weights)]
    for name in BASELINES:
        models += ["--model", name]
    command = [sys.executable, "-m", "red_aes", "eval", *models, *benchmark, "--decoding", "fast"]
    subprocess.run([*command, "--out", str(out), "--no-progress"], check=True, cwd=REPO)
    return json.loads((out / "results.json").read_text())


def _table(results: dict, metrics: tuple[str, ...]) -> list[str]:
    """One row per model: each metric overall, then the first metric on each subset."""
    subsets = sorted({s for r in results["results"] for s in r.get("breakdown", {})})
    labels = [m.upper() if len(metrics) > 1 else "all" for m in metrics] + subsets
    lines = ["| model | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]

    def cell(metrics_: dict, metric: str) -> str:
        value = metrics_.get(metric, {}).get("value")
        return "–" if value is None else f"{value:.3f}"

    for r in results["results"]:
        row = [cell(r["metrics"], m) for m in metrics] + [
            cell(r.get("breakdown", {}).get(s, {}).get("metrics", {}), metrics[0]) for s in subsets
        ]
        lines.append(f"| {r['model']} | " + " | ".join(row) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--weights", type=Path, default=REPO / "red_aes" / "assets" / "red-lite")
    parser.add_argument("--dev", type=Path, action="append", default=[], help="human-rated image folder")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "red-lite-eval")
    args = parser.parse_args()
    ladder = _eval(
        args.weights, ["--benchmark", "edit-ladder", "--root", "examples/photos"], args.out / "ladder"
    )
    lines = [
        "### Held-out validation (`training_recipes/red-lite/validate.py`)",
        "",
        "**Edit ladder on the 7 bundled photos** (not in the training data; degradations by the classical",
        "editor's attribute edits at strengths 0.25–1, improvements where the editor has one; RED-Lite never",
        "saw an improvement, and `measured`'s constants were hand-calibrated on these very photos, so they",
        "are held out for RED-Lite only). Pairwise order accuracy, all groups and per attribute:",
        "",
        *_table(ladder, ("pairwise_accuracy",)),
        "",
    ]
    for root in args.dev:
        dev = _eval(args.weights, ["--benchmark", "imagefolder", "--root", str(root)], args.out / root.name)
        lines += [
            f"**Development set `{root.name}`** ({dev['results'][0].get('n', '?')} human-rated photos; used",
            "for validation and model selection only, never fitted): SRCC / PLCC with the ratings.",
            "",
            *_table(dev, ("srcc", "plcc")),
            "",
        ]
    lines.append("No human-rated data was used for training.")
    (args.weights / "EVALUATION.md").write_text("\n".join(lines) + "\n")
    from red_aes.lite.model import RedLiteModel
    from red_aes.train.lite.card import write_card

    print(write_card(args.weights, RedLiteModel.from_pretrained(args.weights)))


if __name__ == "__main__":
    main()
