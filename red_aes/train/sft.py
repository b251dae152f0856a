"""Stage 1, cold-start SFT: (original, edited, instruction) -> rationale and delta, with TRL's SFTTrainer.

One GPU::

    accelerate launch -m red_aes.train.sft --config training_recipes/qwen2.5-vl-7b/stage1_sft.yaml

Several GPUs / nodes (DeepSpeed ZeRO-2)::

    accelerate launch --config_file training_recipes/accelerate/zero2.yaml -m red_aes.train.sft \\
        --config training_recipes/qwen2.5-vl-7b/stage1_sft.yaml

The recipe's keys are ``SFTConfig``, ``ModelConfig`` and :class:`~red_aes.train.config.RedAesArguments`
fields; ``--field value`` overrides the file. The output folder holds the adapter, the processor, the
RED-Aes metadata and the model card (:mod:`red_aes.train.outputs`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from red_aes.data.loading import load_red_split
from red_aes.errors import InputError
from red_aes.processes import leaving_process_group
from red_aes.train.config import RedAesArguments, parse_recipe
from red_aes.train.data import sft_examples
from red_aes.train.modeling import load_policy, load_processor
from red_aes.train.outputs import run_stage


def build_trainer(script_args: RedAesArguments, training_args: Any, model_args: Any) -> Any:
    """An ``SFTTrainer`` on the RED train split, ready to ``train()``."""
    from trl import SFTTrainer

    if script_args.stage != "sft":
        raise InputError(f"red_aes.train.sft trains stage 'sft', the recipe says {script_args.stage!r}")
    red = load_red_split(
        script_args.dataset_name, script_args.dataset_train_split, revision=script_args.dataset_revision
    )
    train_dataset = sft_examples(red, script_args.prompt_version, script_args.answer_only_share)
    processor = load_processor(model_args, script_args, training_args.trust_remote_code)
    model, peft_config = load_policy(model_args, script_args, training_args.trust_remote_code)
    return SFTTrainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        processing_class=processor,
        peft_config=peft_config,
    )


def train(script_args: RedAesArguments, training_args: Any, model_args: Any) -> Path:
    """Run stage 1; save (and push, with ``push_to_hub``) its outputs; returns the output folder."""
    return run_stage(build_trainer, script_args, training_args, model_args)


def main(argv: Sequence[str] | None = None) -> Path:
    from trl import SFTConfig

    return train(*parse_recipe(SFTConfig, argv))


if __name__ == "__main__":
    with leaving_process_group():  # under accelerate launch: leave it before the interpreter exits
        main(sys.argv[1:])
