"""Cull a shoot: group bursts and near-duplicates, rank each group with a scorer's pairwise deltas, flag
defects from measured statistics, and write the decision per photo (``red-aes cull``, ``docs/cull.md``).

A run has three passes; only the first touches pixels, and it streams:

1. **Analyse** every photo of the folder (read recursively: JPEG, PNG, TIFF, and HEIC/HEIF when
   ``pillow_heif`` is installed), one at a time per worker: read the bytes once, key them by their
   SHA-256, decode a reduced copy (JPEGs at a reduced DCT scale, EXIF orientation applied; see
   :func:`decode_long_side`), measure it (:func:`red_aes.measure.measure_image`), hash it
   (:func:`perceptual_hash`), keep a thumbnail for the contact sheet and score it. The result goes to
   the :class:`CullCache` at once, one file per photo written atomically, so an interrupted run loses at
   most the photos in flight and a rerun analyses only what changed. A file that cannot be read is a row
   with its reason; the run goes on. Originals are only ever read.
2. **Group** (:func:`group_photos`): photos sorted by EXIF capture time (``DateTimeOriginal`` and its
   sub-seconds; photos without one follow, by name), and each photo joins its predecessor's group when
   both are within :data:`BURST_SECONDS` of each other (or either has no time) *and* their perceptual
   hashes differ in at most :data:`GROUP_HASH_DISTANCE` of :data:`HASH_BITS` bits. Only neighbours are
   compared, so the cost is linear; a group stops at :data:`MAX_GROUP_SIZE` frames.
3. **Flag and rank** each group (:func:`flag_group`, :func:`rank_group`): the flags of :data:`FLAGS`
   from measured statistics and the thresholds below; then frames without a defect flag before frames
   with one, and inside each tier the **Copeland** order of the scorer's pairwise deltas (wins minus
   losses, a delta within :data:`TIE_BAND` a tie; ties broken by the mean delta, then the score). An
   absolute scorer's delta is the difference of its two scores, as :mod:`red_aes.evaluation` takes it; a
   relative scorer (a VLM) is asked every pair in both orders (Δ = (d(b→a) − d(a→b)) / 2 cancels a
   position bias), among the :data:`MAX_PAIRWISE` best-scored frames of the group. The first is the
   group's pick, with a one-line reason from the measured statistics (:func:`pick_reason`); a frame
   that duplicates a better-ranked one is flagged ``duplicate``.

Outputs (:class:`CullResult`): ``cull.csv`` and ``cull.json`` (one row per photo), ``index.html`` (an
offline contact sheet: thumbnails as data URIs, sortable with inline JavaScript) and optional XMP sidecars
(``photo.jpg.xmp``: ``xmp:Rating`` and ``xmp:Label`` from :data:`RATINGS`; an existing sidecar is kept
unless ``overwrite``).

Memory: one decoded copy per worker (at most the decode long side), plus a few hundred bytes per photo
of bookkeeping (no pixels, no thumbnails: the sheet reads them back from the cache). ``shard=(i, n)``
analyses only the photos whose content fingerprint (:func:`shard_of`) falls in shard ``i``, into the same
cache, so shards on many machines fill one cache and a final run without a shard writes the outputs.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import math
import os
import re
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from red_aes._version import __version__
from red_aes.errors import InputError
from red_aes.images import HEIF_MISSING, ImageLoadError, heif_available, load_image
from red_aes.measure import TILT_MIN_CONFIDENCE, measure_image
from red_aes.scoring import SCORERS, BaseScorer, load_scorer
from red_aes.scoring.budget import DEFAULT_MAX_IMAGE_PIXELS

# -- input ---------------------------------------------------------------------------------------------

#: File suffixes read as photos (lower case). HEIC/HEIF need ``pillow_heif``; other files are ignored
#: and counted (RAW files, sidecars, videos).
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".heic", ".heif"})
HEIF_SUFFIXES = frozenset({".heic", ".heif"})
#: Long side of the copy an absolute scorer gets: RED-Lite's backbone and the measured statistics both
#: read a 512-px copy, so decoding more only costs time (a 12 MP JPEG decodes at a quarter scale).
ABSOLUTE_LONG_SIDE = 512
#: Smallest long side a relative scorer (a VLM) gets; it gets more when its pixel budget asks for it.
RELATIVE_MIN_LONG_SIDE = 1024
#: Long side and JPEG quality of the contact sheet's thumbnails.
THUMB_LONG_SIDE, THUMB_QUALITY = 240, 70
#: Bytes at each end of a file that, with its size, give its shard (:func:`shard_of`).
SHARD_SAMPLE = 65_536
#: Input sizes whose CPU kernels the backbone keeps (:func:`bound_kernel_cache`): a shoot has a few.
KERNEL_CACHE_SHAPES = 16

# -- groups --------------------------------------------------------------------------------------------

#: Bits of the perceptual hash: a 64-bit dHash (signs of horizontal luma steps on a 9 x 8 copy) followed
#: by a 64-bit pHash (the 8 x 8 lowest DCT frequencies of a 32 x 32 copy against their median).
HASH_BITS = 128
#: Most seconds between neighbours (in capture order) of one burst.
BURST_SECONDS = 3.0
#: Most differing hash bits between neighbours of one group. Frames of one scene differ by 0-15 bits
#: under blur, noise or ±2 EV (25 with half the pixels blown) and by 20-35 when rotated 5-6°; unrelated
#: photos by about 64 (52-78 among the bundled photos).
GROUP_HASH_DISTANCE = 40
#: Frames one group holds at most (a longer chain starts a new group): keeps the work per group bounded.
MAX_GROUP_SIZE = 64
#: Frames of a group a relative scorer compares pairwise (the best-scored; the rest follow by score).
MAX_PAIRWISE = 8
#: Score points within which a pairwise delta counts as a tie in the Copeland count.
TIE_BAND = 0.05

# -- flags (thresholds on red_aes.measure statistics, at a 512-px analysis copy) ---------------------------

#: ``blur``: sharpness index (log10 of normalised fine detail) below this...
BLUR_SHARPNESS = -1.8
#: ...or this far below the sharpest frame of its group (0.7 = 5 times less fine detail).
BLUR_DROP = 0.7
#: ``noise``: noise in flat areas (8-bit levels) at or above this (a clean photo measures about 1).
NOISE_LEVEL = 3.0
#: ``underexposed``: exposure key (EV from middle grey) below this...
UNDER_EV = -3.5
#: ``overexposed``: blown highlights (share of pixels) at or above this...
OVER_HIGHLIGHT_CLIP = 0.05
#: ...or, for both, this many EV darker (brighter) than the group's median frame.
EXPOSURE_DROP_EV = 1.0
#: ``tilt``: straight lines tilted by at least this many degrees, where lines were found
#: (``tilt_confidence`` at least :data:`red_aes.measure.TILT_MIN_CONFIDENCE`) and the frame is neither
#: blurred nor noisy (blur erases the lines the estimate reads, noise adds false ones: on the generated
#: bursts such frames read up to 10° with no tilt at all).
TILT_DEGREES = 3.0
#: ``duplicate``: hash bits at most this far from a better-ranked frame of its group...
DUPLICATE_HASH_DISTANCE = 6
#: ...with sharpness, noise and exposure within these (index, levels, EV); byte-identical files always.
DUPLICATE_SHARPNESS, DUPLICATE_NOISE, DUPLICATE_EV = 0.15, 0.5, 0.15

#: Every flag, and the measured statistic and threshold behind it (printed by ``red-aes cull --help``).
FLAGS: dict[str, str] = {
    "blur": f"sharpness index < {BLUR_SHARPNESS}, or {BLUR_DROP} below the sharpest frame of its group",
    "noise": f"noise in flat areas >= {NOISE_LEVEL} grey levels",
    "underexposed": f"exposure key < {UNDER_EV} EV, or {EXPOSURE_DROP_EV} EV darker than its group's median",
    "overexposed": f"blown highlights >= {OVER_HIGHLIGHT_CLIP:.0%} of pixels, or {EXPOSURE_DROP_EV} EV "
    "brighter than its group's median",
    "tilt": f"straight lines tilted >= {TILT_DEGREES} degrees (judged where straight lines were found, on "
    "frames neither blurred nor noisy)",
    "duplicate": f"hash within {DUPLICATE_HASH_DISTANCE} bits and the same sharpness, noise and exposure as "
    "a better-ranked frame of its group (or the same bytes)",
    "unreadable": "the file could not be decoded; the reason says why",
}
#: Flags that put a frame behind the unflagged frames of its group.
DEFECTS = ("blur", "noise", "underexposed", "overexposed", "tilt")
#: The statistics a photo keeps (for flags, reasons and the outputs).
STATS = (
    "sharpness",
    "flat_noise",
    "exposure_ev",
    "highlight_clip",
    "shadow_clip",
    "tilt_degrees",
    "tilt_confidence",
)
#: XMP stars and colour label: (pick, has a defect flag) -> (xmp:Rating, xmp:Label).
RATINGS: dict[tuple[bool, bool], tuple[int, str]] = {
    (True, False): (4, "Green"),
    (True, True): (2, "Yellow"),
    (False, False): (3, ""),
    (False, True): (1, "Red"),
}

# -- outputs -------------------------------------------------------------------------------------------

CSV_NAME, JSON_NAME, HTML_NAME = "cull.csv", "cull.json", "index.html"
FORMATS = ("csv", "json", "html")
#: CSV columns, in order (the first seven are the interface; the rest help to check a decision).
COLUMNS = ("path", "group", "rank", "score", "pick", "flags", "reason", "rating", "label", "capture_time",
           "sha256", *STATS)  # fmt: skip
#: Version of the cache's entries; a new one makes every entry a miss.
CACHE_VERSION = 1


# ======================================================================================================
# Photos


@dataclass(slots=True)
class Photo:
    """One file of the folder: what was measured (or why it could not be read), then the decision."""

    path: str  #: relative to the folder, with forward slashes
    digest: str | None = None  #: SHA-256 of the file's bytes
    capture_time: float | None = None  #: EXIF DateTimeOriginal, seconds (the camera's local clock)
    phash: int = 0  #: :func:`perceptual_hash`
    stats: tuple[float, ...] | None = None  #: the :data:`STATS`, in order
    score: float | None = None
    score_error: str | None = None  #: why the scorer gave no number
    error: str | None = None  #: why the file could not be read (then nothing else is set)
    cached: bool = False
    group: int = 0
    rank: int = 0
    group_size: int = 0
    pick: bool = False
    flags: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def readable(self) -> bool:
        return self.error is None

    def stat(self, name: str) -> float:
        assert self.stats is not None
        return self.stats[STATS.index(name)]

    @property
    def defective(self) -> bool:
        return any(flag in DEFECTS for flag in self.flags)

    @property
    def rating(self) -> tuple[int, str] | None:
        """(xmp:Rating, xmp:Label), None for an unreadable file."""
        return RATINGS[(self.pick, self.defective)] if self.readable else None

    def row(self) -> dict[str, Any]:
        """The photo's output row (:data:`COLUMNS`; ``flags`` a list, ``pick`` a bool)."""
        rating = self.rating
        return {
            "path": self.path,
            "group": self.group or None,
            "rank": self.rank or None,
            "score": None if self.score is None else round(self.score, 3),
            "pick": self.pick,
            "flags": list(self.flags),
            "reason": self.reason,
            "rating": rating[0] if rating else None,
            "label": rating[1] if rating else None,
            "capture_time": _iso(self.capture_time),
            "sha256": self.digest,
            **{name: (None if self.stats is None else round(self.stat(name), 4)) for name in STATS},
        }


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None).isoformat()


