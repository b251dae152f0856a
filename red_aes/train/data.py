"""Adapters from RED dataset rows (``red_aes.data.schema.FEATURES``) to what TRL's trainers consume.

* :func:`sft_examples` (stage 1): prompt-completion conversations. The prompt is the pair prompt of
  :func:`red_aes.prompts.build_messages` (original image, edited image, edit instruction); the
  completion is the row's ``rationale``, which the dataset stores already in the answer format
  (``<think>…</think><answer>+1.5</answer>``) and which must agree with the row's ``delta``. A share
  of the pairs (``answer_only_share``, default 0.25: the pairs whose ``pair_id`` hashes lowest) also
  appears a second time with the answer-only target ``<answer>+1.5</answer>``: the exact form fast mode
  prefills, so a trained adapter has seen it.
* :func:`pair_prompts` (stage 2): the same pair prompt, plus the reward columns ``pair_id``, ``delta``
  and ``answer_kind`` (``"delta"``).
* :func:`group_prompts` (stage 3): single-image prompts. Each source photo forms groups of
  ``group_size`` images, its original (judged relative score 0) and ``group_size − 1`` of its edits
  (relative score = the edit's Δ); reward columns ``group_id``, ``image_id``, ``relative_score`` and
  ``answer_kind`` (``"score"``). Rows are laid out group after group, so that with the trainer's
  shuffling off and a local batch that is a multiple of ``group_size`` prompts, every group lands in
  one local batch (see :func:`check_group_batching`).

Image bytes are carried through without decoding or re-encoding (no JPEG re-compression of the
photos); the decoding happens on access, through :func:`red_aes.images.load_image`, in a
``Dataset.with_transform`` step.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections import defaultdict
from typing import Any

from datasets import Dataset, Features, Json, List, Value, concatenate_datasets
from datasets import Image as ImageFeature

from red_aes.errors import InputError
from red_aes.images import load_image
from red_aes.parsing import parse_answer
from red_aes.prompts import build_messages, format_answer, format_delta
from red_aes.train.config import ANSWER_ONLY_SHARE

RAW_IMAGE = ImageFeature(decode=False)
MESSAGES = List({"role": Value("string"), "content": List(Json())})

SFT_FEATURES = Features({"prompt": MESSAGES, "completion": MESSAGES, "images": List(RAW_IMAGE)})
PAIR_FEATURES = Features(
    {
        "prompt": MESSAGES,
        "images": List(RAW_IMAGE),
        "pair_id": Value("string"),
        "delta": Value("float32"),
        "answer_kind": Value("string"),
    }
)
GROUP_FEATURES = Features(
    {
        "prompt": MESSAGES,
        "images": List(RAW_IMAGE),
        "group_id": Value("string"),
        "image_id": Value("string"),
        "relative_score": Value("float32"),
        "answer_kind": Value("string"),
    }
)
ORIGINAL_ID = "original"
logger = logging.getLogger(__name__)


def check_prompt_version(red: Dataset, prompt_version: str) -> None:
    """Refuse to train with a prompt version other than the one the dataset's targets were written for."""
    found = sorted(set(red["prompt_version"]))
    if found != [prompt_version]:
        raise InputError(
            f"the dataset was built with prompt version(s) {found}, but training uses {prompt_version!r}"
        )


def _raw_images(red: Dataset) -> Dataset:
    """The same rows with the image columns left as undecoded bytes/paths."""
    return red.cast_column("original", RAW_IMAGE).cast_column("edited", RAW_IMAGE)


def sft_target(row: dict[str, Any]) -> str:
    """The stage-1 completion text of a RED row: its rationale, checked against its delta."""
    parsed = parse_answer(row["rationale"], "delta")
    if not parsed.valid:
        raise InputError(f"pair {row['pair_id']}: rationale is not an answer-format target ({parsed.error})")
    if format_delta(parsed.value) != format_delta(row["delta"]):
        raise InputError(
            f"pair {row['pair_id']}: rationale answers {format_delta(parsed.value)} "
            f"but the delta column is {format_delta(row['delta'])}"
        )
    return row["rationale"].strip()


