"""The dataset card (``README.md``) of a built RED dataset, rendered from ``dataset_card/template.md``.

The card is made only from what the build left in its output folder (``build_config.yaml``,
``build_stats.json`` and the saved dataset), so ``red-aes data card OUT_DIR`` re-renders it at any
time. Its YAML metadata is written by ``huggingface_hub.DatasetCardData`` plus ``datasets``' own
writers for ``configs`` and ``dataset_info`` (the layout ``DatasetDict.push_to_hub`` uploads:
``data/<split>-*.parquet``), so the Hub and ``load_dataset`` read it as they read any dataset card.

A card is meant to be pushed, so it never shows the builder's local paths: every local path in the
build config (the source folder, the output folder, local model folders) is written as its last
component, e.g. the source as ``folder photos`` next to its photo counts.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from datasets import DatasetDict, DatasetInfo, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard, DatasetCardData

from red_aes.data.config import BuildConfig
from red_aes.data.schema import FEATURES, SPLITS
from red_aes.data.shards import atomic_write_text
from red_aes.errors import InputError
from red_aes.hub import render_dataset_card

BUILD_CONFIG = "build_config.yaml"
BUILD_STATS = "build_stats.json"
CARD = "README.md"

#: What each RED column means (shown on the card).
COLUMN_MEANINGS: dict[str, str] = {
    "pair_id": "unique id of the pair (`source_id`-plan index)",
    "source_id": "content id of the source photo (sha256 of its file bytes, first 20 hex digits)",
    "original": "the source photo as edited and judged (PNG)",
    "edited": "the edited photo (PNG)",
    "instruction": "the edit instruction",
    "attribute": "the aesthetic attribute the plan targeted (taxonomy of RED-Aes)",
    "direction": "the planned direction: `improve` or `degrade`",
    "strength": "the planned strength in (0, 1]",
    "editor": "the editor that made the edit (name or model id)",
    "editor_params": "JSON: the plan, the editor's seed and its exact parameters",
    "delta": "aggregated Δ = score(edited) − score(original), median of the valid votes",
    "votes": "the valid judges' Δ votes",
    "judges": "the judges of `votes`, in the same order",
    "agreement": "share of valid votes whose direction matches the aggregated Δ",
    "rationale": "chain-of-thought target: `<think>…</think><answer>Δ</answer>`",
    "prompt_version": "version of the RED-Aes prompt the rationale answers",
}
TASK_CATEGORIES = ["image-text-to-text"]
BASE_TAGS = ["image-aesthetics", "aesthetic-assessment", "image-editing", "red-aes", "synthetic"]
HISTOGRAM_BAR = 30


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` bucket of ``n`` rows."""
    if n < 1000:
        return "n<1K"
    bounds = [(10**4, "1K<n<10K"), (10**5, "10K<n<100K"), (10**6, "100K<n<1M"), (10**7, "1M<n<10M")]
    for upper, label in bounds:
        if n < upper:
            return label
    return "n>10M" if n < 10**8 else "n>100M"


def delta_histogram(deltas: list[float], width: float = 1.0) -> list[dict[str, Any]]:
    """Bins of ``width`` from the lowest to the highest populated one, with a text bar per bin."""
    if not deltas:
        return []
    low, high = math.floor(min(deltas) / width), math.floor(max(deltas) / width)
    counts = {b: 0 for b in range(low, high + 1)}
    for delta in deltas:
        counts[math.floor(delta / width)] += 1
    peak = max(counts.values())
    return [
        {
            "label": f"[{b * width:+.1f}, {(b + 1) * width:+.1f})",
            "count": count,
            "bar": "█" * max(1 if count else 0, round(HISTOGRAM_BAR * count / peak)),
        }
        for b, count in counts.items()
    ]


def local_paths(values: Any) -> set[str]:
    """The strings in ``values`` (nested dicts and lists) that are local paths: absolute, or relative
    with a folder part and existing here; each also in its normalised spelling (no trailing slash)."""
    if isinstance(values, dict):
        return set().union(*(local_paths(v) for v in values.values()))
    if isinstance(values, list):
        return set().union(*(local_paths(v) for v in values))
    if isinstance(values, str) and (os.path.isabs(values) or ("/" in values and os.path.exists(values))):
        return {values, str(Path(values))}
    return set()