def natural_key(path: str) -> tuple[Any, ...]:
    """Sort key reading digit runs as numbers (``IMG_9.jpg`` before ``IMG_10.jpg``)."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path))


def is_photo_name(name: str) -> bool:
    """Whether a file of this name is one the cull reads: a :data:`PHOTO_SUFFIXES` type, not hidden
    (``._IMG_0001.JPG``, the resource fork a Mac leaves beside a copied photo, is not a photo)."""
    return not name.startswith(".") and Path(name).suffix.lower() in PHOTO_SUFFIXES


def find_photos(folder: str | os.PathLike, exclude: Iterable[Path] = ()) -> tuple[list[Path], Counter]:
    """The photo files under ``folder`` (recursively; hidden files and folders and ``exclude`` folders
    skipped), in natural name order, and a count by suffix of the other files found."""
    root = Path(folder)
    if not root.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder")
    excluded = {p.resolve() for p in exclude}
    photos, ignored = [], Counter()
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = [d for d in dirs if not d.startswith(".") and (here / d).resolve() not in excluded]
        for name in files:
            if name.startswith("."):
                continue
            if is_photo_name(name):
                photos.append(here / name)
            else:
                ignored[Path(name).suffix.lower() or "(none)"] += 1
    photos.sort(key=lambda p: natural_key(p.relative_to(root).as_posix()))
    return photos, ignored


def shard_of(path: str | os.PathLike, shards: int) -> int:
    """The shard (0 to ``shards`` − 1) of a file: SHA-256 of its size and of its first and last
    :data:`SHARD_SAMPLE` bytes, modulo ``shards``. A content fingerprint, not a path, so a renamed or
    copied file keeps its shard, and byte-identical files share one; it reads 128 KB of a file instead
    of all of it, so each of many shards reads only its own photos in full."""
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(0)
        head = handle.read(SHARD_SAMPLE)
        handle.seek(max(0, size - SHARD_SAMPLE))
        tail = handle.read(SHARD_SAMPLE)
    digest = hashlib.sha256(f"{size}:".encode() + head + tail).digest()
    return int.from_bytes(digest[:8], "big") % shards


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` -> (I, N) with 0 <= I < N."""
    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not found or not 0 <= int(found.group(1)) < int(found.group(2)):
        raise InputError(f"--shard must be I/N with 0 <= I < N (e.g. 0/4), got {text!r}")
    return int(found.group(1)), int(found.group(2))


