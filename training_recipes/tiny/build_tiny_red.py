"""Build the tiny RED dataset the ``training_recipes/tiny`` recipes train on (tests, GPU smoke checks).

Every bundled photo of ``examples/photos`` becomes a source, shrunk to a thumbnail, with four simple PIL
edits whose deltas follow a fixed rule (brighter +0.6, more contrast +0.4, darker -1.2, blurred -1.5)
plus a per-photo offset (so a delta cannot be read off the instruction alone). The deltas are not
judgements of anyone: they only give the recipes well-formed RED rows (the exact schema of
:mod:`red_aes.data.schema`) with a consistent order inside each source group. Splits are by source.
Usage::

    python training_recipes/tiny/build_tiny_red.py OUT_DIR [--photos examples/photos]
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

from datasets import Dataset, DatasetDict
from PIL import Image, ImageEnhance, ImageFilter

from red_aes.data.schema import FEATURES, validate_row
from red_aes.images import load_image
from red_aes.prompts import PROMPT_VERSION, format_answer, format_delta

PHOTOS = Path(__file__).resolve().parents[2] / "examples" / "photos"
THUMBNAIL = 80  # long side in pixels

#: (attribute, direction, instruction, PIL operation, amount, delta, reasoning: one word, quick to learn)
EDITS = (
    ("exposure", "improve", "brighten the photo", "brightness", 1.3, 0.6, "brighter"),
    ("contrast", "improve", "add contrast", "contrast", 1.3, 0.4, "punchier"),
    ("exposure", "degrade", "darken the photo", "brightness", 0.5, -1.2, "darker"),
    ("sharpness", "degrade", "blur the photo", "blur", 2.0, -1.5, "blurred"),
)
OFFSETS = (0.0, 0.1, -0.1, 0.2, -0.2, 0.3, -0.3)  # added to every delta of the k-th photo (cyclic)
SPLITS = {"validation": 1, "test": 1}  # sources per held-out split; the rest is train


def _png(image: Image.Image) -> dict[str, bytes | None]:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return {"bytes": buffer.getvalue(), "path": None}


def _edit(image: Image.Image, operation: str, amount: float) -> Image.Image:
    if operation == "brightness":
        return ImageEnhance.Brightness(image).enhance(amount)
    if operation == "contrast":
        return ImageEnhance.Contrast(image).enhance(amount)
    if operation == "blur":
        return image.filter(ImageFilter.GaussianBlur(amount))
    raise ValueError(f"unknown tiny edit operation {operation!r}")


def tiny_red_rows(photos: Path) -> list[dict]:
    """The RED rows of every photo in ``photos`` (sorted by file name)."""
    rows = []
    paths = sorted(p for p in photos.iterdir() if p.suffix.lower() in {".jpg", ".png"})
    if not paths:
        raise FileNotFoundError(f"{photos}: no .jpg or .png photos")
    for index, path in enumerate(paths):
        original = load_image(path)
        original.thumbnail((THUMBNAIL, THUMBNAIL))
        for attribute, direction, instruction, operation, amount, rule_delta, reasoning in EDITS:
            delta = round(rule_delta + OFFSETS[index % len(OFFSETS)], 1)
            row = {
                "pair_id": f"{path.stem}-{attribute}-{direction}",
                "source_id": path.stem,
                "original": _png(original),
                "edited": _png(_edit(original, operation, amount)),
                "instruction": instruction,
                "attribute": attribute,
                "direction": direction,
                "strength": 0.5,
                "editor": "pil",
                "editor_params": json.dumps({"op": operation, "amount": amount}),
                "delta": delta,
                "votes": [delta],
                "judges": ["tiny-rule"],
                "agreement": 1.0,
                "rationale": format_answer(format_delta(delta), reasoning),
                "prompt_version": PROMPT_VERSION,
            }
            validate_row(row, where=row["pair_id"])
            rows.append(row)
    return rows


def build_tiny_red(out_dir: str | Path, photos: str | Path = PHOTOS) -> Path:
    """Write the tiny RED ``DatasetDict`` (train/validation/test, split by source) with ``save_to_disk``."""
    rows = tiny_red_rows(Path(photos))
    sources = sorted({row["source_id"] for row in rows})
    if len(sources) <= sum(SPLITS.values()):
        raise ValueError(f"{photos}: need more than {sum(SPLITS.values())} photos, found {len(sources)}")
    held_out, start = {}, 0
    for split, count in SPLITS.items():
        held_out.update({source: split for source in sources[start : start + count]})
        start += count
    splits = {
        name: Dataset.from_list(
            [r for r in rows if held_out.get(r["source_id"], "train") == name], features=FEATURES
        )
        for name in ("train", *SPLITS)
    }
    out_dir = Path(out_dir)
    DatasetDict(splits).save_to_disk(str(out_dir))
    return out_dir


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--photos", default=str(PHOTOS))
    args = parser.parse_args()
    print(build_tiny_red(args.out_dir, args.photos))
