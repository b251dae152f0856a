"""Builders of tiny, *untrained* checkpoints for tests, benchmarks and offline demos.

Nothing here downloads anything: every weight is randomly initialised from a seed and every tokenizer is
trained in-process on a small corpus (our prompts and answer format). The checkpoints have the real
architectures and file layouts (safetensors weights, processor and tokenizer files, chat template), so
the code paths that load a 7B model from the Hub load these the same way — but their outputs are
meaningless. Use them for wiring and tests, never for aesthetics.

- :func:`make_tiny_model`: a Qwen2.5-VL checkpoint (``AutoModelForImageTextToText`` + ``AutoProcessor``).
- :func:`make_tiny_adapter`: a PEFT LoRA adapter with non-zero weights for such a checkpoint.
- :func:`make_tiny_editor`: an InstructPix2Pix diffusers pipeline (``DiffusionPipeline``).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from red_aes.prompts import PROMPTS, format_answer, format_delta, format_score
from red_aes.types import ATTRIBUTES

#: Qwen2.5-VL's special tokens, in Qwen's order (ids follow the trained vocabulary).
QWEN_SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

#: Qwen2-VL's chat template: system default, ``{"type": "image"}`` parts become vision placeholders.
QWEN_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Qwen2's pre-tokenizer: digits split one by one, punctuation runs kept together.
_QWEN_PRETOKENIZE_REGEX = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""  # noqa: E501

#: Images are resized to between 56x56 and 2x(56x56) pixels: 4 to 8 visual tokens each.
TINY_MIN_PIXELS = 56 * 56
TINY_MAX_PIXELS = 2 * 56 * 56
#: The resize bounds of Qwen2.5-VL-7B-Instruct's released processor: 4 to 16,384 visual tokens (12.8 MP).
QWEN_MIN_PIXELS = 56 * 56
QWEN_MAX_PIXELS = 28 * 28 * 16384


def _tokenizer_corpus() -> list[str]:
    """The texts the tiny tokenizer is trained on: prompts, answers of every grid value, the taxonomy."""
    corpus: list[str] = []
    for template in PROMPTS.values():
        corpus += [template.system, template.pair, template.single, template.pair_instruction]
    corpus += [format_answer(format_delta(k / 10), "the edit changed the photo") for k in range(-90, 91)]
    corpus += [format_answer(format_score(k / 10)) for k in range(10, 101)]
    corpus += [f"The {a.replace('_', ' ')} is better, worse or unchanged." for a in ATTRIBUTES]
    return corpus


def _build_tokenizer(vocab_size: int):  # -> transformers.Qwen2Tokenizer
    """Train a byte-level BPE tokenizer with Qwen2's pre-tokenizer and add Qwen's special tokens."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import AddedToken, Qwen2Tokenizer

    backend = Tokenizer(models.BPE())
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_QWEN_PRETOKENIZE_REGEX), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<|endoftext|>"],
        show_progress=False,
    )
    backend.train_from_iterator(_tokenizer_corpus(), trainer=trainer)
    tokenizer = Qwen2Tokenizer(
        tokenizer_object=backend,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        model_max_length=32768,
        padding_side="left",
    )
    tokenizer.add_tokens([AddedToken(t, special=True, normalized=False) for t in QWEN_SPECIAL_TOKENS])
    return tokenizer


def _build_processor(
    tokenizer, min_pixels: int = TINY_MIN_PIXELS, max_pixels: int = TINY_MAX_PIXELS
):  # -> transformers.Qwen2_5_VLProcessor
    from transformers import Qwen2_5_VLProcessor, Qwen2VLImageProcessor, Qwen2VLVideoProcessor

    image_processor = Qwen2VLImageProcessor(
        min_pixels=min_pixels,
        max_pixels=max_pixels,
        patch_size=14,
        temporal_patch_size=2,
        merge_size=2,
    )
    video_processor = Qwen2VLVideoProcessor(
        min_pixels=TINY_MIN_PIXELS,
        max_pixels=TINY_MAX_PIXELS,
        patch_size=14,
        temporal_patch_size=2,
        merge_size=2,
    )
    return Qwen2_5_VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=QWEN_VL_CHAT_TEMPLATE,
    )