_EXIF_TIME = re.compile(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")


def capture_time(image: Image.Image) -> float | None:
    """Seconds of the EXIF ``DateTimeOriginal`` (else ``DateTimeDigitized``) plus ``SubSecTimeOriginal``,
    on the camera's clock read as UTC (only differences matter); None when absent or malformed."""
    try:
        exif = image.getexif().get_ifd(0x8769)
    except Exception:  # a malformed EXIF block must not lose the photo
        return None
    for tag, subsec_tag in ((36867, 37521), (36868, 37522)):
        value = exif.get(tag)
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        found = _EXIF_TIME.search(str(value or ""))
        if not found:
            continue
        try:
            moment = datetime(*(int(g) for g in found.groups()), tzinfo=timezone.utc)
        except ValueError:
            continue
        subsec = re.sub(r"\D", "", str(exif.get(subsec_tag) or ""))
        return moment.timestamp() + (float(f"0.{subsec}") if subsec else 0.0)
    return None


def perceptual_hash(image: Image.Image) -> int:
    """The :data:`HASH_BITS`-bit hash of a photo's look: a dHash (Krawetz 2013; the sign of each
    horizontal luma step on a 9 x 8 area-averaged copy, 64 bits) then a pHash (Zauner 2010; the 8 x 8
    lowest DCT coefficients of a 32 x 32 copy against their median, 64 bits). Both survive blur, noise
    and exposure changes (they read structure, not level) and JPEG re-saves."""
    from scipy.fft import dctn

    grey = image.convert("L")
    small = np.asarray(grey.resize((9, 8), Image.Resampling.BOX), dtype=np.float64)
    dbits = (small[:, 1:] > small[:, :-1]).ravel()
    block = np.asarray(grey.resize((32, 32), Image.Resampling.BOX), dtype=np.float64)
    low = dctn(block, norm="ortho")[:8, :8].ravel()
    pbits = low > np.median(low)
    return int.from_bytes(np.packbits(np.concatenate([dbits, pbits])).tobytes(), "big")


def hamming(a: int, b: int) -> int:
    """Differing bits of two hashes."""
    return (a ^ b).bit_count()


def thumbnail_data(image: Image.Image) -> str:
    """A JPEG thumbnail (long side :data:`THUMB_LONG_SIDE`) as base64 text."""
    thumb = image.copy()
    thumb.thumbnail((THUMB_LONG_SIDE, THUMB_LONG_SIDE), Image.Resampling.BOX)
    buffer = io.BytesIO()
    thumb.save(buffer, "JPEG", quality=THUMB_QUALITY)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def bound_kernel_cache() -> None:
    """Cap the oneDNN primitive cache (``ONEDNN_PRIMITIVE_CACHE_CAPACITY``, unless already set) at
    :data:`KERNEL_CACHE_SHAPES`: the backbone's CPU kernels are cached per input size, and a folder of
    many sizes (crops, exports) grew a RED-Lite worker from 0.72 to 0.93 GB over 70 photos of 39 sizes
    with the default of 1024 (0.80 GB with 16). Call before the first convolution of the process."""
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(KERNEL_CACHE_SHAPES))


# ======================================================================================================
# The cache


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename, so a reader
    (or a run interrupted mid-write) sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class CullCache:
    """Analysed photos and pairwise deltas, one JSON file each under ``root/<model key>/``, named by the
    photo's content hash (SHA-256 of its bytes) and written atomically. The model key is a digest of
    :func:`model_identity` (written beside it as ``identity.json``), so each model has its own entries
    and a photo is analysed again only when its bytes or the model change. Plain files rather than a
    database: any number of processes and machines can share one folder on a network file system."""

    def __init__(self, root: str | os.PathLike, identity: dict[str, Any]) -> None:
        self.identity = identity
        self.key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
        self.folder = Path(root) / self.key

    def _write(self, path: Path, entry: dict[str, Any]) -> None:
        described = self.folder / "identity.json"
        if not described.exists():  # the first entry of a model says which model the folder is for
            _write_atomically(described, json.dumps(self.identity, indent=1, sort_keys=True))
        _write_atomically(path, json.dumps({**entry, "version": CACHE_VERSION}))

    def _path(self, kind: str, name: str) -> Path:
        return self.folder / kind / name[:2] / f"{name}.json"

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) and entry.get("version") == CACHE_VERSION else None

    def get(self, digest: str) -> dict[str, Any] | None:
        """The analysis of the photo with content hash ``digest``, or None."""
        return self._read(self._path("photos", digest))

    def put(self, digest: str, entry: dict[str, Any]) -> None:
        self._write(self._path("photos", digest), entry)

    def has(self, digest: str) -> bool:
        return self._path("photos", digest).is_file()

    def get_pair(self, first: str, second: str) -> dict[str, Any] | None:
        """The cached delta of the ordered pair (``first`` as original, ``second`` as edited)."""
        return self._read(self._path("pairs", f"{first}-{second}"))

    def put_pair(self, first: str, second: str, entry: dict[str, Any]) -> None:
        self._write(self._path("pairs", f"{first}-{second}"), entry)

    def thumbnail(self, digest: str | None) -> str | None:
        entry = self.get(digest) if digest else None
        return None if entry is None else entry.get("thumbnail")


# ======================================================================================================
# The scorer


@dataclass(frozen=True)
class ScorerSpec:
    """How to get the scorer: a registered name or VLM id with its load options, or a scorer object
    (then ``workers`` must be 1: an object is not rebuilt in another process)."""

    model: str | BaseScorer = "red-lite"
    options: dict[str, Any] = field(default_factory=dict)
    decoding: str = "fast"

    @property
    def relative(self) -> bool:
        if isinstance(self.model, BaseScorer):
            return self.model.relative
        return bool(getattr(SCORERS.entry(self.model), "relative", True))

    def build(self) -> BaseScorer:
        return self.model if isinstance(self.model, BaseScorer) else load_scorer(self.model, **self.options)

    def identity(self) -> dict[str, Any]:
        """What the cache key is made of: the model and its load options but the device (a scorer
        object: its name, class and the settings it reports), the decoding, the decode size and the
        package version."""
        if isinstance(self.model, BaseScorer):
            scorer = self.model
            model: dict[str, Any] = {"name": scorer.name, "class": type(scorer).__qualname__}
            for name in ("model_name", "prompt_version", "quantization", "max_image_pixels"):
                if getattr(scorer, name, None) is not None:
                    model[name] = str(getattr(scorer, name))
            model.update({k: str(v) for k, v in scorer.cache_identity().items()})
        else:
            options = {k: str(v) for k, v in sorted(self.options.items()) if k != "device"}
            model = {"model": self.model, **options}  # the device changes no answer: shards may differ
        return {
            "model": model,
            "decoding": self.decoding,
            "long_side": decode_long_side(self),
            "red_aes": __version__,
        }


