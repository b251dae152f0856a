"""Build a RED dataset: photos -> plans -> edits -> filter -> judges -> Δ + rationale -> DatasetDict.

The photos are cut into shards of ``shard_size``; each shard is built independently and stored
atomically (:mod:`red_aes.data.shards`), so an interrupted build resumes at the first unfinished shard
with nothing lost and nothing duplicated, and every random choice is seeded by ``(seed, source_id,
plan index)`` so a resumed build equals an uninterrupted one. Under ``accelerate launch`` the pending
shards are split across processes (``PartialState.split_between_processes``) and the main process
merges them. Output folder::

    OUT/dataset_dict.json, train/, validation/, test/   the DatasetDict (``save_to_disk``)
    OUT/README.md                                       the dataset card
    OUT/build_config.yaml, OUT/build_stats.json         the config used and the counts
    OUT/shards/                                         resumable work (kept unless keep_shards=false)
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from red_aes.data.aggregate import aggregate_votes, direction_of
from red_aes.data.card import BUILD_CONFIG, BUILD_STATS, write_card
from red_aes.data.config import BuildConfig, looks_like_hub_id
from red_aes.data.debian import SOURCES_FILE
from red_aes.data.filters import check_edit
from red_aes.data.judges import InvalidVote, Judge, PairToJudge, load_judge
from red_aes.data.plans import (
    Capabilities,
    InstructionWriter,
    PlanError,
    PlannedEdit,
    derived_seed,
    ladder_plans,
    load_writer,
    plan_grid,
    plan_source,
    write_plans,
)
from red_aes.data.rationale import RationaleError, RationaleInput, RationaleWriter, load_rationale_writer
from red_aes.data.schema import FEATURES, SPLITS, validate_features, validate_row
from red_aes.data.shards import Manifest, ShardStore, SourceEntry, atomic_write_json
from red_aes.data.sources import DatasetSource, FolderSource, PhotoSource
from red_aes.data.splits import assign_split
from red_aes.editing.base import UnsupportedEditError
from red_aes.errors import InputError
from red_aes.resources import dataset_card_template
from red_aes.types import EditResult

SHARDS_DIR = "shards"
#: What a saved DatasetDict consists of in the output folder (replaced as a whole on every merge).
DATASET_ENTRIES: tuple[str, ...] = ("dataset_dict.json", *SPLITS)


@dataclass
class Components:
    """The loaded editors, judges and writers a process builds shards with."""

    editors: dict[str, Any]
    capabilities: dict[str, Capabilities]
    judges: list[Judge]
    planner: InstructionWriter
    rationale: RationaleWriter


def editor_capabilities(editor: Any) -> Capabilities:
    """The (attribute, direction) pairs a structured editor supports; None for instruction editors."""
    from red_aes.editing.classical import ATTRIBUTE_EDITS, ClassicalEditor

    if isinstance(editor, ClassicalEditor):
        return frozenset(
            (attribute, direction)
            for attribute, entry in ATTRIBUTE_EDITS.items()
            for direction in ("degrade", "improve")
            if direction == "degrade" or entry.improve is not None
        )
    return None


def load_components(config: BuildConfig, device: str | None = None) -> Components:
    """Load every editor, judge and writer the config names (once per process)."""
    from red_aes.editing import load_editor

    editors = {}
    for name in config.editors:
        options = dict(config.editor_options.get(name, {}))
        if name != "classical" and device is not None:
            options.setdefault("device", device)
        editors[name] = load_editor(name, **options)
    judges = []
    for spec in config.judges:
        spec = dict(spec)
        if spec["name"] == "vlm" and device is not None:
            spec.setdefault("device", device)
        judges.append(load_judge(spec))
    labels = [j.label for j in judges]
    if len(set(labels)) != len(labels):
        raise InputError(f"judges must have distinct labels (set 'label' in their config), got {labels}")
    return Components(
        editors=editors,
        capabilities={name: editor_capabilities(editor) for name, editor in editors.items()},
        judges=judges,
        planner=load_writer(config.planner, config.instruction_library),
        rationale=load_rationale_writer(config.rationale, neutral_band=config.neutral_band, device=device),
    )


def run_edit(editor: Any, structured: bool, image: Image.Image, planned: PlannedEdit) -> EditResult:
    """Carry out a plan: structured editors edit the attribute exactly; others follow the instruction."""
    plan = planned.plan
    if planned.operation is not None:
        result = editor.apply(image, [planned.operation], seed=planned.seed)
        result.params.update(kind=planned.kind, attribute=plan.attribute, strength=plan.strength)
        return result
    if structured:
        return editor.edit_attribute(image, plan.attribute, plan.direction, plan.strength, seed=planned.seed)
    return editor.edit(image, plan.instruction, seed=planned.seed, strength=plan.strength)


def png_bytes(image: Image.Image) -> bytes:
    """Lossless PNG of ``image`` (what judges saw is what the dataset stores). zlib level 1: about 6%
    larger files than the default level 6 for half the encoding time."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"editor parameter of type {type(value).__name__} is not JSON serialisable")