def answer_only_rows(pair_ids: list[str], share: float) -> list[int]:
    """Row indices of the ``round(share * n)`` pairs whose ``pair_id`` SHA-256 is lowest (stable across
    runs, seeds and row order), in row order."""
    if not 0.0 <= share <= 1.0:
        raise InputError(f"answer_only_share must be in [0, 1], got {share}")
    count = round(share * len(pair_ids))
    ranked = sorted(range(len(pair_ids)), key=lambda i: hashlib.sha256(pair_ids[i].encode()).hexdigest())
    return sorted(ranked[:count])


def sft_examples(red: Dataset, prompt_version: str, answer_only_share: float = ANSWER_ONLY_SHARE) -> Dataset:
    """Stage 1: ``prompt`` (system + pair user turn), ``completion`` (assistant answer) and ``images``.

    Every row gives its rationale example, in row order; the rows of :func:`answer_only_rows` then also
    give an answer-only example (``format_answer(format_delta(delta))``), appended after them.
    """
    check_prompt_version(red, prompt_version)

    def convert(row: dict[str, Any], target: str) -> dict[str, Any]:
        return {
            "prompt": build_messages("pair", row["instruction"], prompt_version),
            "completion": [{"role": "assistant", "content": [{"type": "text", "text": target}]}],
            "images": [row["original"], row["edited"]],
        }

    def answer_only(row: dict[str, Any]) -> str:
        return format_answer(format_delta(parse_answer(sft_target(row), "delta").value))

    raw = _raw_images(red)
    parts = [
        raw.map(
            lambda row: convert(row, sft_target(row)),
            remove_columns=raw.column_names,
            features=SFT_FEATURES,
            desc="SFT conversations",
        )
    ]
    chosen = answer_only_rows(red["pair_id"], answer_only_share)
    if chosen:
        parts.append(
            raw.select(chosen).map(
                lambda row: convert(row, answer_only(row)),
                remove_columns=raw.column_names,
                features=SFT_FEATURES,
                desc="SFT answer-only targets",
            )
        )
    return with_decoded_images(concatenate_datasets(parts))


def pair_prompts(red: Dataset, prompt_version: str) -> Dataset:
    """Stage 2: pair prompts with the columns :func:`~red_aes.train.rewards.pair_consistency_reward` reads."""
    check_prompt_version(red, prompt_version)

    def convert(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "prompt": build_messages("pair", row["instruction"], prompt_version),
            "images": [row["original"], row["edited"]],
            "pair_id": row["pair_id"],
            "delta": row["delta"],
            "answer_kind": "delta",
        }

    raw = _raw_images(red)
    table = raw.map(convert, remove_columns=raw.column_names, features=PAIR_FEATURES, desc="pair prompts")
    return with_decoded_images(table)


def plan_groups(
    source_ids: list[str], pair_ids: list[str], group_size: int, seed: int
) -> tuple[list[list[int]], list[str]]:
    """Split each source's pairs into groups of ``group_size − 1`` edits (row indices), in shuffled order.

    A source with fewer edits than a group needs is skipped (returned in the second list). When a
    source's edit count is not a multiple of ``group_size − 1``, its last group is topped up with edits
    of its first group, so every edit is used and every group has the same size. The group order is
    shuffled with ``seed`` (the trainer itself must not shuffle, or groups would be split).
    """
    if group_size < 2:
        raise InputError(f"group_size must be >= 2 (the original and at least one edit), got {group_size}")
    edits = group_size - 1
    by_source: dict[str, list[int]] = defaultdict(list)
    for index, source in enumerate(source_ids):
        by_source[source].append(index)
    rng = random.Random(seed)
    groups: list[list[int]] = []
    skipped: list[str] = []
    for source in sorted(by_source):
        rows = sorted(by_source[source], key=lambda i: pair_ids[i])
        if len(rows) < edits:
            skipped.append(source)
            continue
        rng.shuffle(rows)
        chunks = [rows[start : start + edits] for start in range(0, len(rows), edits)]
        last = chunks[-1]
        last += [row for row in chunks[0] if row not in last][: edits - len(last)]
        groups.extend(chunks)
    rng.shuffle(groups)
    return groups, skipped