def without_local_paths(text: str, paths: Iterable[str]) -> str:
    """``text`` with each of ``paths`` written as its last component (longest first, so a folder
    inside another is shortened whole); the file-system root stays as it is."""
    for path in sorted(paths, key=len, reverse=True):
        name = Path(path).name
        if name:
            text = text.replace(path, name)
    return text


def card_data(config: BuildConfig, dataset: DatasetDict) -> DatasetCardData:
    """YAML metadata: license, task, size, name, tags, and ``configs`` + ``dataset_info`` for the Hub."""
    total = sum(len(split) for split in dataset.values())
    data = DatasetCardData(
        license=config.license,
        pretty_name=config.pretty_name,
        task_categories=TASK_CATEGORIES,
        size_categories=[size_category(total)],
        tags=BASE_TAGS + [t for t in config.tags if t not in BASE_TAGS],
    )
    splits = SplitDict()
    for name, split in dataset.items():
        splits.add(SplitInfo(name=name, num_bytes=split.data.nbytes, num_examples=len(split)))
    info = DatasetInfo(
        features=FEATURES, splits=splits, dataset_size=sum(s.data.nbytes for s in dataset.values())
    )
    DatasetInfosDict({"default": info}).to_dataset_card_data(data)
    files = [{"split": name, "path": f"data/{name}-*"} for name in dataset]
    MetadataConfigs({"default": {"data_files": files}}).to_dataset_card_data(data)
    return data


def render_card(out_dir: str | Path) -> DatasetCard:
    """Render the card of the build in ``out_dir`` (needs the saved dataset, config and stats)."""
    from datasets import load_from_disk

    from red_aes._version import __version__

    out = Path(out_dir)
    for name in (BUILD_CONFIG, BUILD_STATS):
        if not (out / name).is_file():
            raise FileNotFoundError(
                f"{out / name}: not found; is {out} the output folder of `red-aes data build`?"
            )
    config = BuildConfig.from_yaml(out / BUILD_CONFIG)
    stats = json.loads((out / BUILD_STATS).read_text(encoding="utf-8"))
    dataset = load_from_disk(str(out))
    if not isinstance(dataset, DatasetDict):
        raise InputError(f"{out}: holds a single Dataset, not the DatasetDict a RED build saves")
    deltas = [float(d) for split in dataset.values() for d in split["delta"]]
    split_rows = [
        {"split": name, "pairs": len(dataset[name]), "photos": len(set(dataset[name]["source_id"]))}
        for name in SPLITS
        if name in dataset
    ]
    card = render_dataset_card(
        card_data(config, dataset),
        pretty_name=config.pretty_name,
        red_aes_version=__version__,
        neutral_band=config.neutral_band,
        prompt_version=config.prompt_version,
        split_rows=split_rows,
        columns=list(COLUMN_MEANINGS.items()),
        source_description=stats.get("source_description", config.source),
        stats=stats,
        max_side=config.max_side,
        pairs_per_source=config.pairs_per_source,
        seed=config.seed,
        attributes=", ".join(config.attributes),
        directions=", ".join(config.directions),
        strengths=", ".join(f"{s:g}" for s in config.strengths),
        planner=config.planner["name"],
        instruction_library=config.instruction_library,
        edited_by=sorted(stats["edited_by_editor"].items()),
        kept_by=stats["kept_by_editor"],
        min_change=config.min_change,
        min_ssim=config.min_ssim,
        judges=", ".join(f"`{label}`" for label in stats.get("judge_labels", [])),
        min_valid_votes=config.min_valid_votes,
        min_agreement=config.min_agreement,
        rationale_writer=config.rationale["name"],
        rejections=sorted(stats["rejected"].items()),
        invalid_votes=", ".join(f"`{k}`: {v}" for k, v in sorted(stats["invalid_votes"].items())) or "none",
        histogram=delta_histogram(deltas),
        build_config_yaml=config.to_yaml(),
        license_note=config.license_note,
        ladder_kinds=", ".join(config.ladder_kinds),
        cross_photo_pairs=config.cross_photo_pairs,
        has_sources_list=(out / "sources.csv").is_file(),
    )
    return DatasetCard(without_local_paths(str(card), local_paths(config.to_dict())))


def write_card(out_dir: str | Path) -> Path:
    """Render the card and write it (atomically) as ``OUT_DIR/README.md``."""
    path = Path(out_dir) / CARD
    atomic_write_text(path, str(render_card(out_dir)))
    return path