@dataclass
class _Candidate:
    entry: SourceEntry
    split: str
    planned: PlannedEdit
    original: Image.Image
    original_png: bytes
    result: EditResult
    edited: Image.Image
    #: cross-photo pair: the candidate whose (degraded) edit stands against this photo's original
    cross_of: _Candidate | None = None

    def to_judge(self) -> PairToJudge:
        plan = self.planned.plan
        return PairToJudge(
            self.original,
            self.edited,
            plan.instruction,
            attribute=plan.attribute,
            direction=plan.direction,
            strength=plan.strength,
            cross_photo=self.cross_of is not None,
        )


def cross_photo_candidates(candidates: list[_Candidate], per_photo: int, seed: int) -> list[_Candidate]:
    """Per photo, ``per_photo`` pairs of its original against the strongest degradations of *other*
    photos of the same split in this shard (drawn with a seeded generator)."""
    import random

    originals = {c.entry.source_id: c for c in candidates}
    strongest = max((c.planned.plan.strength for c in candidates), default=0.0)
    pool = [c for c in candidates if c.planned.plan.strength == strongest]
    extra = []
    for source_id, own in originals.items():
        others = [c for c in pool if c.entry.source_id != source_id and c.split == own.split]
        rng = random.Random(derived_seed(seed, source_id, "cross"))
        for other in rng.sample(others, k=min(per_photo, len(others))):
            extra.append(
                _Candidate(
                    own.entry,
                    own.split,
                    other.planned,
                    own.original,
                    own.original_png,
                    other.result,
                    other.edited,
                    cross_of=other,
                )
            )
    return extra


def build_shard(
    entries: tuple[SourceEntry, ...],
    source: PhotoSource,
    config: BuildConfig,
    parts: Components,
    position: int = 0,
) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """Build the rows of one shard; returns ``(split, row)`` pairs and the shard's counts."""
    stats: dict[str, Any] = {"planned": 0, "edited": 0, "filtered": 0, "kept": 0, "direction_mismatch": 0}
    rejected: Counter[str] = Counter()
    invalid: Counter[str] = Counter()
    edited_by: Counter[str] = Counter()
    kept_by: Counter[str] = Counter()
    grid = plan_grid(parts.capabilities, config.attributes, config.directions, config.strengths)
    candidates: list[_Candidate] = []
    bar = tqdm(entries, desc="edit", leave=False, position=position, disable=not config.progress)
    for entry in bar:
        image = source.load(entry.index, max_side=config.max_side, max_input_pixels=config.max_input_pixels)
        image_png = png_bytes(image)
        split = assign_split(entry.source_id, config.split_fractions)
        if config.ladder_kinds:
            plans: list[PlannedEdit | PlanError] = list(
                ladder_plans(entry.source_id, config.ladder_kinds, config.strengths, config.seed)
            )
        else:
            cells = plan_source(
                entry.source_id, grid, pairs_per_source=config.pairs_per_source, seed=config.seed
            )
            plans = write_plans(entry.source_id, image, cells, parts.planner, config.seed)
        for planned in plans:
            stats["planned"] += 1
            if isinstance(planned, PlanError):
                rejected["plan_invalid"] += 1
                continue
            try:
                structured = parts.capabilities[planned.editor] is not None
                result = run_edit(parts.editors[planned.editor], structured, image, planned)
            except UnsupportedEditError:
                rejected["edit_unsupported"] += 1
                continue
            stats["edited"] += 1
            edited_by[planned.editor] += 1
            check = check_edit(image, result.image, min_change=config.min_change, min_ssim=config.min_ssim)
            if not check.ok:
                rejected[str(check.reason)] += 1
                continue
            stats["filtered"] += 1
            edited = result.image.convert("RGB")
            candidates.append(_Candidate(entry, split, planned, image, image_png, result, edited))
    if config.cross_photo_pairs:
        cross = cross_photo_candidates(candidates, config.cross_photo_pairs, config.seed)
        stats["cross_photo"] = len(cross)
        candidates += cross
    pairs = [c.to_judge() for c in candidates]
    votes_by_judge = [judge.judge(pairs) for judge in parts.judges]
    rows: list[tuple[str, dict[str, Any]]] = []
    for i, cand in enumerate(candidates):
        votes = [judge_votes[i] for judge_votes in votes_by_judge]
        for vote in votes:
            if isinstance(vote, InvalidVote):
                invalid[vote.judge] += 1
        agg = aggregate_votes(
            votes,
            min_valid_votes=config.min_valid_votes,
            min_agreement=config.min_agreement,
            neutral_band=config.neutral_band,
        )
        if agg.reason is not None or agg.delta is None or agg.agreement is None:
            rejected[str(agg.reason)] += 1
            continue
        plan = cand.planned.plan
        item = RationaleInput(
            cand.original, cand.edited, plan.instruction, plan.attribute, agg.delta, agg.verdicts
        )
        try:
            rationale = cross_rationale(cand, agg.delta) if cand.cross_of else parts.rationale.write(item)
        except RationaleError:
            rejected["rationale_inconsistent"] += 1
            continue
        planned_sign = 1 if plan.direction == "improve" else -1
        if direction_of(agg.delta, config.neutral_band) == -planned_sign:
            stats["direction_mismatch"] += 1
        params = {
            "plan": plan.to_dict(),
            **({"cross_photo": {"edited_pair_id": _pair_id(cand.cross_of)}} if cand.cross_of else {}),
            "seed": cand.planned.seed,
            "editor_instruction": cand.result.instruction,
            "backend": cand.result.backend,
            "params": cand.result.params,
        }
        row = {
            "pair_id": _pair_id(cand),
            "source_id": cand.entry.source_id,
            "original": {"bytes": cand.original_png, "path": None},
            "edited": {"bytes": png_bytes(cand.edited), "path": None},
            "instruction": plan.instruction,
            "attribute": plan.attribute,
            "direction": plan.direction,
            "strength": plan.strength,
            "editor": cand.planned.editor,
            "editor_params": json.dumps(params, sort_keys=True, default=_json_default),
            "delta": agg.delta,
            "votes": [v.delta for v in agg.verdicts],
            "judges": [v.judge for v in agg.verdicts],
            "agreement": agg.agreement,
            "rationale": rationale,
            "prompt_version": config.prompt_version,
        }
        validate_row(row, where=f"pair {row['pair_id']}")
        rows.append((cand.split, row))
        stats["kept"] += 1
        kept_by[cand.planned.editor] += 1
    stats.update(sources=len(entries), rejected=dict(rejected), invalid_votes=dict(invalid))
    stats.update(edited_by_editor=dict(edited_by), kept_by_editor=dict(kept_by))
    stats["judge_labels"] = [judge.label for judge in parts.judges]
    return rows, stats


