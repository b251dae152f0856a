"""What a training stage leaves behind, and pushing it to the Hub.

Every stage writes, in its ``output_dir``: the LoRA adapter (``adapter_config.json`` +
``adapter_model.safetensors``), the processor, the RED-Aes metadata (``red_aes.json`` through
:func:`red_aes.checkpoints.write_metadata`: base model, stage, prompt version, dataset id and revision, and
the processor's ``max_image_pixels``, which the scorer then uses) and a
model card (``README.md``) rendered from ``model_card/template.md`` by :func:`red_aes.hub.render_model_card`.
Pushing goes through :func:`red_aes.hub.push_folder`, never through the Trainer's own hub mechanism, so
the pushed folder is exactly the one described here.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from red_aes._version import __version__
from red_aes.checkpoints import ADAPTER_CONFIG, ADAPTER_WEIGHTS, METADATA_FILE, read_metadata, write_metadata
from red_aes.errors import InputError
from red_aes.hub import push_folder, render_model_card
from red_aes.resources import model_card_template
from red_aes.scoring.budget import image_pixel_limits
from red_aes.train.config import STAGES, RedAesArguments

STAGE_TITLES = {1: "cold-start SFT", 2: "pairwise GRPO", 3: "group-ranking GRPO"}
ADAPTER_FILES = (ADAPTER_CONFIG, ADAPTER_WEIGHTS)
CARD_TAGS = ["red-aes", "image-aesthetics", "image-aesthetics-assessment", "lora", "peft", "trl"]
#: Config fields reported in the card, per trainer.
COMMON_FIELDS = (
    "learning_rate",
    "num_train_epochs",
    "max_steps",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "lr_scheduler_type",
    "warmup_steps",
    "bf16",
    "seed",
)
SFT_FIELDS = (*COMMON_FIELDS, "max_length")
GRPO_FIELDS = (
    *COMMON_FIELDS,
    "num_generations",
    "max_completion_length",
    "temperature",
    "beta",
    "loss_type",
    "reward_weights",
    "use_vllm",
)


@dataclass(frozen=True)
class HubTarget:
    """Where to push a finished stage (taken from the TRL config's ``push_to_hub`` fields)."""

    repo_id: str
    private: bool
    token: str | None


def take_hub_target(training_args: Any) -> HubTarget | None:
    """Read ``push_to_hub``/``hub_model_id`` and switch the Trainer's own pushing off (we push at the end)."""
    if not training_args.push_to_hub:
        return None
    if not training_args.hub_model_id:
        raise InputError(
            "push_to_hub needs hub_model_id (the repo to create, e.g. 'me/red-aes-qwen2.5-vl-7b')"
        )
    target = HubTarget(
        training_args.hub_model_id, bool(training_args.hub_private_repo), training_args.hub_token
    )
    training_args.push_to_hub = False
    return target


def _hyperparameters(
    training_args: Any, script_args: RedAesArguments, max_image_pixels: int | None
) -> dict[str, Any]:
    fields = SFT_FIELDS if script_args.stage == "sft" else GRPO_FIELDS
    values = {name: getattr(training_args, name) for name in fields if hasattr(training_args, name)}
    if script_args.reward_funcs:
        values["reward_funcs"] = ", ".join(script_args.reward_funcs)
    if script_args.stage == "group":
        values["group_size"] = script_args.group_size
    if script_args.stage == "sft":
        values["answer_only_share"] = script_args.answer_only_share
    if max_image_pixels is not None:
        values["max_image_pixels"] = max_image_pixels
    return values


def _url(repo_id: str, kind: str) -> str:
    if Path(repo_id).exists():
        return Path(repo_id).resolve().as_uri()
    return f"https://huggingface.co/{'datasets/' if kind == 'dataset' else ''}{repo_id}"


def build_model_card(
    folder: Path,
    metadata: dict[str, Any],
    hyperparameters: dict[str, Any],
    *,
    license: str,
    usage_id: str,
    init_adapter: str | None = None,
    eval_results: list[EvalResult] | None = None,
) -> ModelCard:
    """Render the adapter card of ``folder`` from its metadata, adapter config and training settings."""
    adapter = json.loads((folder / ADAPTER_CONFIG).read_text())
    targets = adapter.get("target_modules")
    stage_number = STAGES[metadata["stage"]][0]
    hub_dataset = not Path(metadata["dataset"]).exists()
    card_data = ModelCardData(
        base_model=metadata["base_model"] if not Path(metadata["base_model"]).exists() else None,
        library_name="peft",
        pipeline_tag="image-text-to-text",
        datasets=[metadata["dataset"]] if hub_dataset else None,
        license=license,
        tags=CARD_TAGS,
        model_name=f"RED-Aes {Path(usage_id).name}",
        eval_results=eval_results or None,
    )
    return render_model_card(
        card_data,
        model_title=f"RED-Aes adapter: {Path(usage_id).name}",
        base_model=metadata["base_model"],
        base_model_url=_url(metadata["base_model"], "model"),
        dataset=metadata["dataset"],
        dataset_url=_url(metadata["dataset"], "dataset"),
        dataset_revision=metadata.get("dataset_revision"),
        stage_number=stage_number,
        stage_title=STAGE_TITLES[stage_number],
        prompt_version=metadata["prompt_version"],
        red_aes_version=metadata["red_aes_version"],
        lora_r=adapter.get("r"),
        lora_alpha=adapter.get("lora_alpha"),
        lora_targets=targets if isinstance(targets, str) else ", ".join(sorted(targets or [])),
        lora_exclude=adapter.get("exclude_modules"),
        modules_to_save=adapter.get("modules_to_save"),
        usage_id=usage_id,
        init_adapter=init_adapter,
        hyperparameters=hyperparameters,
        eval_rows=eval_results or [],
    )


def save_stage(trainer: Any, script_args: RedAesArguments, model_args: Any, training_args: Any) -> Path:
    """Save adapter, processor, metadata and card of a finished stage in ``output_dir``; returns it."""
    output_dir = Path(training_args.output_dir)
    trainer.save_model(str(output_dir))  # adapter + processing class; gathers weights under ZeRO-3/FSDP
    if not trainer.is_world_process_zero():
        return output_dir
    model = trainer.accelerator.unwrap_model(trainer.model)
    for extra in set(getattr(model, "peft_config", {})) - {"default"}:
        # TRL's frozen reference copy of an initial adapter ("ref") is not part of the product
        shutil.rmtree(output_dir / extra, ignore_errors=True)
    # the Trainer pickles its arguments next to the weights; the folder is safetensors + JSON only
    (output_dir / "training_args.bin").unlink(missing_ok=True)
    missing = [name for name in ADAPTER_FILES if not (output_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{output_dir}: the trainer did not write {missing} (is this a LoRA run?)")
    _, max_image_pixels = image_pixel_limits(trainer.processing_class)
    write_metadata(
        output_dir,
        max_image_pixels=max_image_pixels,
        base_model=model_args.model_name_or_path,
        stage=script_args.stage,
        prompt_version=script_args.prompt_version,
        dataset=script_args.dataset_name,
        dataset_revision=script_args.dataset_revision,
        red_aes_version=__version__,
    )
    card = build_model_card(
        output_dir,
        read_metadata(output_dir),
        _hyperparameters(training_args, script_args, max_image_pixels),
        license=script_args.license,
        usage_id=training_args.hub_model_id or str(output_dir),
        init_adapter=script_args.init_adapter,
    )
    card.save(output_dir / "README.md")
    return output_dir


def push_model(
    folder: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
) -> str:
    """Push a stage folder (adapter, processor, metadata, card) to ``repo_id``; returns the commit URL."""
    folder = Path(folder)
    missing = [name for name in (*ADAPTER_FILES, METADATA_FILE, "README.md") if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: not a RED-Aes training output, missing {missing}")
    return push_folder(
        folder,
        repo_id,
        private=private,
        token=token,
        endpoint=endpoint,
        commit_message="Upload RED-Aes adapter",
        ignore_patterns=["checkpoint-*", "checkpoint-*/**", "runs/**", "*.pt", "training_args.bin"],
    )


def run_stage(
    build_trainer: Callable[[RedAesArguments, Any, Any], Any],
    script_args: RedAesArguments,
    training_args: Any,
    model_args: Any,
) -> Path:
    """Build the stage's trainer, train, save the outputs and push them when asked; returns ``output_dir``.

    What the outputs need is checked first (the card template), so a stage never fails after training."""
    model_card_template()
    hub = take_hub_target(training_args)
    trainer = build_trainer(script_args, training_args, model_args)
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    output_dir = save_stage(trainer, script_args, model_args, training_args)
    if hub is not None and trainer.is_world_process_zero():
        print(push_model(output_dir, hub.repo_id, private=hub.private, token=hub.token))
    return output_dir
