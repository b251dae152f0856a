"""RED-Lite's training pairs from a photo folder: crops, realistic degradation ladders, cached features.

For every photo, ``crops_per_photo`` random crops (at a random working size) each give one family of
images, all of the same content:

* the **clean** crop as photographed (loss 0);
* with probability ``degraded_base_share``, a **base**: the crop already hurt by a mild random capture
  scenario (:mod:`red_aes.editing.capture`), so the model also sees defects on imperfect photos;
* ``chains_per_crop`` **ladders** on top of the base (or the clean crop): one scenario chain applied at
  each of ``levels`` × its strength.

The order is by construction (the ``ladder`` judge's assumption): clean ≻ base ≻ every ladder image, and
along a ladder a weaker level ≻ a stronger one; images on different ladders are not compared. Δ of an
image against its clean crop is ``capture.Chain.delta`` of everything applied to it. Cross-photo pairs put
a clean crop above a heavily degraded (loss ≥ :data:`CROSS_PHOTO_MIN_LOSS`) image of another photo.

Images are never stored: each crop's feature vectors are computed once and cached as one ``.npz`` file
keyed by the photo's content, the crop index and the configuration, so an interrupted build resumes where
it stopped and re-training with other head settings takes seconds. Photos are split by content hash
(:func:`validation_photos`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from red_aes.editing.capture import LADDER_SCALE, SCENARIOS, Chain, sample_chain
from red_aes.errors import InputError
from red_aes.images import load_image
from red_aes.lite.features import FeatureExtractor
from red_aes.train.lite.pairs import PairSet

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".pgm", ".ppm")
#: A cross-photo pair's degraded image must have lost at least this much (``Chain.loss``).
CROSS_PHOTO_MIN_LOSS = 0.7


#: LadderConfig fields that do not change any crop family's images (left out of the cache key).
PAIRING_FIELDS = ("crops_per_photo", "cross_photo_pairs", "validation_share")


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

    def key(self, feature_key: dict[str, object]) -> str:
        """A short hash of what decides a crop family's images and features (the cache folder name): the
        fields that only count crops or choose pairs and splits are left out, so changing them reuses
        the cache."""
        images = {k: v for k, v in asdict(self).items() if k not in PAIRING_FIELDS}
        raw = json.dumps({"ladder": images, "features": feature_key}, sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:12]


@dataclass
class CropFamily:
    """The images of one crop: features, loss, role (``clean``/``base``/``ladder``), ladder id and level."""

    photo: str
    split: str
    features: np.ndarray
    loss: np.ndarray
    role: list[str]
    ladder: np.ndarray
    level: np.ndarray
    scenario: list[str]


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


def build_family(
    photo: Image.Image, digest: str, index: int, extractor: FeatureExtractor, config: LadderConfig, split: str
) -> CropFamily:
    """Crop ``index`` of a photo, its base and ladders, and their feature vectors."""
    rng = np.random.default_rng([config.seed, int(digest, 16) % 2**32, index])
    clean = _crop(photo, rng, config)
    base_chain, ladders = family_chains(rng, config)
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
    return CropFamily(
        photo=digest,
        split=split,
        features=np.stack([extractor(image) for image, *_ in images]).astype(np.float32),
        loss=np.array([i[1] for i in images]),
        role=[i[2] for i in images],
        ladder=np.array([i[3] for i in images]),
        level=np.array([i[4] for i in images]),
        scenario=[i[5] for i in images],
    )


def _save(family: CropFamily, file: Path) -> None:
    """Write one family's cache file (atomically; the split is not stored: it follows the photo set)."""
    tmp = file.with_suffix(".tmp.npz")
    meta = {"photo": family.photo, "role": family.role, "scenario": family.scenario}
    arrays = {k: getattr(family, k) for k in ("features", "loss", "ladder", "level")}
    np.savez(tmp, **arrays, meta=np.array(json.dumps(meta)))
    tmp.replace(file)


def _load(file: Path, split: str) -> CropFamily:
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
        )


def build_families(
    photos: str | Path, extractor: FeatureExtractor, config: LadderConfig, cache: Path, progress: bool = True
) -> tuple[list[CropFamily], int]:
    """Every crop family of every photo in ``photos``, from ``cache`` where already built (so a stopped
    build resumes); returns the families and how many came from the cache."""
    config.validate()
    folder = cache / config.key(extractor.config.to_dict())
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
            if file.is_file():
                families.append(_load(file, split))
                hits += 1
            else:
                photo = photo or load_image(path.read_bytes(), max_pixels=None)
                family = build_family(photo, digest, index, extractor, config, split)
                _save(family, file)
                families.append(family)
            bar.update(1)
    bar.close()
    return families, hits


def family_pairs(
    families: list[CropFamily], offsets: list[int], rng: np.random.Generator, cross_photo: int
) -> PairSet:
    """Order and judged pairs of ``families`` (one split); ``offsets[i]`` is family i's first row."""
    pairs = PairSet()
    strong: list[tuple[str, int]] = []
    for family, offset in zip(families, offsets, strict=True):
        n = len(family.loss)
        clean = offset
        pairs.original_nodes.add(clean)
        base = next((offset + i for i in range(n) if family.role[i] == "base"), None)
        for i in range(1, n):
            pairs.order.append((clean, offset + i))
            pairs.judged.append((clean, offset + i, -LADDER_SCALE * float(family.loss[i])))
            pairs.counts["clean>degraded"] += 1
            if family.role[i] == "ladder" and base is not None:
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