def _pair_id(cand: _Candidate) -> str:
    if cand.cross_of is not None:
        return f"{cand.entry.source_id}-x-{_pair_id(cand.cross_of)}"
    return f"{cand.entry.source_id}-{cand.planned.index:02d}"


def cross_rationale(cand: _Candidate, delta: float) -> str:
    """The target text of a cross-photo pair: what it is, and the assumption its Δ rests on."""
    from red_aes.data.rationale import rationale_target

    plan = cand.planned.plan
    reasoning = (
        "These are two different photos: a curated original, and another photo with its "
        f"{plan.attribute.replace('_', ' ')} strongly degraded ({plan.instruction}). By the ladder "
        f"assumption the curated photo is the better one; the second is about {abs(delta):.1f} points worse."
    )
    return rationale_target(reasoning, delta)


def merge_stats(shard_stats: list[dict[str, Any]], manifest: Manifest) -> dict[str, Any]:
    """Sum the shards' counts and add the source-level ones."""
    total: dict[str, Any] = {"judge_labels": []}
    total.update(
        (key, Counter()) for key in ("rejected", "invalid_votes", "edited_by_editor", "kept_by_editor")
    )
    for stats in shard_stats:
        for key, value in stats.items():
            if isinstance(value, dict):
                total[key].update(value)
            elif isinstance(value, list):
                total[key] += [item for item in value if item not in total[key]]
            else:
                total[key] = total.get(key, 0) + value
    for key in ("rejected", "invalid_votes", "edited_by_editor", "kept_by_editor"):
        total[key] = dict(sorted(total[key].items()))
    total["sources"] = len(manifest.entries)
    total["duplicates"] = manifest.duplicates
    total["shards"] = manifest.num_shards
    total["fingerprint"] = manifest.fingerprint
    return total


def merge_shards(store: ShardStore, manifest: Manifest, out: Path) -> dict[str, int]:
    """Concatenate the shards per split, check the schema, save the DatasetDict into ``out`` (replacing
    an earlier one); returns the number of pairs per split."""
    from datasets import Dataset, DatasetDict

    splits = {}
    for split in SPLITS:
        files = [str(p) for p in store.split_files(manifest.num_shards, split)]
        if files:  # a split without pairs is left out (too few photos for its fraction)
            splits[split] = Dataset.from_parquet(
                files, features=FEATURES, cache_dir=str(store.root / ".cache")
            )
    if not splits:
        raise InputError(
            f"{out}: no pair survived the filter, judges and rationale checks; see {out / BUILD_STATS}"
        )
    dataset = DatasetDict(splits)
    for name, split in dataset.items():
        validate_features(split.features, where=f"split {name}")
    staging = out / ".dataset-staging"
    if staging.exists():
        shutil.rmtree(staging)
    dataset.save_to_disk(str(staging))
    for entry in DATASET_ENTRIES:
        target = out / entry
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    for entry in DATASET_ENTRIES:
        if (staging / entry).exists():
            os.replace(staging / entry, out / entry)
    shutil.rmtree(staging)
    counts = {name: len(split) for name, split in dataset.items()}
    shutil.rmtree(store.root / ".cache", ignore_errors=True)  # from_parquet's Arrow copy, now saved in out
    return counts


