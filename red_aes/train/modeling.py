"""Loading the policy for training: base VLM (optionally 4/8-bit), processor, and the LoRA adapter.

The recipe's ``quantization`` (``none``, ``4bit``, ``8bit`` or ``auto``) is resolved by
:func:`red_aes.types.resolve_quantization` and built by :func:`red_aes.scoring.vlm.bitsandbytes_config`,
the scorer's own resolver and settings, so an adapter is trained on the base it is scored with.

Stage 1 usually starts a new LoRA adapter from TRL's ``ModelConfig`` fields (``use_peft``, ``lora_r``,
``lora_alpha``, ``lora_target_modules``, plus our ``lora_exclude_modules``), which the TRL trainer
applies. Stages 2 and 3 continue training the previous stage's adapter: it is loaded trainable with
``PeftModel.from_pretrained(..., is_trainable=True)`` and handed to the trainer as is.
"""

from __future__ import annotations

from typing import Any

import torch

from red_aes.errors import InputError
from red_aes.scoring.budget import resolve_image_budget, set_image_pixel_limits
from red_aes.scoring.vlm import bitsandbytes_config
from red_aes.train.config import RedAesArguments
from red_aes.types import resolve_quantization


def _dtype(name: str | None) -> torch.dtype | str | None:
    if name in (None, "auto"):
        return name
    if name not in ("bfloat16", "float16", "float32"):
        raise InputError(f"dtype must be 'auto', 'bfloat16', 'float16' or 'float32', got {name!r}")
    return getattr(torch, name)


def load_processor(
    model_args: Any, script_args: RedAesArguments, trust_remote_code: bool, *, padding_side: str = "left"
) -> Any:
    """The base model's processor with the recipe's image resize bounds and left padding.

    The budget is :func:`red_aes.scoring.budget.resolve_image_budget`'s (the recipe's
    ``max_image_pixels``, else the scorer's default), so the processor saved with the adapter resizes as
    inference will."""
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(
        model_args.model_name_or_path,
        revision=model_args.model_revision,
        trust_remote_code=trust_remote_code,
    )
    image_processor = getattr(processor, "image_processor", None)
    if image_processor is None:
        raise InputError(
            f"{model_args.model_name_or_path}: the processor has no image processor (not a VLM?)"
        )
    budget, _ = resolve_image_budget(script_args.max_image_pixels, {}, processor)
    if budget is not None:
        set_image_pixel_limits(processor, budget, script_args.min_image_pixels)
    elif script_args.min_image_pixels is not None:
        raise InputError(
            f"min_image_pixels is not supported by {type(image_processor).__name__} (it sets a Qwen-VL style "
            "pixel budget)"
        )
    processor.tokenizer.padding_side = padding_side
    return processor


def lora_config(model_args: Any, script_args: RedAesArguments) -> Any:
    """TRL's LoRA config from ``ModelConfig`` with our ``lora_exclude_modules``; None without ``use_peft``."""
    from trl import get_peft_config

    config = get_peft_config(model_args)
    if config is not None and script_args.lora_exclude_modules:
        config.exclude_modules = script_args.lora_exclude_modules
    return config


def load_policy(model_args: Any, script_args: RedAesArguments, trust_remote_code: bool) -> tuple[Any, Any]:
    """Return ``(model, peft_config)`` for a TRL trainer.

    With ``init_adapter`` the model is a trainable ``PeftModel`` and ``peft_config`` is None; otherwise
    the model is the base and ``peft_config`` the new LoRA adapter (None for full fine-tuning).
    """
    from accelerate import PartialState
    from transformers import AutoModelForImageTextToText

    if script_args.init_adapter and model_args.use_peft:
        raise InputError(
            "init_adapter continues an existing LoRA adapter and use_peft starts a new one: set only one "
            f"(init_adapter={script_args.init_adapter!r}, use_peft=True)"
        )
    if model_args.load_in_4bit or model_args.load_in_8bit:
        raise InputError(
            "quantize the base with the recipe key quantization (4bit, 8bit or auto), not "
            "load_in_4bit/load_in_8bit: it is the word the scorer loads with, and the same bitsandbytes "
            "settings"
        )
    state = PartialState()
    on_cuda = state.device.type == "cuda"
    quantization = resolve_quantization(script_args.quantization, on_cuda)
    if quantization is not None and not (script_args.init_adapter or model_args.use_peft):
        raise InputError(
            f"quantization {quantization} trains an adapter on a quantized base: set use_peft or init_adapter"
        )
    dtype = _dtype(model_args.dtype)
    kwargs: dict[str, Any] = {
        "revision": model_args.model_revision,
        "trust_remote_code": trust_remote_code,
        "attn_implementation": model_args.attn_implementation,
        "dtype": dtype,
        "use_safetensors": True,
    }
    if quantization is not None:
        compute = dtype if isinstance(dtype, torch.dtype) else torch.bfloat16
        kwargs["quantization_config"] = bitsandbytes_config(quantization, compute)
        kwargs["device_map"] = {"": state.local_process_index} if on_cuda else "cpu"
    model = AutoModelForImageTextToText.from_pretrained(model_args.model_name_or_path, **kwargs)
    if script_args.init_adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, script_args.init_adapter, is_trainable=True)
        return model, None
    return model, lora_config(model_args, script_args)
