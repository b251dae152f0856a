"""The edit-ladder benchmark: real photos edited at increasing strengths, so the order is known.

For every photo and every attribute of the classical editor's table
(:data:`red_aes.editing.classical.ATTRIBUTE_EDITS`), plus JPEG re-compression, a *degrade group* holds
the original and the photo degraded at each strength (default 0.25, 0.5, 0.75, 1.0). The editor's
degradations are monotonic in strength, so the true order inside the group is known by construction:
original > degrade 0.25 > 0.5 > 0.75 > 1.0. Labels are signed strengths (original 0, degrade ``-s``).
Where the table offers a generic improvement, an *improve group* (original, improve ``+s``) is added
under the subset ``"<attribute> (improve)"``: that order is the editor's claim that its improvement
helps a typical photo, not a construction, so it is reported apart from the degradations.

Metrics (see :func:`red_aes.evaluation.metrics.ladder_metrics`): within-group SRCC and pairwise
accuracy, per subset and overall. No labels are needed, which makes this the offline sanity check of any
scorer. Images are rendered when scored, never all held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from red_aes.editing.classical import ATTRIBUTE_EDITS, ClassicalEditor
from red_aes.editing.operations import Operation
from red_aes.errors import InputError
from red_aes.evaluation.benchmarks import Benchmark, BenchmarkSpec, ImageItem, LoadRequest
from red_aes.evaluation.loaders import check_root, reject_unused
from red_aes.images import load_image
from red_aes.resources import example_photos
from red_aes.types import Direction

DEFAULT_STRENGTHS: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
#: Ladders beyond the editor's attribute edits, as the operation applied at strength 1 (scaled by s).
#: JPEG reaches quality 10 here, past the degradation table's ``jpeg`` row (quality 14): the benchmark
#: keeps its own definition so results already reported on it (RED-Lite's EVALUATION.md) stay comparable.
EXTRA_LADDERS: dict[str, Operation] = {"jpeg": Operation("jpeg", 1.0)}
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})


def ladder_names() -> tuple[str, ...]:
    """Every ladder the benchmark can build: the editor's attributes, then the extra ladders."""
    return (*ATTRIBUTE_EDITS, *EXTRA_LADDERS)


@dataclass(frozen=True)
class LadderImage:
    """A photo, or the photo edited on one ladder at one strength; rendered when called."""

    photo: Path
    ladder: str
    direction: Direction | None  # None: the unedited original
    strength: float
    editor: ClassicalEditor

    def __call__(self) -> Image.Image:
        image = load_image(
            self.photo, max_input_pixels=self.editor.max_input_pixels, long_side=self.editor.long_side
        )
        if self.direction is None:
            return image
        if self.ladder in EXTRA_LADDERS:
            base = EXTRA_LADDERS[self.ladder]
            return self.editor.apply(image, [base.scaled(self.strength)]).image
        return self.editor.edit_attribute(image, self.ladder, self.direction, self.strength).image


def list_photos(root: Path) -> list[Path]:
    """The image files directly inside ``root``, sorted by name."""
    photos = sorted(
        p for p in check_root(root).iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES
    )
    if not photos:
        raise FileNotFoundError(f"no photos ({', '.join(sorted(PHOTO_SUFFIXES))}) in {root}")
    return photos


def _check_strengths(strengths: tuple[float, ...]) -> tuple[float, ...]:
    if not strengths:
        raise InputError("the edit ladder needs at least one strength")
    if any(not 0.0 < s <= 1.0 for s in strengths) or list(strengths) != sorted(set(strengths)):
        raise InputError(f"ladder strengths must be increasing, distinct and in (0, 1], got {strengths}")
    return strengths


def _check_ladders(requested: tuple[str, ...] | None) -> tuple[str, ...]:
    available = ladder_names()
    if requested is None:
        return available
    unknown = [name for name in requested if name not in available]
    if unknown:
        raise InputError(f"edit ladder has no {unknown}; available: {', '.join(available)}")
    return tuple(dict.fromkeys(requested))


def build_edit_ladder(
    photos: list[Path],
    *,
    ladders: tuple[str, ...] | None = None,
    strengths: tuple[float, ...] = DEFAULT_STRENGTHS,
    editor: ClassicalEditor | None = None,
) -> list[ImageItem]:
    """The ladder items: per photo and ladder a degrade group and, where offered, an improve group."""
    editor = editor or ClassicalEditor()
    strengths = _check_strengths(strengths)
    items: list[ImageItem] = []
    for photo in photos:
        for name in _check_ladders(ladders):
            directions: list[Direction] = ["degrade"]
            if name in ATTRIBUTE_EDITS and ATTRIBUTE_EDITS[name].improve is not None:
                directions.append("improve")
            for direction in directions:
                group = f"{photo.name}/{name}/{direction}"
                subset = name if direction == "degrade" else f"{name} (improve)"
                sign = -1.0 if direction == "degrade" else 1.0
                items.append(
                    ImageItem(
                        f"{group}/original", LadderImage(photo, name, None, 0.0, editor), 0.0, subset, group
                    )
                )
                items += [
                    ImageItem(
                        f"{group}/{s:g}",
                        LadderImage(photo, name, direction, s, editor),
                        sign * s,
                        subset,
                        group,
                    )
                    for s in strengths
                ]
    return items


def load_edit_ladder(spec: BenchmarkSpec, request: LoadRequest) -> Benchmark:
    """The ``edit-ladder`` benchmark on the photos in ``request.root`` (default: the bundled photos)."""
    reject_unused(spec, request, {"root", "attributes", "strengths"})
    # no root: the permissively licensed photos bundled with the project (carried in the wheel)
    root = Path(request.root) if request.root is not None else example_photos()
    items = build_edit_ladder(
        list_photos(root), ladders=request.attributes, strengths=request.strengths or DEFAULT_STRENGTHS
    )
    return Benchmark(spec.name, spec.display_name, "ladder", items, str(root), "all")