def _open_source(config: BuildConfig) -> PhotoSource:
    """The build's photos: a folder (``source_type`` ``folder``, or ``auto`` and the folder exists), the
    photos of a Debian photo list (``debian``: ``source`` is the list's CSV, fetched once into a cache
    folder), or a dataset."""
    source, kind = config.source, config.source_type
    if kind == "debian":
        from red_aes.data.debian import cached_photo_folder

        return FolderSource(cached_photo_folder(source))
    if kind == "folder" or (kind == "auto" and Path(source).is_dir()):
        return FolderSource(source)
    if kind == "auto" and Path(source).is_file():
        raise NotADirectoryError(f"{source}: is a file; give a folder of photos or a dataset id")
    if kind == "auto" and not looks_like_hub_id(source):
        raise NotADirectoryError(f"{source}: no such folder of photos, and not a Hub dataset id (owner/name)")
    return DatasetSource(source, config.image_column, config.source_split, config.source_config)


def prepare(config: BuildConfig, out: Path, overwrite: bool, source: PhotoSource) -> Manifest:
    """Main process: scan the photos, open (or check) the shard store, store the config."""
    if overwrite and out.exists():
        for entry in (*DATASET_ENTRIES, SHARDS_DIR, BUILD_CONFIG, BUILD_STATS, "README.md"):
            target = out / entry
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    entries, duplicates = source.scan(config.max_sources, progress=config.progress)
    manifest = Manifest(
        config.fingerprint(), config.shard_size, tuple(entries), duplicates, description=source.description
    )
    ShardStore(out / SHARDS_DIR).open(manifest)
    config.save(out / BUILD_CONFIG)
    photo_list = source.folder / SOURCES_FILE if isinstance(source, FolderSource) else None
    if photo_list is not None and photo_list.is_file():  # per-photo package, file, licence go with the data
        shutil.copyfile(photo_list, out / SOURCES_FILE)
    return manifest


def build_dataset(
    config: BuildConfig, *, overwrite: bool = False, after_shard: Callable[[int], None] | None = None
) -> Path:
    """Build (or resume) the dataset ``config`` describes; returns the output folder.

    ``after_shard(index)`` is called after each shard is stored (progress reporting, tests that
    interrupt a build at a known point).
    """
    from red_aes.processes import process_state

    config.validate()
    dataset_card_template()  # the card is written last: a missing template fails here, before any work
    state = process_state()
    out = Path(config.out)
    if state.is_main_process:  # the others open the source after it (a Hub dataset is then cached)
        out.mkdir(parents=True, exist_ok=True)
        prepare(config, out, overwrite, _open_source(config))
    state.wait_for_everyone()
    store = ShardStore(out / SHARDS_DIR)
    manifest = store.read_manifest()
    if manifest is None:
        raise FileNotFoundError(f"{store.root}: no manifest; the main process did not prepare the build")
    pending = store.pending(manifest.num_shards)
    with state.split_between_processes(pending) as mine:
        if mine:
            source = _open_source(config)
            parts = load_components(config, device=str(state.device) if state.num_processes > 1 else None)
            desc = f"shards (process {state.process_index})" if state.num_processes > 1 else "shards"
            for index in tqdm(mine, desc=desc, position=state.process_index, disable=not config.progress):
                rows, stats = build_shard(
                    manifest.shard(index), source, config, parts, state.process_index + 1
                )
                store.write_shard(index, rows, stats)
                if after_shard is not None:
                    after_shard(index)
    state.wait_for_everyone()
    if state.is_main_process:
        shard_stats = [store.read_marker(i)["stats"] for i in range(manifest.num_shards)]
        stats = merge_stats(shard_stats, manifest)
        stats["source_description"] = manifest.description
        atomic_write_json(out / BUILD_STATS, stats)
        counts = merge_shards(store, manifest, out)
        stats["splits"] = {name: counts.get(name, 0) for name in SPLITS}
        atomic_write_json(out / BUILD_STATS, stats)
        write_card(out)
        if not config.keep_shards:
            shutil.rmtree(store.root)
    state.wait_for_everyone()
    return out
