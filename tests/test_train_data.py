"""RED rows -> TRL datasets: SFT conversations, pair prompts, group prompts and their batching."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from datasets import Dataset, DatasetDict, load_from_disk
from datasets import Image as ImageFeature
from PIL import Image

from red_aes.data.loading import load_red_split
from red_aes.data.schema import FEATURES, SchemaError
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
from red_aes.train.grpo import check_config, resolve_reward_funcs

REPO = Path(__file__).resolve().parent.parent
RECIPES = REPO / "training_recipes"


@pytest.fixture(scope="session")
def red_train(tiny_red_dir: Path) -> Dataset:
    return load_red_split(str(tiny_red_dir), "train")


def _pixels(cell: dict) -> np.ndarray:
    """Decode a raw image cell independently of the code under test (PIL directly)."""
    return np.asarray(Image.open(io.BytesIO(cell["bytes"])).convert("RGB"))


def test_tiny_red_follows_the_schema_and_splits_by_source(tiny_red_dir: Path) -> None:
    splits = load_from_disk(str(tiny_red_dir))
    assert set(splits) == {"train", "validation", "test"}
    sources = {name: set(split["source_id"]) for name, split in splits.items()}
    assert not sources["train"] & sources["validation"] and not sources["train"] & sources["test"]
    for name in splits:
        assert splits[name].features == FEATURES


def test_load_red_errors_name_the_problem(tiny_red_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(KeyError, match=r"has no split 'dev'; it has \['test', 'train', 'validation'\]"):
        load_red_split(str(tiny_red_dir), "dev")
    DatasetDict({"train": Dataset.from_dict({"pair_id": ["a"]})}).save_to_disk(str(tmp_path / "bad"))
    with pytest.raises(SchemaError, match="missing RED columns"):
        load_red_split(str(tmp_path / "bad"), "train")
    with pytest.raises(ValueError, match="is a local folder"):
        load_red_split(str(tiny_red_dir), "train", revision="main")


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


def test_reward_funcs_resolve_by_dotted_name() -> None:
    from red_aes.train import rewards

    funcs = resolve_reward_funcs(
        ["red_aes.train.rewards.format_reward", "red_aes.train.rewards.group_rank_reward"]
    )
    assert funcs == [rewards.format_reward, rewards.group_rank_reward]
    with pytest.raises(ValueError, match="not a dotted import path"):
        resolve_reward_funcs(["format_reward"])
    with pytest.raises(ValueError, match="has no callable 'nope'"):
        resolve_reward_funcs(["red_aes.train.rewards.nope"])
    with pytest.raises(ValueError, match=r"cannot import module 'red_aes\.nowhere'"):
        resolve_reward_funcs(["red_aes.nowhere.reward"])


def _group_recipe(tiny_model_dir: Path, tiny_red_dir: Path, tmp_path: Path, *overrides: str):
    from trl import GRPOConfig

    from red_aes.train.config import parse_recipe

    return parse_recipe(
        GRPOConfig,
        [
            "--config",
            str(RECIPES / "tiny" / "stage3_grpo_group.yaml"),
            "--model_name_or_path",
            str(tiny_model_dir),
            "--dataset_name",
            str(tiny_red_dir),
            "--output_dir",
            str(tmp_path / "out"),
            *overrides,
        ],
    )


def test_group_stage_refuses_settings_that_split_groups(
    tiny_model_dir: Path, tiny_red_dir: Path, tmp_path
) -> None:
    script, config, _ = _group_recipe(tiny_model_dir, tiny_red_dir, tmp_path, "--shuffle_dataset", "true")
    with pytest.raises(ValueError, match="needs shuffle_dataset: false"):
        check_config(script, config)
    script, config, _ = _group_recipe(
        tiny_model_dir, tiny_red_dir, tmp_path, "--per_device_train_batch_size", "4"
    )
    with pytest.raises(ValueError, match="not a multiple of group_size = 3"):
        check_config(script, config)


@pytest.mark.parametrize("steps_per_generation", [1, 2])
def test_grpo_trainer_batches_hold_whole_groups(
    tiny_model_dir: Path, tiny_red_dir: Path, tmp_path: Path, steps_per_generation: int
) -> None:
    """Iterate the train dataloader the real GRPOTrainer builds and check every local batch."""
    from red_aes.testing import make_tiny_adapter
    from red_aes.train.grpo import build_trainer

    adapter = make_tiny_adapter(tiny_model_dir, tmp_path / "adapter")
    script, config, model = _group_recipe(
        tiny_model_dir,
        tiny_red_dir,
        tmp_path,
        "--init_adapter",
        str(adapter),
        "--steps_per_generation",
        str(steps_per_generation),
    )
    trainer = build_trainer(script, config, model)
    n_gen, size = config.num_generations, script.group_size
    batches = list(trainer.get_train_dataloader())
    n_groups = len(trainer.train_dataset) // size
    assert len(batches) == steps_per_generation * (n_groups // steps_per_generation)
    seen: set[str] = set()
    for batch in batches[::steps_per_generation]:  # one generation batch, then its repeats
        assert len(batch) == config.per_device_train_batch_size * steps_per_generation
        members = Counter((row["group_id"], row["image_id"]) for row in batch)
        groups = {group for group, _ in members}
        assert len(groups) == steps_per_generation  # whole groups only: size members x num_generations each
        assert all(sum(1 for g, _ in members if g == group) == size for group in groups)
        assert set(members.values()) == {n_gen}
        assert not groups & seen  # a group never spans two generation batches
        seen |= groups


def test_processor_gets_the_recipe_pixel_budget(tiny_model_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoProcessor
    from trl import SFTConfig

    from red_aes.train.config import parse_recipe
    from red_aes.train.modeling import load_processor

    budget = 12544  # 16 patches of 28x28 pixels
    script, _, model = parse_recipe(
        SFTConfig,
        [
            "--config",
            str(RECIPES / "tiny" / "stage1_sft.yaml"),
            "--model_name_or_path",
            str(tiny_model_dir),
            "--max_image_pixels",
            str(budget),
        ],
    )
    processor = load_processor(model, script, trust_remote_code=False)
    assert processor.tokenizer.padding_side == "left"
    processor.save_pretrained(tmp_path)  # saved with the adapter, read back by RedAesScorer
    reloaded = AutoProcessor.from_pretrained(tmp_path)
    image = Image.fromarray(np.zeros((400, 600, 3), np.uint8))
    [[t, h, w]] = reloaded.image_processor(images=[image], return_tensors="pt")["image_grid_thw"].tolist()
    assert t == 1 and h * w * 14 * 14 <= budget and h * w * 14 * 14 > budget // 2


def test_the_resize_budget_has_one_recipe_key() -> None:
    from red_aes.train.config import RedAesArguments

    new = RedAesArguments(stage="sft", dataset_name="d", max_image_pixels=12544, min_image_pixels=3136)
    assert (new.max_image_pixels, new.min_image_pixels) == (12544, 3136)
    for old in ("max_pixels", "min_pixels"):  # the input limit's name is not a recipe key
        with pytest.raises(TypeError, match=old):
            RedAesArguments(stage="sft", dataset_name="d", **{old: 12544})


def test_trl_shuffling_would_split_the_groups(
    tiny_model_dir: Path, tiny_red_dir: Path, tmp_path: Path
) -> None:
    """Control for the test above: with TRL's own row shuffling, local batches mix partial groups."""
    from red_aes.testing import make_tiny_adapter
    from red_aes.train.grpo import build_trainer

    adapter = make_tiny_adapter(tiny_model_dir, tmp_path / "adapter")
    script, config, model = _group_recipe(
        tiny_model_dir, tiny_red_dir, tmp_path, "--init_adapter", str(adapter)
    )
    trainer = build_trainer(script, config, model)
    trainer.shuffle_dataset = True  # what `shuffle_dataset: true` would do (check_config refuses it)
    batches = list(trainer.get_train_dataloader())
    groups_per_batch = [len({row["group_id"] for row in batch}) for batch in batches]
    assert max(groups_per_batch) > 1
