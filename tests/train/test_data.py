"""RED rows -> TRL datasets (red_aes.train.data): SFT conversations, pair prompts, group prompts and
their batching."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from datasets import Dataset
from datasets import Image as ImageFeature
from PIL import Image

from red_aes.data.loading import load_red_split
from red_aes.parsing import parse_answer
from red_aes.prompts import (
    ANSWER_CLOSE,
    ANSWER_OPEN,
    PROMPT_VERSION,
    THINK_OPEN,
    build_messages,
    format_delta,
)
from red_aes.train.config import ANSWER_ONLY_SHARE
from red_aes.train.data import (
    ORIGINAL_ID,
    answer_only_rows,
    check_group_batching,
    group_prompts,
    pair_prompts,
    plan_groups,
    sft_examples,
    sft_target,
)


@pytest.fixture(scope="session")
def red_train(tiny_red_dir: Path) -> Dataset:
    return load_red_split(str(tiny_red_dir), "train")


def _pixels(cell: dict) -> np.ndarray:
    """Decode a raw image cell independently of the code under test (PIL directly)."""
    return np.asarray(Image.open(io.BytesIO(cell["bytes"])).convert("RGB"))


def test_sft_examples_are_pair_conversations_with_the_rationale_as_target(red_train: Dataset) -> None:
    examples = sft_examples(red_train, PROMPT_VERSION, answer_only_share=0.0)
    assert len(examples) == len(red_train)
    raw = red_train.cast_column("original", ImageFeature(decode=False)).cast_column(
        "edited", ImageFeature(decode=False)
    )
    for i in (0, len(examples) - 1):
        example, row = examples[i], raw[i]
        assert example["prompt"] == build_messages("pair", row["instruction"], PROMPT_VERSION)
        [turn] = example["completion"]
        assert turn["role"] == "assistant"
        answer = parse_answer(turn["content"][0]["text"], "delta", strict=True)
        assert answer.value == pytest.approx(row["delta"], abs=0.05)
        original, edited = example["images"]
        assert original.mode == "RGB" and edited.mode == "RGB"
        assert np.array_equal(np.asarray(original), _pixels(row["original"]))
        assert np.array_equal(np.asarray(edited), _pixels(row["edited"]))


def test_sft_mixes_the_documented_share_of_answer_only_targets(red_train: Dataset) -> None:
    examples = sft_examples(red_train, PROMPT_VERSION)  # the default share
    chosen = answer_only_rows(red_train["pair_id"], ANSWER_ONLY_SHARE)
    assert len(chosen) == round(ANSWER_ONLY_SHARE * len(red_train)) > 0
    assert len(examples) == len(red_train) + len(chosen)
    targets = [example["completion"][0]["content"][0]["text"] for example in examples]
    assert all(t.startswith(THINK_OPEN) for t in targets[: len(red_train)])
    for row, target in zip(chosen, targets[len(red_train) :], strict=True):
        assert target == f"{ANSWER_OPEN}{format_delta(red_train[row]['delta'])}{ANSWER_CLOSE}"
        assert examples[len(red_train) + chosen.index(row)]["prompt"] == build_messages(
            "pair", red_train[row]["instruction"], PROMPT_VERSION
        )
    # stable: the same pairs whatever the row order
    reversed_ids = red_train["pair_id"][::-1]
    assert sorted(reversed_ids[i] for i in answer_only_rows(reversed_ids, ANSWER_ONLY_SHARE)) == sorted(
        red_train["pair_id"][i] for i in chosen
    )
    with pytest.raises(ValueError, match=r"answer_only_share must be in \[0, 1\]"):
        answer_only_rows(red_train["pair_id"], 1.5)


def test_sft_answer_only_examples_are_the_tokens_fast_mode_scores(
    red_train: Dataset, tiny_model_dir: Path
) -> None:
    """What TRL's collator trains on starts with exactly the token ids fast mode feeds the model."""
    from trl.trainer.sft_trainer import DataCollatorForVisionLanguageModeling

    from red_aes.scoring.vlm import RedAesScorer

    scorer = RedAesScorer.from_pretrained(tiny_model_dir, device="cpu")
    examples = sft_examples(red_train, PROMPT_VERSION)
    example = examples[len(red_train)]  # the first answer-only example, of this row:
    instruction = red_train[answer_only_rows(red_train["pair_id"], ANSWER_ONLY_SHARE)[0]]["instruction"]
    text = example["completion"][0]["content"][0]["text"]
    collator = DataCollatorForVisionLanguageModeling(scorer.processor, completion_only_loss=True)
    batch = collator([example])
    trained = batch["input_ids"][0][batch["attention_mask"][0].bool()].tolist()
    fast = scorer._inputs("pair", [example["images"]], [instruction], scorer.fast_prefix("delta"))
    prompt = fast["input_ids"][0].tolist()
    assert trained[: len(prompt)] == prompt
    continuation = scorer.tokenizer.decode(trained[len(prompt) :], skip_special_tokens=True)
    assert (scorer.fast_prefix("delta") + continuation).strip() == text
    # the reasoning targets do not have that form: without the answer-only share fast mode is off-distribution
    reasoning = collator([examples[0]])
    assert reasoning["input_ids"][0][reasoning["attention_mask"][0].bool()].tolist()[: len(prompt)] != prompt