def decode_long_side(spec: ScorerSpec) -> int:
    """The long side photos are decoded at for ``spec``'s scorer: :data:`ABSOLUTE_LONG_SIDE` for an
    absolute one; for a relative one (a VLM) enough for its pixel budget (``max_image_pixels``, default
    :data:`~red_aes.scoring.budget.DEFAULT_MAX_IMAGE_PIXELS`) at a 2:1 aspect, at least
    :data:`RELATIVE_MIN_LONG_SIDE`."""
    if not spec.relative:
        return ABSOLUTE_LONG_SIDE
    budget = getattr(spec.model, "max_image_pixels", None) if isinstance(spec.model, BaseScorer) else None
    budget = budget or spec.options.get("max_image_pixels") or DEFAULT_MAX_IMAGE_PIXELS
    return max(RELATIVE_MIN_LONG_SIDE, math.ceil(math.sqrt(2 * budget)))


# ======================================================================================================
# Pass 1: analyse one photo


def _summary(entry: dict[str, Any], path: str, cached: bool) -> Photo:
    """The compact :class:`Photo` of a cache entry (the thumbnail stays in the cache)."""
    return Photo(
        path=path,
        digest=entry["digest"],
        capture_time=entry.get("capture_time"),
        phash=int(entry["hash"], 16),
        stats=tuple(float(entry["stats"][name]) for name in STATS),
        score=entry.get("score"),
        score_error=entry.get("score_error"),
        cached=cached,
    )


@dataclass
class Analyser:
    """Analyses one photo file into the cache (pass 1); the same object runs in every worker."""

    spec: ScorerSpec
    cache_root: str
    long_side: int
    heif: bool = False
    _scorer: BaseScorer | None = None
    _cache: CullCache | None = None

    @property
    def scorer(self) -> BaseScorer:
        if self._scorer is None:
            bound_kernel_cache()
            self._scorer = self.spec.build()
        return self._scorer

    @property
    def cache(self) -> CullCache:
        if self._cache is None:
            self._cache = CullCache(self.cache_root, self.spec.identity())
        return self._cache

    def lookup(self, file: Path, relative: str) -> tuple[Photo | None, bytes | None]:
        """The photo from the cache (or unreadable, with the reason) and None; or None and the file's
        bytes when it must be analysed."""
        try:
            data = file.read_bytes()
        except OSError as err:
            return Photo(relative, error=f"cannot read the file ({err.strerror or err})"), None
        entry = self.cache.get(hashlib.sha256(data).hexdigest())
        return (None, data) if entry is None else (_summary(entry, relative, cached=True), None)

    def __call__(self, file: Path, relative: str) -> Photo:
        found, data = self.lookup(file, relative)
        return found if data is None else self.analyse(file, relative, data)

    def analyse(self, file: Path, relative: str, data: bytes) -> Photo:
        """Decode, measure, hash and score one photo of bytes ``data``, into the cache."""
        digest = hashlib.sha256(data).hexdigest()
        if file.suffix.lower() in HEIF_SUFFIXES and not self.heif:
            return Photo(relative, digest=digest, error=HEIF_MISSING)
        try:
            image = load_image(data, long_side=self.long_side)
            with Image.open(io.BytesIO(data)) as header:
                taken = capture_time(header)
        except ImageLoadError as err:
            return Photo(relative, digest=digest, error=err.reason)
        # the decoded copy, already small; a scorer whose features include the measurements (RED-Lite)
        # returns them with its score, so the photo is measured once
        both = getattr(self.scorer, "score_measured", None)
        if both is not None:
            result, measured = both(image, self.spec.decoding)
        else:
            measured = measure_image(image)
            result = self.scorer.score(image, decoding=self.spec.decoding)
        entry = {
            "digest": digest,
            "capture_time": taken,
            "hash": f"{perceptual_hash(image):0{HASH_BITS // 4}x}",
            "stats": {name: float(getattr(measured, name)) for name in STATS},
            "score": result.score if result.valid else None,
            "score_error": None if result.valid else (result.error or "no valid answer"),
            "thumbnail": thumbnail_data(image),
        }
        self.cache.put(digest, entry)
        return _summary(entry, relative, cached=False)


_WORKER: Analyser | None = None


def _start_worker(analyser: Analyser, threads: int) -> None:
    """Process-pool initializer: a worker's own analyser (and scorer), with ``threads`` torch threads."""
    global _WORKER
    bound_kernel_cache()
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:  # pragma: no cover - torch is a base dependency
        pass
    if analyser.heif:
        heif_available()
    _WORKER = analyser


def _work(file: Path, relative: str) -> Photo:
    assert _WORKER is not None
    return _WORKER(file, relative)


# ======================================================================================================
# Pass 2: groups


def _same_burst(a: Photo, b: Photo) -> bool:
    close = (
        a.capture_time is None
        or b.capture_time is None
        or abs(a.capture_time - b.capture_time) <= BURST_SECONDS
    )
    return close and hamming(a.phash, b.phash) <= GROUP_HASH_DISTANCE


def _order_key(photo: Photo) -> tuple[Any, ...]:
    return (photo.capture_time is None, photo.capture_time or 0.0, natural_key(photo.path))


def group_photos(photos: Sequence[Photo]) -> list[list[Photo]]:
    """The readable photos in groups (each in capture order, then name; a byte-identical copy right after
    the first of its copies): a photo joins its predecessor's group when :func:`_same_burst` holds and
    the group has fewer than :data:`MAX_GROUP_SIZE` frames. Each photo is compared with one neighbour
    only: linear in the number of photos (plus the sort)."""
    readable = [p for p in photos if p.readable]
    first: dict[str | None, tuple[Any, ...]] = {}  # byte-identical copies sort beside the first of them
    for photo in readable:
        key = _order_key(photo)
        first[photo.digest] = min(first.get(photo.digest, key), key)
    groups: list[list[Photo]] = []
    for photo in sorted(readable, key=lambda p: (first[p.digest], _order_key(p))):
        if groups and len(groups[-1]) < MAX_GROUP_SIZE and _same_burst(groups[-1][-1], photo):
            groups[-1].append(photo)
        else:
            groups.append([photo])
    return groups


# ======================================================================================================
# Pass 3: flags, ranking, reasons