def make_tiny_processor(
    *, vocab_size: int = 600, min_pixels: int = TINY_MIN_PIXELS, max_pixels: int = TINY_MAX_PIXELS
):  # -> transformers.Qwen2_5_VLProcessor
    """The tiny checkpoints' processor (in memory): the locally trained tokenizer, Qwen's chat template
    and an image processor with the given resize bounds. Benchmarks pair it with larger random models."""
    return _build_processor(_build_tokenizer(vocab_size), min_pixels, max_pixels)


def tiny_vlm_config(
    tokenizer,
    *,
    hidden_size: int = 64,
    num_layers: int = 2,
    vision_hidden_size: int = 64,
    vision_depth: int = 2,
    initializer_range: float = 0.2,
    padded_rows: int = 0,
):
    """A Qwen2.5-VL config sized for tests; token ids are taken from ``tokenizer``.

    The large ``initializer_range`` makes the random model's answers depend visibly on its inputs, so
    tests can tell inputs (and adapters) apart. ``padded_rows`` embedding/output rows are added beyond
    the tokenizer's ids, as real checkpoints pad their vocabulary. Widths are multiples of 64: the
    bitsandbytes CPU 4-bit kernels pack weights in blocks of 64 input features.
    """
    from transformers import Qwen2_5_VLConfig

    heads = max(4, hidden_size // 64)
    head_dim = hidden_size // heads
    third = head_dim // 2 // 3
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIAL_TOKENS}
    return Qwen2_5_VLConfig(
        text_config={
            "vocab_size": len(tokenizer) + padded_rows,
            "hidden_size": hidden_size,
            "intermediate_size": 2 * hidden_size,
            "num_hidden_layers": num_layers,
            "num_attention_heads": heads,
            "num_key_value_heads": heads // 2,
            "max_position_embeddings": 4096,
            "initializer_range": initializer_range,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 10000.0,
                "mrope_section": [head_dim // 2 - 2 * third, third, third],
            },
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
        },
        vision_config={
            "depth": vision_depth,
            "hidden_size": vision_hidden_size,
            "intermediate_size": 2 * vision_hidden_size,
            "num_heads": 2,
            "out_hidden_size": hidden_size,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 56,
            "fullatt_block_indexes": [vision_depth - 1],
            "initializer_range": initializer_range,
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
        initializer_range=initializer_range,
    )


def make_tiny_model(
    path: str | Path,
    *,
    seed: int = 0,
    vocab_size: int = 600,
    hidden_size: int = 64,
    num_layers: int = 2,
    vision_hidden_size: int = 64,
    vision_depth: int = 2,
    min_pixels: int = TINY_MIN_PIXELS,
    max_pixels: int = TINY_MAX_PIXELS,
    padded_vocab: bool = False,
) -> Path:
    """Write a tiny, untrained Qwen2.5-VL checkpoint to ``path`` and return it.

    The folder loads offline with ``AutoProcessor.from_pretrained`` and
    ``AutoModelForImageTextToText.from_pretrained`` (safetensors weights, a locally trained byte-level BPE
    tokenizer with Qwen's chat and vision special tokens, Qwen's chat template, a processor that keeps
    each image to 4-8 visual tokens). Same seed, same files. Its answers are random: tests only. The
    size arguments build larger random models of the same family (benchmarks).

    ``min_pixels``/``max_pixels`` set the processor's resize bounds (:data:`QWEN_MIN_PIXELS` and
    :data:`QWEN_MAX_PIXELS` give the released Qwen2.5-VL processor's). ``padded_vocab`` adds
    ``2 * hidden_size`` output rows beyond the tokenizer (as Qwen2.5-VL-7B has 152,064 rows for 151,665
    tokens) whose weights make one of them win the argmax at every position: ``±k`` on each hidden
    axis, with ``k`` above every real row's L1 norm, so ``max(padded logits) = k·max|h_i|`` exceeds any
    real logit.
    """
    from transformers import GenerationConfig, Qwen2_5_VLForConditionalGeneration

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer = _build_tokenizer(vocab_size)
    processor = _build_processor(tokenizer, min_pixels, max_pixels)
    padded_rows = 2 * hidden_size if padded_vocab else 0
    config = tiny_vlm_config(
        tokenizer,
        hidden_size=hidden_size,
        num_layers=num_layers,
        vision_hidden_size=vision_hidden_size,
        vision_depth=vision_depth,
        padded_rows=padded_rows,
    )
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    if padded_rows:
        with torch.no_grad():
            weight = model.lm_head.weight
            k = 2 * float(weight[: len(tokenizer)].abs().sum(-1).max())
            axes = torch.eye(hidden_size, dtype=weight.dtype) * k
            weight[len(tokenizer) :] = torch.cat([axes, -axes])
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
    )
    model.save_pretrained(path, safe_serialization=True)
    processor.save_pretrained(path)
    return path


