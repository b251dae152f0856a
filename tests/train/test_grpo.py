"""The GRPO entry point (red_aes.train.grpo): reward functions by registered name or dotted path, and
batches that keep each group (and each prompt's samples) together."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from red_aes.train.config import parse_recipe
from red_aes.train.grpo import check_config, resolve_reward_funcs
from red_aes.train.rewards import completion_text, format_reward, group_rank_reward, pair_consistency_reward
from tests.conftest import REPO


def _group_recipe(tiny_model_dir: Path, tiny_red_dir: Path, tmp_path: Path, *overrides: str):
    from trl import GRPOConfig

    return parse_recipe(
        GRPOConfig,
        [
            "--config",
            str(REPO / "training_recipes" / "tiny" / "stage3_grpo_group.yaml"),
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


def test_pair_stage_keeps_each_prompts_samples_on_one_process() -> None:
    """The pair reward reads a prompt's sample spread. On 2 GPUs, 2 completions per process for 4
    generations pass TRL's global check (4 per generation batch) but would split each prompt's samples
    across the processes: refused before training starts."""
    from trl import GRPOConfig

    recipe = REPO / "training_recipes" / "qwen2.5-vl-7b" / "stage2_grpo_pair.yaml"
    argv = ["--config", str(recipe), "--use_cpu", "true", "--num_generations", "4"]
    script, config, _ = parse_recipe(
        GRPOConfig, [*argv, "--per_device_train_batch_size", "4", "--steps_per_generation", "1"]
    )
    check_config(script, config)
    config.per_device_train_batch_size = 2  # what each of two processes holds
    with pytest.raises(ValueError, match="a prompt's samples stay on one process"):
        check_config(script, config)


def user_reward(completions: list[str], **kwargs: object) -> list[float]:
    """A user's own reward with TRL's signature, named in a recipe by its dotted path."""
    return [float(len(completion_text(c))) for c in completions]


def test_reward_funcs_resolve_by_registered_name_or_dotted_path() -> None:
    from red_aes.train.grpo import REWARDS

    by_name = resolve_reward_funcs(["format", "pair_consistency", "group_rank"])
    by_path = resolve_reward_funcs([f"red_aes.train.rewards.{f.__name__}" for f in by_name])
    assert by_name == by_path == [format_reward, pair_consistency_reward, group_rank_reward]
    assert all(REWARDS[name].description for name in REWARDS)
    assert resolve_reward_funcs([f"{__name__}.user_reward"]) == [user_reward]
    with pytest.raises(ValueError, match=r"not registered \(format, group_rank, pair_consistency\)"):
        resolve_reward_funcs(["format_reward"])
    with pytest.raises(ValueError, match="did you mean `group_rank`"):
        resolve_reward_funcs(["group-rank"])


def _pair_recipe(*overrides: str):
    from trl import GRPOConfig

    recipe = [
        "--config",
        str(REPO / "training_recipes" / "tiny" / "stage2_grpo_pair.yaml"),
        "--use_cpu",
        "true",
    ]
    return parse_recipe(GRPOConfig, [*recipe, *overrides])


def test_reward_hyperparameters_are_recipe_fields_bound_to_the_rewards_that_take_them() -> None:
    """``reward_tau`` and the weights of a recipe reach pair_consistency_reward: the bound function gives
    what the formula gives with those values, and keeps its name for TRL's logs."""
    script, _, _ = _pair_recipe(
        "--reward_tau", "0.25", "--reward_direction_weight", "1.0", "--reward_magnitude_weight", "0"
    )
    assert script.reward_options() == {"tau": 0.25, "direction_weight": 1.0, "magnitude_weight": 0.0}
    fmt, pair = resolve_reward_funcs(script.reward_funcs, script.reward_options())
    assert fmt is format_reward and pair.__name__ == "pair_consistency_reward"
    completions = ["<answer>+1.0</answer>", "<answer>-1.0</answer>"]
    columns = {"pair_id": ["p", "p"], "delta": [0.5, 0.5]}
    expected = pair_consistency_reward(
        completions, tau=0.25, direction_weight=1.0, magnitude_weight=0.0, **columns
    )
    assert pair(completions, **columns) == expected != pair_consistency_reward(completions, **columns)
    # unset keys leave the functions' own defaults: the shipped recipe binds nothing
    shipped, _, _ = _pair_recipe()
    assert shipped.reward_options() == {}
    assert resolve_reward_funcs(shipped.reward_funcs, shipped.reward_options()) == [
        format_reward,
        pair_consistency_reward,
    ]


def test_reward_hyperparameters_no_reward_takes_or_out_of_range_are_refused() -> None:
    script, _, _ = _pair_recipe("--reward_epsilon", "0.01")  # group_rank's, not in a pair recipe
    with pytest.raises(ValueError, match=r"sets reward_epsilon, but none of its reward_funcs .* takes it"):
        resolve_reward_funcs(script.reward_funcs, script.reward_options())
    assert resolve_reward_funcs(["group_rank"], {"epsilon": 0.01})[0].__name__ == "group_rank_reward"
    with pytest.raises(
        ValueError, match=r"tau must be > 0, got 0.0; magnitude_weight must be >= 0, got -1.0"
    ):
        _pair_recipe("--reward_tau", "0", "--reward_magnitude_weight", "-1")
    with pytest.raises(ValueError, match="stage 'sft' has no rewards, but the recipe sets reward_tau"):
        from red_aes.train.config import RedAesArguments

        RedAesArguments(stage="sft", dataset_name="d", reward_tau=0.5)