def flag_group(group: Sequence[Photo]) -> None:
    """Set the defect flags of :data:`DEFECTS` on every frame of a group (see :data:`FLAGS`)."""
    sharpest = max(p.stat("sharpness") for p in group)
    median_ev = float(np.median([p.stat("exposure_ev") for p in group]))
    for p in group:
        flags = []
        sharpness = p.stat("sharpness")
        if sharpness < BLUR_SHARPNESS or sharpness < sharpest - BLUR_DROP:
            flags.append("blur")
        if p.stat("flat_noise") >= NOISE_LEVEL:
            flags.append("noise")
        ev = p.stat("exposure_ev")
        if ev < UNDER_EV or ev <= median_ev - EXPOSURE_DROP_EV:
            flags.append("underexposed")
        if p.stat("highlight_clip") >= OVER_HIGHLIGHT_CLIP or ev >= median_ev + EXPOSURE_DROP_EV:
            flags.append("overexposed")
        lines = p.stat("tilt_confidence") >= TILT_MIN_CONFIDENCE and not {"blur", "noise"} & set(flags)
        if lines and abs(p.stat("tilt_degrees")) >= TILT_DEGREES:
            flags.append("tilt")
        p.flags = flags


def copeland(better: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Copeland counts and mean margins of a square matrix ``better[i, j]`` = how many score points
    frame i is preferred to frame j (NaN: no answer, a tie): wins minus losses, a margin within
    :data:`TIE_BAND` a tie; the mean of each row's known margins."""
    known = np.nan_to_num(better, nan=0.0)
    np.fill_diagonal(known, 0.0)
    counts = np.where(known >= TIE_BAND, 1, 0) - np.where(known <= -TIE_BAND, 1, 0)
    n = max(1, better.shape[0] - 1)
    return counts.sum(axis=1).astype(float), known.sum(axis=1) / n


PairwiseFn = Callable[[Sequence[Photo]], np.ndarray]


def absolute_pairwise(frames: Sequence[Photo]) -> np.ndarray:
    """``better[i, j]`` of an absolute scorer: score(i) − score(j) (NaN where a score is missing)."""
    scores = np.array([np.nan if p.score is None else p.score for p in frames], dtype=np.float64)
    return scores[:, None] - scores[None, :]


def rank_group(group: list[Photo], pairwise: PairwiseFn = absolute_pairwise) -> list[Photo]:
    """Order a flagged group best first and set ``rank``, ``group_size`` and ``pick``: frames without a
    defect flag first, then the Copeland order of ``pairwise`` deltas among the :data:`MAX_PAIRWISE`
    best-scored frames of each tier (ties: mean margin, score, name), then the rest by score."""
    ordered: list[Photo] = []
    for tier in (False, True):
        frames = [p for p in group if p.defective == tier]
        frames.sort(key=lambda p: (p.score is None, -(p.score or 0.0), natural_key(p.path)))
        compared, rest = frames[:MAX_PAIRWISE], frames[MAX_PAIRWISE:]
        if len(compared) > 1:
            counts, margins = copeland(pairwise(compared))
            position = {id(p): i for i, p in enumerate(compared)}
            compared.sort(key=lambda p: (-counts[position[id(p)]], -margins[position[id(p)]]))
        ordered += compared + rest
    for rank, photo in enumerate(ordered, 1):
        photo.rank, photo.group_size, photo.pick = rank, len(ordered), rank == 1
    return ordered


def _is_duplicate(a: Photo, b: Photo) -> bool:
    if a.digest == b.digest:
        return True
    return (
        hamming(a.phash, b.phash) <= DUPLICATE_HASH_DISTANCE
        and abs(a.stat("sharpness") - b.stat("sharpness")) <= DUPLICATE_SHARPNESS
        and abs(a.stat("flat_noise") - b.stat("flat_noise")) <= DUPLICATE_NOISE
        and abs(a.stat("exposure_ev") - b.stat("exposure_ev")) <= DUPLICATE_EV
    )


def _others(count: int, total: int) -> str:
    if total == 1:
        return "the other frame"
    return f"the other {total} frames" if count == total else f"{count} of the other {total} frames"


def _sharper(pick: Photo, other: Photo) -> bool:
    blurred = "blur" in other.flags and "blur" not in pick.flags
    return blurred or pick.stat("sharpness") >= other.stat("sharpness") + REASON_SHARPNESS


def _less_noise(pick: Photo, other: Photo) -> bool:
    noisy = "noise" in other.flags and "noise" not in pick.flags
    return noisy or pick.stat("flat_noise") <= other.stat("flat_noise") - REASON_NOISE


def _better_exposed(pick: Photo, other: Photo) -> bool:
    return any(f in other.flags and f not in pick.flags for f in ("underexposed", "overexposed"))


def _straighter(pick: Photo, other: Photo) -> bool:
    return "tilt" in other.flags and "tilt" not in pick.flags


#: Smallest differences a reason names: sharpness index (0.3 = twice the fine detail), noise levels.
REASON_SHARPNESS, REASON_NOISE = 0.3, 1.0
#: How a pick can beat another frame, in words: a visible measured margin or the other frame's flag.
ADVANTAGES: tuple[tuple[str, Callable[[Photo, Photo], bool]], ...] = (
    ("sharper", _sharper),
    ("less noise", _less_noise),
    ("better exposed", _better_exposed),
    ("straighter", _straighter),
)


def pick_reason(pick: Photo, others: Sequence[Photo]) -> str:
    """A pick's reason in plain words: where it beats the other frames on a measured statistic (largest
    count first, e.g. "sharper than the other 3 frames; less noise than 1 of the other 3 frames"), else
    that the scorer prefers it; with its own flags when every frame has one."""
    if not others:
        text = "the only frame of its group"
    else:
        found = []
        for words, test in ADVANTAGES:
            count = sum(1 for o in others if test(pick, o))
            if count:
                found.append((count, f"{words} than {_others(count, len(others))}"))
        found.sort(key=lambda item: -item[0])
        text = "; ".join(words for _, words in found[:3])
        if not text:
            runner = others[0]
            if pick.score is not None and runner.score is not None:
                text = (
                    f"the scorer prefers it to {_others(len(others), len(others))} "
                    f"({pick.score:.2f} vs {runner.score:.2f} next); no measured difference stands out"
                )
            else:
                text = "the scorer prefers it; no measured difference stands out"
    if pick.defective:
        flagged = ", ".join(_flag_words(pick))
        text += f"; {flagged}, as is every frame of its group" if others else f"; {flagged}"
    return text[0].upper() + text[1:]


def _flag_words(photo: Photo) -> list[str]:
    words = {"blur": "blurred", "noise": "noisy", "tilt": "tilted"}
    return [words.get(f, f) for f in photo.flags if f in DEFECTS]


def _frame_reason(photo: Photo, pick: Photo, duplicate_of: Photo | None) -> str:
    parts = []
    if duplicate_of is not None:
        parts.append(f"duplicate of {duplicate_of.path}")
    parts += _flag_words(photo)
    where = f"rank {photo.rank} of {photo.group_size}"
    if pick.score is not None and photo.score is not None:
        where += f"; the pick {pick.path} scores {pick.score - photo.score:+.2f} higher"
    else:
        where += f"; the pick is {pick.path}"
    text = "; ".join([*parts, where])
    return text[0].upper() + text[1:]


def decide_group(group: list[Photo], pairwise: PairwiseFn = absolute_pairwise) -> list[Photo]:
    """Flag, rank and explain one group (:func:`flag_group`, :func:`rank_group`, the duplicate flag and
    every reason); returns the frames best first."""
    flag_group(group)
    ordered = rank_group(group, pairwise)
    pick = ordered[0]
    for index, photo in enumerate(ordered):
        twin = next((better for better in ordered[:index] if _is_duplicate(photo, better)), None)
        if twin is not None:
            photo.flags.append("duplicate")
        photo.reason = pick_reason(photo, ordered[1:]) if index == 0 else _frame_reason(photo, pick, twin)
    return ordered


# ======================================================================================================
# The run


@dataclass
class Plan:
    """What a run would do (``--dry-run``): the files found, what the cache holds, what it would write."""

    folder: Path
    photos: list[Path]
    ignored: Counter
    cached: int
    selected: int
    shard: tuple[int, int] | None
    model_key: str

    def lines(self) -> list[str]:
        by_suffix = Counter(p.suffix.lower().lstrip(".") for p in self.photos)
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(by_suffix.items()))
        lines = [f"photos found under {self.folder}: {len(self.photos)}" + (f" ({kinds})" if kinds else "")]
        if self.ignored:
            other = ", ".join(f"{k} {v}" for k, v in sorted(self.ignored.items()))
            lines.append(f"other files, ignored: {sum(self.ignored.values())} ({other})")
        if self.shard:
            lines.append(f"shard {self.shard[0]}/{self.shard[1]}: {self.selected} of them")
        lines.append(
            f"already analysed in the cache (model key {self.model_key}): {self.cached}; "
            f"to analyse and score: {self.selected - self.cached}"
        )
        return lines


