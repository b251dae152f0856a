"""RED-Lite's training pairs from a photo folder: crops, realistic degradation ladders, cached features.

For every photo, ``crops_per_photo`` random crops (at a random working size) each give one family of
images, all of the same content:

* the **clean** crop as photographed (loss 0);
* with probability ``degraded_base_share``, a **base**: the crop already hurt by a mild random capture
  scenario (:mod:`red_aes.editing.capture`), so the model also sees defects on imperfect photos;
* ``chains_per_crop`` **ladders** on top of the base (or the clean crop): one scenario chain applied at
  each of ``levels`` × its strength;
* a **re-save** of the clean crop as JPEG at quality 85–95, which must score the same (a tie);
* ``aesthetic_edits`` **two-sided aesthetic edits** of the clean crop (:data:`AESTHETIC_EDITS`), each
  worse than it;
* ``grain_on_blur`` **grain on a soft frame**: the clean crop strongly blurred or defocused, then grain
  added to that soft frame at each of ``levels``. The scenarios rarely put strong grain on a soft frame,
  and there the grain reads as restored detail unless the order says otherwise. Drawn from their own
  random stream, so the other images of a family do not change with it.

The clean crop is first saved as a camera saves it (JPEG at quality 85–98, 4:2:0), so mild compression
is the norm of the training originals, as it is of the photos people upload.

The order is by construction (the ``ladder`` judge's assumption): clean ≻ base ≻ every ladder image, and
along a ladder a weaker level ≻ a stronger one (a soft frame is level 0 of its grain ladder, which starts
from the clean crop, not the base); images on different ladders are not compared; clean ≻ every aesthetic
edit (a curated original is at its optimum for global edits); clean = its re-save. Δ of an image against
its clean crop is ``capture.Chain.delta`` of everything applied to it. Cross-photo pairs put a clean crop
above a heavily degraded (loss ≥ :data:`CROSS_PHOTO_MIN_LOSS`) image of another photo.

Images are never stored: each crop's feature vectors are computed once and cached as one ``.npz`` file
keyed by the photo's content, the crop index and the configuration, so an interrupted build resumes where
it stopped and re-training with other head settings takes seconds. When backbone blocks are to be
fine-tuned, the input of the first of them is cached beside it (float16, one more file per crop), so
fine-tuning never runs the frozen blocks again. Photos are split by content hash
(:func:`validation_photos`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import torch
from PIL import Image
from tqdm.auto import tqdm

from red_aes.editing.capture import LADDER_SCALE, SCENARIOS, Chain, make_step, sample_chain
from red_aes.editing.degradations import jpeg
from red_aes.editing.operations import Operation, apply_operation
from red_aes.errors import InputError
from red_aes.images import load_image
from red_aes.lite.features import FeatureExtractor
from red_aes.measure import to_float, to_image
from red_aes.train.lite.pairs import PairSet

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".pgm", ".ppm")
#: A cross-photo pair's degraded image must have lost at least this much (``Chain.loss``).
CROSS_PHOTO_MIN_LOSS = 0.7


#: Two-sided aesthetic edits of a curated crop: (classical editor operation, the amount range drawn
#: from). Each moves one global attribute away from the photographer's choice, both ways where both
#: exist: brighter and darker, harsher and flatter, garish and muted colour, warm/cool and magenta/green
#: casts, a tilt either way, corners darkened or washed out, halos of over-sharpening. Under the
#: assumption that **a curated original is at its optimum for global edits**, each is worse than it.
#: The amounts are clearly visible (people disagree about subtle ones), and the assumption holds only for
#: the clean crops of curated photos, never for the degraded bases. Crops are not among them: the training
#: images are themselves random crops.
AESTHETIC_EDITS: tuple[tuple[str, float, float], ...] = (
    ("exposure", 0.7, 1.8),
    ("exposure", -1.8, -0.7),
    ("contrast", 0.45, 1.0),
    ("contrast", -0.6, -0.35),
    ("saturation", 0.6, 1.5),
    ("saturation", -0.9, -0.5),
    ("vibrance", 1.0, 2.0),
    ("temperature", 1.5, 3.5),
    ("temperature", -3.5, -1.5),
    ("tint", 1.2, 3.0),
    ("tint", -3.0, -1.2),
    ("rotate", 3.0, 8.0),
    ("rotate", -8.0, -3.0),
    ("vignette", 0.45, 0.85),
    ("vignette", -0.7, -0.35),
    ("sharpen", 2.0, 4.5),
)

#: LadderConfig fields that do not change any crop family's images (left out of the cache key).
PAIRING_FIELDS = ("crops_per_photo", "cross_photo_pairs", "validation_share")
#: LadderConfig fields added after caches were written -> the value that adds no image: left out of the
#: cache key at that value, so a cache written before the field existed is still found.
LATER_FIELDS: Mapping[str, object] = MappingProxyType({"grain_on_blur": 0})


@dataclass(frozen=True)
class LadderConfig:
    """How the synthetic ladders are drawn (stored with the model's training metadata)."""

    crops_per_photo: int = 2
    chains_per_crop: int = 3
    levels: tuple[float, ...] = (0.35, 0.7, 1.0)
    degraded_base_share: float = 0.5
    min_crop: float = 0.45
    work_sides: tuple[int, int] = (512, 768)
    scenarios: tuple[str, ...] = tuple(SCENARIOS)
    cross_photo_pairs: int = 3
    validation_share: float = 0.1
    seed: int = 0
    #: JPEG quality range a crop is saved at first, as a camera saves it (4:2:0), so that mild
    #: compression is part of every clean image rather than a defect; empty: kept lossless.
    camera_quality: tuple[int, ...] = (85, 98)
    #: JPEG quality range of a re-save of the clean crop, which must score the same (a tie pair).
    resave_quality: tuple[int, ...] = (85, 95)
    #: Two-sided aesthetic edits (:data:`AESTHETIC_EDITS`) drawn per crop, each worse than the clean crop.
    aesthetic_edits: int = 4
    #: Grain ladders on a strongly blurred copy of the clean crop, per crop (:func:`grain_on_blur_chains`).
    grain_on_blur: int = 0

    def validate(self) -> None:
        unknown = [s for s in self.scenarios if s not in SCENARIOS]
        if unknown:
            raise InputError(f"unknown degradation scenarios {unknown}; known: {', '.join(SCENARIOS)}")
        if self.crops_per_photo < 1 or self.chains_per_crop < 1 or not self.levels:
            raise InputError("crops_per_photo, chains_per_crop and levels must be at least 1")
        if not all(0 < f <= 1 for f in self.levels) or list(self.levels) != sorted(set(self.levels)):
            raise InputError(f"levels must increase within (0, 1], got {list(self.levels)}")
        if not 0 < self.min_crop <= 1:
            raise InputError(f"min_crop must be in (0, 1], got {self.min_crop}")
        for name in ("camera_quality", "resave_quality"):
            value = getattr(self, name)
            if value and (len(value) != 2 or not 1 <= value[0] <= value[1] <= 100):
                raise InputError(f"{name} must be [low, high] JPEG qualities in 1-100, got {list(value)}")
        for name in ("aesthetic_edits", "grain_on_blur"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} must be >= 0, got {getattr(self, name)}")

    def key(self, feature_key: dict[str, object]) -> str:
        """A short hash of what decides a crop family's images and features (the cache folder name): the
        fields that only count crops or choose pairs and splits are left out, so changing them reuses
        the cache, and so is a :data:`LATER_FIELDS` field at the value that adds no image, so a cache
        written before it existed is still found."""
        images = {
            k: v
            for k, v in asdict(self).items()
            if k not in PAIRING_FIELDS and not (k in LATER_FIELDS and v == LATER_FIELDS[k])
        }
        raw = json.dumps({"ladder": images, "features": feature_key}, sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:12]


@dataclass
class CropFamily:
    """The images of one crop: features, loss, role (``clean``, ``base``, ``ladder``, ``soft`` (a soft frame
    and its grain), ``resave`` or ``aesthetic``), ladder id and level."""

    photo: str
    split: str
    features: np.ndarray
    loss: np.ndarray
    role: list[str]
    ladder: np.ndarray
    level: np.ndarray
    scenario: list[str]
    #: Per image, the float16 ``(C, h, w)`` input of the first fine-tuned backbone block (None unless
    #: asked for: :func:`build_families` ``tune_from``).
    inputs: list[np.ndarray] | None = None


def photo_files(folder: str | Path) -> list[Path]:
    """The image files of ``folder`` (not recursive), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a photo folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InputError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)})")
    return files


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def validation_photos(digests: list[str], validation_share: float) -> set[str]:
    """The ``validation_share`` of photos (at least one of two or more) with the lowest content hashes:
    stable, independent of file names, and never empty when there is something to hold out."""
    ordered = sorted(set(digests))
    count = max(1, round(validation_share * len(ordered))) if len(ordered) > 1 and validation_share > 0 else 0
    return set(ordered[:count])


def _crop(photo: Image.Image, rng: np.random.Generator, config: LadderConfig) -> Image.Image:
    """A random crop (aspect kept, ``min_crop``–1 of the sides) resized to a random working long side."""
    fraction = rng.uniform(config.min_crop, 1.0)
    w, h = max(1, round(photo.width * fraction)), max(1, round(photo.height * fraction))
    left, top = int(rng.integers(0, photo.width - w + 1)), int(rng.integers(0, photo.height - h + 1))
    crop = photo.crop((left, top, left + w, top + h))
    side = int(rng.integers(config.work_sides[0], config.work_sides[1] + 1))
    scale = min(1.0, side / max(crop.size))
    size = (max(32, round(crop.width * scale)), max(32, round(crop.height * scale)))
    return crop.resize(size, Image.Resampling.LANCZOS) if size != crop.size else crop


def family_chains(rng: np.random.Generator, config: LadderConfig) -> tuple[Chain | None, list[Chain]]:
    """The base chain (None: the crop stays clean) and the ladder chains of one crop, at full level."""
    base = None
    scenarios = list(config.scenarios)
    if rng.random() < config.degraded_base_share:
        base = sample_chain(
            str(rng.choice(scenarios)), float(rng.uniform(0.1, 0.45)), int(rng.integers(2**31))
        )
    ladders = [
        sample_chain(str(rng.choice(scenarios)), float(rng.uniform(0.5, 1.0)), int(rng.integers(2**31)))
        for _ in range(config.chains_per_crop)
    ]
    return base, ladders


#: Scenario name of a grain ladder on a soft frame (:func:`grain_on_blur_chains`).
GRAIN_ON_BLUR = "grain_on_blur"


def grain_on_blur_chains(rng: np.random.Generator, count: int) -> list[tuple[Chain, Chain]]:
    """``count`` (soft frame, grain) chain pairs: a Gaussian blur or a defocus at strength 0.5–1, and grain
    at strength 0.5–1 (σ 15–30 levels at full level) to be scaled by each ladder level."""
    chains = []
    for _ in range(count):
        blur = str(rng.choice(["gaussian_blur", "defocus"]))
        soft = Chain(
            GRAIN_ON_BLUR, (make_step(blur, float(rng.uniform(0.5, 1.0)), rng),), int(rng.integers(2**31))
        )
        grain = Chain(
            GRAIN_ON_BLUR, (make_step("grain", float(rng.uniform(0.5, 1.0)), rng),), int(rng.integers(2**31))
        )
        chains.append((soft, grain))
    return chains


def _jpeg_save(image: Image.Image, quality: tuple[int, ...], rng: np.random.Generator) -> Image.Image:
    """``image`` through one JPEG save at a quality drawn from ``quality`` (a camera's or a re-save)."""
    return to_image(jpeg(to_float(image), int(rng.integers(quality[0], quality[1] + 1))))


def aesthetic_edit(rng: np.random.Generator) -> Operation:
    """One two-sided aesthetic edit of :data:`AESTHETIC_EDITS` at an amount drawn from its range."""
    op, low, high = AESTHETIC_EDITS[int(rng.integers(len(AESTHETIC_EDITS)))]
    return Operation(op, float(rng.uniform(low, high)))


def build_family(
    photo: Image.Image,
    digest: str,
    index: int,
    extractor: FeatureExtractor,
    config: LadderConfig,
    split: str,
    tune_from: int | None = None,
) -> CropFamily:
    """Crop ``index`` of a photo (saved as a camera would), its base, ladders, re-save, aesthetic edits
    and grain-on-blur ladders, and their feature vectors (with ``tune_from``, also the input of that
    backbone block, in one pass)."""
    photo_seed = int(digest, 16) % 2**32
    rng = np.random.default_rng([config.seed, photo_seed, index])
    clean = _crop(photo, rng, config)
    base_chain, ladders = family_chains(rng, config)
    if config.camera_quality:
        clean = _jpeg_save(clean, config.camera_quality, rng)
    images = [(clean, 0.0, "clean", -1, 0.0, "")]
    start = clean
    if base_chain is not None:
        start = base_chain.apply(clean)
        images.append((start, base_chain.loss(), "base", -1, 0.0, base_chain.scenario))
    for j, chain in enumerate(ladders):
        for level in config.levels:
            step = chain.scaled(level)
            total = base_chain.then(step) if base_chain is not None else step
            images.append((step.apply(start), total.loss(), "ladder", j, level, chain.scenario))
    if config.resave_quality:
        images.append((_jpeg_save(clean, config.resave_quality, rng), 0.0, "resave", -1, 0.0, "jpeg_resave"))
    for _ in range(config.aesthetic_edits):
        op = aesthetic_edit(rng)
        edited, _ = apply_operation(clean, op, seed=int(rng.integers(2**31)))
        name = f"{op.op}{'+' if op.amount > 0 else '-'}"
        images.append((edited, 0.0, "aesthetic", -1, 0.0, name))
    # its own stream: the images above are the same with or without these ladders
    soft_rng = np.random.default_rng([config.seed, photo_seed, index, 1])
    for j, (soft, grain) in enumerate(
        grain_on_blur_chains(soft_rng, config.grain_on_blur), start=len(ladders)
    ):
        blurred = soft.apply(clean)
        images.append((blurred, soft.loss(), "soft", j, 0.0, GRAIN_ON_BLUR))
        for level in config.levels:
            step = grain.scaled(level)
            images.append((step.apply(blurred), soft.then(step).loss(), "soft", j, level, GRAIN_ON_BLUR))
    vectors, inputs = [], []
    for image, *_ in images:
        if tune_from is None:
            vectors.append(extractor(image))
            continue
        vector, block_input = extractor.embed_with_input(extractor.prepare(image), tune_from)
        vectors.append(vector)
        inputs.append(block_input[0].to(torch.float16).numpy())
    return CropFamily(
        photo=digest,
        split=split,
        features=np.stack(vectors).astype(np.float32),
        loss=np.array([i[1] for i in images]),
        role=[i[2] for i in images],
        ladder=np.array([i[3] for i in images]),
        level=np.array([i[4] for i in images]),
        scenario=[i[5] for i in images],
        inputs=inputs if tune_from is not None else None,
    )


def _inputs_file(file: Path, block: int) -> Path:
    """The cache file of a family's block inputs, beside its features: ``<digest>-<crop>.in<block>.npz``."""
    return file.with_name(f"{file.stem}.in{block}.npz")


def _save(family: CropFamily, file: Path, tune_from: int | None = None) -> None:
    """Write one family's cache file, and its block inputs' with ``tune_from`` (atomically, the inputs
    first, so a features file never lacks the inputs it was built with; the split is not stored: it
    follows the photo set)."""
    if tune_from is not None and family.inputs is not None:
        inputs = _inputs_file(file, tune_from)
        tmp = inputs.with_name(f"{inputs.stem}.tmp.npz")
        np.savez(tmp, **{f"a{i}": a for i, a in enumerate(family.inputs)})
        tmp.replace(inputs)
    tmp = file.with_suffix(".tmp.npz")
    meta = {"photo": family.photo, "role": family.role, "scenario": family.scenario}
    arrays = {k: getattr(family, k) for k in ("features", "loss", "ladder", "level")}
    np.savez(tmp, **arrays, meta=np.array(json.dumps(meta)))
    tmp.replace(file)


def _load(file: Path, split: str, tune_from: int | None = None) -> CropFamily:
    inputs = None
    if tune_from is not None:
        with np.load(_inputs_file(file, tune_from)) as data:
            inputs = [data[f"a{i}"] for i in range(len(data.files))]
    with np.load(file) as data:
        meta = json.loads(str(data["meta"]))
        return CropFamily(
            photo=meta["photo"],
            split=split,
            features=data["features"],
            loss=data["loss"],
            role=meta["role"],
            ladder=data["ladder"],
            level=data["level"],
            scenario=meta["scenario"],
            inputs=inputs,
        )


def build_families(
    photos: str | Path,
    extractor: FeatureExtractor,
    config: LadderConfig,
    cache: Path,
    progress: bool = True,
    tune_from: int | None = None,
) -> tuple[list[CropFamily], int]:
    """Every crop family of every photo in ``photos``, from ``cache`` where already built (so a stopped
    build resumes); returns the families and how many came from the cache. With ``tune_from``, each
    family also carries the input of that backbone block; a cached family without them is rebuilt."""
    config.validate()
    folder = cache / config.key(extractor.config.cache_identity())
    folder.mkdir(parents=True, exist_ok=True)
    files = photo_files(photos)
    digests = [_digest(path.read_bytes()) for path in files]
    held_out = validation_photos(digests, config.validation_share)
    families, hits = [], 0
    bar = tqdm(total=len(files) * config.crops_per_photo, desc="ladders", unit="crop", disable=not progress)
    for path, digest in zip(files, digests, strict=True):
        split = "validation" if digest in held_out else "train"
        photo = None
        for index in range(config.crops_per_photo):
            file = folder / f"{digest}-{index}.npz"
            cached = file.is_file() and (tune_from is None or _inputs_file(file, tune_from).is_file())
            if cached:
                families.append(_load(file, split, tune_from))
                hits += 1
            else:
                photo = photo or load_image(path.read_bytes(), max_input_pixels=None)
                family = build_family(photo, digest, index, extractor, config, split, tune_from)
                _save(family, file, tune_from)
                families.append(family)
            bar.update(1)
    bar.close()
    return families, hits


def family_pairs(
    families: list[CropFamily], offsets: list[int], rng: np.random.Generator, cross_photo: int
) -> PairSet:
    """Order, judged, aesthetic and tie pairs of ``families`` (one split); ``offsets[i]`` is family i's
    first row."""
    pairs = PairSet()
    strong: list[tuple[str, int]] = []
    for family, offset in zip(families, offsets, strict=True):
        n = len(family.loss)
        clean = offset
        pairs.original_nodes.add(clean)
        base = next((offset + i for i in range(n) if family.role[i] == "base"), None)
        for i in range(1, n):
            role = family.role[i]
            if role == "resave":
                pairs.ties.append((clean, offset + i))
                pairs.counts["resave_tie"] += 1
                continue
            if role == "aesthetic":
                pairs.aesthetic.append((clean, offset + i))
                pairs.counts["aesthetic"] += 1
                continue
            pairs.order.append((clean, offset + i))
            pairs.judged.append((clean, offset + i, -LADDER_SCALE * float(family.loss[i])))
            pairs.counts["clean>degraded"] += 1
            if role == "ladder" and base is not None:
                pairs.order.append((base, offset + i))
                pairs.counts["base>ladder"] += 1
            if family.loss[i] >= CROSS_PHOTO_MIN_LOSS:
                strong.append((family.photo, offset + i))
        for a in range(n):
            for b in range(n):
                same = family.ladder[a] >= 0 and family.ladder[a] == family.ladder[b]
                if same and family.level[a] < family.level[b]:
                    pairs.order.append((offset + a, offset + b))
                    pairs.counts["ladder"] += 1
    for family, offset in zip(families, offsets, strict=True):
        others = [row for photo, row in strong if photo != family.photo]
        for row in rng.choice(others, size=min(cross_photo, len(others)), replace=False) if others else []:
            pairs.order.append((offset, int(row)))
            pairs.counts["cross_photo"] += 1
    pairs.counts["order"] = len(pairs.order)
    return pairs