def group_prompts(
    red: Dataset,
    prompt_version: str,
    group_size: int,
    seed: int,
) -> Dataset:
    """Stage 3: single-image prompts, ``group_size`` consecutive rows per group (original first).

    Raises if no source has enough edits to form a group.
    """
    check_prompt_version(red, prompt_version)
    source_ids, pair_ids = red["source_id"], red["pair_id"]
    groups, skipped = plan_groups(source_ids, pair_ids, group_size, seed)
    if not groups:
        raise InputError(
            f"no source photo has the {group_size - 1} edits a group of group_size={group_size} needs "
            f"({len(skipped)} sources skipped)"
        )
    if skipped:
        logger.warning(
            "group_prompts: skipped %d sources with fewer than %d edits", len(skipped), group_size - 1
        )
    # One row per group member: (RED row index, image column, member id, group id)
    members: list[tuple[int, str, str, str]] = []
    for number, rows in enumerate(groups):
        group_id = f"{source_ids[rows[0]]}#{number}"
        members.append((rows[0], "original", ORIGINAL_ID, group_id))
        members += [(row, "edited", pair_ids[row], group_id) for row in rows]
    single = build_messages("single", version=prompt_version)

    def convert(row: dict[str, Any], position: int) -> dict[str, Any]:
        _, column, member, group_id = members[position]
        return {
            "prompt": single,
            "images": [row[column]],
            "group_id": group_id,
            "image_id": member,
            "relative_score": 0.0 if column == "original" else row["delta"],
            "answer_kind": "score",
        }

    raw = _raw_images(red).select([row for row, *_ in members])
    table = raw.map(
        convert,
        with_indices=True,
        remove_columns=raw.column_names,
        features=GROUP_FEATURES,
        desc="group prompts",
    )
    return with_decoded_images(table)


def check_group_batching(
    group_size: int, per_device_train_batch_size: int, steps_per_generation: int, num_generations: int
) -> int:
    """Check that a local generation batch holds whole groups; returns the groups per local batch.

    TRL's GRPO trainer generates for ``per_device_train_batch_size × steps_per_generation`` completions
    per process, i.e. that number divided by ``num_generations`` prompts, taken in dataset order when
    ``shuffle_dataset`` is off.
    """
    completions = per_device_train_batch_size * steps_per_generation
    if completions % num_generations:
        raise InputError(
            f"per_device_train_batch_size × steps_per_generation = {completions} must be a multiple of "
            f"num_generations = {num_generations} so that a prompt's samples stay on one process"
        )
    prompts = completions // num_generations
    if prompts % group_size:
        raise InputError(
            f"a local generation batch holds {prompts} prompts, not a multiple of group_size = {group_size}: "
            "groups would be split across batches (change per_device_train_batch_size, "
            "steps_per_generation, num_generations or group_size)"
        )
    return prompts // group_size


def _image_source(image: dict[str, Any]) -> bytes | str:
    """The bytes (or, for datasets that reference files, the path) of an undecoded image cell."""
    if image.get("bytes") is not None:
        return image["bytes"]
    if image.get("path"):
        return image["path"]
    raise InputError("image cell has neither bytes nor a path")


def with_decoded_images(table: Dataset) -> Dataset:
    """``table`` whose ``images`` column is decoded on access by :func:`red_aes.images.load_image`.

    Images keep their stored size (within load_image's default pixel budget); resizing them to the
    model's input size is the processor's job (the recipe's ``max_image_pixels``/``min_image_pixels``).
    """

    def decode(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        images = [[load_image(_image_source(cell)) for cell in cells] for cells in batch["images"]]
        return {**batch, "images": images}

    return table.with_transform(decode)