class Culler:
    """Runs a cull: ``Culler("red-lite").run(folder)`` -> :class:`CullResult`.

    ``model`` is a scorer name, VLM id/directory or scorer object; ``options`` its load options;
    ``cache`` the cache folder; ``workers`` the processes of pass 1 (each loads its own scorer; 1 runs in
    this process)."""

    def __init__(
        self,
        model: str | BaseScorer = "red-lite",
        *,
        options: dict[str, Any] | None = None,
        decoding: str = "fast",
        cache: str | os.PathLike,
        workers: int = 1,
        progress: bool = True,
    ) -> None:
        if workers < 1:
            raise InputError(f"--workers must be at least 1, got {workers}")
        if workers > 1 and isinstance(model, BaseScorer):
            raise InputError("a scorer object runs in one process: give a scorer name for --workers > 1")
        self.spec = ScorerSpec(model, dict(options or {}), decoding)
        self.workers = workers
        self.progress = progress
        self.heif = heif_available()
        self.analyser = Analyser(self.spec, str(cache), decode_long_side(self.spec), heif=self.heif)

    @property
    def cache(self) -> CullCache:
        return self.analyser.cache

    def _select(
        self, folder: Path, shard: tuple[int, int] | None, exclude: Iterable[Path]
    ) -> tuple[list[Path], list[Path], Counter]:
        files, ignored = find_photos(folder, exclude)
        if shard is None:
            return files, files, ignored
        index, count = shard
        return files, [f for f in files if shard_of(f, count) == index], ignored

    def plan(
        self, folder: str | os.PathLike, *, shard: tuple[int, int] | None = None, exclude: Iterable[Path] = ()
    ) -> Plan:
        """What :meth:`run` would do; reads the files (to look them up in the cache), writes nothing."""
        root = Path(folder)
        files, selected, ignored = self._select(root, shard, exclude)
        cached = sum(1 for f in selected if self._cached(f))
        return Plan(root, files, ignored, cached, len(selected), shard, self.cache.key)

    def _cached(self, file: Path) -> bool:
        try:
            return self.cache.has(hashlib.sha256(file.read_bytes()).hexdigest())
        except OSError:
            return False

    def _analyse(self, root: Path, files: list[Path]) -> Iterator[Photo]:
        """Every photo of ``files``: from the cache where it is there, else analysed (in this process,
        or by the worker pool, started at the first photo the cache does not hold)."""
        jobs = [(f, f.relative_to(root).as_posix()) for f in files]
        if self.workers == 1:
            for file, relative in jobs:
                yield self.analyser(file, relative)
            return
        pool: ProcessPoolExecutor | None = None
        pending: set[Future] = set()
        try:
            for file, relative in jobs:
                found, data = self.analyser.lookup(file, relative)
                if data is None:
                    yield found  # type: ignore[misc]
                    continue
                del data  # the worker reads the file again (from the page cache)
                pool = pool or self._pool()
                pending.add(pool.submit(_work, file, relative))
                if len(pending) >= 4 * self.workers:  # at most 4 jobs per worker queued: bounded memory
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (f.result() for f in done)
            for future in pending:
                yield future.result()
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)

    def _pool(self) -> ProcessPoolExecutor:
        import multiprocessing

        threads = max(1, (os.cpu_count() or 1) // self.workers)
        worker = Analyser(self.spec, self.analyser.cache_root, self.analyser.long_side, heif=self.heif)
        context = multiprocessing.get_context("spawn")  # torch's thread pools do not survive a fork
        return ProcessPoolExecutor(
            self.workers, context, initializer=_start_worker, initargs=(worker, threads)
        )

    def run(
        self, folder: str | os.PathLike, *, shard: tuple[int, int] | None = None, exclude: Iterable[Path] = ()
    ) -> CullResult:
        """Analyse the folder (pass 1, into the cache), then, unless ``shard`` is given, group, flag and
        rank it (passes 2 and 3). A shard run returns a result without decisions."""
        start = time.perf_counter()
        root = Path(folder)
        _, selected, ignored = self._select(root, shard, exclude)
        photos: list[Photo] = []
        bar = tqdm(total=len(selected), desc="cull", unit="photo", disable=not self.progress)
        for photo in self._analyse(root, selected):
            photos.append(photo)
            bar.update()
        bar.close()
        result = CullResult(root, photos, ignored, self.cache, self.spec, shard=shard)
        if shard is None:
            pairwise = self._relative_pairwise(root) if self.spec.relative else absolute_pairwise
            for group_id, group in enumerate(group_photos(photos), 1):
                for photo in group:
                    photo.group = group_id
                decide_group(group, pairwise)
            for photo in photos:
                if not photo.readable:
                    photo.flags, photo.reason = ["unreadable"], photo.error or ""
            result.groups = max((p.group for p in photos), default=0)
        result.seconds = time.perf_counter() - start
        return result

    def _relative_pairwise(self, root: Path) -> PairwiseFn:
        """``better[i, j]`` asked of a relative scorer, both orders of every pair, from the cache where
        it has them: Δ(i over j) = (d(j→i) − d(i→j)) / 2, or the one valid order's."""
        analyser = self.analyser

        def pairwise(frames: Sequence[Photo]) -> np.ndarray:
            n = len(frames)
            asked: dict[tuple[int, int], float | None] = {}
            missing = []
            for i in range(n):
                for j in range(n):
                    if i == j:
                        continue
                    entry = self.cache.get_pair(frames[i].digest, frames[j].digest)
                    if entry is None:
                        missing.append((i, j))
                    else:
                        asked[(i, j)] = entry.get("delta")
            if missing:
                images = {
                    k: load_image(root / frames[k].path, long_side=analyser.long_side)
                    for k in sorted({k for pair in missing for k in pair})
                }
                deltas = analyser.scorer.compare(
                    [images[i] for i, _ in missing],
                    [images[j] for _, j in missing],
                    decoding=self.spec.decoding,
                )
                for (i, j), d in zip(missing, deltas, strict=True):
                    value = d.delta if d.valid else None
                    asked[(i, j)] = value
                    self.cache.put_pair(
                        frames[i].digest, frames[j].digest, {"delta": value, "error": d.error}
                    )
            better = np.full((n, n), np.nan)
            for i in range(n):
                for j in range(n):
                    if i == j:
                        continue
                    forward, backward = asked.get((j, i)), asked.get((i, j))  # d(j→i) > 0: i is better
                    values = [v for v in (forward, None if backward is None else -backward) if v is not None]
                    if values:
                        better[i, j] = float(np.mean(values))
            return better

        return pairwise


# ======================================================================================================
# Results and outputs


@dataclass
class CullResult:
    """The photos of a run with their decisions, and the writers of every output."""

    folder: Path
    photos: list[Photo]
    ignored: Counter
    cache: CullCache
    spec: ScorerSpec
    shard: tuple[int, int] | None = None
    groups: int = 0
    seconds: float = 0.0

    @property
    def analysed(self) -> int:
        return sum(1 for p in self.photos if p.readable and not p.cached)

    @property
    def cached(self) -> int:
        return sum(1 for p in self.photos if p.cached)

    @property
    def unreadable(self) -> list[Photo]:
        return [p for p in self.photos if not p.readable]

    def ordered(self) -> list[Photo]:
        """Photos by group, then rank; unreadable files last, by name."""
        return sorted(self.photos, key=lambda p: (not p.readable, p.group, p.rank, natural_key(p.path)))

    def rows(self) -> list[dict[str, Any]]:
        return [p.row() for p in self.ordered()]

    def summary(self) -> str:
        picks = sum(1 for p in self.photos if p.pick)
        flagged = Counter(f for p in self.photos for f in p.flags)
        words = ", ".join(f"{k} {v}" for k, v in sorted(flagged.items())) or "none"
        head = (
            f"{len(self.photos)} photos: {self.analysed} analysed, {self.cached} from the cache, "
            f"{len(self.unreadable)} unreadable, in {self.seconds:.1f} s"
        )
        if self.shard is not None:
            return f"shard {self.shard[0]}/{self.shard[1]}: {head}"
        return f"{head}\n{self.groups} groups, {picks} picks; flags: {words}"

    # -- files --------------------------------------------------------------------------------------
    def write_csv(self, path: str | os.PathLike) -> Path:
        """One row per photo (:func:`cull_csv`)."""
        _write_atomically(Path(path), cull_csv(self.rows()))
        return Path(path)

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "model": self.cache.identity["model"],
            "decoding": self.spec.decoding,
            "groups": self.groups,
            "flags": FLAGS,
            "ratings": {
                f"pick={k[0]},flagged={k[1]}": {"rating": v[0], "label": v[1]} for k, v in RATINGS.items()
            },
            "photos": self.rows(),
        }

    def write_json(self, path: str | os.PathLike) -> Path:
        _write_atomically(Path(path), json.dumps(self.to_json(), indent=1))
        return Path(path)

    def write_html(self, path: str | os.PathLike) -> Path:
        """The contact sheet (:func:`contact_sheet`), thumbnails read back from the cache."""
        _write_atomically(Path(path), "".join(contact_sheet(self)))
        return Path(path)

    def write(self, out: str | os.PathLike, formats: Sequence[str] = FORMATS) -> list[Path]:
        """Write the chosen :data:`FORMATS` into ``out``."""
        unknown = sorted(set(formats) - set(FORMATS))
        if unknown:
            raise InputError(
                f"unknown output format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}"
            )
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        writers = {
            "csv": (CSV_NAME, self.write_csv),
            "json": (JSON_NAME, self.write_json),
            "html": (HTML_NAME, self.write_html),
        }
        return [writers[f][1](folder / writers[f][0]) for f in FORMATS if f in formats]

    def sidecars(self) -> list[tuple[Photo, Path]]:
        """Each readable photo and its XMP sidecar path (``photo.jpg.xmp``, as darktable and digiKam
        name them)."""
        return [(p, self.folder / f"{p.path}.xmp") for p in self.ordered() if p.readable]

    def write_xmp(self, *, overwrite: bool = False) -> tuple[list[Path], list[Path]]:
        """Write a sidecar per readable photo; one that exists is kept unless ``overwrite``. Returns
        (written, kept)."""
        written, kept = [], []
        for photo, path in self.sidecars():
            if path.exists() and not overwrite:
                kept.append(path)
                continue
            rating, label = photo.rating or (0, "")
            _write_atomically(
                path, xmp_packet(rating, label, [f"red-aes/{f}" for f in photo.flags], photo.reason)
            )
            written.append(path)
        return written, kept


