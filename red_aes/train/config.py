"""The RED-Aes script arguments of the training entry points, and the YAML/CLI parser.

A recipe is one YAML file whose keys are the fields of TRL's ``SFTConfig`` or ``GRPOConfig``, of TRL's
``ModelConfig`` and of :class:`RedAesArguments` (open-r1 style); ``TrlParser`` reads it with
``--config recipe.yaml`` and any ``--field value`` on the command line overrides the file.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from red_aes.errors import InputError
from red_aes.prompts import PROMPT_VERSION
from red_aes.train.rewards import (
    DIRECTION_TAU,
    DIRECTION_WEIGHT,
    HYPERPARAMETERS,
    MAGNITUDE_SCALE,
    MAGNITUDE_WEIGHT,
    RANK_EPSILON,
    check_hyperparameters,
)
from red_aes.types import check_quantization

#: Stage 1's default share of pairs that get an extra answer-only example, so that fast mode (which
#: prefills ``<answer>`` right after the assistant turn starts) queries a trained adapter in a form it saw.
ANSWER_ONLY_SHARE: float = 0.25

#: Training stages: recipe ``stage`` value -> (stage number, TRL config class name).
STAGES: dict[str, tuple[int, str]] = {
    "sft": (1, "SFTConfig"),
    "pair": (2, "GRPOConfig"),
    "group": (3, "GRPOConfig"),
}


@dataclass
class RedAesArguments:
    """What a RED-Aes recipe adds to TRL's configs: data, stage, prompt, images, adapter chain, card."""

    stage: str = field(metadata={"help": "Training stage: 'sft' (1), 'pair' (2, pair GRPO) or 'group' (3)."})
    dataset_name: str = field(metadata={"help": "RED dataset: a Hub dataset id or a save_to_disk folder."})
    dataset_revision: str | None = field(default=None, metadata={"help": "Hub revision of the dataset."})
    dataset_train_split: str = field(default="train", metadata={"help": "Split to train on."})
    prompt_version: str = field(
        default=PROMPT_VERSION, metadata={"help": "Prompt version; must match the dataset's prompt_version."}
    )
    max_image_pixels: int | None = field(
        default=None,
        metadata={
            "help": "Resize budget of the processor (pixels per image, 28x28 per visual token); None: the "
            "scorer's default, 401408 = 512 tokens, or the processor's own limit if tighter. Saved with "
            "the processor and in red_aes.json, so inference uses the same budget."
        },
    )
    min_image_pixels: int | None = field(
        default=None, metadata={"help": "Lower resize bound of the processor (pixels per image)."}
    )
    answer_only_share: float = field(
        default=ANSWER_ONLY_SHARE,
        metadata={
            "help": "Stage 1: share of the pairs that also appear with an answer-only target "
            "('<answer>+1.5</answer>', the form fast mode prefills); 0 turns it off."
        },
    )
    init_adapter: str | None = field(
        default=None,
        metadata={
            "help": "LoRA adapter to continue training (stage 2 from stage 1's, stage 3 from stage 2's)."
        },
    )
    lora_exclude_modules: str | None = field(
        default=None,
        metadata={
            "help": "Regex of modules LoRA must not touch, e.g. '.*visual.*' for the language model only."
        },
    )
    reward_funcs: list[str] = field(
        default_factory=list,
        metadata={
            "help": "GRPO reward functions: format, pair_consistency, group_rank, or a dotted import path "
            "(package.module.function) to your own"
        },
    )
    reward_tau: float | None = field(
        default=None,
        metadata={
            "help": "pair_consistency: judge noise τ of the soft direction target Φ(Δ/ς), in score points "
            f"(default {DIRECTION_TAU})."
        },
    )
    reward_magnitude_scale: float | None = field(
        default=None,
        metadata={
            "help": "pair_consistency: scale s of the magnitude term exp(−|δ − Δ| / s), in score points "
            f"(default {MAGNITUDE_SCALE})."
        },
    )
    reward_direction_weight: float | None = field(
        default=None,
        metadata={
            "help": f"pair_consistency: weight w_D of the direction term (default {DIRECTION_WEIGHT})."
        },
    )
    reward_magnitude_weight: float | None = field(
        default=None,
        metadata={
            "help": f"pair_consistency: weight w_M of the magnitude term (default {MAGNITUDE_WEIGHT})."
        },
    )
    reward_epsilon: float | None = field(
        default=None,
        metadata={"help": f"group_rank: variance guard ε of the order probability (default {RANK_EPSILON})."},
    )
    group_size: int = field(
        default=4,
        metadata={"help": "Stage 3: images per source group (the original and group_size - 1 edits)."},
    )
    quantization: str = field(
        default="none",
        metadata={
            "help": "Load the base model quantized with bitsandbytes and train a LoRA adapter on it (QLoRA): "
            "none, 4bit (nf4, double quantization), 8bit, or auto (4bit on CUDA when bitsandbytes is "
            "installed, else none); the words and settings the scorer loads with."
        },
    )
    license: str = field(default="apache-2.0", metadata={"help": "License written in the model card."})

    def __post_init__(self) -> None:
        check_quantization(self.quantization)
        if not 0.0 <= self.answer_only_share <= 1.0:
            raise InputError(f"answer_only_share must be in [0, 1], got {self.answer_only_share}")
        if self.stage not in STAGES:
            raise InputError(f"stage must be one of {sorted(STAGES)}, got {self.stage!r}")
        if self.stage != "sft" and not self.reward_funcs:
            raise InputError(f"stage {self.stage!r} is GRPO and needs reward_funcs (names or dotted paths)")
        if self.stage == "sft" and self.reward_funcs:
            raise InputError("stage 'sft' takes no reward_funcs")
        if self.stage == "sft" and self.reward_options():
            given = ", ".join(f"reward_{name}" for name in self.reward_options())
            raise InputError(f"stage 'sft' has no rewards, but the recipe sets {given}")
        check_hyperparameters(**self.reward_options())

    def reward_options(self) -> dict[str, float]:
        """The reward hyperparameters the recipe sets, by the keyword the reward functions take
        (``reward_tau`` -> ``tau``); those it leaves unset keep the functions' defaults."""
        values = {name: getattr(self, f"reward_{name}") for name in HYPERPARAMETERS}
        return {name: float(value) for name, value in values.items() if value is not None}


