"""What the demo shows: the view models of its actions and their HTML, tables and credits. Display-only:
nothing here changes a value.

Scale and sign, as everywhere in RED-Aes: scores in [1, 10]; ``delta = score(edited) - score(original)``,
positive when the edit improved the photo.
"""

from __future__ import annotations

import csv
import html
import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image

from red_aes.measure import METRICS, PairMeasurements
from red_aes.types import DELTA_MAX, SCORE_MAX, SCORE_MIN, AestheticDelta

SCALE_NOTE = (
    f"Scores run from {SCORE_MIN:g} to {SCORE_MAX:g}. **delta = score(edited) − score(original)**, "
    f"from −{DELTA_MAX:g} to +{DELTA_MAX:g}: positive means the edit improved the photo, negative that it "
    "made it worse."
)

#: |delta| below this is shown as "no clear change" (grey); display-only, never used to change a value.
NEUTRAL_BAND = 0.05
#: Upper bounds of |delta| for the words "slight" and "moderate" (above: "strong"); display-only.
MAGNITUDE_WORDS: tuple[tuple[float, str], ...] = (
    (1.0, "slight"),
    (2.5, "moderate"),
    (float("inf"), "strong"),
)
POSITIVE_COLOUR, NEGATIVE_COLOUR, NEUTRAL_COLOUR = "#15803d", "#b91c1c", "#4b5563"


Stage = Literal["pair", "reasoning", "final"]


@dataclass(frozen=True)
class PairView:
    """What the app shows for an (original, edited) pair at one moment of an assessment.

    A stream of views starts with ``stage="pair"`` (the images and their measurements, the delta still
    pending), continues with ``"reasoning"`` views whose only change is the growing ``reasoning``, and
    ends with one ``"final"`` view holding the delta. Only the ``"pair"`` view carries the images: on
    ZeroGPU every view is pickled from the GPU worker to the server, once per streamed token.
    """

    original: Image.Image | None
    edited: Image.Image | None
    delta_html: str
    reasoning: str
    attribute_rows: list[list[Any]]
    details: dict[str, Any]
    stage: Stage


@dataclass(frozen=True)
class RankingView:
    """Scores of several images, best first: table rows, (preview, caption) pairs, JSON details and the
    text of the CSV download (``red-aes score --csv``'s columns)."""

    rows: list[list[Any]]
    gallery: list[tuple[Image.Image, str]]
    details: list[dict[str, Any]]
    csv: str = ""


@dataclass(frozen=True)
class CullView:
    """A cull of uploaded photos: a one-line summary, table rows (:data:`CULL_COLUMNS`) and
    (thumbnail, caption) pairs by group then rank, the JSON details and the text of the CSV download
    (``cull.csv`` as ``red-aes cull`` writes it)."""

    summary: str
    rows: list[list[Any]]
    gallery: list[tuple[Image.Image, str]]
    details: dict[str, Any]
    csv: str


#: Long side of the ranking gallery's previews (the scores are computed on the full images).
THUMBNAIL_SIDE = 768
ATTRIBUTE_COLUMNS: tuple[str, ...] = ("attribute", "measurement", "unit", "original", "edited", "change")
RANKING_COLUMNS: tuple[str, ...] = ("rank", "image", "score", "note")
#: The Cull tab's table: the first columns of ``cull.csv`` (``pick`` shown as a star).
CULL_COLUMNS: tuple[str, ...] = ("group", "rank", "image", "score", "pick", "flags", "reason")
#: How the Cull tab marks a group's pick (table and gallery captions).
PICK_MARK = "★"


def thumbnail(image: Image.Image) -> Image.Image:
    preview = image.copy()
    preview.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return preview


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def json_safe(value: Any) -> Any:
    """``value`` with anything JSON cannot hold (numpy scalars, paths, enums) turned into strings."""
    return json.loads(json.dumps(value, default=str))


def attribute_rows(pair: PairMeasurements) -> list[list[Any]]:
    """One table row per measured statistic: attribute, meaning, unit, original, edited, change."""
    return [
        [
            info.attribute.value,
            info.description,
            info.unit,
            rounded(getattr(pair.original, name)),
            rounded(getattr(pair.edited, name)),
            rounded(pair.changes[name]),
        ]
        for name, info in METRICS.items()
    ]


def _magnitude_word(size: float) -> str:
    return next(word for bound, word in MAGNITUDE_WORDS if size < bound)