def cull_csv(rows: Iterable[dict[str, Any]]) -> str:
    """The text of ``cull.csv`` for output rows (:meth:`CullResult.rows`): :data:`COLUMNS`, one row per
    photo; ``pick`` is ``true``/``false``, ``flags`` is ``;``-separated and a missing value is empty."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        row = {k: ("" if v is None else v) for k, v in row.items()}
        row["pick"] = "true" if row["pick"] else "false"
        row["flags"] = ";".join(row["flags"])
        writer.writerow(row)
    return buffer.getvalue()


XMP_NAMESPACES = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def xmp_packet(rating: int, label: str, keywords: Sequence[str] = (), description: str = "") -> str:
    """An XMP sidecar: ``xmp:Rating`` (stars, 0-5), ``xmp:Label`` (a colour name, left out when empty),
    ``dc:subject`` keywords and ``dc:description`` — what Lightroom, darktable and digiKam read."""
    for prefix, uri in XMP_NAMESPACES.items():
        ET.register_namespace(prefix, uri)

    def tag(prefix: str, name: str) -> str:
        return f"{{{XMP_NAMESPACES[prefix]}}}{name}"

    meta = ET.Element(tag("x", "xmpmeta"), {tag("x", "xmptk"): f"red-aes {__version__}"})
    rdf = ET.SubElement(meta, tag("rdf", "RDF"))
    attributes = {tag("rdf", "about"): "", tag("xmp", "Rating"): str(int(rating))}
    if label:
        attributes[tag("xmp", "Label")] = label
    about = ET.SubElement(rdf, tag("rdf", "Description"), attributes)
    if keywords:
        bag = ET.SubElement(ET.SubElement(about, tag("dc", "subject")), tag("rdf", "Bag"))
        for keyword in keywords:
            ET.SubElement(bag, tag("rdf", "li")).text = keyword
    if description:
        alt = ET.SubElement(ET.SubElement(about, tag("dc", "description")), tag("rdf", "Alt"))
        ET.SubElement(alt, tag("rdf", "li"), {"xml:lang": "x-default"}).text = description
    ET.indent(meta, space=" ")
    body = ET.tostring(meta, encoding="unicode")
    return f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n{body}\n<?xpacket end="w"?>\n'


def read_xmp_rating(path: str | os.PathLike) -> tuple[int, str | None]:
    """(xmp:Rating, xmp:Label) of a sidecar, read with the standard library's XML parser."""
    root = ET.parse(path).getroot()
    description = root.find(f".//{{{XMP_NAMESPACES['rdf']}}}Description")
    if description is None:
        raise InputError(f"{path}: no rdf:Description")
    xmp = XMP_NAMESPACES["xmp"]
    return int(description.get(f"{{{xmp}}}Rating", "0")), description.get(f"{{{xmp}}}Label")