def test_sft_target_rejects_inconsistent_or_unformatted_rationales() -> None:
    row = {"pair_id": "p1", "delta": 1.0, "rationale": "<think>brighter</think><answer>+2.0</answer>"}
    with pytest.raises(ValueError, match=r"pair p1: rationale answers \+2.0 but the delta column is \+1.0"):
        sft_target(row)
    with pytest.raises(ValueError, match="pair p1: rationale is not an answer-format target"):
        sft_target({**row, "rationale": "The photo got brighter."})


def test_prompt_version_mismatch_is_refused(red_train: Dataset) -> None:
    other = red_train.map(lambda row: {"prompt_version": "v0"})
    with pytest.raises(
        ValueError, match=r"dataset was built with prompt version\(s\) \['v0'\], but training uses 'v1'"
    ):
        pair_prompts(other, "v1")


def test_pair_prompts_carry_the_reward_columns(red_train: Dataset) -> None:
    prompts = pair_prompts(red_train, PROMPT_VERSION)
    assert prompts["pair_id"] == red_train["pair_id"]
    assert prompts["delta"] == pytest.approx(red_train["delta"])
    assert set(prompts["answer_kind"]) == {"delta"}
    first = prompts[0]
    assert first["prompt"] == build_messages("pair", red_train[0]["instruction"], PROMPT_VERSION)
    assert len(first["images"]) == 2


def test_plan_groups_uses_every_edit_in_fixed_size_groups_of_one_source() -> None:
    sources = ["a"] * 5 + ["b"] * 2 + ["c"]
    pairs = [f"{s}{i}" for i, s in enumerate(sources)]
    groups, skipped = plan_groups(sources, pairs, group_size=3, seed=1)
    assert skipped == ["c"]  # one edit cannot fill a group of an original and two edits
    assert all(len(g) == 2 and len({sources[i] for i in g}) == 1 and len(set(g)) == 2 for g in groups)
    used = Counter(i for g in groups for i in g)
    assert set(used) == {0, 1, 2, 3, 4, 5, 6}  # every edit of a and b is used
    assert len(groups) == 4  # a: 5 edits -> 3 groups (last topped up), b: 1 group
    assert plan_groups(sources, pairs, group_size=3, seed=1) == (groups, skipped)
    with pytest.raises(ValueError, match="group_size must be >= 2"):
        plan_groups(sources, pairs, group_size=1, seed=0)