def _check_trainer(stage: str, config_class: type) -> None:
    expected = STAGES[stage][1]
    if config_class.__name__ != expected:
        raise InputError(
            f"recipe stage {stage!r} is trained with {expected}; run it with "
            f"{'red_aes.train.sft' if expected == 'SFTConfig' else 'red_aes.train.grpo'} "
            "(or `red-aes train run`)"
        )


def parse_recipe(config_class: type, argv: Sequence[str] | None = None) -> tuple[Any, Any, Any]:
    """Parse ``--config recipe.yaml`` and command-line overrides: (RedAesArguments, config, ModelConfig).

    ``config_class`` is TRL's ``SFTConfig`` or ``GRPOConfig``; a recipe of the other kind is refused
    before TRL validates its fields.
    """
    from trl import ModelConfig, TrlParser

    argv = list(sys.argv[1:] if argv is None else argv)
    if "--config" in argv[:-1]:
        _check_trainer(recipe_stage(argv[argv.index("--config") + 1]), config_class)
    parser = TrlParser((RedAesArguments, config_class, ModelConfig))
    script_args, training_args, model_args = parser.parse_args_and_config(args=argv)
    _check_trainer(script_args.stage, config_class)
    return script_args, training_args, model_args


def recipe_stage(path: str) -> str:
    """The ``stage`` key of a recipe file, read without building any TRL config."""
    import yaml

    with open(path) as handle:
        recipe = yaml.safe_load(handle)
    if not isinstance(recipe, dict) or "stage" not in recipe:
        raise InputError(f"{path}: a recipe is a YAML mapping with a 'stage' key ({sorted(STAGES)})")
    if recipe["stage"] not in STAGES:
        raise InputError(f"{path}: stage must be one of {sorted(STAGES)}, got {recipe['stage']!r}")
    return recipe["stage"]