# -- the contact sheet -----------------------------------------------------------------------------------

_STYLE = """
body{font:14px system-ui,sans-serif;margin:1em;background:#1d1f21;color:#ddd}
h1{font-size:1.3em}header{position:sticky;top:0;background:#1d1f21;padding:.5em 0;z-index:1}
section{margin:1em 0;padding:.5em;border-top:1px solid #444}
section h2{font-size:1em;margin:.2em 0;color:#aaa}
.frames{display:flex;flex-wrap:wrap;gap:10px}
.card{width:250px;background:#2a2c2e;border:3px solid transparent;border-radius:6px;padding:6px}
.card.pick{border-color:#3c9d4e}.card.flagged img{opacity:.75}
.card img{width:240px;height:auto;display:block;margin:auto}
.name{font-weight:600;word-break:break-all}.meta{color:#aaa;font-size:12px}
.badge{display:inline-block;background:#3c9d4e;color:#fff;border-radius:3px;padding:0 4px;font-size:12px}
.flag{display:inline-block;background:#8a3b3b;color:#fff;border-radius:3px;padding:0 4px;margin:1px;
  font-size:12px}
.reason{font-size:12px;margin-top:4px}
"""

_SCRIPT = """
function sortGroups(){
  var key=document.getElementById('order').value, main=document.getElementById('groups');
  var groups=Array.prototype.slice.call(main.querySelectorAll('section.group'));
  groups.sort(function(a,b){
    if(key==='score')return parseFloat(b.dataset.score)-parseFloat(a.dataset.score);
    if(key==='flags')return parseInt(b.dataset.flags)-parseInt(a.dataset.flags);
    if(key==='size')return parseInt(b.dataset.size)-parseInt(a.dataset.size);
    return parseInt(a.dataset.group)-parseInt(b.dataset.group);});
  groups.forEach(function(g){main.appendChild(g);});
}
function filterCards(){
  var picks=document.getElementById('picks').checked, flagged=document.getElementById('flagged').checked;
  document.querySelectorAll('.card').forEach(function(c){
    var hide=(picks&&!c.classList.contains('pick'))||(flagged&&!c.classList.contains('flagged'));
    c.style.display=hide?'none':'';});
}
"""


def _card(photo: Photo, cache: CullCache) -> str:
    thumb = cache.thumbnail(photo.digest)
    image = f'<img alt="" src="data:image/jpeg;base64,{thumb}">' if thumb else ""
    classes = "card" + (" pick" if photo.pick else "") + (" flagged" if photo.flags else "")
    badge = '<span class="badge">PICK</span> ' if photo.pick else ""
    flags = "".join(f'<span class="flag">{html.escape(f)}</span>' for f in photo.flags)
    score = "" if photo.score is None else f"score {photo.score:.2f}"
    rank = f"rank {photo.rank}/{photo.group_size}" if photo.rank else ""
    meta = " · ".join(x for x in (rank, score) if x)
    return (
        f'<div class="{classes}" data-rank="{photo.rank}">{image}'
        f'<div class="name">{badge}{html.escape(photo.path)}</div><div class="meta">{meta}</div>'
        f'<div>{flags}</div><div class="reason">{html.escape(photo.reason)}</div></div>\n'
    )


def contact_sheet(result: CullResult) -> Iterator[str]:
    """The offline HTML contact sheet, piece by piece: one section per group (frames best first, the pick
    outlined), unreadable files last; the groups sort by capture order, pick score, flags or size, and
    the frames filter to picks or flagged ones, with inline JavaScript. No external resource."""
    title = f"Cull of {result.folder.name or result.folder}"
    summary = "<br>".join(html.escape(line) for line in result.summary().splitlines())
    yield (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style><script>{_SCRIPT}</script></head><body>\n"
        f"<header><h1>{html.escape(title)}</h1><div>{summary}</div>"
        '<label>Order groups by <select id="order" onchange="sortGroups()"><option value="time">capture '
        'order</option><option value="score">pick score</option><option value="flags">most flags</option>'
        '<option value="size">size</option></select></label> '
        '<label><input type="checkbox" id="picks" onchange="filterCards()"> picks only</label> '
        '<label><input type="checkbox" id="flagged" onchange="filterCards()"> flagged only</label>'
        '</header>\n<main id="groups">\n'
    )
    by_group: dict[int, list[Photo]] = {}
    for photo in result.ordered():
        if photo.readable:
            by_group.setdefault(photo.group, []).append(photo)
    for group_id, frames in by_group.items():
        score = frames[0].score if frames[0].score is not None else 0.0
        flags = sum(len(p.flags) for p in frames)
        yield (
            f'<section class="group" data-group="{group_id}" data-score="{score:.3f}" data-flags="{flags}" '
            f'data-size="{len(frames)}"><h2>Group {group_id} · {len(frames)} frame'
            f'{"s" if len(frames) != 1 else ""}</h2><div class="frames">\n'
        )
        for photo in frames:
            yield _card(photo, result.cache)
        yield "</div></section>\n"
    yield "</main>\n"
    if result.unreadable:
        yield '<section id="unreadable"><h2>Unreadable files</h2><ul>\n'
        for photo in result.unreadable:
            yield f"<li>{html.escape(photo.path)}: {html.escape(photo.error or '')}</li>\n"
        yield "</ul></section>\n"
    yield "</body></html>\n"