def test_group_prompts_lay_out_whole_groups_original_first(red_train: Dataset) -> None:
    group_size = 3
    prompts = group_prompts(red_train, PROMPT_VERSION, group_size=group_size, seed=0)
    assert len(prompts) % group_size == 0
    deltas = dict(zip(red_train["pair_id"], red_train["delta"], strict=True))
    sources = dict(zip(red_train["pair_id"], red_train["source_id"], strict=True))
    single = build_messages("single", version=PROMPT_VERSION)
    group_ids = prompts["group_id"]
    for start in range(0, len(prompts), group_size):
        rows = [prompts[i] for i in range(start, start + group_size)]
        assert len({r["group_id"] for r in rows}) == 1
        assert group_ids.count(rows[0]["group_id"]) == group_size  # contiguous and nowhere else
        assert rows[0]["image_id"] == ORIGINAL_ID and rows[0]["relative_score"] == 0.0
        edits = rows[1:]
        assert {sources[r["image_id"]] for r in edits} == {rows[0]["group_id"].split("#")[0]}
        assert [r["relative_score"] for r in edits] == pytest.approx([deltas[r["image_id"]] for r in edits])
        assert all(
            r["prompt"] == single and r["answer_kind"] == "score" and len(r["images"]) == 1 for r in rows
        )


def test_group_prompts_original_pixels_are_the_sources_original(red_train: Dataset) -> None:
    prompts = group_prompts(red_train, PROMPT_VERSION, group_size=2, seed=0)
    raw = red_train.cast_column("original", ImageFeature(decode=False)).cast_column(
        "edited", ImageFeature(decode=False)
    )
    by_pair = {row["pair_id"]: row for row in raw}
    original, edit = prompts[0], prompts[1]
    row = by_pair[edit["image_id"]]
    assert np.array_equal(np.asarray(original["images"][0]), _pixels(row["original"]))
    assert np.array_equal(np.asarray(edit["images"][0]), _pixels(row["edited"]))


def test_check_group_batching() -> None:
    assert (
        check_group_batching(3, per_device_train_batch_size=6, steps_per_generation=2, num_generations=2) == 2
    )
    with pytest.raises(ValueError, match="must be a multiple of num_generations = 4"):
        check_group_batching(3, per_device_train_batch_size=6, steps_per_generation=1, num_generations=4)
    with pytest.raises(ValueError, match="holds 4 prompts, not a multiple of group_size = 3"):
        check_group_batching(3, per_device_train_batch_size=8, steps_per_generation=1, num_generations=2)


@pytest.mark.parametrize("vote", [0.85, -1.05, 0.25, -0.01])
def test_rounding_ties_survive_float32_storage(vote: float) -> None:
    """The rationale is written from the aggregated delta; the column stores it as float32; stage 1
    must read back the same answer (0.85 is "+0.8" in float64 but "+0.9" from float32)."""
    from datasets import Dataset

    from red_aes.data.aggregate import aggregate_votes
    from red_aes.data.rationale import rationale_target
    from red_aes.data.schema import FEATURES
    from red_aes.train.data import sft_target
    from red_aes.types import Verdict

    aggregate = aggregate_votes(
        [Verdict("measured", vote, "why")], min_valid_votes=1, min_agreement=0.5, neutral_band=0.25
    )
    row = {name: None for name in FEATURES}
    row.update(
        pair_id="p",
        source_id="s",
        instruction="i",
        attribute="color",
        direction="improve",
        strength=0.5,
        editor="classical",
        editor_params="{}",
        delta=aggregate.delta,
        votes=[vote],
        judges=["measured"],
        agreement=1.0,
        rationale=rationale_target("The colours changed.", aggregate.delta),
        prompt_version="v1",
    )
    stored = Dataset.from_list([row], features=FEATURES)[0]
    assert parse_answer(sft_target(stored), "delta", strict=True).value == pytest.approx(
        stored["delta"], abs=0.05
    )