def delta_html(delta: AestheticDelta) -> str:
    """The delta as a coloured card: signed number, direction and size in words, and a bar on
    [-9, +9]. An invalid answer becomes a notice with the reason and no number at all."""
    if not delta.valid or delta.delta is None:
        reason = html.escape(delta.error or "no answer")
        return (
            '<div class="red-aes-delta" data-valid="false" style="border:2px solid #b45309;'
            'border-radius:12px;padding:12px;background:#fffbeb;color:#78350f">'
            "<strong>No valid delta.</strong> The scorer's answer could not be read as a number, so none is "
            f"shown. Reason: {reason}</div>"
        )
    value = float(delta.delta)
    size = abs(value)
    if size < NEUTRAL_BAND:
        colour, verdict = NEUTRAL_COLOUR, "no clear change"
    else:
        colour = POSITIVE_COLOUR if value > 0 else NEGATIVE_COLOUR
        verdict = f"{_magnitude_word(size)} {'improvement' if value > 0 else 'degradation'}"
    half = min(size / DELTA_MAX, 1.0) * 50.0
    side = "left:50%" if value >= 0 else f"left:{50.0 - half:.2f}%"
    return (
        f'<div class="red-aes-delta" data-valid="true" data-delta="{value:+.2f}" '
        f'style="border:2px solid {colour};border-radius:12px;padding:12px">'
        f'<div style="display:flex;align-items:baseline;gap:12px">'
        f'<span class="red-aes-delta-value" style="font-size:2.6em;font-weight:700;color:{colour}">'
        f"{value:+.2f}</span>"
        f'<span style="font-size:1.2em;color:{colour}">{verdict}</span></div>'
        '<div style="position:relative;height:14px;background:#e5e7eb;border-radius:7px;margin:10px 0 4px">'
        f'<div style="position:absolute;{side};width:{half:.2f}%;height:100%;background:{colour};'
        'border-radius:7px"></div>'
        '<div style="position:absolute;left:50%;top:-3px;width:2px;height:20px;background:#111827"></div>'
        "</div>"
        '<div style="display:flex;justify-content:space-between;font-size:0.8em;color:#4b5563">'
        f"<span>−{DELTA_MAX:g} worse</span><span>0</span><span>+{DELTA_MAX:g} better</span></div>"
        f'<div style="font-size:0.8em;color:#4b5563;margin-top:6px">delta = score(edited) − score(original) '
        f"· scorer {html.escape(delta.model or 'unknown')}</div></div>"
    )


def pending_html(scorer: str) -> str:
    """Placeholder shown while the scorer is assessing a pair."""
    return (
        '<div class="red-aes-delta" data-valid="pending" style="border:2px dashed #9ca3af;border-radius:12px;'
        f'padding:12px;color:#4b5563">Assessing the edit with <code>{html.escape(scorer)}</code>…</div>'
    )


# -- bundled example photos -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoCredit:
    """One row of ``examples/photos/LICENSES.csv``."""

    file: str
    origin: str
    license: str
    credit: str


def photo_credits(licenses_csv: str | os.PathLike) -> list[PhotoCredit]:
    """The credits of the bundled photos, in file order."""
    with open(licenses_csv, newline="", encoding="utf-8") as handle:
        return [
            PhotoCredit(row["file"], row["origin_package"], row["license"], row["credit"])
            for row in csv.DictReader(handle)
        ]


def credits_markdown(credits: Sequence[PhotoCredit]) -> str:
    """A Markdown table of photo credits for the app's footer."""
    lines = ["| photo | license | credit | source |", "|---|---|---|---|"]
    lines += [f"| {c.file} | {c.license} | {c.credit} | {c.origin} |" for c in credits]
    return "\n".join(lines)


# -- the Cull tab -----------------------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def cull_summary(photos: Sequence[Any], groups: int) -> str:
    """One line on a cull's :class:`red_aes.cull.Photo` decisions: photos, groups, picks, flags."""
    picks = sum(1 for p in photos if p.pick)
    flagged = Counter(flag for p in photos for flag in p.flags)
    flags = ", ".join(f"{flag} {count}" for flag, count in sorted(flagged.items())) or "none"
    return (
        f"{_plural(len(photos), 'photo')} in {_plural(groups, 'group')}: {_plural(picks, 'pick')}; "
        f"flags: {flags}"
    )


def cull_row(photo: Any) -> list[Any]:
    """A :class:`red_aes.cull.Photo`'s row of the Cull tab's table (:data:`CULL_COLUMNS`)."""
    row = photo.row()
    flags = ", ".join(row["flags"])
    mark = PICK_MARK if row["pick"] else ""
    return [row["group"], row["rank"], row["path"], row["score"], mark, flags, row["reason"]]


def cull_caption(photo: Any) -> str:
    """A :class:`red_aes.cull.Photo`'s short caption in the Cull tab's gallery: its group, the star of a
    pick or the rank of another frame, its name, score and flags (``G1 ★ a.jpg · 6.50``,
    ``G1 #2 b.jpg · 4.25 · blur``)."""
    parts = [f"G{photo.group} {PICK_MARK if photo.pick else f'#{photo.rank}'} {photo.path}"]
    if photo.score is not None:
        parts.append(f"{photo.score:.2f}")
    if photo.flags:
        parts.append(", ".join(photo.flags))
    return " · ".join(parts)