def make_tiny_adapter(model_dir: str | Path, path: str | Path, *, seed: int = 0, rank: int = 4) -> Path:
    """Write a PEFT LoRA adapter for the tiny checkpoint at ``model_dir`` (named there by its path).

    LoRA's B matrices are initialised to zero by PEFT, which would make the adapter a no-op; here every
    LoRA weight is random (seeded) so the adapter really changes the model's outputs.
    """
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForImageTextToText

    path = Path(path)
    base = AutoModelForImageTextToText.from_pretrained(model_dir, use_safetensors=True)
    config = LoraConfig(
        r=rank,
        lora_alpha=2 * rank,
        target_modules=r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)",
        lora_dropout=0.0,
    )
    peft_model = get_peft_model(base, config)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.5)
    peft_model.save_pretrained(path, safe_serialization=True)
    adapter_config = path / "adapter_config.json"
    fields = json.loads(adapter_config.read_text())
    fields["base_model_name_or_path"] = str(Path(model_dir).resolve())
    adapter_config.write_text(json.dumps(fields, indent=2))
    return path


def _clip_tokenizer():  # -> transformers.CLIPTokenizer
    """A CLIP tokenizer over single byte-level characters (no merges), built from an in-memory vocab."""
    from tokenizers import pre_tokenizers
    from transformers import CLIPTokenizer

    chars = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def make_tiny_editor(path: str | Path, *, seed: int = 0) -> Path:
    """Write a tiny, untrained InstructPix2Pix pipeline to ``path`` and return it.

    A ``StableDiffusionInstructPix2PixPipeline`` (UNet with 8 input channels, a 2x-downsampling VAE, a
    2-layer CLIP text encoder, an Euler-ancestral scheduler, no safety checker) saved with safetensors; it
    loads offline with ``DiffusionPipeline.from_pretrained``. A 64x64, 2-step edit takes about a second on
    a CPU. Its edits are noise: tests only.
    """
    from diffusers import (
        AutoencoderKL,
        EulerAncestralDiscreteScheduler,
        StableDiffusionInstructPix2PixPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    path = Path(path)
    tokenizer = _clip_tokenizer()
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=8,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=8,
    )
    vae = AutoencoderKL(
        block_out_channels=(16, 32),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=64,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=77,
            projection_dim=32,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    scheduler = EulerAncestralDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000
    )
    pipe = StableDiffusionInstructPix2PixPipeline(
        vae=vae.eval(),
        text_encoder=text_encoder.eval(),
        tokenizer=tokenizer,
        unet=unet.eval(),
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(path, safe_serialization=True)
    return path
