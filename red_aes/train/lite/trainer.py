"""Train RED-Lite's head with relative supervision only: synthetic capture ladders or a RED dataset.

Launch::

    red-aes lite train --config training_recipes/red-lite/train.yaml
    red-aes lite train --photos data/photos --output-dir out/red-lite
    red-aes lite train --dataset out/red-lite-data --output-dir out/red-lite

Two sources of pairs, one training:

* ``photos`` (the recipe): a photo folder, or a photo list CSV fetched on first use
  (:func:`red_aes.data.debian.cached_photo_folder`); crops, realistic degradation ladders and their
  features come from :mod:`red_aes.train.lite.synthetic` (cached per crop, so a stopped run resumes);
* ``dataset``: a RED dataset (folder or Hub id) through :func:`red_aes.data.load_red_dataset`; every
  distinct image's features are cached on disk by image hash; pairs per split from
  :mod:`red_aes.train.lite.pairs`.

The head trains full-batch with AdamW on ``fidelity + aesthetic_weight · fidelity(aesthetic edits) +
tie_weight · tie + magnitude_weight · magnitude + location_weight · location``
(:mod:`red_aes.train.lite.losses`), keeping the epoch with the best pairwise order accuracy (ladders and
aesthetic edits) on the validation photos and stopping after ``patience`` epochs without improvement.
With ``tune_blocks`` (photos only), the last blocks of the backbone's stride-16 stage then train with the
head on the same losses (:func:`fine_tune`). Never reads human-rated benchmark data.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from tqdm.auto import tqdm

from red_aes._version import __version__
from red_aes.data.ladder import is_cross_photo
from red_aes.errors import InputError, require
from red_aes.images import load_image
from red_aes.lite.features import MEASURED, FeatureConfig, FeatureExtractor, tuned_blocks
from red_aes.lite.model import HeadConfig, LiteHead, LiteMetadata, RedLiteModel
from red_aes.registry import given
from red_aes.train.lite.card import EVALUATION_FILE, check_template, write_card
from red_aes.train.lite.losses import fidelity_loss, location_loss, magnitude_loss, tie_loss
from red_aes.train.lite.pairs import PairSet, build_pairs
from red_aes.train.lite.synthetic import CropFamily, LadderConfig, build_families, family_pairs
from red_aes.types import NO_CHANGE_BAND

#: LiteTrainConfig fields that say where a run writes and how it reports, not what it trains (left out
#: of the weights' metadata, so a rebuild elsewhere records the same config).
RUN_FIELDS = ("output_dir", "feature_cache", "progress")


@dataclass
class LiteTrainConfig:
    """Every option of ``red-aes lite train`` (YAML keys and ``--flags`` of the same names)."""

    dataset: str = ""
    revision: str | None = None
    #: Photo folder or photo list CSV: train on synthetic capture ladders (instead of ``dataset``).
    photos: str | None = None
    #: :class:`red_aes.train.lite.synthetic.LadderConfig` fields for ``photos``.
    ladder: dict[str, Any] = field(default_factory=dict)
    output_dir: str = "red-lite"
    backbone: str = "efficientnet-lite0"
    long_side: int = 512
    fine_scales: bool = False
    global_features: bool = False
    hidden: int = 32
    dropout: float = 0.2
    learning_rate: float = 1e-3
    weight_decay: float = 1e-2
    max_epochs: int = 500
    patience: int = 60
    temperature: float = 0.5
    magnitude_weight: float = 0.25
    #: Weight of the two-sided aesthetic edits' fidelity loss (the ladders' has weight 1).
    aesthetic_weight: float = 0.5
    #: Weight of the squared score gap of tie pairs (a clean crop and its high-quality JPEG re-save).
    tie_weight: float = 1.0
    location_target: float = 6.5
    location_weight: float = 0.05
    #: Fine-tune the last ``tune_blocks`` blocks of the backbone's stride-16 stage jointly with the head,
    #: after the head is trained on the frozen features (0: the backbone stays frozen). Needs ``photos``.
    tune_blocks: int = 0
    #: Epochs of fine-tuning; the one with the best validation order accuracy is kept (:func:`fine_tune`).
    tune_epochs: int = 3
    #: AdamW learning rate of the blocks and the head while fine-tuning.
    tune_learning_rate: float = 3e-4
    #: Crop families per fine-tuning step (their pairs, and cross-photo pairs among them).
    tune_families: int = 8
    seed: int = 0
    feature_cache: str | None = None
    progress: bool = True

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> LiteTrainConfig:
        """Read a YAML config; ``overrides`` (not None) win. Unknown keys are an error."""
        raw = yaml.safe_load(Path(path).read_text()) or {}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise InputError(f"{path}: unknown RED-Lite training keys {unknown}; known: {sorted(known)}")
        raw.update(given(overrides))
        return cls(**raw)

    def validate(self) -> None:
        if bool(self.dataset) == bool(self.photos):
            raise InputError(
                "give exactly one source: --photos (a photo folder or photo list CSV) or --dataset "
                "(a RED dataset folder or Hub id)"
            )
        if self.tune_blocks and not self.photos:
            raise InputError(
                "tune_blocks needs --photos: fine-tuning reads the cached block inputs of the "
                "synthetic ladders, which a RED dataset does not have"
            )
        if self.tune_blocks < 0:
            raise InputError(f"tune_blocks must be >= 0, got {self.tune_blocks}")
        if self.tune_learning_rate <= 0:
            raise InputError("tune_learning_rate must be positive")
        for name in ("long_side", "hidden", "max_epochs", "patience", "tune_epochs", "tune_families"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.learning_rate <= 0 or self.temperature <= 0:
            raise InputError("learning_rate and temperature must be positive")
        for name in ("magnitude_weight", "aesthetic_weight", "tie_weight", "location_weight"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0 <= self.dropout < 1:
            raise InputError(f"dropout must be in [0, 1), got {self.dropout}")


@dataclass
class SplitData:
    """One split: its image rows in the feature table and its pairs (indices into that table)."""

    nodes: np.ndarray
    pairs: PairSet


def _image_key(data: bytes, config: FeatureConfig) -> str:
    digest = hashlib.sha256(data)
    digest.update(json.dumps(config.cache_identity(), sort_keys=True).encode())
    return digest.hexdigest()[:32]


def extract_table(
    dataset: Any, extractor: FeatureExtractor, cache: Path, progress: bool
) -> tuple[np.ndarray, dict[str, int], dict[str, list[dict[str, Any]]], int]:
    """Features of every distinct image of every split, the node index of each, each split's rows, and
    how many feature vectors came from the cache (so recorded timings say what they measured)."""
    from datasets import Image as ImageFeature

    cache.mkdir(parents=True, exist_ok=True)
    node_of: dict[str, int] = {}
    vectors: list[np.ndarray] = []
    hits = 0
    rows_by_split: dict[str, list[dict[str, Any]]] = {}
    total = sum(len(split) for split in dataset.values())
    bar = tqdm(total=total, desc="features", unit="pair", disable=not progress)
    for name, split in dataset.items():
        split = split.cast_column("original", ImageFeature(decode=False))
        split = split.cast_column("edited", ImageFeature(decode=False))
        rows = []
        for row in split:
            for key, image in (
                (f"orig:{row['source_id']}", row["original"]),
                (f"edit:{row['pair_id']}", row["edited"]),
            ):
                if key in node_of:
                    continue
                data = image["bytes"] or Path(image["path"]).read_bytes()
                file = cache / f"{_image_key(data, extractor.config)}.npy"
                if file.is_file():
                    vector = np.load(file)
                    hits += 1
                else:
                    vector = extractor(load_image(data, max_input_pixels=None))
                    np.save(file, vector)
                node_of[key] = len(vectors)
                vectors.append(vector)
            rows.append({k: row[k] for k in ("pair_id", "source_id", "attribute", "delta", "editor_params")})
            bar.update(1)
        rows_by_split[name] = rows
    bar.close()
    return np.stack(vectors).astype(np.float64), node_of, rows_by_split, hits


def ranked_pairs(pairs: PairSet) -> np.ndarray:
    """Every (winner, loser) pair of ``pairs``: the ladders' order and the aesthetic edits'."""
    return np.concatenate([pairs.arrays()[0], PairSet.index(pairs.aesthetic)])


def order_accuracy(scores: np.ndarray, order: np.ndarray) -> float | None:
    """Share of (winner, loser) pairs the scores order correctly (ties count half); None without pairs."""
    if len(order) == 0:
        return None
    diff = scores[order[:, 0]] - scores[order[:, 1]]
    return float(np.mean((diff > 0) + 0.5 * (diff == 0)))


def tie_gap(scores: np.ndarray, ties: np.ndarray) -> float | None:
    """Mean absolute score gap of pairs that should score the same; None without pairs."""
    return float(np.abs(scores[ties[:, 0]] - scores[ties[:, 1]]).mean()) if len(ties) else None


def _loss(head: LiteHead, x: torch.Tensor, data: SplitData, config: LiteTrainConfig) -> torch.Tensor:
    scores = head.score(x)
    order, judged, deltas = (torch.from_numpy(a) for a in data.pairs.arrays())
    loss = fidelity_loss(scores[order[:, 0]], scores[order[:, 1]], temperature=config.temperature)
    aesthetic = torch.from_numpy(PairSet.index(data.pairs.aesthetic))
    if len(aesthetic) and config.aesthetic_weight:
        loss = loss + config.aesthetic_weight * fidelity_loss(
            scores[aesthetic[:, 0]], scores[aesthetic[:, 1]], temperature=config.temperature
        )
    ties = torch.from_numpy(PairSet.index(data.pairs.ties))
    if len(ties) and config.tie_weight:
        loss = loss + config.tie_weight * tie_loss(scores[ties[:, 0]], scores[ties[:, 1]])
    if len(judged):
        loss = loss + config.magnitude_weight * magnitude_loss(
            scores[judged[:, 0]], scores[judged[:, 1]], deltas
        )
    originals = torch.tensor(sorted(data.pairs.original_nodes))
    return loss + config.location_weight * location_loss(scores[originals], config.location_target)


def fit_head(
    table: np.ndarray,
    train: SplitData,
    validation: SplitData,
    config: LiteTrainConfig,
    decreasing: tuple[int, ...] = (),
) -> tuple[LiteHead, dict[str, Any]]:
    """Train a head on ``train``'s pairs, early-stopped on ``validation``'s order accuracy (ladders and
    aesthetic edits);
    ``decreasing`` features can only lower the score (:class:`HeadConfig`)."""
    torch.manual_seed(config.seed)
    head = LiteHead(
        HeadConfig(dim=table.shape[1], hidden=config.hidden, dropout=config.dropout, decreasing=decreasing)
    )
    train_x = table[train.nodes]
    std = train_x.std(0)
    head.mean.copy_(torch.from_numpy(train_x.mean(0)))
    head.std.copy_(torch.from_numpy(np.where(std > 1e-8, std, 1.0)))
    x = torch.from_numpy(table)
    val_order = ranked_pairs(validation.pairs)

    def val_accuracy() -> float:
        with torch.no_grad():
            return order_accuracy(head.eval().score(x).numpy(), val_order) or 0.0

    untrained = val_accuracy()
    optimizer = torch.optim.AdamW(
        head.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    best = (untrained, -1, {k: v.clone() for k, v in head.state_dict().items()})
    history = []
    bar = tqdm(range(config.max_epochs), desc="train", disable=not config.progress)
    for epoch in bar:
        head.train()
        optimizer.zero_grad()
        loss = _loss(head, x, train, config)
        loss.backward()
        optimizer.step()
        accuracy = val_accuracy()
        history.append({"epoch": epoch, "loss": loss.item(), "val_order_accuracy": accuracy})
        if accuracy > best[0]:
            best = (accuracy, epoch, {k: v.clone() for k, v in head.state_dict().items()})
        bar.set_postfix(loss=f"{loss.item():.4f}", val=f"{accuracy:.3f}", best=f"{best[0]:.3f}")
        if epoch - best[1] >= config.patience:
            break
    head.load_state_dict(best[2])
    head.eval()
    summary = {
        "untrained_val_order_accuracy": untrained,
        "best_val_order_accuracy": best[0],
        "best_epoch": best[1],
        "epochs_run": len(history),
        "final_train_loss": history[-1]["loss"] if history else None,
    }
    return head, summary


def _config_key(config: LiteTrainConfig) -> str:
    """What decides the fine-tuning's trajectory, hashed: the training config without the run fields and
    the epoch count (a run asked for more epochs continues from the last checkpoint)."""
    raw = {k: v for k, v in asdict(config).items() if k not in (*RUN_FIELDS, "tune_epochs")}
    return hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _deep_rows(tuner: FeatureExtractor, start: int, family: CropFamily) -> torch.Tensor:
    """The backbone statistics of a family's images through ``tuner``'s blocks, from their cached inputs,
    one batch per image size (a family's images share their crop's size)."""
    assert family.inputs is not None
    by_shape: dict[tuple[int, ...], list[int]] = {}
    for i, array in enumerate(family.inputs):
        by_shape.setdefault(array.shape, []).append(i)
    parts, order = [], []
    for indices in by_shape.values():
        batch = torch.from_numpy(np.stack([family.inputs[i] for i in indices]).astype(np.float32))
        parts.append(tuner.deep_features(batch, start))
        order += indices
    return torch.cat(parts)[torch.from_numpy(np.argsort(order))]


def fine_tune(
    prepared: Prepared,
    head: LiteHead,
    extractor: FeatureExtractor,
    config: LiteTrainConfig,
    checkpoints: Path,
    frozen_accuracy: float,
) -> tuple[dict[int, torch.nn.Module], dict[str, Any], np.ndarray]:
    """Fine-tune the last ``config.tune_blocks`` blocks of the backbone's stride-16 stage together with
    ``head`` (trained on the frozen features first, reaching ``frozen_accuracy`` on the validation
    photos) on the same losses, in steps of ``tune_families`` crop families, from the block inputs cached
    with the features. Returns the blocks, a summary and the feature table recomputed through them.

    The blocks stay in eval mode (their batch-norm statistics are the ImageNet ones; their weights and
    affine parameters train). Each epoch draws its order and pairs from ``(seed, epoch)`` and is
    checkpointed under ``checkpoints`` (``tune-<config hash>-<epochs done>.pt``), so a stopped run
    resumes at its last finished epoch, and a run asked for more or fewer epochs starts from the
    checkpoint of the most it has. As in the head's training, the epoch with the best pairwise order
    accuracy on the validation photos (ladders and aesthetic edits) is kept; if none beats the frozen
    start, ``head`` is left as it came and no block is returned."""
    assert prepared.families is not None, "fine-tuning needs synthetic crop families"
    tuned = tuned_blocks(extractor.backbone, config.tune_blocks, extractor.config)
    start = tuned[0]
    frozen = {i: extractor.backbone._blocks[i] for i in tuned}
    blocks = {i: copy.deepcopy(block).eval().requires_grad_(True) for i, block in frozen.items()}
    tuner = FeatureExtractor(extractor.config, blocks)
    deep = prepared.table.shape[1] - len(MEASURED)
    measured = torch.from_numpy(prepared.table[:, deep:])
    initial = {k: v.clone() for k, v in head.state_dict().items()}
    head.requires_grad_(True)
    parameters = [*head.parameters(), *(p for block in blocks.values() for p in block.parameters())]
    optimizer = torch.optim.AdamW(parameters, lr=config.tune_learning_rate, weight_decay=config.weight_decay)
    key = _config_key(config)
    history: list[dict[str, Any]] = []
    done = [n for n in range(config.tune_epochs, 0, -1) if (checkpoints / f"tune-{key}-{n}.pt").is_file()]
    if done:
        state = torch.load(checkpoints / f"tune-{key}-{done[0]}.pt", weights_only=True)
        head.load_state_dict(state["head"])
        for index, block in blocks.items():
            block.load_state_dict(state["blocks"][str(index)])
        optimizer.load_state_dict(state["optimizer"])
        history = state["history"]

    def features(families: list[CropFamily], offsets: list[int]) -> torch.Tensor:
        """The feature rows of ``families``, whose first rows in the table are ``offsets``."""
        rows = np.concatenate([np.arange(o, o + len(f.loss)) for f, o in zip(families, offsets, strict=True)])
        return torch.cat([torch.cat([_deep_rows(tuner, start, f) for f in families]), measured[rows]], 1)

    train_families, train_offsets = prepared.families["train"]
    validation = prepared.splits["validation"]
    cross_photo = int(prepared.summary["ladder"]["cross_photo_pairs"])
    for epoch in range(len(history), config.tune_epochs):
        rng = np.random.default_rng([config.seed, epoch])
        torch.manual_seed(config.seed + epoch)
        order = rng.permutation(len(train_families))
        steps = range(0, len(order), config.tune_families)
        losses = []
        desc = f"fine-tune {epoch + 1}/{config.tune_epochs}"
        for step in tqdm(steps, desc=desc, unit="step", disable=not config.progress):
            batch = [int(i) for i in order[step : step + config.tune_families]]
            families = [train_families[i] for i in batch]
            local = np.cumsum([0] + [len(f.loss) for f in families[:-1]]).tolist()
            rows = int(sum(len(f.loss) for f in families))
            data = SplitData(np.arange(rows), family_pairs(families, local, rng, cross_photo))
            head.train()
            x = features(families, [train_offsets[i] for i in batch])
            loss = _loss(head, x, data, config)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scores = np.zeros(len(prepared.table))
        with torch.no_grad():
            scores[validation.nodes] = head.eval().score(features(*prepared.families["validation"])).numpy()
        history.append(
            {
                "epoch": epoch,
                "loss": float(np.mean(losses)),
                "val_order_accuracy": order_accuracy(scores, ranked_pairs(validation.pairs)),
                "val_aesthetic_accuracy": order_accuracy(scores, PairSet.index(validation.pairs.aesthetic)),
            }
        )
        state = {
            "head": head.state_dict(),
            "blocks": {str(i): block.state_dict() for i, block in blocks.items()},
            "optimizer": optimizer.state_dict(),
            "history": history,
        }
        checkpoint = checkpoints / f"tune-{key}-{epoch + 1}.pt"
        torch.save(state, checkpoint.with_suffix(".tmp"))
        checkpoint.with_suffix(".tmp").replace(checkpoint)
    head.requires_grad_(False).eval()
    for block in blocks.values():
        block.requires_grad_(False)
    accuracies = [row["val_order_accuracy"] or 0.0 for row in history]
    kept = int(np.argmax(accuracies)) if max(accuracies) > frozen_accuracy else None
    summary: dict[str, Any] = {"blocks": list(tuned), "epochs": len(history), "kept_epoch": kept}
    summary.update(frozen_val_order_accuracy=frozen_accuracy, history=history)
    if kept is None:
        head.load_state_dict(initial)
        return {}, summary, prepared.table
    state = torch.load(checkpoints / f"tune-{key}-{kept + 1}.pt", weights_only=True)
    head.load_state_dict(state["head"])
    for index, block in blocks.items():
        block.load_state_dict(state["blocks"][str(index)])
    table = prepared.table.copy()
    with torch.no_grad():
        for families, offsets in prepared.families.values():
            for family, offset in zip(families, offsets, strict=True):
                table[offset : offset + len(family.loss), :deep] = _deep_rows(tuner, start, family).numpy()
        moved = sum(
            float((p - q).pow(2).sum())
            for i in tuned
            for p, q in zip(blocks[i].parameters(), frozen[i].parameters(), strict=True)
        )
        size = sum(float(q.pow(2).sum()) for i in tuned for q in frozen[i].parameters())
    summary["relative_weight_change"] = (moved / size) ** 0.5
    return blocks, summary, table


def per_attribute_accuracy(
    scores: np.ndarray, rows: list[dict[str, Any]], node_of: dict[str, int]
) -> dict[str, dict[str, float]]:
    """Order accuracy of original-vs-edit pairs per attribute (cross-photo pairs reported apart)."""

    by_attribute: dict[str, list[float]] = {}
    for row in rows:
        if abs(row["delta"]) < NO_CHANGE_BAND:
            continue
        o, e = node_of[f"orig:{row['source_id']}"], node_of[f"edit:{row['pair_id']}"]
        diff = (scores[e] - scores[o]) * np.sign(row["delta"])
        name = "cross-photo" if is_cross_photo(row) else row["attribute"]
        by_attribute.setdefault(name, []).append(float((diff > 0) + 0.5 * (diff == 0)))
    return {k: {"accuracy": float(np.mean(v)), "pairs": len(v)} for k, v in sorted(by_attribute.items())}


def _kind(row: dict[str, Any]) -> str | None:
    """The degradation kind of a ladder-mode row (None for other rows)."""
    return json.loads(row["editor_params"] or "{}").get("params", {}).get("kind")


@dataclass
class Prepared:
    """A source turned into training material: the feature table, its splits, a per-kind breakdown of
    order accuracy for given scores, and what the summary records about the source."""

    table: np.ndarray
    splits: dict[str, SplitData]
    breakdown: Callable[[np.ndarray, str], dict[str, dict[str, float]]]
    summary: dict[str, Any]
    #: Per split, the synthetic crop families and their first rows in ``table`` (photos only).
    families: dict[str, tuple[list[CropFamily], list[int]]] | None = None


def _from_dataset(config: LiteTrainConfig, extractor: FeatureExtractor, cache: Path) -> Prepared:
    """Pairs of a RED dataset (folder or Hub id) with their features."""
    require("datasets", "data", "RED-Lite training from a RED dataset")
    from red_aes.data import load_red_dataset

    dataset = load_red_dataset(config.dataset, revision=config.revision)
    for needed in ("train", "validation"):
        if needed not in dataset:
            raise InputError(
                f"{config.dataset}: RED-Lite needs a '{needed}' split (early stopping uses the validation "
                f"photos); it has {sorted(dataset)}"
            )
    table, node_of, rows, cache_hits = extract_table(dataset, extractor, cache, config.progress)
    splits = {}
    for name, split_rows in rows.items():
        nodes = sorted(
            {node_of[f"orig:{r['source_id']}"] for r in split_rows}
            | {node_of[f"edit:{r['pair_id']}"] for r in split_rows}
        )
        splits[name] = SplitData(np.array(nodes), build_pairs(split_rows, node_of))
    every_row = [r for split_rows in rows.values() for r in split_rows]
    return Prepared(
        table,
        splits,
        lambda scores, name: per_attribute_accuracy(scores, rows[name], node_of),
        {
            "n_photos": len({r["source_id"] for r in every_row}),
            "n_kinds": len({_kind(r) for r in every_row} - {None}),
            "features_from_cache": cache_hits,
        },
    )


def _from_photos(
    config: LiteTrainConfig, extractor: FeatureExtractor, cache: Path, tune_from: int | None = None
) -> Prepared:
    """Synthetic capture ladders of a photo folder (or of a photo list, fetched on first use)."""

    photos = Path(str(config.photos))
    if photos.suffix.lower() == ".csv":
        from red_aes.data.debian import cached_photo_folder  # loads datasets: only for a photo list

        photos = cached_photo_folder(photos)
    try:
        ladder = LadderConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in config.ladder.items()})
    except TypeError as err:
        raise InputError(
            f"ladder: {err}; keys are LadderConfig fields (red_aes.train.lite.synthetic)"
        ) from None
    families, hits = build_families(photos, extractor, ladder, cache, config.progress, tune_from)
    table = np.concatenate([f.features for f in families]).astype(np.float64)
    offsets = np.cumsum([0] + [len(f.loss) for f in families[:-1]]).tolist()
    rng = np.random.default_rng(ladder.seed)
    splits, members = {}, {}
    for name in ("train", "validation"):
        chosen = [i for i, f in enumerate(families) if f.split == name]
        if not chosen:
            raise InputError(f"{photos}: no photo falls in the {name} split; add photos")
        picked = [families[i] for i in chosen]
        starts = [offsets[i] for i in chosen]
        nodes = np.concatenate([np.arange(o, o + len(f.loss)) for f, o in zip(picked, starts, strict=True)])
        splits[name] = SplitData(nodes, family_pairs(picked, starts, rng, ladder.cross_photo_pairs))
        members[name] = (picked, starts)

    def breakdown(scores: np.ndarray, name: str) -> dict[str, dict[str, float]]:
        """Order accuracy of clean crop vs each degraded or aesthetically edited image, per scenario of its
        ladder (or base) or per edit (re-saves are ties: see ``tie_gap``)."""
        by_kind: dict[str, list[float]] = {}
        for family, offset in zip(*members[name], strict=True):
            for i in range(1, len(family.loss)):
                if family.role[i] == "resave":
                    continue
                diff = scores[offset] - scores[offset + i]
                kind = ("aesthetic:" if family.role[i] == "aesthetic" else "") + family.scenario[i]
                by_kind.setdefault(kind, []).append(float((diff > 0) + 0.5 * (diff == 0)))
        return {k: {"accuracy": float(np.mean(v)), "pairs": len(v)} for k, v in sorted(by_kind.items())}

    return Prepared(
        table,
        splits,
        breakdown,
        {
            "n_photos": len({f.photo for f in families}),
            "n_kinds": len(ladder.scenarios),
            "crops": len(families),
            "ladder": asdict(ladder),
            "features_from_cache": sum(len(families[i].loss) for i in range(hits)) if hits else 0,
        },
        members,
    )


def train(config: LiteTrainConfig) -> Path:
    """Run the whole training and save the model folder; returns it."""
    config.validate()
    check_template()
    started = time.perf_counter()
    features = FeatureConfig(
        backbone=config.backbone,
        long_side=config.long_side,
        fine_scales=config.fine_scales,
        global_features=config.global_features,
    )
    extractor = FeatureExtractor(features)
    tuned = tuned_blocks(extractor.backbone, config.tune_blocks, features) if config.tune_blocks else None
    out = Path(config.output_dir)
    cache = Path(config.feature_cache) if config.feature_cache else out / "feature_cache"
    if config.photos:
        prepared = _from_photos(config, extractor, cache, tuned[0] if tuned else None)
    else:
        prepared = _from_dataset(config, extractor, cache)
    extracted = time.perf_counter()
    splits = prepared.splits
    source = config.photos or config.dataset
    if not splits["train"].pairs.order:
        raise InputError(f"{source}: the train split has no ordered pair to learn from")
    decreasing = tuple(extractor.decreasing())
    head, summary = fit_head(prepared.table, splits["train"], splits["validation"], config, decreasing)
    table, blocks = prepared.table, {}
    if tuned:
        frozen_accuracy = summary["best_val_order_accuracy"]
        blocks, summary["tuning"], table = fine_tune(
            prepared, head, extractor, config, cache, frozen_accuracy
        )
    model = RedLiteModel(features, head, blocks=blocks)
    scores = model.score_features(table)
    validation = {
        name: {
            "order_accuracy": order_accuracy(scores, data.pairs.arrays()[0]),
            "aesthetic_accuracy": order_accuracy(scores, PairSet.index(data.pairs.aesthetic)),
            "tie_gap": tie_gap(scores, PairSet.index(data.pairs.ties)),
            "pairs": dict(data.pairs.counts),
            "per_attribute": prepared.breakdown(scores, name),
        }
        for name, data in splits.items()
    }
    summary.update(
        prepared.summary,
        feature_seconds=round(extracted - started, 1),
        total_seconds=round(time.perf_counter() - started, 1),
        images=len(prepared.table),
        config={k: v for k, v in asdict(config).items() if k not in RUN_FIELDS},
    )

    model.metadata = LiteMetadata(
        package_version=__version__, dataset=source, training=summary, validation=validation
    )
    model.save_pretrained(out)

    (out / EVALUATION_FILE).unlink(missing_ok=True)  # it described the weights this run replaced
    write_card(out, model)
    return out
