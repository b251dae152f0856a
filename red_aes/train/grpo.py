"""Stages 2 and 3, GRPO with TRL's GRPOTrainer, continuing the previous stage's LoRA adapter.

* ``stage: pair`` (stage 2): pair prompts, rewards e.g. ``red_aes.train.rewards.format_reward`` and
  ``red_aes.train.rewards.pair_consistency_reward``; ``init_adapter`` is stage 1's output.
* ``stage: group`` (stage 3): single-image prompts laid out group by group, reward
  ``red_aes.train.rewards.group_rank_reward``; ``init_adapter`` is stage 2's output. Needs
  ``shuffle_dataset: false`` and a local generation batch that holds whole groups (checked).

One GPU::

    accelerate launch -m red_aes.train.grpo --config training_recipes/qwen2.5-vl-7b/stage2_grpo_pair.yaml

Several GPUs / nodes (DeepSpeed ZeRO-2)::

    accelerate launch --config_file training_recipes/accelerate/zero2.yaml -m red_aes.train.grpo \\
        --config training_recipes/qwen2.5-vl-7b/stage2_grpo_pair.yaml

Reward functions are named in :data:`REWARDS` (``format``, ``pair_consistency``, ``group_rank``) or given
by dotted import path as TRL's own GRPO script takes them (``package.module.function``), so any importable
function with TRL's reward signature works; both are resolved by the registry helper. The recipe's reward
hyperparameters (``reward_tau``, ``reward_magnitude_scale``, ``reward_direction_weight``,
``reward_magnitude_weight``, ``reward_epsilon``) are bound to the functions that take them.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from red_aes.data.loading import load_red_split
from red_aes.errors import InputError
from red_aes.processes import leaving_process_group
from red_aes.registry import Entry, Registry
from red_aes.train.config import RedAesArguments, parse_recipe
from red_aes.train.data import check_group_batching, group_prompts, pair_prompts
from red_aes.train.modeling import load_policy, load_processor
from red_aes.train.outputs import run_stage

#: GRPO reward functions by name; any other name holding a dot is a ``module.function`` import path.
REWARDS = Registry(
    "reward function",
    {
        "format": Entry(
            "red_aes.train.rewards:format_reward",
            "1 when a completion parses as an answer of its kind, else 0",
        ),
        "pair_consistency": Entry(
            "red_aes.train.rewards:pair_consistency_reward",
            "stage 2: direction fidelity and magnitude of a sampled delta against the judged one",
        ),
        "group_rank": Entry(
            "red_aes.train.rewards:group_rank_reward",
            "stage 3: order fidelity of a sampled score against the other members of its source group",
        ),
    },
    import_paths=True,
)


def resolve_reward_funcs(
    names: Sequence[str], options: Mapping[str, float] | None = None
) -> list[Callable[..., list[float | None]]]:
    """The reward functions of a recipe's ``reward_funcs``: names of :data:`REWARDS` or dotted import
    paths (``package.module.function``); an unknown one is an error naming those that exist.

    ``options`` are the recipe's reward hyperparameters (:meth:`RedAesArguments.reward_options`, e.g.
    ``{"tau": 0.5}``): each is bound to every function that names it as a parameter (a function keeps
    its ``__name__``, which TRL logs). One that no function takes is an error, not a silent no-op."""
    options = dict(options or {})
    funcs, used = [], set()
    for name in names:
        func = REWARDS.target(name)
        takes = {
            p.name
            for p in inspect.signature(func).parameters.values()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        }
        bound = {key: value for key, value in options.items() if key in takes}
        used |= set(bound)
        funcs.append(functools.update_wrapper(functools.partial(func, **bound), func) if bound else func)
    unused = sorted(set(options) - used)
    if unused:
        given = ", ".join(f"reward_{key}" for key in unused)
        raise InputError(
            f"the recipe sets {given}, but none of its reward_funcs ({', '.join(names)}) takes it"
        )
    return funcs


def check_config(script_args: RedAesArguments, training_args: Any) -> None:
    """Refuse GRPO settings that would silently break the rewards' assumptions."""
    if script_args.stage not in ("pair", "group"):
        raise InputError(
            f"red_aes.train.grpo trains stages 'pair' and 'group', the recipe says {script_args.stage!r}"
        )
    if training_args.remove_unused_columns:
        raise InputError("remove_unused_columns must be false: the reward functions read dataset columns")
    if training_args.eval_strategy != "no":
        raise InputError(
            "GRPO stages take no eval set here (eval_strategy must be 'no'); use `red-aes evaluate`"
        )
    if training_args.reward_weights is not None and len(training_args.reward_weights) != len(
        script_args.reward_funcs
    ):
        weights, funcs = len(training_args.reward_weights), len(script_args.reward_funcs)
        raise InputError(f"{weights} reward_weights for {funcs} reward_funcs")
    if script_args.stage == "group" and training_args.shuffle_dataset:
        raise InputError(
            "stage 'group' needs shuffle_dataset: false, or TRL's sampler would split the groups"
        )
    # Both rewards read a prompt's samples together (the pair reward its spread σ_g), so every prompt's
    # samples must stay on one process; stage 3 also needs whole source groups (a pair is a group of 1).
    check_group_batching(
        script_args.group_size if script_args.stage == "group" else 1,
        training_args.per_device_train_batch_size,
        training_args.steps_per_generation,
        training_args.num_generations,
    )


def build_dataset(script_args: RedAesArguments, training_args: Any) -> Any:
    """The stage's prompt dataset from the RED train split; checks that it fills one generation batch."""
    red = load_red_split(
        script_args.dataset_name, script_args.dataset_train_split, revision=script_args.dataset_revision
    )
    if script_args.stage == "pair":
        dataset = pair_prompts(red, script_args.prompt_version)
    else:
        dataset = group_prompts(red, script_args.prompt_version, script_args.group_size, training_args.seed)
    prompts_per_generation = training_args.generation_batch_size // training_args.num_generations
    if len(dataset) < prompts_per_generation:
        raise InputError(
            f"{script_args.dataset_name}: {len(dataset)} {script_args.stage} prompts, fewer than the "
            f"{prompts_per_generation} prompts of one generation batch"
        )
    return dataset


def build_trainer(script_args: RedAesArguments, training_args: Any, model_args: Any) -> Any:
    """A ``GRPOTrainer`` for stage 2 or 3, ready to ``train()``."""
    from trl import GRPOTrainer

    check_config(script_args, training_args)
    reward_funcs = resolve_reward_funcs(script_args.reward_funcs, script_args.reward_options())
    train_dataset = build_dataset(script_args, training_args)
    processor = load_processor(model_args, script_args, training_args.trust_remote_code)
    model, peft_config = load_policy(model_args, script_args, training_args.trust_remote_code)
    return GRPOTrainer(
        model=model,
        reward_funcs=reward_funcs,
        args=training_args,
        train_dataset=train_dataset,
        processing_class=processor,
        peft_config=peft_config,
    )


def train(script_args: RedAesArguments, training_args: Any, model_args: Any) -> Path:
    """Run stage 2 or 3; save (and push, with ``push_to_hub``) its outputs; returns the output folder."""
    return run_stage(build_trainer, script_args, training_args, model_args)


def main(argv: Sequence[str] | None = None) -> Path:
    from trl import GRPOConfig

    return train(*parse_recipe(GRPOConfig, argv))


if __name__ == "__main__":
    with leaving_process_group():  # under accelerate launch: leave it before the interpreter exits
        main(sys.argv[1:])
